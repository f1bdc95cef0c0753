/**
 * Session ID -> swarm members, a swarm cache, and the storage nodes' "wrong
 * swarm" answer (network.md §3).
 *
 * The swarm of a Session ID is computed from the verified list with core's
 * `swarmForPubkey` (the 32 key bytes, ring distance over every active
 * node's swarm id, ties to the left); its members are the active nodes of
 * that swarm with a usable address (`0.0.0.0` or port 0 - no uptime proof
 * seen - are dropped, as upstream clients do).
 *
 * **Requests to storage nodes.** The client talks to a storage node with
 * oxen-storage-server's JSON RPC shape:
 *
 * ```
 * POST <scheme>://<ip>:<https port>/storage_rpc/v1
 * Content-Type: application/json
 *
 * {"method": "retrieve", "params": {"pubkey": "05...", ...}}
 * ```
 *
 * A node that is not in the Session ID's swarm answers **HTTP 421** with the
 * swarm it believes is right, in upstream's shape (oxen-storage-server
 * `RequestHandler::handle_wrong_swarm` / `swarm_to_json`):
 *
 * ```json
 * {"snodes": [{"pubkey_ed25519": "<hex>", "ip": "1.2.3.4", "port_https": 22021,
 *              "port_omq": 22020, "pubkey_x25519": "<hex>", ...}],
 *  "swarm": "<swarm id, hex>", "t": 1700000000000}
 * ```
 *
 * The client then replaces its cached swarm for that Session ID with those
 * members (skipping entries without a usable address) and retries there. A
 * newer list supersedes a cached answer: entries learned before the list's
 * valid-after time are dropped when the list changes. The scheme is plain
 * `http` by default, as the devnet's nodes serve (the registry's own
 * reachability probe does the same); upstream nodes use HTTPS with a
 * self-signed certificate.
 *
 * @module
 */

import { toHex } from "../core/bytes.ts";
import { parseSessionId } from "../core/keys.ts";
import type { NodeList } from "../core/nodelist.ts";
import { swarmForPubkey } from "../core/swarm.ts";
import { ClientError } from "./client_errors.ts";
import { type ClientStore, readJson, writeJson } from "./store.ts";

/**
 * A service node as the client uses it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const n: NodeInfo = { pubkey: "ab".repeat(32), ip: "10.0.0.1", httpsPort: 22021, quicPort: 22020,
 *   version: [2, 11, 0], swarmId: 0n };
 * assert.equal(n.ip, "10.0.0.1");
 * ```
 */
export interface NodeInfo {
  /** Ed25519 identity key, 64 hex digits. */
  pubkey: string;
  /** Public IPv4, dotted quad. */
  ip: string;
  /** Storage server HTTPS port (the port requests go to). */
  httpsPort: number;
  /** Storage server QUIC port. */
  quicPort: number;
  /** Storage server version. */
  version: readonly [number, number, number];
  /** Its swarm, or null when learned from a node's answer without one. */
  swarmId: bigint | null;
}

/**
 * Whether a node can be contacted: a proof was seen (not `0.0.0.0`, not
 * port 0).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(hasAddress({ ip: "0.0.0.0", httpsPort: 22021 }), false);
 * assert.equal(hasAddress({ ip: "10.0.0.1", httpsPort: 22021 }), true);
 * ```
 */
export function hasAddress(node: Pick<NodeInfo, "ip" | "httpsPort">): boolean {
  return node.ip !== "0.0.0.0" && node.httpsPort !== 0;
}

/**
 * The active nodes of a list with a usable address, minus `exclude`
 * (pubkeys, hex), in list order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const rec = (b: number, ipv4: string) => ({ pubkey: new Uint8Array(32).fill(b), swarmId: 0n, ipv4,
 *   httpsPort: 22021, quicPort: 22020, version: [2, 11, 0] as [number, number, number],
 *   state: "active" as const, unlockRequested: false });
 * const list = { header: { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n,
 *   prevHash: new Uint8Array(32), swarmSeed: 0n }, records: [rec(1, "10.0.0.1"), rec(2, "0.0.0.0")], signatures: [] };
 * assert.deepEqual(usableNodes(list).map((n) => n.ip), ["10.0.0.1"]);
 * ```
 */
