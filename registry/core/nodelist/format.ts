/**
 * Constants and types of the signed node list format v1 (`README.md`,
 * "Signed node list v1"): every length, limit, magic and flag another
 * implementation needs, and the shapes of a decoded list.
 *
 * @module
 */

import { PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH } from "../keys.ts";
import type { NetworkName } from "../params.ts";

// ---------------------------------------------------------------------------
// Layout constants

/**
 * The 4 ASCII bytes a node list (and the embedded header of a diff) starts with.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(LIST_MAGIC, "SNL1");
 * ```
 */
export const LIST_MAGIC = "SNL1";
/**
 * The 4 ASCII bytes a node-list diff starts with.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(DIFF_MAGIC, "SND1");
 * ```
 */
export const DIFF_MAGIC = "SND1";
/**
 * Version byte of the list and diff formats described here.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(LIST_FORMAT_VERSION, 1);
 * ```
 */
export const LIST_FORMAT_VERSION = 1;
/**
 * Length of a list header: magic 4, version 1, network 1, epoch 8, validAfter
 * 8, freshUntil 8, validUntil 8, prevHash 32, swarmSeed 8, recordCount 4.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(HEADER_LENGTH, 82);
 * ```
 */
export const HEADER_LENGTH: number = 4 + 1 + 1 + 8 + 8 + 8 + 8 + 32 + 8 + 4;
/**
 * Length of a node record: pubkey 32, swarmId 8, ipv4 4, https port 2, quic
 * port 2, version 3, flags 1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(RECORD_LENGTH, 52);
 * ```
 */
export const RECORD_LENGTH: number = 32 + 8 + 4 + 2 + 2 + 3 + 1;
/**
 * Length of a signer's key id: the first 8 bytes of SHA-256 of its Ed25519
 * public key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(KEY_ID_LENGTH, 8);
 * ```
 */
export const KEY_ID_LENGTH = 8;
/**
 * Length of one entry of the signatures section: key id 8, signature 64.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(SIGNATURE_ENTRY_LENGTH, 72);
 * ```
 */
export const SIGNATURE_ENTRY_LENGTH: number = KEY_ID_LENGTH + SIGNATURE_LENGTH;
/**
 * Most records a list (or each section of a diff) may hold. Decoders refuse
 * larger counts with `oversized` before allocating anything.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(MAX_RECORDS, 100_000);
 * ```
 */
export const MAX_RECORDS = 100_000;
/**
 * Most signatures a list carries (at least one is required).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(MAX_SIGNATURES, 16);
 * ```
 */
export const MAX_SIGNATURES = 16;
/**
 * Largest valid encoded list; longer input is refused with `oversized`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(MAX_LIST_LENGTH, 82 + 100_000 * 52 + 1 + 16 * 72);
 * ```
 */
export const MAX_LIST_LENGTH: number = HEADER_LENGTH +
  MAX_RECORDS * RECORD_LENGTH + 1 +
  MAX_SIGNATURES * SIGNATURE_ENTRY_LENGTH;
/**
 * Length of a diff's fixed prefix before its embedded header: magic 4,
 * version 1, network 1, fromEpoch 8, fromHash 32, toHash 32.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(DIFF_PREFIX_LENGTH, 78);
 * ```
 */
export const DIFF_PREFIX_LENGTH: number = 4 + 1 + 1 + 8 + 32 + 32;
/**
 * Largest valid encoded diff; longer input is refused with `oversized`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert(MAX_DIFF_LENGTH > MAX_LIST_LENGTH);
 * ```
 */
export const MAX_DIFF_LENGTH: number = DIFF_PREFIX_LENGTH + HEADER_LENGTH + 4 +
  MAX_RECORDS * PUBLIC_KEY_LENGTH + 4 + MAX_RECORDS * RECORD_LENGTH + 1 +
  MAX_SIGNATURES * SIGNATURE_ENTRY_LENGTH;
/**
 * Bits of a record's flags byte. Exactly one of `active` and
 * `decommissioned` is set; any bit not listed here must be zero.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(RECORD_FLAGS.active | RECORD_FLAGS.unlockRequested, 0x05);
 * ```
 */
export const RECORD_FLAGS = {
  active: 0x01,
  decommissioned: 0x02,
  unlockRequested: 0x04,
} as const;
/**
 * Domain tag prepended to the body hash before signing, so a registry key's
 * list signature can never be taken for a signature over anything else.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(LIST_SIGNATURE_DOMAIN, "snode-registry/nodelist/v1\n");
 * ```
 */
