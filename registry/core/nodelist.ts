/**
 * The signed node list, format v1: the registry's answer to "which service
 * nodes exist, where do they listen and which swarm is each in", published
 * once per epoch, signed by k of n registry keys (like Tor's consensus,
 * network.md §8) and hash-chained to the previous list.
 *
 * A list is `body || signatures`. The body is a fixed 82-byte header and
 * 52-byte records sorted by public key; the first 51 bytes of a record are
 * libsession's `active_nodes_bin` record (network.md §4), the 52nd is a flags
 * byte. The body's SHA-256 is the list's identity: signatures cover it (with a
 * domain tag), the next list's `prevHash` chains to it, and a diff names the
 * two lists it connects by it. The byte layout is specified in
 * `README.md` ("Signed node list v1"); every length below is exported for
 * other implementations.
 *
 * All u64 fields (epoch, times, swarm ids, seed) are `bigint`, so every value
 * the format can carry round-trips exactly; the JSON view writes them as
 * decimal strings for the same reason.
 *
 * @module
 */

import { sha256 } from "@noble/hashes/sha2.js";
import {
  ByteReader,
  bytesEqual,
  ByteWriter,
  compareBytes,
  concat,
  formatIpv4,
  fromHex,
  parseIpv4,
  toHex,
} from "./bytes.ts";
import { DecodeError, VerifyError } from "./errors.ts";
import { NETWORK_IDS, type NetworkName } from "./params.ts";
import { UNASSIGNED_SWARM_ID } from "./swarm.ts";
import {
  isValidPublicKey,
  PUBLIC_KEY_LENGTH,
  publicKeyOf,
  sign,
  SIGNATURE_LENGTH,
  verify,
  x25519FromEd25519,
} from "./keys.ts";

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

const U64_MAX = (1n << 64n) - 1n;
const ENC = new TextEncoder();
const LIST_MAGIC_BYTES = ENC.encode(LIST_MAGIC);
const DIFF_MAGIC_BYTES = ENC.encode(DIFF_MAGIC);
const DOMAIN_BYTES = ENC.encode(LIST_SIGNATURE_DOMAIN);
const ALL_FLAGS = RECORD_FLAGS.active | RECORD_FLAGS.decommissioned |
  RECORD_FLAGS.unlockRequested;

/** Network ids and their JSON names (see `params.ts`). */
const NETWORK_NAMES: ReadonlyMap<number, NodeListNetworkName> = new Map(
  Object.entries(NETWORK_IDS).map(([name, id]) => [id, name as NetworkName]),
);

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

// ---------------------------------------------------------------------------
// Field validation shared by encoders and decoders

function networkName(id: number): NodeListNetworkName {
  const name = NETWORK_NAMES.get(id);
  if (name === undefined) {
    throw new DecodeError(
      "wrong_network",
      `unknown network id ${id} (mainnet 1, testnet 2, devnet 3)`,
    );
  }
  return name;
}

function checkNetwork(
  network: number,
  expected: number | undefined,
  what: string,
): void {
  if (expected !== undefined) networkName(expected);
  const name = networkName(network);
  if (expected !== undefined && network !== expected) {
    throw new DecodeError(
      "wrong_network",
      `${what} is for ${name} (id ${network}), expected ${
        networkName(expected)
      } (id ${expected})`,
    );
  }
}

function checkTimes(h: NodeListHeader): void {
  if (!(h.validAfter <= h.freshUntil && h.freshUntil <= h.validUntil)) {
    throw new DecodeError(
      "out_of_range",
      `node list times must satisfy validAfter <= freshUntil <= validUntil, got ${h.validAfter}, ${h.freshUntil}, ${h.validUntil}`,
    );
  }
}

function checkRecordCount(count: number, what: string): void {
  if (count > MAX_RECORDS) {
    throw new DecodeError(
      "oversized",
      `${what} has ${count} entries, more than the maximum ${MAX_RECORDS}`,
    );
  }
}

function flagsOf(rec: NodeRecord): number {
  if (rec.state !== "active" && rec.state !== "decommissioned") {
    throw new DecodeError(
      "out_of_range",
      `node state must be "active" or "decommissioned", got ${
        String(rec.state)
      }`,
    );
  }
  if (typeof rec.unlockRequested !== "boolean") {
    throw new DecodeError("out_of_range", "unlockRequested must be a boolean");
  }
  return (rec.state === "active"
    ? RECORD_FLAGS.active
    : RECORD_FLAGS.decommissioned) |
    (rec.unlockRequested ? RECORD_FLAGS.unlockRequested : 0);
}

function checkSwarm(state: NodeState, swarmId: bigint, pubkey: Uint8Array) {
  const unassigned = swarmId === UNASSIGNED_SWARM_ID;
  if ((state === "decommissioned") !== unassigned) {
    throw new DecodeError(
      "out_of_range",
      `node ${toHex(pubkey)} is ${state} but its swarm id is ${swarmId}: ` +
        `a node has swarm id 2^64-1 (unassigned) exactly when it is decommissioned`,
    );
  }
}

// ---------------------------------------------------------------------------
// Writers and readers of the sections
//
// Each fixed-size piece (header, record, signature entry) is written by its
// own ByteWriter and the pieces are joined with one allocation per section.
// No piece exceeds ByteWriter's initial 256-byte buffer, so encoding never
// relies on the writer growing (its growth path in bytes.ts, at the time of
// writing, writes `u8`/`bytes` into the old buffer), and a 100,000-record list
// is copied once, not re-grown log(n) times.

function encodeHeader(h: NodeListHeader, recordCount: number): Uint8Array {
  checkNetwork(h.network, undefined, "node list");
  checkTimes(h);
  checkRecordCount(recordCount, "node list");
  return new ByteWriter().bytes(LIST_MAGIC_BYTES).u8(LIST_FORMAT_VERSION)
    .u8(h.network).u64(h.epoch).u64(h.validAfter).u64(h.freshUntil)
    .u64(h.validUntil).bytes(h.prevHash, 32).u64(h.swarmSeed).u32(recordCount)
    .finish();
}

function readHeader(
  r: ByteReader,
  expectedNetwork: number | undefined,
  what: string,
): { header: NodeListHeader; recordCount: number } {
  if (!bytesEqual(r.bytes(4), LIST_MAGIC_BYTES)) {
    throw new DecodeError("bad_magic", `${what} does not start with "SNL1"`);
  }
  const version = r.u8();
  if (version !== LIST_FORMAT_VERSION) {
    throw new DecodeError(
      "unsupported_version",
      `${what} has format version ${version}, only ${LIST_FORMAT_VERSION} is supported`,
    );
  }
  const network = r.u8();
  checkNetwork(network, expectedNetwork, what);
  const header: NodeListHeader = {
    network,
    epoch: r.u64(),
    validAfter: r.u64(),
    freshUntil: r.u64(),
    validUntil: r.u64(),
    prevHash: r.bytes(32),
    swarmSeed: r.u64(),
  };
  const recordCount = r.u32();
  checkTimes(header);
  checkRecordCount(recordCount, what);
  return { header, recordCount };
}

