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
 * @example Recognise a saved node list before decoding it
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeNodeList } from "./codec.ts";
 * import { buildSignedList } from "./signing.ts";
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n };
 * const file = encodeNodeList(buildSignedList(header, [], [new Uint8Array(32).fill(1)]));
 * const isNodeList = (bytes: Uint8Array) => new TextDecoder().decode(bytes.subarray(0, 4)) === LIST_MAGIC;
 * assert(isNodeList(file));
 * assert(!isNodeList(new TextEncoder().encode('{"version": 1}')));
 * ```
 */
export const LIST_MAGIC = "SNL1";
/**
 * The 4 ASCII bytes a node-list diff starts with.
 *
 * @example Route a download to the right decoder: a diff or a whole list
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeNodeList } from "./codec.ts";
 * import { applyNodeListDiff, diffNodeLists } from "./diff.ts";
 * import { buildSignedList, nodeListBodyHash } from "./signing.ts";
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n };
 * const key = new Uint8Array(32).fill(1);
 * const held = buildSignedList(header, [], [key]);
 * const next = buildSignedList({ ...header, epoch: 2n, prevHash: nodeListBodyHash(held) }, [], [key]);
 * function latest(download: Uint8Array): Uint8Array {
 *   const magic = new TextDecoder().decode(download.subarray(0, 4));
 *   return magic === DIFF_MAGIC ? applyNodeListDiff(held, download, 3) : download;
 * }
 * assert.deepEqual(latest(diffNodeLists(held, next)), encodeNodeList(next));
 * assert.deepEqual(latest(encodeNodeList(next)), encodeNodeList(next));
 * ```
 */
export const DIFF_MAGIC = "SND1";
/**
 * Version byte of the list and diff format v1 (format v2 is
 * {@linkcode LIST_FORMAT_V2}).
 *
 * @example A list in a later format version is refused, not misread
 * ```ts
 * import assert from "node:assert/strict";
 * import { LIST_FORMAT_V2 } from "./format.ts";
 * import { decodeNodeList, encodeNodeList } from "./codec.ts";
 * import { buildSignedList } from "./signing.ts";
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n };
 * const bytes = encodeNodeList(buildSignedList(header, [], [new Uint8Array(32).fill(1)]));
 * assert.equal(bytes[4], LIST_FORMAT_VERSION); // right after the magic
 * const later = bytes.slice();
 * later[4] = LIST_FORMAT_V2 + 1; // v2 is the latest format
 * assert.throws(() => decodeNodeList(later, 3), { code: "unsupported_version" });
 * ```
 */
export const LIST_FORMAT_VERSION = 1;
/**
 * Length of a list header: magic 4, version 1, network 1, epoch 8, validAfter
 * 8, freshUntil 8, validUntil 8, prevHash 32, swarmSeed 8, recordCount 4.
 *
 * @example Read how many nodes a list holds from its header alone
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeNodeList } from "./codec.ts";
 * import { buildSignedList } from "./signing.ts";
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n };
 * const node = (i: number): NodeRecord => ({
 *   pubkey: new Uint8Array(32).fill(i), swarmId: 0n, ipv4: `10.0.0.${i}`, httpsPort: 22021,
 *   quicPort: 22020, version: [2, 11, 0], state: "active", unlockRequested: false,
 * });
 * const bytes = encodeNodeList(buildSignedList(header, [node(1), node(2)], [new Uint8Array(32).fill(1)]));
 * const head = bytes.subarray(0, HEADER_LENGTH);
 * // recordCount is the header's last field, a big-endian u32.
 * assert.equal(new DataView(head.buffer, head.byteOffset).getUint32(HEADER_LENGTH - 4), 2);
 * ```
 */