export const LIST_SIGNATURE_DOMAIN = "snode-registry/nodelist/v1\n";

// ---------------------------------------------------------------------------
// Types

/**
 * Name of a network in the JSON view; the binary carries the id
 * (mainnet 1, testnet 2, devnet 3).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const name: NodeListNetworkName = "devnet";
 * assert.equal(name, "devnet");
 * ```
 */
export type NodeListNetworkName = NetworkName;

/**
 * Whether a node serves (is in a swarm) or is decommissioned (kept in the
 * list with swarm {@linkcode UNASSIGNED_SWARM_ID} while it may recover).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const s: NodeState = "decommissioned";
 * assert.equal(s, "decommissioned");
 * ```
 */
export type NodeState = "active" | "decommissioned";

/**
 * One service node. The flags byte is exposed as `state` plus
 * `unlockRequested`, so the invalid combinations of the active and
 * decommissioned bits cannot be represented.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const node: NodeRecord = {
 *   pubkey: new Uint8Array(32).fill(1), swarmId: 0n, ipv4: "10.0.0.1",
 *   httpsPort: 22021, quicPort: 22020, version: [2, 11, 0],
 *   state: "active", unlockRequested: false,
 * };
 * assert.equal(node.ipv4, "10.0.0.1");
 * ```
 */
export interface NodeRecord {
  /** Ed25519 identity key, 32 bytes; records are sorted by it. */
  pubkey: Uint8Array;
  /** Swarm id (u64); {@linkcode UNASSIGNED_SWARM_ID} exactly when decommissioned. */
  swarmId: bigint;
  /** Public IPv4 as a dotted quad without leading zeros, e.g. `"10.0.0.1"`. */
  ipv4: string;
  /** Storage server HTTPS port (u16). */
  httpsPort: number;
  /** Storage server QUIC port (u16). */
  quicPort: number;
  /** Storage server version, major.minor.patch, each a u8. */
  version: [number, number, number];
  /** `active` (flag 0x01) or `decommissioned` (flag 0x02). */
  state: NodeState;
  /** The node's stake unlock has been requested (flag 0x04). */
  unlockRequested: boolean;
}

/**
 * The list header. `recordCount` is not a field: it is the number of records.
 * Times are unix seconds with `validAfter <= freshUntil <= validUntil`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const header: NodeListHeader = {
 *   network: 3, epoch: 1n, validAfter: 1000n, freshUntil: 4600n,
 *   validUntil: 11800n, prevHash: new Uint8Array(32), swarmSeed: 7n,
 * };
 * assert.equal(header.epoch, 1n);
 * ```
 */
export interface NodeListHeader {
  /** One-byte network id: mainnet 1, testnet 2, devnet 3. */
  network: number;
  /** The list number N (u64); list N chains to list N-1. */
  epoch: bigint;
  /** The list may be used from this time (unix seconds, u64). */
  validAfter: bigint;
  /** Clients should fetch a newer list from this time on. */
  freshUntil: bigint;
  /** The list must not be used from this time on. */
  validUntil: bigint;
  /** Body hash of the previous list; all zeros for the first list. */
  prevHash: Uint8Array;
  /** Seed the swarms of this list were computed with (u64). */
  swarmSeed: bigint;
}

/**
 * One registry signature over a list body.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const sig: ListSignature = { keyId: new Uint8Array(8), signature: new Uint8Array(64) };
 * assert.equal(sig.keyId.length, KEY_ID_LENGTH);
 * ```
 */
export interface ListSignature {
  /** {@linkcode keyIdOf} the signer's public key, 8 bytes. */
  keyId: Uint8Array;
  /** Ed25519 signature over {@linkcode listSigningMessage}, 64 bytes. */
  signature: Uint8Array;
}

/**
 * A decoded (or to-be-encoded) signed node list.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildSignedList } from "./signing.ts";
 * const list: NodeList = buildSignedList(
 *   { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n },
 *   [],
 *   [new Uint8Array(32).fill(1)],
 * );
 * assert.equal(list.signatures.length, 1);
 * ```
 */
export interface NodeList {
  /** Header fields. */
  header: NodeListHeader;
  /** Records, strictly ascending by `pubkey`. */
  records: NodeRecord[];
  /** 1 to 16 signatures, strictly ascending by `keyId`. */
  signatures: ListSignature[];
}
