/**
 * Who a request comes from, for per-client limits: the socket's address,
 * never a header - unless the socket belongs to a configured trusted proxy,
 * whose `X-Forwarded-For` is then believed (the right-most address it did
 * not add itself). IPv6 clients are grouped by /64, the block one subscriber
 * usually holds, so a client cannot dodge a limit by hopping addresses in it.
 *
 * @module
 */

import type { Context } from "hono";

/**
 * What the server tells the app about a request's connection (the Hono
 * `env`). `Deno.serve`'s handler info (`remoteAddr`) is read too, so the app
 * can be served either way.
 */
export interface ConnInfo {
  /** The peer's IP address as the socket reports it. */
  remoteAddress: string;
}

/** The key for requests with no known peer (in-process `app.request`). */
export const LOCAL_CLIENT = "local";

/** `::ffff:192.0.2.1` -> `192.0.2.1`; lower case; zone dropped. */
export function normalizeAddress(address: string): string {
  let a = address.trim().toLowerCase();
  const zone = a.indexOf("%");
  if (zone >= 0) a = a.slice(0, zone);
  if (a.startsWith("[") && a.endsWith("]")) a = a.slice(1, -1);
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(a);
  return mapped ? mapped[1]! : a;
}

function expandIpv6(address: string): number[] | null {
  let a = address;
  if (!/^[0-9a-f:.]+$/.test(a) || !a.includes(":")) return null;
  // A dotted IPv4 tail (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) as two groups.
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(a);
  if (v4) {
    const b = v4.slice(1).map(Number);
    if (b.some((x) => x > 255)) return null;
    a = a.slice(0, v4.index) +
      `${((b[0]! << 8) | b[1]!).toString(16)}:${
        ((b[2]! << 8) | b[3]!).toString(16)
      }`;
  }
  const halves = a.split("::");
  if (halves.length > 2) return null;
  const parse = (s: string) =>
    s === ""
      ? []
      : s.split(":").map((h) =>
        /^[0-9a-f]{1,4}$/.test(h) ? parseInt(h, 16) : NaN
      );
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  const fill = 8 - head.length - tail.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0)) return null;
  const groups = [...head, ...Array<number>(fill).fill(0), ...tail];
  return groups.some((g) => Number.isNaN(g)) ? null : groups;
}

/**
 * Whether `text` is an IPv4 or IPv6 address.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(isIpAddress("10.0.0.1"), true);
 * assert.equal(isIpAddress("2001:db8::1"), true);
 * assert.equal(isIpAddress("proxy.local"), false);
 * ```
 */
export function isIpAddress(text: string): boolean {
  const a = normalizeAddress(text);
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(a);
  if (v4) return v4.slice(1).every((b) => Number(b) <= 255);
  return expandIpv6(a) !== null;
}

/**
 * The key per-client limits count under: an IPv4 address as is, an IPv6
 * address's /64.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(clientKey("::ffff:192.0.2.7"), "192.0.2.7");
 * assert.equal(clientKey("2001:db8:0:1::42"), "2001:db8:0:1::/64");
 * assert.equal(clientKey("2001:db8:0:1:ffff::1"), "2001:db8:0:1::/64");
 * ```
 */
export function clientKey(address: string): string {
  const a = normalizeAddress(address);
  const groups = expandIpv6(a);
  if (groups === null) return a;
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(":")}::/64`;
}

/** The peer address the server reported for this request, if any. */
export function peerAddress(env: unknown): string | null {
  if (typeof env !== "object" || env === null) return null;
  const e = env as {
    remoteAddress?: unknown;
    remoteAddr?: { hostname?: unknown };
  };
  if (typeof e.remoteAddress === "string") return e.remoteAddress;
  if (typeof e.remoteAddr?.hostname === "string") return e.remoteAddr.hostname;
  return null;
}

/**
 * The client a request counts against: the peer's key, or - when the peer
 * is a trusted proxy - the key of the right-most `X-Forwarded-For` address
 * that is not itself a trusted proxy.
 */
export function requestClient(
  c: Context,
  trustedProxies: ReadonlySet<string>,
): string {
  const peer = peerAddress(c.env);
  if (peer === null) return LOCAL_CLIENT;
  const normal = normalizeAddress(peer);
  if (trustedProxies.size > 0 && trustedProxies.has(normal)) {
    const hops = (c.req.header("x-forwarded-for") ?? "").split(",")
      .map((h) => normalizeAddress(h)).filter((h) => h !== "");
    for (let i = hops.length - 1; i >= 0; i--) {
      if (!trustedProxies.has(hops[i]!)) return clientKey(hops[i]!);
    }
  }
  return clientKey(normal);
}