function encodeRecord(rec: NodeRecord): Uint8Array {
  const flags = flagsOf(rec);
  const w = new ByteWriter().bytes(rec.pubkey, PUBLIC_KEY_LENGTH).u64(
    rec.swarmId,
  );
  checkSwarm(rec.state, rec.swarmId, rec.pubkey);
  if (!Array.isArray(rec.version) || rec.version.length !== 3) {
    throw new DecodeError("bad_length", "a version is 3 numbers");
  }
  return w.bytes(parseIpv4(rec.ipv4)).u16(rec.httpsPort).u16(rec.quicPort)
    .u8(rec.version[0]).u8(rec.version[1]).u8(rec.version[2]).u8(flags)
    .finish();
}

function readRecord(r: ByteReader): NodeRecord {
  const pubkey = r.bytes(PUBLIC_KEY_LENGTH);
  const swarmId = r.u64();
  const ip = r.bytes(4);
  const httpsPort = r.u16();
  const quicPort = r.u16();
  const version: [number, number, number] = [r.u8(), r.u8(), r.u8()];
  const flags = r.u8();
  const stateBits = flags &
    (RECORD_FLAGS.active | RECORD_FLAGS.decommissioned);
  if (
    (flags & ~ALL_FLAGS) !== 0 || (stateBits !== RECORD_FLAGS.active &&
      stateBits !== RECORD_FLAGS.decommissioned)
  ) {
    throw new DecodeError(
      "out_of_range",
      `node ${toHex(pubkey)} has flags 0x${
        flags.toString(16).padStart(2, "0")
      }: exactly one of active (0x01) and decommissioned (0x02) must be set, and no bit above 0x04`,
    );
  }
  const state: NodeState = stateBits === RECORD_FLAGS.active
    ? "active"
    : "decommissioned";
  checkSwarm(state, swarmId, pubkey);
  return {
    pubkey,
    swarmId,
    ipv4: formatIpv4(ip),
    httpsPort,
    quicPort,
    version,
    state,
    unlockRequested: (flags & RECORD_FLAGS.unlockRequested) !== 0,
  };
}

function checkAscending(
  prev: Uint8Array | undefined,
  next: Uint8Array,
  what: string,
): void {
  if (prev !== undefined && compareBytes(prev, next) >= 0) {
    throw new DecodeError(
      "not_sorted",
      `${what} must be strictly ascending without duplicates; ${
        toHex(next)
      } follows ${toHex(prev)}`,
    );
  }
}

/** Refuse a count whose entries cannot fit in what is left, before allocating. */
function checkFits(
  r: ByteReader,
  count: number,
  size: number,
  what: string,
): void {
  if (count * size > r.remaining) {
    throw new DecodeError(
      "truncated",
      `${what}: ${count} entries of ${size} bytes need ${
        count * size
      } bytes, only ${r.remaining} left`,
    );
  }
}

/** Fixed-size entries laid end to end in one allocation. */
function join(entries: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(entries.length * size);
  entries.forEach((e, i) => out.set(e, i * size));
  return out;
}

function encodeRecords(
  records: readonly NodeRecord[],
  what: string,
): Uint8Array {
  checkRecordCount(records.length, what);
  let prev: Uint8Array | undefined;
  return join(
    records.map((rec) => {
      checkAscending(prev, rec.pubkey, what);
      prev = rec.pubkey;
      return encodeRecord(rec);
    }),
    RECORD_LENGTH,
  );
}

function readRecords(
  r: ByteReader,
  count: number,
  what: string,
): NodeRecord[] {
  checkFits(r, count, RECORD_LENGTH, what);
  const out: NodeRecord[] = [];
  let prev: Uint8Array | undefined;
  for (let i = 0; i < count; i++) {
    const rec = readRecord(r);
    checkAscending(prev, rec.pubkey, what);
    out.push(rec);
    prev = rec.pubkey;
  }
  return out;
}

function encodeSignatures(sigs: readonly ListSignature[]): Uint8Array {
  checkSignatureCount(sigs.length);
  let prev: Uint8Array | undefined;
  const entries = sigs.map((s) => {
    const entry = new ByteWriter().bytes(s.keyId, KEY_ID_LENGTH)
      .bytes(s.signature, SIGNATURE_LENGTH).finish();
    checkAscending(prev, s.keyId, "node list signature key ids");
    prev = s.keyId;
    return entry;
  });
  return concat(
    new Uint8Array([sigs.length]),
    join(entries, SIGNATURE_ENTRY_LENGTH),
  );
}

function checkSignatureCount(count: number): void {
  if (count < 1) {
    throw new DecodeError("out_of_range", "a node list needs a signature");
  }
  if (count > MAX_SIGNATURES) {
    throw new DecodeError(
      "oversized",
      `a node list carries at most ${MAX_SIGNATURES} signatures, got ${count}`,
    );
  }
}

function readSignatures(r: ByteReader): ListSignature[] {
  const count = r.u8();
  checkSignatureCount(count);
  checkFits(r, count, SIGNATURE_ENTRY_LENGTH, "node list signatures");
  const out: ListSignature[] = [];
  let prev: Uint8Array | undefined;
  for (let i = 0; i < count; i++) {
    const keyId = r.bytes(KEY_ID_LENGTH);
    checkAscending(prev, keyId, "node list signature key ids");
    out.push({ keyId, signature: r.bytes(SIGNATURE_LENGTH) });
    prev = keyId;
  }
  return out;
}

function checkInputLength(bytes: Uint8Array, max: number, what: string) {
  if (!(bytes instanceof Uint8Array)) {
    throw new DecodeError("bad_length", `${what} must be a Uint8Array`);
  }
  if (bytes.length > max) {
    throw new DecodeError(
      "oversized",
      `${what} is ${bytes.length} bytes, more than the maximum ${max}`,
    );
  }
}

// ---------------------------------------------------------------------------
// Body, hash, signing

/**
 * Encode a list body: header then records. Records must already be strictly
 * ascending by public key; every field is checked.
 *
 * @throws {DecodeError} `not_sorted`, `out_of_range`, `bad_length`,
 * `oversized`, `wrong_network`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const body = encodeListBody(
 *   { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n },
 *   [{ pubkey: new Uint8Array(32).fill(1), swarmId: 0n, ipv4: "10.0.0.1", httpsPort: 22021,
 *      quicPort: 22020, version: [2, 11, 0], state: "active", unlockRequested: false }],
 * );
 * assert.equal(body.length, HEADER_LENGTH + RECORD_LENGTH);
 * ```
 */
export function encodeListBody(
  header: NodeListHeader,
  records: readonly NodeRecord[],
): Uint8Array {
  return concat(
    encodeHeader(header, records.length),
    encodeRecords(records, "node list records"),
  );
}

/**
 * Decode a list body (no signatures section), checking every rule.
 *
 * @throws {DecodeError} any code of the format, e.g. `truncated`, `wrong_network`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const header = { network: 3, epoch: 9n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n };
 * const { header: back, records } = decodeListBody(encodeListBody(header, []), 3);
 * assert.equal(back.epoch, 9n);
 * assert.equal(records.length, 0);
 * assert.throws(() => decodeListBody(encodeListBody(header, []), 1), { code: "wrong_network" });
 * ```
 */
export function decodeListBody(
  body: Uint8Array,
  expectedNetwork: number,
): { header: NodeListHeader; records: NodeRecord[] } {
  checkInputLength(body, MAX_LIST_LENGTH, "node list body");
  const r = new ByteReader(body, "node list body");
  const { header, recordCount } = readHeader(r, expectedNetwork, "node list");
  const records = readRecords(r, recordCount, "node list records");
  r.end();
  return { header, records };
}