export function usableNodes(
  list: NodeList,
  exclude: ReadonlySet<string> = new Set(),
): NodeInfo[] {
  const out: NodeInfo[] = [];
  for (const r of list.records) {
    if (r.state !== "active") continue;
    if (r.ipv4 === "0.0.0.0" || r.httpsPort === 0) continue;
    const pubkey = toHex(r.pubkey);
    if (exclude.has(pubkey)) continue;
    out.push({
      pubkey,
      ip: r.ipv4,
      httpsPort: r.httpsPort,
      quicPort: r.quicPort,
      version: r.version,
      swarmId: r.swarmId,
    });
  }
  return out;
}

/**
 * Where Session IDs live, by a list: every active node's swarm id (for the
 * mapping) and each swarm's contactable members.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const rec = (b: number, swarmId: bigint) => ({ pubkey: new Uint8Array(32).fill(b), swarmId, ipv4: "10.0.0." + b,
 *   httpsPort: 22021, quicPort: 22020, version: [2, 11, 0] as [number, number, number],
 *   state: "active" as const, unlockRequested: false });
 * const list = { header: { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n,
 *   prevHash: new Uint8Array(32), swarmSeed: 0n }, records: [rec(1, 0n), rec(2, 1n << 63n)], signatures: [] };
 * const map = new SwarmMap(list, new Set());
 * const s = map.lookup("05" + "00".repeat(32));
 * assert.equal(s.swarmId, 0n);
 * assert.deepEqual(s.members.map((m) => m.ip), ["10.0.0.1"]);
 * ```
 */
export class SwarmMap {
  readonly #ids: bigint[];
  readonly #members = new Map<bigint, NodeInfo[]>();

  /** Index `list`, leaving out the nodes in `exclude`. */
  constructor(list: NodeList, exclude: ReadonlySet<string>) {
    const ids = new Set<bigint>();
    for (const r of list.records) if (r.state === "active") ids.add(r.swarmId);
    this.#ids = [...ids];
    for (const n of usableNodes(list, exclude)) {
      const id = n.swarmId!;
      let m = this.#members.get(id);
      if (!m) this.#members.set(id, m = []);
      m.push(n);
    }
  }

  /** Number of swarms. */
  get size(): number {
    return this.#ids.length;
  }

  /**
   * The swarm of `sessionId` and its contactable members.
   *
   * @throws {DecodeError} `bad_session_id`; {@linkcode ClientError}
   * `no_swarm` when the list has no swarm or the swarm no contactable member.
   */
  lookup(sessionId: string): { swarmId: bigint; members: NodeInfo[] } {
    const { key } = parseSessionId(sessionId);
    if (this.#ids.length === 0) {
      throw new ClientError(
        "no_swarm",
        "the node list has no active node, so no swarm to store messages in",
      );
    }
    const swarmId = swarmForPubkey(this.#ids, key);
    const members = this.#members.get(swarmId) ?? [];
    if (members.length === 0) {
      throw new ClientError(
        "no_swarm",
        `swarm ${swarmId} of ${sessionId} has no member with a known address`,
      );
    }
    return { swarmId, members: [...members] };
  }
}

/**
 * A cached swarm for one Session ID.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const e: SwarmEntry = { swarmId: 5n, members: [], from: "node", learnedAt: 0 };
 * assert.equal(e.from, "node");
 * ```
 */
export interface SwarmEntry {
  /** The swarm id, when known. */
  swarmId: bigint | null;
  /** Its members. */
  members: NodeInfo[];
  /** `list`: computed from the verified list; `node`: a storage node's 421 answer. */
  from: "list" | "node";
  /** When it was learned, unix ms. */
  learnedAt: number;
}

const SWARMS_KEY = "swarms.json";

/**
 * Swarms by Session ID, kept in the client's store so a restart does not
 * forget what storage nodes said. Bounded: the oldest entries go first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryStore } from "./store.ts";
 * const store = new MemoryStore();
 * const cache = new SwarmCache(store);
 * await cache.set("05" + "ab".repeat(32), { swarmId: 1n, members: [], from: "node", learnedAt: 5 });
 * const again = new SwarmCache(store);
 * await again.load();
 * assert.equal(again.get("05" + "ab".repeat(32))?.swarmId, 1n);
 * ```
 */
export class SwarmCache {
  readonly #store: ClientStore;
  readonly #limit: number;
  readonly #entries = new Map<string, SwarmEntry>();