export const HEADER_LENGTH: number = 4 + 1 + 1 + 8 + 8 + 8 + 8 + 32 + 8 + 4;
/**
 * Length of a node record: pubkey 32, swarmId 8, ipv4 4, https port 2, quic
 * port 2, version 3, flags 1.
 *
 * @example Cut the signed body out of a list's bytes, as a verifier does
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildEncodedList, listBodyHash } from "./signing.ts";
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n };
 * const node = (i: number): NodeRecord => ({
 *   pubkey: new Uint8Array(32).fill(i), swarmId: 0n, ipv4: `10.0.0.${i}`, httpsPort: 22021,
 *   quicPort: 22020, version: [2, 11, 0], state: "active", unlockRequested: false,
 * });
 * const published = buildEncodedList(header, [node(1), node(2)], [new Uint8Array(32).fill(1)]);
 * const body = published.bytes.subarray(0, HEADER_LENGTH + published.list.records.length * RECORD_LENGTH);
 * assert.deepEqual(listBodyHash(body), published.bodyHash);
 * ```
 */
export const RECORD_LENGTH: number = 32 + 8 + 4 + 2 + 2 + 3 + 1;
/**
 * Length of a signer's key id: the first 8 bytes of SHA-256 of its Ed25519
 * public key.
 *
 * @example Find which registry key signed a list, straight from its bytes
 * ```ts
 * import assert from "node:assert/strict";
 * import { bytesEqual } from "../bytes.ts";
 * import { publicKeyOf } from "../keys.ts";
 * import { buildEncodedList, keyIdOf } from "./signing.ts";
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n };
 * const registryKeys = [1, 2, 3].map((i) => new Uint8Array(32).fill(i));
 * const { bytes } = buildEncodedList(header, [], [registryKeys[1]!]);
 * const entry = bytes.subarray(bytes.length - SIGNATURE_ENTRY_LENGTH); // the only signature
 * const keyId = entry.subarray(0, KEY_ID_LENGTH);
 * const signer = registryKeys.map(publicKeyOf).findIndex((pk) => bytesEqual(keyIdOf(pk), keyId));
 * assert.equal(signer, 1);
 * ```
 */
export const KEY_ID_LENGTH = 8;
/**
 * Length of one entry of the signatures section: key id 8, signature 64.
 *
 * @example Count a list's signatures from its length
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildEncodedList } from "./signing.ts";
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n };
 * const node = (i: number): NodeRecord => ({
 *   pubkey: new Uint8Array(32).fill(i), swarmId: 0n, ipv4: `10.0.0.${i}`, httpsPort: 22021,
 *   quicPort: 22020, version: [2, 11, 0], state: "active", unlockRequested: false,
 * });
 * const keys = [1, 2, 3].map((i) => new Uint8Array(32).fill(i));
 * const { bytes } = buildEncodedList(header, [node(1)], keys);
 * const bodyLength = HEADER_LENGTH + 1 * RECORD_LENGTH;
 * assert.equal(bytes[bodyLength], 3); // the signature count byte
 * assert.equal((bytes.length - bodyLength - 1) / SIGNATURE_ENTRY_LENGTH, 3);
 * ```
 */
export const SIGNATURE_ENTRY_LENGTH: number = KEY_ID_LENGTH + SIGNATURE_LENGTH;
/**
 * Most records a list (or each section of a diff) may hold. Decoders refuse
 * larger counts with `oversized` before allocating anything.
 *
 * @example A header announcing more nodes is refused before anything is allocated
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeNodeList, encodeNodeList } from "./codec.ts";
 * import { buildSignedList } from "./signing.ts";
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n };
 * const forged = encodeNodeList(buildSignedList(header, [], [new Uint8Array(32).fill(1)]));
 * const recordCount = new DataView(forged.buffer, forged.byteOffset + HEADER_LENGTH - 4, 4);
 * recordCount.setUint32(0, MAX_RECORDS + 1);
 * assert.throws(() => decodeNodeList(forged, 3), { code: "oversized" });
 * // MAX_RECORDS itself is allowed; the records are then simply missing.
 * recordCount.setUint32(0, MAX_RECORDS);
 * assert.throws(() => decodeNodeList(forged, 3), { code: "truncated" });
 * ```
 */