/**
 * The list's identity: SHA-256 of its encoded body.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toHex } from "./bytes.ts";
 * assert.equal(toHex(listBodyHash(new Uint8Array())).slice(0, 8), "e3b0c442");
 * ```
 */
export function listBodyHash(body: Uint8Array): Uint8Array {
  return sha256(body);
}

/**
 * Body hash of a decoded list (encodes its body first).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const list = buildSignedList(
 *   { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n },
 *   [], [new Uint8Array(32).fill(1)],
 * );
 * assert.deepEqual(nodeListBodyHash(list), listBodyHash(encodeListBody(list.header, list.records)));
 * ```
 */
export function nodeListBodyHash(
  list: Pick<NodeList, "header" | "records">,
): Uint8Array {
  return sha256(encodeListBody(list.header, list.records));
}

/**
 * The exact bytes each list signature covers:
 * `utf8("snode-registry/nodelist/v1\n") || bodyHash`.
 *
 * @throws {DecodeError} `bad_length` unless `bodyHash` is 32 bytes.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(listSigningMessage(new Uint8Array(32)).length, 27 + 32);
 * ```
 */
export function listSigningMessage(bodyHash: Uint8Array): Uint8Array {
  if (bodyHash.length !== 32) {
    throw new DecodeError("bad_length", "a body hash is 32 bytes");
  }
  return concat(DOMAIN_BYTES, bodyHash);
}

/**
 * A signer's key id: the first 8 bytes of SHA-256 of its Ed25519 public key.
 *
 * @throws {DecodeError} `bad_length` unless the key is 32 bytes.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(keyIdOf(new Uint8Array(32)).length, KEY_ID_LENGTH);
 * ```
 */
export function keyIdOf(publicKey: Uint8Array): Uint8Array {
  if (publicKey.length !== PUBLIC_KEY_LENGTH) {
    throw new DecodeError("bad_length", "a public key is 32 bytes");
  }
  return sha256(publicKey).slice(0, KEY_ID_LENGTH);
}

/**
 * Sign an encoded list body with a registry secret key. The body is decoded
 * first (with its own network), so a malformed body is never signed.
 *
 * @throws {DecodeError} when `body` is not a valid list body or the key is not 32 bytes.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { publicKeyOf, verify } from "./keys.ts";
 * const sk = new Uint8Array(32).fill(1);
 * const body = encodeListBody(
 *   { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n }, [],
 * );
 * const sig = signListBody(body, sk);
 * assert.deepEqual(sig.keyId, keyIdOf(publicKeyOf(sk)));
 * assert(verify(publicKeyOf(sk), listSigningMessage(listBodyHash(body)), sig.signature));
 * ```
 */
export function signListBody(
  body: Uint8Array,
  secretKey: Uint8Array,
): ListSignature {
  // Decode with the body's own network byte (a body too short to have one
  // fails as truncated whatever network is expected).
  decodeListBody(body, body[5] ?? 1);
  return {
    keyId: keyIdOf(publicKeyOf(secretKey)),
    signature: sign(secretKey, listSigningMessage(listBodyHash(body))),
  };
}

/**
 * Build a signed list: sorts a copy of the records by public key, encodes
 * the body and signs it with every key (signatures sorted by key id).
 *
 * @throws {DecodeError} `not_sorted` for duplicate nodes or signing keys,
 * `out_of_range` / `oversized` for 0 or more than 16 keys, and any field error.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareBytes } from "./bytes.ts";
 * const list = buildSignedList(
 *   { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n },
 *   [],
 *   [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)],
 * );
 * assert.equal(list.signatures.length, 2);
 * assert(compareBytes(list.signatures[0]!.keyId, list.signatures[1]!.keyId) < 0);
 * ```
 */
export function buildSignedList(
  header: NodeListHeader,
  records: readonly NodeRecord[],
  secretKeys: readonly Uint8Array[],
): NodeList {
  const sorted = [...records].sort((a, b) => compareBytes(a.pubkey, b.pubkey));
  const body = encodeListBody(header, sorted);
  checkSignatureCount(secretKeys.length);
  const signatures = secretKeys.map((sk) => signListBody(body, sk))
    .sort((a, b) => compareBytes(a.keyId, b.keyId));
  const list: NodeList = { header, records: sorted, signatures };
  encodeNodeList(list); // refuses duplicate signing keys (not_sorted)
  return list;
}

/**
 * A signed list with its encoding and body hash, as a publisher keeps it.
 *
 * @example The bytes decode to the list, and the hash is the body's
 * ```ts
 * import assert from "node:assert/strict";
 * const header = { network: 3, epoch: 7n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n };
 * const published: EncodedNodeList = buildEncodedList(header, [], [new Uint8Array(32).fill(1)]);
 * assert.deepEqual(decodeNodeList(published.bytes, 3), published.list);
 * assert.deepEqual(published.bodyHash, nodeListBodyHash(published.list));
 * ```
 */
export interface EncodedNodeList {
  /** The list. */
  list: NodeList;
  /** Its encoding: body, then signatures. */
  bytes: Uint8Array;
  /** SHA-256 of the body: what the signatures cover and the next list chains to. */
  bodyHash: Uint8Array;
}

/**
 * Build, sign and encode a list in one pass: the body is encoded and hashed
 * once, which is what a publisher needs (a list of 100,000 nodes is 5 MB).
 * The result is the same as {@linkcode buildSignedList} then
 * {@linkcode encodeNodeList}.
 *
 * @throws {DecodeError} as {@linkcode buildSignedList}.
 * @example Publish a list and chain the next one to it
 * ```ts
 * import assert from "node:assert/strict";
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n };
 * const first = buildEncodedList(header, [], [new Uint8Array(32).fill(1)]);
 * assert.deepEqual(first.bytes, encodeNodeList(first.list));
 * const next = buildEncodedList({ ...header, epoch: 2n, prevHash: first.bodyHash }, [], [new Uint8Array(32).fill(1)]);
 * assert.deepEqual(next.list.header.prevHash, nodeListBodyHash(first.list));
 * ```
 */
export function buildEncodedList(
  header: NodeListHeader,
  records: readonly NodeRecord[],
  secretKeys: readonly Uint8Array[],
): EncodedNodeList {
  const sorted = [...records].sort((a, b) => compareBytes(a.pubkey, b.pubkey));
  const body = encodeListBody(header, sorted);
  checkSignatureCount(secretKeys.length);
  const bodyHash = listBodyHash(body);
  const message = listSigningMessage(bodyHash);
  const signatures = secretKeys.map((sk): ListSignature => ({
    keyId: keyIdOf(publicKeyOf(sk)),
    signature: sign(sk, message),
  })).sort((a, b) => compareBytes(a.keyId, b.keyId));
  // encodeSignatures refuses duplicate signing keys (not_sorted).
  const bytes = concat(body, encodeSignatures(signatures));
  return { list: { header, records: sorted, signatures }, bytes, bodyHash };
}

// ---------------------------------------------------------------------------
// Whole list

/**
 * Encode a whole list: body, then the signatures section (count u8, then
 * key id and signature per entry, strictly ascending by key id).
 *
 * @throws {DecodeError} for any field that breaks the format.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const list = buildSignedList(
 *   { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n },
 *   [], [new Uint8Array(32).fill(1)],
 * );
 * assert.equal(encodeNodeList(list).length, HEADER_LENGTH + 1 + SIGNATURE_ENTRY_LENGTH);
 * ```
 */
