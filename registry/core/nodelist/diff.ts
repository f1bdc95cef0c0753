/**
 * Node-list diffs: the records removed and upserted between two lists of a
 * network, applied back to rebuild the target list byte for byte.
 *
 * @module
 */

import {
  ByteReader,
  bytesEqual,
  ByteWriter,
  compareBytes,
  concat,
  toHex,
} from "../bytes.ts";
import { DecodeError, VerifyError } from "../errors.ts";
import { PUBLIC_KEY_LENGTH } from "../keys.ts";
import { sha256 } from "@noble/hashes/sha2.js";
import {
  checkAscending,
  checkFits,
  checkInputLength,
  checkNetwork,
  checkRecordCount,
  checkRecordsHash,
  decodeNodeList,
  encodeCosignatures,
  encodeHeader,
  encodeListBody,
  encodeRecords,
  encodeSignatures,
  join,
  readCosignatures,
  readHeader,
  readRecords,
  readSignatures,
} from "./codec.ts";
import {
  type Cosignature,
  DIFF_MAGIC,
  HEADER_LENGTH,
  LIST_FORMAT_V2,
  LIST_FORMAT_VERSION,
  type ListSignature,
  MAX_DIFF_LENGTH,
  type NodeList,
  type NodeListHeader,
  type NodeRecord,
  RECORD_LENGTH,
} from "./format.ts";
import { listBodyHash, listIdOfBody, nodeListBodyHash } from "./signing.ts";

const DIFF_MAGIC_BYTES = new TextEncoder().encode(DIFF_MAGIC);

// ---------------------------------------------------------------------------
// Diffs

/**
 * A decoded diff from list `fromEpoch` (body hash `fromHash`) to the list
 * with body hash `toHash`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildSignedList, nodeListBodyHash } from "./signing.ts";
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
  /** v2 target: the hash of its records (from its header). */
  toRecordsHash?: Uint8Array;
  /** v2 target: its co-signatures. */
  cosignatures?: Cosignature[];
}

/**
 * Encode a diff. Sections are checked like a list's (sorted, counts,
 * fields); the target epoch must be above `fromEpoch`.
 *
 * @throws {DecodeError} for any field that breaks the format.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildSignedList, nodeListBodyHash } from "./signing.ts";
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
  const v2 = diff.toHeader.commitments !== undefined;
  return concat(
    new ByteWriter().bytes(DIFF_MAGIC_BYTES)
      .u8(v2 ? LIST_FORMAT_V2 : LIST_FORMAT_VERSION)
      .u8(diff.network).u64(diff.fromEpoch).bytes(diff.fromHash, 32)
      .bytes(diff.toHash, 32).finish(),
    encodeHeader(diff.toHeader, diff.toRecordCount, diff.toRecordsHash),
    new ByteWriter().u32(diff.removed.length).finish(),
    removed,
    new ByteWriter().u32(diff.upserts.length).finish(),
    encodeRecords(diff.upserts, "node list diff upserts"),
    encodeSignatures(diff.signatures),
    v2 ? encodeCosignatures(diff.cosignatures ?? []) : new Uint8Array(),
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
  if (version !== LIST_FORMAT_VERSION && version !== LIST_FORMAT_V2) {
    throw new DecodeError(
      "unsupported_version",
      `node list diff has format version ${version}, only 1 and 2 are supported`,
    );
  }
  const network = r.u8();
  checkNetwork(network, expectedNetwork, "node list diff");
  const fromEpoch = r.u64();
  const fromHash = r.bytes(32);
  const toHash = r.bytes(32);
  const target = readHeader(r, network, "node list diff target header");
  const { header, recordCount } = target;
  if (target.version !== version) {
    throw new DecodeError(
      "unsupported_version",
      `a version ${version} diff carries a version ${target.version} target header`,
    );
  }
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
  const cosignatures = version === LIST_FORMAT_V2
    ? readCosignatures(r)
    : undefined;
  r.end();
  const diff: NodeListDiff = {
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
  if (target.recordsHash !== undefined) {
    diff.toRecordsHash = target.recordsHash;
  }
  if (cosignatures !== undefined) diff.cosignatures = cosignatures;
  return diff;
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
 * import { encodeNodeList } from "./codec.ts";
 * import { buildSignedList, nodeListBodyHash } from "./signing.ts";
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
  const diff: NodeListDiff = {
    network: to.header.network,
    fromEpoch: from.header.epoch,
    fromHash: nodeListBodyHash(from),
    toHash: nodeListBodyHash(to),
    toHeader: to.header,
    toRecordCount: to.records.length,
    removed,
    upserts,
    signatures: to.signatures,
  };
  if (to.header.commitments !== undefined) {
    diff.toRecordsHash = sha256(encodeRecords(to.records, "node list records"));
    diff.cosignatures = to.cosignatures ?? [];
  }
  return encodeNodeListDiff(diff);
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
 * import { encodeNodeList } from "./codec.ts";
 * import { buildSignedList, nodeListBodyHash } from "./signing.ts";
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
    baseHash = decoded.header.commitments === undefined
      ? listBodyHash(
        base.subarray(
          0,
          HEADER_LENGTH + decoded.records.length * RECORD_LENGTH,
        ),
      )
      : listIdOfBody(base);
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
  if (d.toRecordsHash !== undefined) {
    checkRecordsHash(
      body.subarray(body.length - out.length * RECORD_LENGTH),
      d.toRecordsHash,
      "the list rebuilt from a diff",
    );
  }
  const hash = listIdOfBody(body);
  if (!bytesEqual(hash, d.toHash)) {
    throw new VerifyError(
      "hash_mismatch",
      `diff rebuilds a list hashing to ${toHex(hash)}, expected ${
        toHex(d.toHash)
      }`,
    );
  }
  return concat(
    body,
    encodeSignatures(d.signatures),
    d.cosignatures === undefined
      ? new Uint8Array()
      : encodeCosignatures(d.cosignatures),
  );
}
