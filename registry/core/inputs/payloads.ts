/**
 * The payloads of the epoch inputs entries, by kind: genesis allocations,
 * reachability observations, key rotations; and the check that an entry's
 * payload is well formed for its kind.
 *
 * @module
 */

import { ByteReader, ByteWriter } from "../bytes.ts";
import { DecodeError } from "../errors.ts";
import { PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH } from "../keys.ts";
import { MAX_MESSAGE_LENGTH } from "../messages.ts";
import type { KeyRotation } from "../nodelist.ts";
import { type InputEntry, MAX_REACHABILITY_DETAIL } from "./format.ts";

// ---------------------------------------------------------------------------
// Payloads

/**
 * A genesis allocation (payload of a `genesis` entry: count u32, then per
 * allocation wallet 32 and amount u64).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const a: GenesisCredit = { wallet: new Uint8Array(32), amount: 5n };
 * assert.deepEqual(decodeGenesisPayload(encodeGenesisPayload([a])), [a]);
 * ```
 */
export interface GenesisCredit {
  /** Wallet public key. */
  wallet: Uint8Array;
  /** Atomic units. */
  amount: bigint;
}

/**
 * Encode a `genesis` payload.
 *
 * @throws {DecodeError} for a wallet that is not 32 bytes or an amount out of u64.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(encodeGenesisPayload([]).length, 4);
 * ```
 */
export function encodeGenesisPayload(
  credits: readonly GenesisCredit[],
): Uint8Array {
  const w = new ByteWriter().u32(credits.length);
  for (const c of credits) w.bytes(c.wallet, PUBLIC_KEY_LENGTH).u64(c.amount);
  return w.finish();
}

/**
 * Decode a `genesis` payload.
 *
 * @throws {DecodeError} `truncated`, `trailing_bytes`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.throws(() => decodeGenesisPayload(new Uint8Array([0, 0, 0, 1])), { code: "truncated" });
 * ```
 */
export function decodeGenesisPayload(payload: Uint8Array): GenesisCredit[] {
  const r = new ByteReader(payload, "genesis payload");
  const count = r.u32();
  if (count * 40 > r.remaining) {
    throw new DecodeError(
      "truncated",
      `genesis payload announces ${count} allocations, only ${r.remaining} bytes follow`,
    );
  }
  const out: GenesisCredit[] = [];
  for (let i = 0; i < count; i++) {
    out.push({ wallet: r.bytes(PUBLIC_KEY_LENGTH), amount: r.u64() });
  }
  r.end();
  return out;
}

/**
 * One reachability test result as the registry observed it (payload of a
 * `reachability` entry: count u32, then per result node 32, address length
 * u8 and UTF-8 address, ok u8 (0 or 1), latency u32 (ms; 0xffffffff when
 * none), detail length u16 and UTF-8 detail of at most 1024 bytes).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const r: ReachabilityObservation = { node: new Uint8Array(32), address: "10.0.0.1:22021", ok: false, detail: "connection failed: refused", latencyMs: null };
 * assert.deepEqual(decodeReachabilityPayload(encodeReachabilityPayload([r])), [r]);
 * ```
 */
export interface ReachabilityObservation {
  /** Node key. */
  node: Uint8Array;
  /** `ip:port` tried, at most 255 UTF-8 bytes. */
  address: string;
  /** Whether the node proved its key. */
  ok: boolean;
  /** What happened, at most 1024 UTF-8 bytes. */
  detail: string;
  /** Round trip in whole ms (0 to 2^32-2), or null. */
  latencyMs: number | null;
}

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function text(bytes: Uint8Array, what: string): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new DecodeError("bad_length", `${what} is not valid UTF-8`);
  }
}

function utf8Of(s: string, max: number, what: string): Uint8Array {
  const b = utf8.encode(typeof s === "string" ? s : "");
  if (typeof s !== "string" || b.length > max || text(b, what) !== s) {
    throw new DecodeError(
      "out_of_range",
      `${what} must be a well-formed string of at most ${max} UTF-8 bytes`,
    );
  }
  return b;
}

/**
 * Encode a `reachability` payload.
 *
 * @throws {DecodeError} `out_of_range` for an address or detail too long or
 * not well-formed, a latency outside u32.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(encodeReachabilityPayload([]).length, 4);
 * ```
 */