export const MAX_RECORDS = 100_000;
/**
 * Most signatures a list carries (at least one is required).
 *
 * @example At most this many registry keys can sign one list
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildSignedList } from "./signing.ts";
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n };
 * const keys = Array.from({ length: MAX_SIGNATURES + 1 }, (_, i) => new Uint8Array(32).fill(i + 1));
 * assert.equal(buildSignedList(header, [], keys.slice(0, MAX_SIGNATURES)).signatures.length, MAX_SIGNATURES);
 * assert.throws(() => buildSignedList(header, [], keys), { code: "oversized" });
 * ```
 */
export const MAX_SIGNATURES = 16;
/**
 * Largest valid encoded list of either format version (a v2 list with the
 * largest extensions area and every co-signature); longer input is refused
 * with `oversized`.
 *
 * @example Anything longer is refused before a byte of it is read
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeNodeList } from "./codec.ts";
 * assert.throws(() => decodeNodeList(new Uint8Array(MAX_LIST_LENGTH + 1), 3), { code: "oversized" });
 * // At the limit, decoding starts (and these zeros fail at the magic).
 * assert.throws(() => decodeNodeList(new Uint8Array(MAX_LIST_LENGTH), 3), { code: "bad_magic" });
 * ```
 */
export const MAX_LIST_LENGTH: number = 180 + 1024 +
  MAX_RECORDS * RECORD_LENGTH + 1 +
  MAX_SIGNATURES * SIGNATURE_ENTRY_LENGTH + 1 + 32 * (8 + 8 + 64);
/**
 * Length of a diff's fixed prefix before its embedded header: magic 4,
 * version 1, network 1, fromEpoch 8, fromHash 32, toHash 32.
 *
 * @example See which list a diff leads to without decoding it
 * ```ts
 * import assert from "node:assert/strict";
 * import { diffNodeLists } from "./diff.ts";
 * import { buildSignedList, nodeListBodyHash } from "./signing.ts";
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n };
 * const key = new Uint8Array(32).fill(1);
 * const from = buildSignedList(header, [], [key]);
 * const to = buildSignedList({ ...header, epoch: 5n, prevHash: nodeListBodyHash(from) }, [], [key]);
 * const target = diffNodeLists(from, to).subarray(DIFF_PREFIX_LENGTH); // the target's header
 * assert.equal(new TextDecoder().decode(target.subarray(0, 4)), LIST_MAGIC);
 * assert.equal(new DataView(target.buffer, target.byteOffset).getBigUint64(6), 5n); // its epoch
 * ```
 */
export const DIFF_PREFIX_LENGTH: number = 4 + 1 + 1 + 8 + 32 + 32;
/**
 * Largest valid encoded diff of either format version; longer input is
 * refused with `oversized`.
 *
 * @example Anything longer is refused before a byte of it is read
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeNodeListDiff } from "./diff.ts";
 * assert.throws(() => decodeNodeListDiff(new Uint8Array(MAX_DIFF_LENGTH + 1), 3), { code: "oversized" });
 * assert.throws(() => decodeNodeListDiff(new Uint8Array(MAX_DIFF_LENGTH), 3), { code: "bad_magic" });
 * // A diff may outgrow the list it builds: it can remove every node and add as many.
 * assert(MAX_DIFF_LENGTH > MAX_LIST_LENGTH);
 * ```
 */
export const MAX_DIFF_LENGTH: number = DIFF_PREFIX_LENGTH + 180 + 1024 + 4 +
  MAX_RECORDS * PUBLIC_KEY_LENGTH + 4 + MAX_RECORDS * RECORD_LENGTH + 1 +
  MAX_SIGNATURES * SIGNATURE_ENTRY_LENGTH + 1 + 32 * (8 + 8 + 64);
