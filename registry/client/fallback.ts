/**
 * The fallback list shipped with a client build, used only when every
 * source fails and no cached list is usable (Session desktop's shipped seed
 * list, Tor's fallback directories; network.md §4, §8).
 *
 * `snode list export-fallback` writes one: a JSON file holding the signed
 * list bytes (still verified against the pinned keys when loaded, so a
 * tampered build file is refused) plus what the client needs to age it:
 *
 * ```json
 * {
 *   "format": "snode-fallback-list/v1",
 *   "network": "devnet",
 *   "exportedAt": 1700000000,
 *   "epochSeconds": 2,
 *   "unlockDelayEpochs": 30,
 *   "list": "<base64 of the signed list bytes>",
 *   "unlocks": { "<node pubkey hex>": 1234 }
 * }
 * ```
 *
 * `unlocks` maps every node of the list with an unlock pending to the epoch
 * it takes effect (from the registry's node table; unsigned, so it can only
 * ever remove nodes, never add one). A list is old by design, so its times
 * are not checked; instead, as Session desktop drops nodes whose
 * `requested_unlock_height` has passed by an estimate of the current height
 * from the build's age, the client estimates the current epoch as
 * `list epoch + floor((now - validAfter) / epochSeconds)` and drops every node
 * whose unlock epoch is at or below it. A node flagged "unlock requested"
 * without an entry in `unlocks` is dropped once the list is older than the
 * whole unlock delay (it has certainly left by then).
 *
 * @module
 */

import { toHex } from "../core/bytes.ts";
import type { NodeList, NodeListHeader } from "../core/nodelist.ts";
import { NETWORK_IDS, type NetworkName } from "../core/params.ts";
import { ClientError } from "./client_errors.ts";

/**
 * The `format` string of a fallback file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(FALLBACK_FORMAT, "snode-fallback-list/v1");
 * ```
 */
export const FALLBACK_FORMAT = "snode-fallback-list/v1";

/**
 * A parsed fallback file (see the module documentation).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const f: FallbackList = { format: FALLBACK_FORMAT, network: "devnet", exportedAt: 0,
 *   epochSeconds: 2, unlockDelayEpochs: 30, list: "", unlocks: {} };
 * assert.equal(f.network, "devnet");
 * ```
 */
export interface FallbackList {
  /** {@linkcode FALLBACK_FORMAT}. */
  format: typeof FALLBACK_FORMAT;
  /** Network name. */
  network: NetworkName;
  /** When it was exported, unix seconds. */
  exportedAt: number;
  /** The network's epoch length, seconds. */
  epochSeconds: number;
  /** Epochs between an unlock request and the node leaving. */
  unlockDelayEpochs: number;
  /** The signed list, base64. */
  list: string;
  /** Node pubkey (hex) -> epoch its unlock takes effect. */
  unlocks: Record<string, number>;
}

/**
 * Build a fallback file's content.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const f = buildFallbackList({ bytes: new Uint8Array([1, 2]), network: "devnet", exportedAt: 5,
 *   epochSeconds: 2, unlockDelayEpochs: 30, unlocks: {} });
 * assert.deepEqual(fallbackListBytes(f), new Uint8Array([1, 2]));
 * ```
 */
export function buildFallbackList(input: {
  bytes: Uint8Array;
  network: NetworkName;
  exportedAt: number;
  epochSeconds: number;
  unlockDelayEpochs: number;
  unlocks: Record<string, number>;
}): FallbackList {
  return {
    format: FALLBACK_FORMAT,
    network: input.network,
    exportedAt: input.exportedAt,
    epochSeconds: input.epochSeconds,
    unlockDelayEpochs: input.unlockDelayEpochs,
    list: toBase64(input.bytes),
    unlocks: Object.fromEntries(
      Object.entries(input.unlocks).sort(([a], [b]) => a < b ? -1 : 1),
    ),
  };
}

/**
 * Parse a fallback file (its JSON text, or the parsed value).
 *
 * @throws {ClientError} `bad_fallback`, saying which field is wrong.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.throws(() => parseFallbackList("{}"), { code: "bad_fallback" });
 * const f = parseFallbackList(JSON.stringify(buildFallbackList({ bytes: new Uint8Array([7]),
 *   network: "devnet", exportedAt: 5, epochSeconds: 2, unlockDelayEpochs: 30, unlocks: { ["ab".repeat(32)]: 9 } })));
 * assert.equal(f.unlocks["ab".repeat(32)], 9);
 * ```
 */