export function encodeNodeList(list: NodeList): Uint8Array {
  return concat(
    encodeHeader(list.header, list.records.length),
    encodeRecords(list.records, "node list records"),
    encodeSignatures(list.signatures),
  );
}

/**
 * Decode a whole list, checking the structure (not the signatures: see
 * {@linkcode verifyNodeList}). Counts are checked against the remaining
 * input before anything is allocated.
 *
 * @throws {DecodeError} `truncated`, `trailing_bytes`, `oversized`,
 * `bad_magic`, `unsupported_version`, `wrong_network`, `out_of_range`,
 * `not_sorted`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const list = buildSignedList(
 *   { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n },
 *   [], [new Uint8Array(32).fill(1)],
 * );
 * const bytes = encodeNodeList(list);
 * assert.deepEqual(decodeNodeList(bytes, 3), list);
 * assert.throws(() => decodeNodeList(bytes.subarray(1), 3), { code: "bad_magic" });
 * assert.throws(() => decodeNodeList(bytes.subarray(0, 50), 3), { code: "truncated" });
 * ```
 */
export function decodeNodeList(
  bytes: Uint8Array,
  expectedNetwork: number,
): NodeList {
  checkInputLength(bytes, MAX_LIST_LENGTH, "node list");
  const r = new ByteReader(bytes, "node list");
  const { header, recordCount } = readHeader(r, expectedNetwork, "node list");
  const records = readRecords(r, recordCount, "node list records");
  const signatures = readSignatures(r);
  r.end();
  return { header, records, signatures };
}

// ---------------------------------------------------------------------------
// Verification

/**
 * The strict-majority threshold `floor(n / 2) + 1` Tor clients apply to
 * their directory authorities (network.md §8).
 *
 * @throws {DecodeError} `out_of_range` unless `n` is a positive integer.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual([1, 2, 3, 4, 9].map(majorityThreshold), [1, 2, 2, 3, 5]);
 * ```
 */
export function majorityThreshold(n: number): number {
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new DecodeError(
      "out_of_range",
      `a threshold needs at least one trusted key, got ${n}`,
    );
  }
  return Math.floor(n / 2) + 1;
}

/**
 * Options of {@linkcode verifyNodeList}.
 *
 * @example One of two trusted keys is enough only with `threshold: 1`
 * ```ts
 * import assert from "node:assert/strict";
 * import { publicKeyOf } from "./keys.ts";
 * const sks = [1, 2].map((i) => new Uint8Array(32).fill(i));
 * const list = buildSignedList(
 *   { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n },
 *   [], sks.slice(0, 1),
 * );
 * const trusted = sks.map(publicKeyOf);
 * const options: VerifyNodeListOptions = { threshold: 1, expectedNetwork: 3 };
 * assert.equal(verifyNodeList(list, trusted, options).signers.length, 1);
 * assert.throws(() => verifyNodeList(list, trusted), { code: "insufficient_signatures" });
 * assert.throws(() => verifyNodeList(list, trusted, { ...options, expectedNetwork: 1 }), { code: "wrong_network" });
 * ```
 */
export interface VerifyNodeListOptions {
  /** Valid signatures needed from distinct trusted keys; default {@linkcode majorityThreshold}. */
  threshold?: number;
  /** Network the list must be for; required when verifying bytes. */
  expectedNetwork?: number;
}

/**
 * What {@linkcode verifyNodeList} established.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { publicKeyOf } from "./keys.ts";
 * const sk = new Uint8Array(32).fill(1);
 * const list = buildSignedList(
 *   { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n },
 *   [], [sk],
 * );
 * const v: VerifiedNodeList = verifyNodeList(list, [publicKeyOf(sk)]);
 * assert.equal(v.signers.length, 1);
 * ```
 */
export interface VerifiedNodeList {
  /** The list (decoded, when bytes were given). */
  list: NodeList;
  /** SHA-256 of its body. */
  bodyHash: Uint8Array;
  /** Trusted keys with a valid signature, in the order they were given. */
  signers: Uint8Array[];
}

/**
 * Check that at least `threshold` distinct trusted keys validly signed the
 * list. Signatures whose key id matches no trusted key are ignored; a
 * signature that does not verify under the trusted key its id names is not
 * counted; each trusted key counts once. Duplicate trusted keys count once.
 *
 * @throws {VerifyError} `insufficient_signatures` (saying how many of how
 * many), `bad_public_key` for a trusted key that is not a valid point;
 * {@linkcode DecodeError} `out_of_range` for a threshold outside
 * 1..trusted keys, and any decode error when bytes are given.
 * @example 2 of 3 keys signed; a majority of 3 is 2
 * ```ts
 * import assert from "node:assert/strict";
 * import { publicKeyOf } from "./keys.ts";
 * const sks = [1, 2, 3].map((i) => new Uint8Array(32).fill(i));
 * const list = buildSignedList(
 *   { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n },
 *   [], sks.slice(0, 2),
 * );
 * const trusted = sks.map(publicKeyOf);
 * assert.equal(verifyNodeList(encodeNodeList(list), trusted, { expectedNetwork: 3 }).signers.length, 2);
 * assert.throws(() => verifyNodeList(list, trusted, { threshold: 3 }), { code: "insufficient_signatures" });
 * ```
 */
export function verifyNodeList(
  list: NodeList,
  trustedKeys: readonly Uint8Array[],
  options?: VerifyNodeListOptions,
): VerifiedNodeList;
/** Verify an encoded list: decode it for `expectedNetwork`, then as above. */
export function verifyNodeList(
  bytes: Uint8Array,
  trustedKeys: readonly Uint8Array[],
  options: VerifyNodeListOptions & { expectedNetwork: number },
): VerifiedNodeList;
export function verifyNodeList(
  input: NodeList | Uint8Array,
  trustedKeys: readonly Uint8Array[],
  options: VerifyNodeListOptions = {},
): VerifiedNodeList {
  let list: NodeList;
  let body: Uint8Array;
  if (input instanceof Uint8Array) {
    if (options.expectedNetwork === undefined) {
      throw new DecodeError(
        "wrong_network",
        "verifying node list bytes needs the expected network",
      );
    }
    list = decodeNodeList(input, options.expectedNetwork);
    body = input.subarray(
      0,
      HEADER_LENGTH + list.records.length * RECORD_LENGTH,
    );
  } else {
    list = input;
    checkNetwork(list.header.network, options.expectedNetwork, "node list");
    body = encodeListBody(list.header, list.records);
  }
  const bodyHash = listBodyHash(body);
  const message = listSigningMessage(bodyHash);

  const trusted: { key: Uint8Array; keyId: Uint8Array }[] = [];
  for (const key of trustedKeys) {
    if (!isValidPublicKey(key)) {
      throw new VerifyError(
        "bad_public_key",
        "a trusted registry key is not a valid Ed25519 public key",
      );
    }
    if (!trusted.some((t) => bytesEqual(t.key, key))) {
      trusted.push({ key, keyId: keyIdOf(key) });
    }
  }
  const threshold = options.threshold ?? majorityThreshold(trusted.length);
  if (
    !Number.isSafeInteger(threshold) || threshold < 1 ||
    threshold > trusted.length
  ) {
    throw new DecodeError(
      "out_of_range",
      `threshold must be between 1 and the ${trusted.length} trusted keys, got ${threshold}`,
    );
  }

  const counted = new Set<number>();
  for (const sig of list.signatures) {
    for (let i = 0; i < trusted.length; i++) {
      const t = trusted[i]!;
      if (
        !counted.has(i) && bytesEqual(t.keyId, sig.keyId) &&
        verify(t.key, message, sig.signature)
      ) {
        counted.add(i);
        break;
      }
    }
  }
  if (counted.size < threshold) {
    throw new VerifyError(
      "insufficient_signatures",
      `node list ${list.header.epoch} has valid signatures from ${counted.size} of ${trusted.length} trusted keys, needs ${threshold}`,
    );
  }
  const signers = [...counted].sort((a, b) => a - b).map((i) =>
    trusted[i]!.key
  );
  return { list, bodyHash, signers };
}