/**
 * Bits of a record's flags byte. Exactly one of `active` and
 * `decommissioned` is set; any bit not listed here must be zero.
 *
 * @example Read a node's state from its record's flags byte
 * ```ts
 * import assert from "node:assert/strict";
 * import { UNASSIGNED_SWARM_ID } from "../swarm.ts";
 * import { encodeListBody } from "./codec.ts";
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n };
 * const body = encodeListBody(header, [{
 *   pubkey: new Uint8Array(32).fill(1), swarmId: UNASSIGNED_SWARM_ID, ipv4: "10.0.0.1", httpsPort: 22021,
 *   quicPort: 22020, version: [2, 11, 0], state: "decommissioned", unlockRequested: true,
 * }]);
 * const flags = body[HEADER_LENGTH + RECORD_LENGTH - 1]!; // a record's last byte
 * assert.equal(flags & RECORD_FLAGS.active, 0);
 * assert.notEqual(flags & RECORD_FLAGS.decommissioned, 0);
 * assert.notEqual(flags & RECORD_FLAGS.unlockRequested, 0);
 * ```
 */
export const RECORD_FLAGS = {
  active: 0x01,
  decommissioned: 0x02,
  unlockRequested: 0x04,
} as const;
/**
 * Domain tag prepended to the body hash before signing a v1 list, so a
 * registry key's list signature can never be taken for a signature over
 * anything else (v2 lists: {@linkcode LIST_SIGNATURE_DOMAIN_V2}).
 *
 * @example Check a list signature by hand, as another implementation would
 * ```ts
 * import assert from "node:assert/strict";
 * import { concat } from "../bytes.ts";
 * import { publicKeyOf, verify } from "../keys.ts";
 * import { buildEncodedList } from "./signing.ts";
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n };
 * const sk = new Uint8Array(32).fill(1);
 * const { list, bodyHash } = buildEncodedList(header, [], [sk]);
 * const signature = list.signatures[0]!.signature;
 * const message = concat(new TextEncoder().encode(LIST_SIGNATURE_DOMAIN), bodyHash);
 * assert(verify(publicKeyOf(sk), message, signature));
 * // Without the domain tag the signature does not verify.
 * assert(!verify(publicKeyOf(sk), bodyHash, signature));
 * ```
 */
export const LIST_SIGNATURE_DOMAIN = "snode-registry/nodelist/v1\n";

// ---------------------------------------------------------------------------
// Types

/**
 * Name of a network in the JSON view; the binary carries the id
 * (mainnet 1, testnet 2, devnet 3).
 *
 * @example Map the network the JSON view names back to its parameters
 * ```ts
 * import assert from "node:assert/strict";
 * import { networkParams } from "../params.ts";
 * import { nodeListToJson } from "./json.ts";
 * import { buildSignedList } from "./signing.ts";
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n };
 * const json = nodeListToJson(buildSignedList(header, [], [new Uint8Array(32).fill(1)]));
 * const name: NodeListNetworkName = json.network;
 * assert.equal(networkParams(name).id, header.network);
 * ```
 */
export type NodeListNetworkName = NetworkName;

/**
 * Whether a node serves (is in a swarm) or is decommissioned (kept in the
 * list with swarm {@linkcode UNASSIGNED_SWARM_ID} while it may recover).
 *
 * @example Only active nodes serve: pick them out of a list
 * ```ts
 * import assert from "node:assert/strict";
 * import { UNASSIGNED_SWARM_ID } from "../swarm.ts";
 * import { buildSignedList } from "./signing.ts";
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n };
 * const node = (i: number, state: NodeState): NodeRecord => ({
 *   pubkey: new Uint8Array(32).fill(i), swarmId: state === "active" ? 0n : UNASSIGNED_SWARM_ID,
 *   ipv4: `10.0.0.${i}`, httpsPort: 22021, quicPort: 22020, version: [2, 11, 0], state, unlockRequested: false,
 * });
 * const list = buildSignedList(header, [node(1, "active"), node(2, "decommissioned"), node(3, "active")], [
 *   new Uint8Array(32).fill(1),
 * ]);
 * const serving = list.records.filter((r) => r.state === "active").map((r) => r.ipv4);
 * assert.deepEqual(serving, ["10.0.0.1", "10.0.0.3"]);
 * ```
 */