export function parseFallbackList(input: unknown): FallbackList {
  let v = input;
  if (typeof v === "string") {
    try {
      v = JSON.parse(v);
    } catch {
      throw bad("not JSON");
    }
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw bad("not a JSON object");
  }
  const o = v as Record<string, unknown>;
  if (o.format !== FALLBACK_FORMAT) {
    throw bad(`"format" must be "${FALLBACK_FORMAT}"`);
  }
  if (typeof o.network !== "string" || !Object.hasOwn(NETWORK_IDS, o.network)) {
    throw bad(`"network" must be "mainnet", "testnet" or "devnet"`);
  }
  for (const k of ["exportedAt", "epochSeconds", "unlockDelayEpochs"]) {
    const n = o[k];
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
      throw bad(`"${k}" must be a whole number`);
    }
  }
  if ((o.epochSeconds as number) < 1) throw bad(`"epochSeconds" must be >= 1`);
  if (typeof o.list !== "string") throw bad(`"list" must be base64 text`);
  const unlocks = o.unlocks;
  if (
    typeof unlocks !== "object" || unlocks === null || Array.isArray(unlocks)
  ) throw bad(`"unlocks" must be an object`);
  for (const [k, e] of Object.entries(unlocks)) {
    if (!/^[0-9a-f]{64}$/.test(k)) {
      throw bad(`"unlocks" keys must be 64 lower-case hex digits`);
    }
    if (typeof e !== "number" || !Number.isSafeInteger(e) || e < 0) {
      throw bad(`"unlocks" values must be epochs`);
    }
  }
  return {
    format: FALLBACK_FORMAT,
    network: o.network as NetworkName,
    exportedAt: o.exportedAt as number,
    epochSeconds: o.epochSeconds as number,
    unlockDelayEpochs: o.unlockDelayEpochs as number,
    list: o.list,
    unlocks: unlocks as Record<string, number>,
  };
}

/**
 * The signed list bytes of a fallback file.
 *
 * @throws {ClientError} `bad_fallback` for text that is not base64.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.throws(() => fallbackListBytes({ ...buildFallbackList({ bytes: new Uint8Array(), network: "devnet",
 *   exportedAt: 0, epochSeconds: 2, unlockDelayEpochs: 30, unlocks: {} }), list: "**" }), { code: "bad_fallback" });
 * ```
 */
export function fallbackListBytes(fallback: FallbackList): Uint8Array {
  try {
    return fromBase64(fallback.list);
  } catch {
    throw bad(`"list" is not base64`);
  }
}

/**
 * The epoch the network has probably reached: the list's epoch plus the
 * whole epochs elapsed since its valid-after time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(estimateEpoch({ epoch: 100n, validAfter: 1000n }, 2, 1101), 150);
 * assert.equal(estimateEpoch({ epoch: 100n, validAfter: 1000n }, 2, 500), 100);
 * ```
 */
export function estimateEpoch(
  header: Pick<NodeListHeader, "epoch" | "validAfter">,
  epochSeconds: number,
  nowSeconds: number,
): number {
  const elapsed = Math.max(0, nowSeconds - Number(header.validAfter));
  return Number(header.epoch) + Math.floor(elapsed / epochSeconds);
}

/**
 * Nodes of a fallback list that have probably left by `nowSeconds`: their
 * unlock epoch is at or below the estimated current epoch, or they had an
 * unlock pending and the list is older than the whole unlock delay.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const pk = (b: number) => new Uint8Array(32).fill(b);
 * const rec = (b: number, unlockRequested: boolean) => ({ pubkey: pk(b), swarmId: 0n, ipv4: "10.0.0.1",
 *   httpsPort: 1, quicPort: 1, version: [1, 0, 0] as [number, number, number], state: "active" as const, unlockRequested });
 * const list = { header: { network: 3, epoch: 100n, validAfter: 1000n, freshUntil: 1002n, validUntil: 4600n,
 *   prevHash: new Uint8Array(32), swarmSeed: 0n }, records: [rec(1, true), rec(2, true), rec(3, false)], signatures: [] };
 * const f: FallbackList = { format: FALLBACK_FORMAT, network: "devnet", exportedAt: 1000, epochSeconds: 2,
 *   unlockDelayEpochs: 30, list: "", unlocks: { ["01".repeat(32)]: 110 } };
 * assert.deepEqual([...departedNodes(f, list, 1010)], []);          // epoch ~105
 * assert.deepEqual([...departedNodes(f, list, 1020)], ["01".repeat(32)]); // epoch ~110
 * assert.equal(departedNodes(f, list, 1060).size, 2);                // older than the delay
 * ```
 */
export function departedNodes(
  fallback: FallbackList,
  list: NodeList,
  nowSeconds: number,
): Set<string> {
  const epoch = estimateEpoch(list.header, fallback.epochSeconds, nowSeconds);
  const age = nowSeconds - Number(list.header.validAfter);
  const delayPassed = age >= fallback.unlockDelayEpochs * fallback.epochSeconds;
  const out = new Set<string>();
  for (const r of list.records) {
    const pk = toHex(r.pubkey);
    const at = fallback.unlocks[pk];
    if (at !== undefined ? at <= epoch : r.unlockRequested && delayPassed) {
      out.add(pk);
    }
  }
  return out;
}

function bad(detail: string): ClientError {
  return new ClientError(
    "bad_fallback",
    `cannot use the fallback list: ${detail}`,
  );
}

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