/**
 * Check that `next` chains to `prev`: same network, a higher epoch, and
 * `next.prevHash` equal to the body hash of `prev`. Signatures are not
 * looked at (verify each list with {@linkcode verifyNodeList}).
 *
 * @throws {VerifyError} `chain_broken`, saying which rule failed.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const base = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n };
 * const prev = { header: base, records: [] };
 * const next = { header: { ...base, epoch: 2n, prevHash: nodeListBodyHash(prev) }, records: [] };
 * verifyChain(prev, next);
 * assert.throws(() => verifyChain(next, prev), { code: "chain_broken" });
 * ```
 */
export function verifyChain(
  prev: Pick<NodeList, "header" | "records">,
  next: Pick<NodeList, "header" | "records">,
): void {
  const p = prev.header;
  const n = next.header;
  if (p.network !== n.network) {
    throw new VerifyError(
      "chain_broken",
      `node list ${n.epoch} is for network ${n.network}, the previous list for ${p.network}`,
    );
  }
  if (n.epoch <= p.epoch) {
    throw new VerifyError(
      "chain_broken",
      `node list ${n.epoch} cannot follow node list ${p.epoch}: epochs must increase`,
    );
  }
  const prevHash = nodeListBodyHash(prev);
  if (!bytesEqual(n.prevHash, prevHash)) {
    throw new VerifyError(
      "chain_broken",
      `node list ${n.epoch} names previous list ${
        toHex(n.prevHash)
      }, but list ${p.epoch} hashes to ${toHex(prevHash)}`,
    );
  }
}

function toSeconds(v: number | bigint, what: string): bigint {
  if (typeof v === "bigint" ? v < 0n : !Number.isSafeInteger(v) || v < 0) {
    throw new DecodeError(
      "out_of_range",
      `${what} must be a non-negative whole number of seconds, got ${v}`,
    );
  }
  return BigInt(v);
}

/**
 * Check a list's validity window at `nowSeconds`, allowing a clock skew of
 * `toleranceSeconds` either side: usable while
 * `validAfter <= now + tolerance` and `now - tolerance < validUntil`.
 * Returns whether it is still fresh (`now < freshUntil`, no tolerance): a
 * client should fetch a newer list once it is not.
 *
 * @throws {VerifyError} `not_yet_valid` or `expired`;
 * {@linkcode DecodeError} `out_of_range` for a negative or fractional time.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const h = { network: 3, epoch: 1n, validAfter: 1000n, freshUntil: 2000n, validUntil: 5000n, prevHash: new Uint8Array(32), swarmSeed: 0n };
 * assert.equal(checkFreshness(h, 1500), true);
 * assert.equal(checkFreshness(h, 2500), false);
 * assert.throws(() => checkFreshness(h, 900), { code: "not_yet_valid" });
 * assert.equal(checkFreshness(h, 900, 100), true);
 * assert.throws(() => checkFreshness(h, 5000), { code: "expired" });
 * ```
 */
export function checkFreshness(
  header: NodeListHeader,
  nowSeconds: number | bigint,
  toleranceSeconds: number | bigint = 0,
): boolean {
  const now = toSeconds(nowSeconds, "the current time");
  const tolerance = toSeconds(toleranceSeconds, "the clock tolerance");
  if (now + tolerance < header.validAfter) {
    throw new VerifyError(
      "not_yet_valid",
      `node list ${header.epoch} is valid from ${header.validAfter}, it is now ${now} (tolerance ${tolerance} s): check the clock`,
    );
  }
  if (now - tolerance >= header.validUntil) {
    throw new VerifyError(
      "expired",
      `node list ${header.epoch} expired at ${header.validUntil}, it is now ${now} (tolerance ${tolerance} s)`,
    );
  }
  return now < header.freshUntil;
}

// ---------------------------------------------------------------------------
// JSON view

/**
 * JSON view of a record. `x25519` is derived from `pubkey`; it is `null` when
 * the pubkey is not a valid Ed25519 point (clients must skip such a node;
 * an honest registry never lists one, since registration proves the key).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const j: NodeRecordJson = {
 *   pubkey: "01".repeat(32), x25519: null, swarmId: "0", ipv4: "10.0.0.1",
 *   httpsPort: 22021, quicPort: 22020, version: [2, 11, 0], state: "active", unlockRequested: false,
 * };
 * assert.equal(j.swarmId, "0");
 * ```
 */
export interface NodeRecordJson {
  /** Ed25519 key, 64 hex digits. */
  pubkey: string;
  /** X25519 key derived from `pubkey`, 64 hex digits, or null (see above). */
  x25519: string | null;
  /** Swarm id as a decimal string ("18446744073709551615" when unassigned). */
  swarmId: string;
  /** Dotted quad. */
  ipv4: string;
  /** HTTPS port, 0..65535. */
  httpsPort: number;
  /** QUIC port, 0..65535. */
  quicPort: number;
  /** Three integers 0..255. */
  version: [number, number, number];
  /** `"active"` or `"decommissioned"`. */
  state: NodeState;
  /** Unlock requested. */
  unlockRequested: boolean;
}

/**
 * JSON view of a list: hex for bytes, decimal strings for u64 values, the
 * derived body hash. Parsing it back gives the identical binary.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const list = buildSignedList(
 *   { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n },
 *   [], [new Uint8Array(32).fill(1)],
 * );
 * const j: NodeListJson = nodeListToJson(list);
 * assert.equal(j.network, "devnet");
 * ```
 */
export interface NodeListJson {
  /** Always 1. */
  version: 1;
  /** Network name. */
  network: NodeListNetworkName;
  /** Decimal u64. */
  epoch: string;
  /** Decimal u64, unix seconds. */
  validAfter: string;
  /** Decimal u64, unix seconds. */
  freshUntil: string;
  /** Decimal u64, unix seconds. */
  validUntil: string;
  /** 64 hex digits. */
  prevHash: string;
  /** Decimal u64. */
  swarmSeed: string;
  /** SHA-256 of the binary body, 64 hex digits (derived; checked on parse). */
  bodyHash: string;
  /** Records in binary order. */
  nodes: NodeRecordJson[];
  /** Signatures in binary order. */
  signatures: { keyId: string; signature: string }[];
}

function x25519Hex(pubkey: Uint8Array): string | null {
  return isValidPublicKey(pubkey) ? toHex(x25519FromEd25519(pubkey)) : null;
}

/**
 * The JSON view of a list (plain, `JSON.stringify`-able). The list is
 * encoded first, so an invalid list throws rather than giving bad JSON.
 *
 * @throws {DecodeError} for any field that breaks the format.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const list = buildSignedList(
 *   { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n },
 *   [], [new Uint8Array(32).fill(1)],
 * );
 * const json = JSON.parse(JSON.stringify(nodeListToJson(list)));
 * assert.deepEqual(encodeNodeList(nodeListFromJson(json, 3)), encodeNodeList(list));
 * ```
 */