export type NodeState = "active" | "decommissioned";

/**
 * One service node. The flags byte is exposed as `state` plus
 * `unlockRequested`, so the invalid combinations of the active and
 * decommissioned bits cannot be represented.
 *
 * @example A record round-trips through a signed list; a decommissioned node keeps no swarm
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeNodeList, encodeNodeList } from "./codec.ts";
 * import { buildSignedList } from "./signing.ts";
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n };
 * const key = new Uint8Array(32).fill(1);
 * const node: NodeRecord = {
 *   pubkey: new Uint8Array(32).fill(1), swarmId: 0n, ipv4: "10.0.0.1",
 *   httpsPort: 22021, quicPort: 22020, version: [2, 11, 0],
 *   state: "active", unlockRequested: false,
 * };
 * const list = buildSignedList(header, [node], [key]);
 * assert.deepEqual(decodeNodeList(encodeNodeList(list), 3).records, [node]);
 * assert.throws(() => buildSignedList(header, [{ ...node, state: "decommissioned" }], [key]), { code: "out_of_range" });
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
 * The list header. `recordCount` is not a field: it is the number of records
 * (and in v2 `recordsHash` is not either: it is their hash). Times are unix
 * seconds with `validAfter <= freshUntil <= validUntil`.
 *
 * @example Chain the next list's header to the previous list
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildSignedList, nodeListBodyHash } from "./signing.ts";
 * import { verifyChain } from "./verify.ts";
 * const key = new Uint8Array(32).fill(1);
 * const first: NodeListHeader = {
 *   network: 3, epoch: 1n, validAfter: 1000n, freshUntil: 4600n,
 *   validUntil: 11800n, prevHash: new Uint8Array(32), swarmSeed: 7n,
 * };
 * const prev = buildSignedList(first, [], [key]);
 * const next: NodeListHeader = {
 *   ...first, epoch: 2n, validAfter: 4600n, freshUntil: 8200n, validUntil: 15400n, prevHash: nodeListBodyHash(prev),
 * };
 * assert.doesNotThrow(() => verifyChain(prev, buildSignedList(next, [], [key])));
 * // Times out of order are refused as soon as the header is encoded.
 * assert.throws(() => buildSignedList({ ...next, freshUntil: 0n }, [], [key]), { code: "out_of_range" });
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
  /**
   * Format v2 only: what the header commits to besides the records. A header
   * with commitments is encoded as v2, one without as v1.
   */
  commitments?: ListCommitments;
}

/**
 * One registry signature over a list body.
 *
 * @example Keep only the signatures of trusted keys before passing a list on
 * ```ts
 * import assert from "node:assert/strict";
 * import { bytesEqual } from "../bytes.ts";
 * import { publicKeyOf } from "../keys.ts";
 * import { buildSignedList, keyIdOf } from "./signing.ts";
 * import { verifyNodeList } from "./verify.ts";
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n };
 * const keys = [1, 2, 3].map((i) => new Uint8Array(32).fill(i));
 * const list = buildSignedList(header, [], keys);
 * const trusted = keys.slice(0, 2).map(publicKeyOf);
 * const kept: ListSignature[] = list.signatures.filter((s) =>
 *   trusted.some((pk) => bytesEqual(keyIdOf(pk), s.keyId))
 * );
 * assert.equal(kept.length, 2);
 * assert.equal(verifyNodeList({ ...list, signatures: kept }, trusted).signers.length, 2);
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
  /** 1 to 16 registry signatures, strictly ascending by `keyId`. */
  signatures: ListSignature[];
  /**
   * Format v2 only: 0 to 32 witness co-signatures, strictly ascending by
   * `keyId` (absent on a v1 list; a v2 list without it has none).
   */
  cosignatures?: Cosignature[];
}