  /** A cache persisted in `store` under `swarms.json`, holding at most `limit` entries. */
  constructor(store: ClientStore, limit = 1000) {
    this.#store = store;
    this.#limit = limit;
  }

  /** Read the persisted entries (a corrupt file is ignored). */
  async load(): Promise<void> {
    const raw = await readJson(this.#store, SWARMS_KEY);
    if (!Array.isArray(raw)) return;
    for (const item of raw) {
      try {
        const [id, e] = item as [string, Record<string, unknown>];
        this.#entries.set(id, {
          swarmId: e.swarmId === null ? null : BigInt(String(e.swarmId)),
          members: (e.members as Record<string, unknown>[]).map((m) => ({
            pubkey: String(m.pubkey),
            ip: String(m.ip),
            httpsPort: Number(m.httpsPort),
            quicPort: Number(m.quicPort),
            version: m.version as [number, number, number],
            swarmId: m.swarmId === null ? null : BigInt(String(m.swarmId)),
          })),
          from: e.from === "list" ? "list" : "node",
          learnedAt: Number(e.learnedAt),
        });
      } catch {
        // skip a malformed entry
      }
    }
  }

  /** The cached entry for `sessionId`. */
  get(sessionId: string): SwarmEntry | undefined {
    return this.#entries.get(sessionId);
  }

  /** Replace the entry for `sessionId` and persist. */
  async set(sessionId: string, entry: SwarmEntry): Promise<void> {
    this.#entries.delete(sessionId);
    this.#entries.set(sessionId, entry);
    while (this.#entries.size > this.#limit) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
    await this.save();
  }

  /** Forget entries learned before `ms` (a newer list supersedes them) and persist. */
  async dropBefore(ms: number): Promise<void> {
    let changed = false;
    for (const [k, e] of this.#entries) {
      if (e.learnedAt < ms) {
        this.#entries.delete(k);
        changed = true;
      }
    }
    if (changed) await this.save();
  }

  /** Write the entries to the store. */
  save(): Promise<void> {
    const big = (v: bigint | null) => v === null ? null : v.toString();
    return writeJson(
      this.#store,
      SWARMS_KEY,
      [...this.#entries].map(([id, e]) => [id, {
        swarmId: big(e.swarmId),
        members: e.members.map((m) => ({ ...m, swarmId: big(m.swarmId) })),
        from: e.from,
        learnedAt: e.learnedAt,
      }]),
    );
  }
}

/**
 * Parse a storage node's 421 "wrong swarm" answer (upstream's
 * `{"snodes": [...], "swarm": "<hex>"}`): the members with a usable address.
 *
 * @throws {ClientError} `bad_swarm_answer` for anything else, or when no
 * member has a usable address.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const a = parseWrongSwarmAnswer({ swarm: "1f", snodes: [
 *   { pubkey_ed25519: "ab".repeat(32), ip: "10.0.0.1", port_https: 22021, port_omq: 22020 },
 *   { pubkey_ed25519: "cd".repeat(32), ip: "0.0.0.0", port_https: 0 },
 * ] });
 * assert.equal(a.swarmId, 31n);
 * assert.deepEqual(a.members.map((m) => m.ip), ["10.0.0.1"]);
 * assert.throws(() => parseWrongSwarmAnswer({ snodes: [] }), { code: "bad_swarm_answer" });
 * ```
 */