export function nodeListToJson(list: NodeList): NodeListJson {
  const h = list.header;
  const body = encodeListBody(h, list.records);
  encodeNodeList(list);
  return {
    version: LIST_FORMAT_VERSION,
    network: networkName(h.network),
    epoch: h.epoch.toString(),
    validAfter: h.validAfter.toString(),
    freshUntil: h.freshUntil.toString(),
    validUntil: h.validUntil.toString(),
    prevHash: toHex(h.prevHash),
    swarmSeed: h.swarmSeed.toString(),
    bodyHash: toHex(listBodyHash(body)),
    nodes: list.records.map((r) => ({
      pubkey: toHex(r.pubkey),
      x25519: x25519Hex(r.pubkey),
      swarmId: r.swarmId.toString(),
      ipv4: r.ipv4,
      httpsPort: r.httpsPort,
      quicPort: r.quicPort,
      version: [r.version[0], r.version[1], r.version[2]],
      state: r.state,
      unlockRequested: r.unlockRequested,
    })),
    signatures: list.signatures.map((s) => ({
      keyId: toHex(s.keyId),
      signature: toHex(s.signature),
    })),
  };
}

function badJson(message: string): DecodeError {
  return new DecodeError("bad_json", `node list JSON: ${message}`);
}

function jsonObject(
  v: unknown,
  keys: readonly string[],
  what: string,
): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw badJson(`${what} must be an object`);
  }
  const o = v as Record<string, unknown>;
  for (const k of keys) {
    if (!Object.hasOwn(o, k)) throw badJson(`${what} is missing "${k}"`);
  }
  for (const k of Object.keys(o)) {
    if (!keys.includes(k)) throw badJson(`${what} has unknown field "${k}"`);
  }
  return o;
}

function jsonString(v: unknown, what: string): string {
  if (typeof v !== "string") throw badJson(`${what} must be a string`);
  return v;
}

function jsonU64(v: unknown, what: string): bigint {
  const s = jsonString(v, what);
  if (!/^(0|[1-9][0-9]*)$/.test(s)) {
    throw badJson(
      `${what} must be a decimal string without sign or leading zeros`,
    );
  }
  const n = BigInt(s);
  if (n > U64_MAX) {
    throw new DecodeError("out_of_range", `${what} ${s} is above 2^64-1`);
  }
  return n;
}

function jsonUint(v: unknown, max: number, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw badJson(`${what} must be an integer`);
  }
  if (v < 0 || v > max) {
    throw new DecodeError("out_of_range", `${what} ${v} is not in 0..${max}`);
  }
  return v;
}

function jsonHex(v: unknown, length: number, what: string): Uint8Array {
  return fromHex(jsonString(v, what), length);
}

function jsonArray(v: unknown, max: number, what: string): unknown[] {
  if (!Array.isArray(v)) throw badJson(`${what} must be an array`);
  if (v.length > max) {
    throw new DecodeError(
      "oversized",
      `${what} has ${v.length} entries, at most ${max} allowed`,
    );
  }
  return v;
}

const LIST_KEYS = [
  "version",
  "network",
  "epoch",
  "validAfter",
  "freshUntil",
  "validUntil",
  "prevHash",
  "swarmSeed",
  "bodyHash",
  "nodes",
  "signatures",
] as const;
const NODE_KEYS = [
  "pubkey",
  "x25519",
  "swarmId",
  "ipv4",
  "httpsPort",
  "quicPort",
  "version",
  "state",
  "unlockRequested",
] as const;

function recordFromJson(v: unknown, what: string): NodeRecord {
  const o = jsonObject(v, NODE_KEYS, what);
  const pubkey = jsonHex(o.pubkey, 32, `${what}.pubkey`);
  const x = o.x25519 === null ? null : jsonHex(o.x25519, 32, `${what}.x25519`);
  const expectedX = x25519Hex(pubkey);
  if ((x === null ? null : toHex(x)) !== expectedX) {
    throw badJson(
      `${what}.x25519 must be ${
        expectedX === null
          ? "null (the pubkey is not a valid Ed25519 point)"
          : expectedX
      }`,
    );
  }
  const ipv4 = jsonString(o.ipv4, `${what}.ipv4`);
  parseIpv4(ipv4);
  const version = jsonArray(o.version, 3, `${what}.version`);
  if (version.length !== 3) {
    throw badJson(`${what}.version must have 3 numbers`);
  }
  if (o.state !== "active" && o.state !== "decommissioned") {
    throw badJson(`${what}.state must be "active" or "decommissioned"`);
  }
  if (typeof o.unlockRequested !== "boolean") {
    throw badJson(`${what}.unlockRequested must be a boolean`);
  }
  return {
    pubkey,
    swarmId: jsonU64(o.swarmId, `${what}.swarmId`),
    ipv4,
    httpsPort: jsonUint(o.httpsPort, 0xffff, `${what}.httpsPort`),
    quicPort: jsonUint(o.quicPort, 0xffff, `${what}.quicPort`),
    version: [
      jsonUint(version[0], 0xff, `${what}.version[0]`),
      jsonUint(version[1], 0xff, `${what}.version[1]`),
      jsonUint(version[2], 0xff, `${what}.version[2]`),
    ],
    state: o.state,
    unlockRequested: o.unlockRequested,
  };
}

/**
 * Parse the JSON view strictly: every field present with the right type, no
 * unknown fields, hex of the exact length, u64 decimal strings in range, the
 * derived `x25519` and `bodyHash` matching, and every binary rule (sorting,
 * flags, times). The result encodes to the identical binary.
 *
 * @throws {DecodeError} `bad_json`, `bad_hex`, `bad_length`, `out_of_range`,
 * `wrong_network`, `not_sorted`, `oversized`, `unsupported_version`;
 * {@linkcode VerifyError} `hash_mismatch` when `bodyHash` is not the body's.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const list = buildSignedList(
 *   { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n },
 *   [], [new Uint8Array(32).fill(1)],
 * );
 * const json = nodeListToJson(list);
 * assert.deepEqual(nodeListFromJson(json, 3), list);
 * assert.throws(() => nodeListFromJson({ ...json, epoch: 1 }, 3), { code: "bad_json" });
 * assert.throws(() => nodeListFromJson(json, 1), { code: "wrong_network" });
 * ```
 */