// ---------------------------------------------------------------------------
// Format v2: commitments, extensions, co-signatures

/**
 * Version byte of the list and diff format v2: a header that commits to the
 * records (`recordsHash`), the epoch's published inputs (`inputsHash`) and
 * the state after the epoch (`stateHash`), an extensions area, and a
 * co-signatures section after the registry's signatures. The list's identity
 * is the **checkpoint hash**, SHA-256 of the header alone.
 *
 * @example A v2 list says so in its fifth byte
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildEncodedList } from "./signing.ts";
 * const commitments = { inputsHash: new Uint8Array(32), stateHash: new Uint8Array(32), extensions: [] };
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n, commitments };
 * const { bytes } = buildEncodedList(header, [], [new Uint8Array(32).fill(1)]);
 * assert.equal(bytes[4], LIST_FORMAT_V2);
 * ```
 */
export const LIST_FORMAT_V2 = 2;
/**
 * Length of a v2 header without its extensions: the v1 fields (82 bytes),
 * then recordsHash 32, inputsHash 32, stateHash 32 and extensionsLength 2.
 *
 * @example The checkpoint of a list without extensions is 180 bytes
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildEncodedList } from "./signing.ts";
 * import { splitNodeList } from "./checkpoint.ts";
 * const commitments = { inputsHash: new Uint8Array(32), stateHash: new Uint8Array(32), extensions: [] };
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n, commitments };
 * const { bytes } = buildEncodedList(header, [], [new Uint8Array(32).fill(1)]);
 * assert.equal(splitNodeList(bytes, 3).headerEnd, HEADER_V2_BASE_LENGTH);
 * ```
 */
export const HEADER_V2_BASE_LENGTH: number = HEADER_LENGTH + 32 * 3 + 2;
/**
 * Most bytes a v2 header's extensions area may hold.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(MAX_EXTENSIONS_LENGTH, 1024);
 * ```
 */
export const MAX_EXTENSIONS_LENGTH = 1024;
/**
 * Most co-signatures a v2 list carries (zero is allowed: a list is
 * published before witnesses co-sign it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert(MAX_COSIGNATURES >= MAX_SIGNATURES);
 * ```
 */
export const MAX_COSIGNATURES = 32;
/**
 * Length of one co-signature entry: key id 8, time u64, signature 64.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(COSIGNATURE_ENTRY_LENGTH, KEY_ID_LENGTH + 8 + 64);
 * ```
 */
export const COSIGNATURE_ENTRY_LENGTH: number = KEY_ID_LENGTH + 8 +
  SIGNATURE_LENGTH;
/**
 * Domain tag of a registry signature over a v2 list's checkpoint hash.
 *
 * @example A v2 registry signature covers the tag and the checkpoint hash
 * ```ts
 * import assert from "node:assert/strict";
 * import { concat } from "../bytes.ts";
 * import { publicKeyOf, verify } from "../keys.ts";
 * import { buildEncodedList } from "./signing.ts";
 * const commitments = { inputsHash: new Uint8Array(32), stateHash: new Uint8Array(32), extensions: [] };
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n, commitments };
 * const sk = new Uint8Array(32).fill(1);
 * const { list, bodyHash: checkpointHash } = buildEncodedList(header, [], [sk]);
 * const message = concat(new TextEncoder().encode(LIST_SIGNATURE_DOMAIN_V2), checkpointHash);
 * assert(verify(publicKeyOf(sk), message, list.signatures[0]!.signature));
 * ```
 */
export const LIST_SIGNATURE_DOMAIN_V2 = "snode-registry/nodelist/v2\n";
/**
 * Domain tag of a witness co-signature (after it: time u64, then the
 * checkpoint hash), after C2SP tlog-cosignature's timestamped statement.
 * Distinct from every registry tag, so a witness key's co-signature can never
 * pass as a registry signature, nor the reverse.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.notEqual(COSIGNATURE_DOMAIN, LIST_SIGNATURE_DOMAIN_V2);
 * assert(COSIGNATURE_DOMAIN.endsWith("\n"));
 * ```
 */
