/**
 * Constants and types of the epoch inputs format (`../README.md`, "Epoch
 * inputs").
 *
 * @module
 */

/**
 * The 4 ASCII bytes an epoch inputs document starts with.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeEpochInputs } from "./document.ts";
 * const settings = { epochSeconds: 2, faucetLimit: 0n, reachabilityFailureThreshold: 2, allowPrivateAddresses: true, minimumNodeVersion: null };
 * const doc = encodeEpochInputs({ network: 3, epoch: 1n, prevHash: new Uint8Array(32), settings, entries: [{ kind: "tick", atMs: 0, payload: new Uint8Array() }] });
 * assert.equal(new TextDecoder().decode(doc.subarray(0, 4)), INPUTS_MAGIC);
 * ```
 */
export const INPUTS_MAGIC = "SNI1";
/**
 * Version byte of the epoch inputs format.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(INPUTS_FORMAT_VERSION, 1);
 * ```
 */
export const INPUTS_FORMAT_VERSION = 1;
/**
 * Kind bytes of the entries.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(INPUT_KINDS.tick, 5);
 * ```
 */
export const INPUT_KINDS = {
  genesis: 1,
  write: 2,
  reachability: 3,
  key_rotation: 4,
  tick: 5,
} as const;
/**
 * Name of an entry kind.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const k: InputKind = "write";
 * assert.equal(INPUT_KINDS[k], 2);
 * ```
 */
export type InputKind = keyof typeof INPUT_KINDS;
/**
 * Length of a document's fixed part: magic 4, version 1, network 1, epoch 8,
 * prevHash 32, settings 16, entryCount 4.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(INPUTS_HEADER_LENGTH, 66);
 * ```
 */
export const INPUTS_HEADER_LENGTH: number = 4 + 1 + 1 + 8 + 32 + 16 + 4;
/**
 * Most entries one document may hold.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(MAX_INPUT_ENTRIES, 1_000_000);
 * ```
 */
export const MAX_INPUT_ENTRIES = 1_000_000;
/**
 * Largest document, bytes (64 MiB); longer input is `oversized`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeEpochInputs } from "./document.ts";
 * assert.throws(() => decodeEpochInputs(new Uint8Array(MAX_INPUTS_LENGTH + 1), 3), { code: "oversized" });
 * ```
 */
export const MAX_INPUTS_LENGTH: number = 64 * 1024 * 1024;
/**
 * Most reachability results in one entry, and longest detail (UTF-8 bytes).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(MAX_REACHABILITY_DETAIL, 1024);
 * ```
 */
export const MAX_REACHABILITY_DETAIL = 1024;

/**
 * The deployment settings the rules read beyond the network's preset: they
 * are published with every epoch, so a re-execution uses the same ones.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const s: EpochSettings = { epochSeconds: 120, faucetLimit: 0n, reachabilityFailureThreshold: 2, allowPrivateAddresses: false, minimumNodeVersion: [11, 0, 0] };
 * assert.equal(s.minimumNodeVersion?.join("."), "11.0.0");
 * ```
 */
export interface EpochSettings {
  /** Epoch length, 1 to 3600 s (list times derive from it). */
  epochSeconds: number;
  /** Largest faucet request, atomic units (devnet). */
  faucetLimit: bigint;
  /** Consecutive failed reachability tests that mark a node unreachable, 1 to 255. */
  reachabilityFailureThreshold: number;
  /** Whether proofs may name private and loopback addresses. */
  allowPrivateAddresses: boolean;
  /** Proofs from node software older than this are refused; null: any. */
  minimumNodeVersion: readonly [number, number, number] | null;
}

/**
 * One entry: what was applied, when (the registry's clock, unix ms), and its
 * payload bytes (the kind's encoding, below).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const tick: InputEntry = { kind: "tick", atMs: 1700000000000, payload: new Uint8Array() };
 * assert.equal(tick.payload.length, 0);
 * ```
 */
export interface InputEntry {
  /** The kind. */
  kind: InputKind;
  /** Unix milliseconds (0 to 2^53-1) the registry applied it at. */
  atMs: number;
  /** The payload: a signed message, an encoded result list, ... */
  payload: Uint8Array;
}

/**
 * A decoded epoch inputs document.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const settings = { epochSeconds: 2, faucetLimit: 0n, reachabilityFailureThreshold: 2, allowPrivateAddresses: true, minimumNodeVersion: null };
 * const doc: EpochInputs = { network: 3, epoch: 1n, prevHash: new Uint8Array(32), settings, entries: [{ kind: "tick", atMs: 0, payload: new Uint8Array() }] };
 * import { decodeEpochInputs, encodeEpochInputs } from "./document.ts";
 * assert.deepEqual(decodeEpochInputs(encodeEpochInputs(doc), 3), doc);
 * ```
 */
export interface EpochInputs {
  /** Network id. */
  network: number;
  /** The epoch these inputs closed. */
  epoch: bigint;
  /** Hash of the previous epoch's document; zeros when there is none. */
  prevHash: Uint8Array;
  /** The settings the rules ran with. */
  settings: EpochSettings;
  /** Entries in the order applied; the last is the tick. */
  entries: InputEntry[];
}