export function encodeReachabilityPayload(
  results: readonly ReachabilityObservation[],
): Uint8Array {
  const w = new ByteWriter().u32(results.length);
  for (const r of results) {
    const address = utf8Of(r.address, 255, "a reachability address");
    const detail = utf8Of(
      r.detail,
      MAX_REACHABILITY_DETAIL,
      "a reachability detail",
    );
    if (
      r.latencyMs !== null &&
      (!Number.isInteger(r.latencyMs) || r.latencyMs < 0 ||
        r.latencyMs >= 0xffffffff)
    ) {
      throw new DecodeError(
        "out_of_range",
        `latency ${r.latencyMs} ms is not a whole number below 2^32-1`,
      );
    }
    w.bytes(r.node, PUBLIC_KEY_LENGTH).u8(address.length).bytes(address)
      .u8(r.ok ? 1 : 0).u32(r.latencyMs ?? 0xffffffff).u16(detail.length)
      .bytes(detail);
  }
  return w.finish();
}

/**
 * Decode a `reachability` payload.
 *
 * @throws {DecodeError} `truncated`, `trailing_bytes`, `out_of_range` (an
 * ok byte other than 0 or 1, a detail over 1024 bytes), `bad_length`
 * (invalid UTF-8).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(decodeReachabilityPayload(new Uint8Array(4)), []);
 * ```
 */
export function decodeReachabilityPayload(
  payload: Uint8Array,
): ReachabilityObservation[] {
  const r = new ByteReader(payload, "reachability payload");
  const count = r.u32();
  if (count * 40 > r.remaining) {
    throw new DecodeError(
      "truncated",
      `reachability payload announces ${count} results, only ${r.remaining} bytes follow`,
    );
  }
  const out: ReachabilityObservation[] = [];
  for (let i = 0; i < count; i++) {
    const node = r.bytes(PUBLIC_KEY_LENGTH);
    const address = text(r.bytes(r.u8()), "a reachability address");
    const okByte = r.u8();
    if (okByte > 1) {
      throw new DecodeError("out_of_range", `ok byte ${okByte} is not 0 or 1`);
    }
    const latency = r.u32();
    const length = r.u16();
    if (length > MAX_REACHABILITY_DETAIL) {
      throw new DecodeError(
        "out_of_range",
        `a reachability detail is at most ${MAX_REACHABILITY_DETAIL} bytes, got ${length}`,
      );
    }
    out.push({
      node,
      address,
      ok: okByte === 1,
      detail: text(r.bytes(length), "a reachability detail"),
      latencyMs: latency === 0xffffffff ? null : latency,
    });
  }
  r.end();
  return out;
}

/**
 * Encode a `key_rotation` payload: old key 32, new key 32, the new key's
 * signature 64 (exactly the v2 header extension's value).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const r = { oldKey: new Uint8Array(32), newKey: new Uint8Array(32).fill(1), signature: new Uint8Array(64) };
 * assert.deepEqual(decodeKeyRotationPayload(encodeKeyRotationPayload(r)), r);
 * ```
 */
export function encodeKeyRotationPayload(rotation: KeyRotation): Uint8Array {
  return new ByteWriter().bytes(rotation.oldKey, PUBLIC_KEY_LENGTH)
    .bytes(rotation.newKey, PUBLIC_KEY_LENGTH)
    .bytes(rotation.signature, SIGNATURE_LENGTH).finish();
}

/**
 * Decode a `key_rotation` payload.
 *
 * @throws {DecodeError} `truncated`, `trailing_bytes`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.throws(() => decodeKeyRotationPayload(new Uint8Array(64)), { code: "truncated" });
 * ```
 */
export function decodeKeyRotationPayload(payload: Uint8Array): KeyRotation {
  const r = new ByteReader(payload, "key rotation payload");
  const rotation = {
    oldKey: r.bytes(PUBLIC_KEY_LENGTH),
    newKey: r.bytes(PUBLIC_KEY_LENGTH),
    signature: r.bytes(SIGNATURE_LENGTH),
  };
  r.end();
  return rotation;
}

export function checkPayload(entry: InputEntry, what: string): void {
  const p = entry.payload;
  if (!(p instanceof Uint8Array)) {
    throw new DecodeError("bad_length", `${what}: the payload must be bytes`);
  }
  switch (entry.kind) {
    case "genesis":
      decodeGenesisPayload(p);
      return;
    case "write":
      if (p.length < 1 || p.length > MAX_MESSAGE_LENGTH) {
        throw new DecodeError(
          "bad_length",
          `${what}: a write is 1 to ${MAX_MESSAGE_LENGTH} bytes, got ${p.length}`,
        );
      }
      return;
    case "reachability":
      decodeReachabilityPayload(p);
      return;
    case "key_rotation":
      decodeKeyRotationPayload(p);
      return;
    case "tick":
      if (p.length !== 0) {
        throw new DecodeError(
          "bad_length",
          `${what}: a tick has no payload, got ${p.length} bytes`,
        );
      }
      return;
  }
}