export const COSIGNATURE_DOMAIN = "snode-registry/cosignature/v1\n";
/**
 * Domain tag of the new key's signature in a key-rotation record (after it:
 * network u8, old key 32, new key 32): proof that the announced key's holder
 * agreed to take over.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(KEY_ROTATION_DOMAIN, "snode-registry/key-rotation/v1\n");
 * ```
 */
export const KEY_ROTATION_DOMAIN = "snode-registry/key-rotation/v1\n";
/**
 * Type bytes of the v2 header extensions. A type with bit 0x80 set is
 * critical: a reader that does not know it refuses the list
 * (`unknown_kind`); an unknown type below 0x80 is carried and ignored.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(EXTENSION_TYPES.keyRotation, 1);
 * ```
 */
export const EXTENSION_TYPES = { keyRotation: 1 } as const;

/**
 * A key-rotation record: the list that carries it (signed by `oldKey`)
 * announces that from the next list on `newKey` signs in `oldKey`'s place.
 * `signature` is `newKey`'s signature over
 * `KEY_ROTATION_DOMAIN || network || oldKey || newKey`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { publicKeyOf } from "../keys.ts";
 * import { buildKeyRotation, verifyKeyRotation } from "./checkpoint.ts";
 * const rotation: KeyRotation = buildKeyRotation(3, publicKeyOf(new Uint8Array(32).fill(1)), new Uint8Array(32).fill(2));
 * assert.equal(verifyKeyRotation(3, rotation), true);
 * ```
 */
export interface KeyRotation {
  /** The registry key being replaced, 32 bytes. */
  oldKey: Uint8Array;
  /** The key that signs from the next list on, 32 bytes. */
  newKey: Uint8Array;
  /** `newKey`'s signature over the rotation statement, 64 bytes. */
  signature: Uint8Array;
}

/**
 * One entry of a v2 header's extensions area: a key rotation, or a
 * non-critical type this implementation does not know (carried as is).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const unknown: ListExtension = { type: 0x10, value: new Uint8Array([1, 2]) };
 * assert.equal(unknown.type, 0x10);
 * ```
 */
export type ListExtension =
  | { type: typeof EXTENSION_TYPES.keyRotation; rotation: KeyRotation }
  | { type: number; value: Uint8Array };

/**
 * What a v2 header commits to beyond the v1 fields (the records hash is
 * derived from the records and not carried here).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const c: ListCommitments = { inputsHash: new Uint8Array(32), stateHash: new Uint8Array(32), extensions: [] };
 * assert.equal(c.extensions.length, 0);
 * ```
 */
export interface ListCommitments {
  /** SHA-256 of the epoch's inputs document (`inputs.ts`). */
  inputsHash: Uint8Array;
  /** SHA-256 of the state snapshot after the epoch's tick (`state.ts`). */
  stateHash: Uint8Array;
  /** Extensions, strictly ascending by type. */
  extensions: ListExtension[];
}

/**
 * A witness's co-signature of a v2 list: `time` (unix seconds) and an
 * Ed25519 signature over `COSIGNATURE_DOMAIN || time u64 || checkpointHash`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { signCosignature } from "./checkpoint.ts";
 * const c: Cosignature = signCosignature(new Uint8Array(32), 1700000000n, new Uint8Array(32).fill(9));
 * assert.equal(c.time, 1700000000n);
 * ```
 */
export interface Cosignature {
  /** {@linkcode keyIdOf} the witness's public key. */
  keyId: Uint8Array;
  /** Unix seconds when the witness co-signed. */
  time: bigint;
  /** Ed25519 signature, 64 bytes. */
  signature: Uint8Array;
}
