/**
 * The binary codec of node lists: field checks shared by every encoder and
 * decoder, the header, record and signature sections (which diffs reuse), and
 * the public encoders and decoders of a list body and a whole list.
 *
 * The section helpers are exported for the sibling modules only; the public
 * API is what `../nodelist.ts` re-exports.
 *
 * @module
 */

import {
  ByteReader,
  bytesEqual,
  ByteWriter,
  compareBytes,
  concat,
  formatIpv4,
  parseIpv4,
  toHex,
} from "../bytes.ts";
import { DecodeError } from "../errors.ts";
import { PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH } from "../keys.ts";
import { NETWORK_IDS, type NetworkName } from "../params.ts";
import { UNASSIGNED_SWARM_ID } from "../swarm.ts";
import {
  KEY_ID_LENGTH,
  LIST_FORMAT_VERSION,
  LIST_MAGIC,
  type ListSignature,
  MAX_LIST_LENGTH,
  MAX_RECORDS,
  MAX_SIGNATURES,
  type NodeList,
  type NodeListHeader,
  type NodeListNetworkName,
  type NodeRecord,
  type NodeState,
  RECORD_FLAGS,
  RECORD_LENGTH,
  SIGNATURE_ENTRY_LENGTH,
} from "./format.ts";

const LIST_MAGIC_BYTES = new TextEncoder().encode(LIST_MAGIC);
const ALL_FLAGS = RECORD_FLAGS.active | RECORD_FLAGS.decommissioned |
  RECORD_FLAGS.unlockRequested;

/** Network ids and their JSON names (see `params.ts`). */
export const NETWORK_NAMES: ReadonlyMap<number, NodeListNetworkName> = new Map(
  Object.entries(NETWORK_IDS).map(([name, id]) => [id, name as NetworkName]),
);

// ---------------------------------------------------------------------------
// Field validation shared by encoders and decoders

export function networkName(id: number): NodeListNetworkName {
  const name = NETWORK_NAMES.get(id);
  if (name === undefined) {
    throw new DecodeError(
      "wrong_network",
      `unknown network id ${id} (mainnet 1, testnet 2, devnet 3)`,
    );
  }
  return name;
}

export function checkNetwork(
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

export function checkRecordCount(count: number, what: string): void {
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

export function encodeHeader(
  h: NodeListHeader,
  recordCount: number,
): Uint8Array {
  checkNetwork(h.network, undefined, "node list");
  checkTimes(h);
  checkRecordCount(recordCount, "node list");
  return new ByteWriter().bytes(LIST_MAGIC_BYTES).u8(LIST_FORMAT_VERSION)
    .u8(h.network).u64(h.epoch).u64(h.validAfter).u64(h.freshUntil)
    .u64(h.validUntil).bytes(h.prevHash, 32).u64(h.swarmSeed).u32(recordCount)
    .finish();
}

export function readHeader(
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

export function checkAscending(
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
export function checkFits(
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
export function join(entries: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(entries.length * size);
  entries.forEach((e, i) => out.set(e, i * size));
  return out;
}

export function encodeRecords(
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

export function readRecords(
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

export function encodeSignatures(sigs: readonly ListSignature[]): Uint8Array {
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

export function checkSignatureCount(count: number): void {
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

export function readSignatures(r: ByteReader): ListSignature[] {
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

export function checkInputLength(
  bytes: Uint8Array,
  max: number,
  what: string,
): void {
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
// List body

/**
 * Encode a list body: header then records. Records must already be strictly
 * ascending by public key; every field is checked.
 *
 * @throws {DecodeError} `not_sorted`, `out_of_range`, `bad_length`,
 * `oversized`, `wrong_network`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HEADER_LENGTH, RECORD_LENGTH } from "./format.ts";
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
 * import { HEADER_LENGTH, SIGNATURE_ENTRY_LENGTH } from "./format.ts";
 * import { buildSignedList } from "./signing.ts";
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
 * import { buildSignedList } from "./signing.ts";
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

/**
 * A list's three sections, as views into its bytes: the header, the
 * records (`recordCount` x {@linkcode RECORD_LENGTH} bytes, in key order)
 * and what follows them (the signatures). For code that stores or caches
 * lists without decoding every record; only the header is checked (the
 * sections are not: decode the list before trusting it).
 *
 * @example The sections laid end to end are the list
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildEncodedList } from "./signing.ts";
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n };
 * const { bytes } = buildEncodedList(header, [], [new Uint8Array(32).fill(2)]);
 * const s: NodeListSections = splitNodeList(bytes, 3);
 * assert.equal(s.headerBytes.length + s.recordBytes.length + s.signatureBytes.length, bytes.length);
 * ```
 */
export interface NodeListSections {
  /** The decoded header. */
  header: NodeListHeader;
  /** Records in the list. */
  recordCount: number;
  /** The header's bytes. */
  headerBytes: Uint8Array;
  /** The records' bytes, `recordCount` x {@linkcode RECORD_LENGTH}. */
  recordBytes: Uint8Array;
  /** Everything after the records: the signatures section(s). */
  signatureBytes: Uint8Array;
}

/**
 * Split an encoded list (or a body, whose signature bytes are then empty)
 * into header, records and signatures, decoding only the header: a fixed
 * cost whatever the list's size. Without `expectedNetwork` any known
 * network is accepted.
 *
 * @throws {DecodeError} as the header of {@linkcode decodeNodeList};
 * `truncated` when the records do not fit.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { concat } from "../bytes.ts";
 * import { buildEncodedList } from "./signing.ts";
 * const header = { network: 3, epoch: 5n, validAfter: 0n, freshUntil: 60n, validUntil: 90n, prevHash: new Uint8Array(32), swarmSeed: 0n };
 * const { bytes } = buildEncodedList(header, [], [new Uint8Array(32).fill(1)]);
 * const s = splitNodeList(bytes, 3);
 * assert.equal(s.header.freshUntil, 60n);
 * assert.equal(s.recordCount, 0);
 * assert.deepEqual(concat(s.headerBytes, s.recordBytes, s.signatureBytes), bytes);
 * ```
 */
export function splitNodeList(
  bytes: Uint8Array,
  expectedNetwork?: number,
): NodeListSections {
  checkInputLength(bytes, MAX_LIST_LENGTH, "node list");
  const r = new ByteReader(bytes, "node list");
  const { header, recordCount } = readHeader(r, expectedNetwork, "node list");
  const headerEnd = r.offset;
  checkFits(r, recordCount, RECORD_LENGTH, "node list records");
  const recordsEnd = headerEnd + recordCount * RECORD_LENGTH;
  return {
    header,
    recordCount,
    headerBytes: bytes.subarray(0, headerEnd),
    recordBytes: bytes.subarray(headerEnd, recordsEnd),
    signatureBytes: bytes.subarray(recordsEnd),
  };
}