export function nodeListFromJson(
  json: unknown,
  expectedNetwork: number,
): NodeList {
  const o = jsonObject(json, LIST_KEYS, "the list");
  if (o.version !== LIST_FORMAT_VERSION) {
    if (typeof o.version !== "number") throw badJson("version must be 1");
    throw new DecodeError(
      "unsupported_version",
      `node list JSON has version ${o.version}, only 1 is supported`,
    );
  }
  const name = jsonString(o.network, "network");
  const network = [...NETWORK_NAMES].find(([, n]) => n === name)?.[0];
  if (network === undefined) {
    throw badJson(`network must be "mainnet", "testnet" or "devnet"`);
  }
  checkNetwork(network, expectedNetwork, "node list JSON");
  const header: NodeListHeader = {
    network,
    epoch: jsonU64(o.epoch, "epoch"),
    validAfter: jsonU64(o.validAfter, "validAfter"),
    freshUntil: jsonU64(o.freshUntil, "freshUntil"),
    validUntil: jsonU64(o.validUntil, "validUntil"),
    prevHash: jsonHex(o.prevHash, 32, "prevHash"),
    swarmSeed: jsonU64(o.swarmSeed, "swarmSeed"),
  };
  const bodyHash = jsonHex(o.bodyHash, 32, "bodyHash");
  const records = jsonArray(o.nodes, MAX_RECORDS, "nodes").map((n, i) =>
    recordFromJson(n, `nodes[${i}]`)
  );
  const signatures = jsonArray(o.signatures, MAX_SIGNATURES, "signatures")
    .map((s, i) => {
      const so = jsonObject(s, ["keyId", "signature"], `signatures[${i}]`);
      return {
        keyId: jsonHex(so.keyId, KEY_ID_LENGTH, `signatures[${i}].keyId`),
        signature: jsonHex(
          so.signature,
          SIGNATURE_LENGTH,
          `signatures[${i}].signature`,
        ),
      };
    });
  const list: NodeList = { header, records, signatures };
  encodeNodeList(list); // every binary rule: sorting, flags, times, counts
  const actual = nodeListBodyHash(list);
  if (!bytesEqual(actual, bodyHash)) {
    throw new VerifyError(
      "hash_mismatch",
      `node list JSON says bodyHash ${toHex(bodyHash)}, its body hashes to ${
        toHex(actual)
      }`,
    );
  }
  return list;
}

// ---------------------------------------------------------------------------
// Diffs

/**
 * A decoded diff from list `fromEpoch` (body hash `fromHash`) to the list
 * with body hash `toHash`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const h = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n };
 * const a = buildSignedList(h, [], [new Uint8Array(32).fill(1)]);
 * const b = buildSignedList({ ...h, epoch: 2n, prevHash: nodeListBodyHash(a) }, [], [new Uint8Array(32).fill(1)]);
 * const d: NodeListDiff = decodeNodeListDiff(diffNodeLists(a, b), 3);
 * assert.equal(d.fromEpoch, 1n);
 * ```
 */
export interface NodeListDiff {
  /** Network id. */
  network: number;
  /** Epoch of the base list. */
  fromEpoch: bigint;
  /** Body hash of the base list. */
  fromHash: Uint8Array;
  /** Body hash of the target list. */
  toHash: Uint8Array;
  /** Header of the target list. */
  toHeader: NodeListHeader;
  /** Record count of the target list (carried in its header). */
  toRecordCount: number;
  /** Public keys of base records absent from the target, ascending. */
  removed: Uint8Array[];
  /** Target records that are new or differ from the base, ascending. */
  upserts: NodeRecord[];
  /** The target list's signatures. */
  signatures: ListSignature[];
}

/**
 * Encode a diff. Sections are checked like a list's (sorted, counts,
 * fields); the target epoch must be above `fromEpoch`.
 *
 * @throws {DecodeError} for any field that breaks the format.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const h = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n };
 * const a = buildSignedList(h, [], [new Uint8Array(32).fill(1)]);
 * const b = buildSignedList({ ...h, epoch: 2n, prevHash: nodeListBodyHash(a) }, [], [new Uint8Array(32).fill(1)]);
 * const bytes = diffNodeLists(a, b);
 * assert.deepEqual(encodeNodeListDiff(decodeNodeListDiff(bytes, 3)), bytes);
 * ```
 */
export function encodeNodeListDiff(diff: NodeListDiff): Uint8Array {
  checkNetwork(diff.network, undefined, "node list diff");
  if (diff.toHeader.network !== diff.network) {
    throw new DecodeError(
      "wrong_network",
      "a diff's target header must be for the diff's network",
    );
  }
  checkDiffEpochs(diff.fromEpoch, diff.toHeader.epoch);
  checkRecordCount(diff.removed.length, "node list diff removals");
  let prev: Uint8Array | undefined;
  const removed = join(
    diff.removed.map((key) => {
      const entry = new ByteWriter().bytes(key, PUBLIC_KEY_LENGTH).finish();
      checkAscending(prev, key, "node list diff removals");
      prev = key;
      return entry;
    }),
    PUBLIC_KEY_LENGTH,
  );
  return concat(
    new ByteWriter().bytes(DIFF_MAGIC_BYTES).u8(LIST_FORMAT_VERSION)
      .u8(diff.network).u64(diff.fromEpoch).bytes(diff.fromHash, 32)
      .bytes(diff.toHash, 32).finish(),
    encodeHeader(diff.toHeader, diff.toRecordCount),
    new ByteWriter().u32(diff.removed.length).finish(),
    removed,
    new ByteWriter().u32(diff.upserts.length).finish(),
    encodeRecords(diff.upserts, "node list diff upserts"),
    encodeSignatures(diff.signatures),
  );
}

function checkDiffEpochs(fromEpoch: bigint, toEpoch: bigint): void {
  if (toEpoch <= fromEpoch) {
    throw new DecodeError(
      "out_of_range",
      `a diff goes forward: target epoch ${toEpoch} must be above base epoch ${fromEpoch}`,
    );
  }
}

/**
 * Decode a diff, checking its structure (not whether it applies: see
 * {@linkcode applyNodeListDiff}).
 *
 * @throws {DecodeError} `truncated`, `trailing_bytes`, `oversized`,
 * `bad_magic`, `unsupported_version`, `wrong_network`, `out_of_range`,
 * `not_sorted`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.throws(() => decodeNodeListDiff(new TextEncoder().encode("SNL1"), 3), { code: "bad_magic" });
 * assert.throws(() => decodeNodeListDiff(new TextEncoder().encode("SND1"), 3), { code: "truncated" });
 * ```
 */
export function decodeNodeListDiff(
  bytes: Uint8Array,
  expectedNetwork: number,
): NodeListDiff {
  checkInputLength(bytes, MAX_DIFF_LENGTH, "node list diff");
  const r = new ByteReader(bytes, "node list diff");
  if (!bytesEqual(r.bytes(4), DIFF_MAGIC_BYTES)) {
    throw new DecodeError(
      "bad_magic",
      `node list diff does not start with "SND1"`,
    );
  }
  const version = r.u8();
  if (version !== LIST_FORMAT_VERSION) {
    throw new DecodeError(
      "unsupported_version",
      `node list diff has format version ${version}, only ${LIST_FORMAT_VERSION} is supported`,
    );
  }
  const network = r.u8();
  checkNetwork(network, expectedNetwork, "node list diff");
  const fromEpoch = r.u64();
  const fromHash = r.bytes(32);
  const toHash = r.bytes(32);
  const { header, recordCount } = readHeader(
    r,
    network,
    "node list diff target header",
  );
  checkDiffEpochs(fromEpoch, header.epoch);
  const removedCount = r.u32();
  checkRecordCount(removedCount, "node list diff removals");
  checkFits(r, removedCount, PUBLIC_KEY_LENGTH, "node list diff removals");
  const removed: Uint8Array[] = [];
  for (let i = 0; i < removedCount; i++) {
    const key = r.bytes(PUBLIC_KEY_LENGTH);
    checkAscending(removed[i - 1], key, "node list diff removals");
    removed.push(key);
  }
  const upsertCount = r.u32();
  checkRecordCount(upsertCount, "node list diff upserts");
  const upserts = readRecords(r, upsertCount, "node list diff upserts");
  const signatures = readSignatures(r);
  r.end();
  return {
    network,
    fromEpoch,
    fromHash,
    toHash,
    toHeader: header,
    toRecordCount: recordCount,
    removed,
    upserts,
    signatures,
  };
}