export function parseWrongSwarmAnswer(
  body: unknown,
): { swarmId: bigint | null; members: NodeInfo[] } {
  const bad = (detail: string) =>
    new ClientError(
      "bad_swarm_answer",
      `a storage node's "wrong swarm" (421) answer ${detail}`,
    );
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw bad("is not a JSON object");
  }
  const o = body as Record<string, unknown>;
  if (!Array.isArray(o.snodes)) throw bad(`has no "snodes" array`);
  let swarmId: bigint | null = null;
  if (typeof o.swarm === "string" && /^[0-9a-fA-F]{1,16}$/.test(o.swarm)) {
    swarmId = BigInt("0x" + o.swarm);
  }
  const members: NodeInfo[] = [];
  const seen = new Set<string>();
  for (const s of o.snodes) {
    if (typeof s !== "object" || s === null) continue;
    const n = s as Record<string, unknown>;
    const pubkey = typeof n.pubkey_ed25519 === "string"
      ? n.pubkey_ed25519.toLowerCase()
      : "";
    const ip = typeof n.ip === "string" ? n.ip : "";
    const port = Number(n.port_https ?? n.port);
    const quic = Number(n.port_quic ?? n.port_omq ?? 0);
    if (!/^[0-9a-f]{64}$/.test(pubkey) || seen.has(pubkey)) continue;
    if (!isIpv4(ip) || !isPort(port)) continue;
    if (!hasAddress({ ip, httpsPort: port })) continue;
    seen.add(pubkey);
    members.push({
      pubkey,
      ip,
      httpsPort: port,
      quicPort: isPort(quic) ? quic : 0,
      version: [0, 0, 0],
      swarmId,
    });
  }
  if (members.length === 0) throw bad("names no member with a usable address");
  return { swarmId, members };
}

function isIpv4(s: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  return m !== null && m.slice(1).every((p) => Number(p) <= 255);
}

function isPort(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 65535;
}

/**
 * Options of {@linkcode postToNode}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const o: NodeRequestOptions = { fetch, timeoutMs: 5000, scheme: "http" };
 * assert.equal(o.scheme, "http");
 * ```
 */
export interface NodeRequestOptions {
  /** The fetch to use. */
  fetch: typeof fetch;
  /** Timeout for the whole answer, ms. */
  timeoutMs: number;
  /** `http` (devnet nodes) or `https`. */
  scheme: "http" | "https";
  /** Cancels the request. */
  signal?: AbortSignal;
}

/**
 * One storage RPC to a node (see the module documentation): its status
 * and JSON body (or null when the body is not JSON).
 *
 * @throws {ClientError} `node_request_failed` when the node cannot be
 * reached or does not answer in time.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const node = { pubkey: "ab".repeat(32), ip: "127.0.0.1", httpsPort: 1, quicPort: 0, version: [0, 0, 0] as const, swarmId: null };
 * await assert.rejects(postToNode(node, "info", {}, { fetch, timeoutMs: 2000, scheme: "http" }),
 *   { code: "node_request_failed" });
 * ```
 */
export async function postToNode(
  node: NodeInfo,
  method: string,
  params: Record<string, unknown>,
  options: NodeRequestOptions,
): Promise<{ status: number; body: unknown }> {
  const url = `${options.scheme}://${node.ip}:${node.httpsPort}/storage_rpc/v1`;
  const signals = [AbortSignal.timeout(options.timeoutMs)];
  if (options.signal) signals.push(options.signal);
  try {
    const res = await options.fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json",
      },
      body: JSON.stringify({ method, params }),
      signal: AbortSignal.any(signals),
    });
    const text = await res.text();
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
    return { status: res.status, body };
  } catch (e) {
    throw new ClientError(
      "node_request_failed",
      `storage node ${
        node.pubkey.slice(0, 16)
      }… at ${node.ip}:${node.httpsPort} did not answer "${method}": ${
        e instanceof Error ? e.message : String(e)
      }`,
      { cause: e },
    );
  }
}