/** Same fields (the pubkeys are already known equal); both get encoded later. */
function sameRecord(a: NodeRecord, b: NodeRecord): boolean {
  return a.swarmId === b.swarmId && a.ipv4 === b.ipv4 &&
    a.httpsPort === b.httpsPort && a.quicPort === b.quicPort &&
    a.version[0] === b.version[0] && a.version[1] === b.version[1] &&
    a.version[2] === b.version[2] && a.state === b.state &&
    a.unlockRequested === b.unlockRequested;
}

/**
 * The diff turning list `from` into list `to` (same network, higher epoch):
 * keys removed, records new or changed, `to`'s header and signatures. It
 * need not be a direct successor: any N-k -> N works.
 *
 * @throws {DecodeError} `wrong_network`, `out_of_range` (epoch not
 * increasing), or any encoding error of either list.
 * @example Applying the diff rebuilds the target byte for byte
 * ```ts
 * import assert from "node:assert/strict";
 * const h = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n };
 * const node = { pubkey: new Uint8Array(32).fill(9), swarmId: 0n, ipv4: "10.0.0.1", httpsPort: 22021,
 *   quicPort: 22020, version: [2, 11, 0] as [number, number, number], state: "active" as const, unlockRequested: false };
 * const a = buildSignedList(h, [node], [new Uint8Array(32).fill(1)]);
 * const b = buildSignedList({ ...h, epoch: 2n, prevHash: nodeListBodyHash(a) }, [{ ...node, ipv4: "10.0.0.2" }], [new Uint8Array(32).fill(1)]);
 * assert.deepEqual(applyNodeListDiff(a, diffNodeLists(a, b), 3), encodeNodeList(b));
 * ```
 */
export function diffNodeLists(from: NodeList, to: NodeList): Uint8Array {
  if (from.header.network !== to.header.network) {
    throw new DecodeError(
      "wrong_network",
      `cannot diff a list of network ${from.header.network} against one of ${to.header.network}`,
    );
  }
  const removed: Uint8Array[] = [];
  const upserts: NodeRecord[] = [];
  const a = from.records;
  const b = to.records;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const ra = a[i];
    const rb = b[j];
    const c = ra === undefined
      ? 1
      : rb === undefined
      ? -1
      : compareBytes(ra.pubkey, rb.pubkey);
    if (c < 0) {
      removed.push(ra!.pubkey);
      i++;
    } else if (c > 0) {
      upserts.push(rb!);
      j++;
    } else {
      if (!sameRecord(ra!, rb!)) upserts.push(rb!);
      i++;
      j++;
    }
  }
  return encodeNodeListDiff({
    network: to.header.network,
    fromEpoch: from.header.epoch,
    fromHash: nodeListBodyHash(from),
    toHash: nodeListBodyHash(to),
    toHeader: to.header,
    toRecordCount: to.records.length,
    removed,
    upserts,
    signatures: to.signatures,
  });
}

/**
 * Apply a diff to its base list and return the encoded target list, byte
 * for byte. Checks that the base is the one the diff names (epoch and body
 * hash), that every removed key is in the base, that no key is both removed
 * and upserted, and that the rebuilt body hashes to the diff's `toHash`.
 * The target's signatures are carried over, not verified: verify the result
 * with {@linkcode verifyNodeList}.
 *
 * @throws {VerifyError} `hash_mismatch`; {@linkcode DecodeError} from
 * decoding either input, or `out_of_range` for a key both removed and upserted.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const h = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n };
 * const a = buildSignedList(h, [], [new Uint8Array(32).fill(1)]);
 * const b = buildSignedList({ ...h, epoch: 2n, prevHash: nodeListBodyHash(a) }, [], [new Uint8Array(32).fill(1)]);
 * const c = buildSignedList({ ...h, epoch: 3n, prevHash: nodeListBodyHash(b) }, [], [new Uint8Array(32).fill(1)]);
 * assert.deepEqual(applyNodeListDiff(encodeNodeList(a), diffNodeLists(a, c), 3), encodeNodeList(c));
 * assert.throws(() => applyNodeListDiff(b, diffNodeLists(a, c), 3), { code: "hash_mismatch" });
 * ```
 */
export function applyNodeListDiff(
  base: NodeList | Uint8Array,
  diff: Uint8Array,
  expectedNetwork: number,
): Uint8Array {
  const d = decodeNodeListDiff(diff, expectedNetwork);
  let baseList: Pick<NodeList, "header" | "records">;
  let baseHash: Uint8Array;
  if (base instanceof Uint8Array) {
    const decoded = decodeNodeList(base, expectedNetwork);
    baseList = decoded;
    baseHash = listBodyHash(
      base.subarray(0, HEADER_LENGTH + decoded.records.length * RECORD_LENGTH),
    );
  } else {
    checkNetwork(base.header.network, expectedNetwork, "base node list");
    baseList = base;
    baseHash = nodeListBodyHash(base);
  }
  if (
    d.fromEpoch !== baseList.header.epoch || !bytesEqual(d.fromHash, baseHash)
  ) {
    throw new VerifyError(
      "hash_mismatch",
      `diff applies to list ${d.fromEpoch} with hash ${
        toHex(d.fromHash)
      }, not to list ${baseList.header.epoch} with hash ${toHex(baseHash)}`,
    );
  }

  const out: NodeRecord[] = [];
  const a = baseList.records;
  const u = d.upserts;
  const rm = d.removed;
  let i = 0;
  let j = 0;
  let k = 0;
  const missing = (key: Uint8Array) =>
    new VerifyError(
      "hash_mismatch",
      `diff removes node ${
        toHex(key)
      }, which list ${d.fromEpoch} does not hold`,
    );
  while (i < a.length || j < u.length) {
    const ra = a[i];
    const ru = u[j];
    const c = ra === undefined
      ? 1
      : ru === undefined
      ? -1
      : compareBytes(ra.pubkey, ru.pubkey);
    if (ra !== undefined && c <= 0) {
      // Removed keys below this base key are not in the base.
      if (k < rm.length && compareBytes(rm[k]!, ra.pubkey) < 0) {
        throw missing(rm[k]!);
      }
      const isRemoved = k < rm.length && bytesEqual(rm[k]!, ra.pubkey);
      if (isRemoved) k++;
      if (c === 0) {
        if (isRemoved) {
          throw new DecodeError(
            "out_of_range",
            `diff both removes and upserts node ${toHex(ra.pubkey)}`,
          );
        }
        out.push(ru!);
        j++;
      } else if (!isRemoved) {
        out.push(ra);
      }
      i++;
    } else {
      out.push(ru!);
      j++;
    }
  }
  if (k < rm.length) throw missing(rm[k]!);
  if (out.length !== d.toRecordCount) {
    throw new VerifyError(
      "hash_mismatch",
      `diff rebuilds ${out.length} records, its target header says ${d.toRecordCount}`,
    );
  }
  const body = encodeListBody(d.toHeader, out);
  const hash = listBodyHash(body);
  if (!bytesEqual(hash, d.toHash)) {
    throw new VerifyError(
      "hash_mismatch",
      `diff rebuilds a list hashing to ${toHex(hash)}, expected ${
        toHex(d.toHash)
      }`,
    );
  }
  return concat(body, encodeSignatures(d.signatures));
}
