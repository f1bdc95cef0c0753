/**
 * Format v2's checkpoints and what rides on them: the sections of an encoded
 * list (found without decoding its records), the checkpoint hash, witness
 * co-signatures (making, checking, attaching) and key-rotation records.
 *
 * A v2 list's **checkpoint** is its header: it names the network and epoch,
 * chains to the previous list and commits to the records, the epoch's
 * inputs and the state after it. Its SHA-256, the checkpoint hash, is the
 * list's identity, so a checkpoint and its signatures (a few hundred bytes)
 * stand for the whole list.
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
  toHex,
} from "../bytes.ts";
import { DecodeError, VerifyError } from "../errors.ts";
import {
  isValidPublicKey,
  PUBLIC_KEY_LENGTH,
  publicKeyOf,
  sign,
  verify,
} from "../keys.ts";
import {
  checkFits,
  checkInputLength,
  checkNetwork,
  encodeCosignatures,
  readCosignatures,
  readHeader,
  readSignatures,
} from "./codec.ts";
import {
  type Cosignature,
  COSIGNATURE_DOMAIN,
  EXTENSION_TYPES,
  HEADER_V2_BASE_LENGTH,
  KEY_ROTATION_DOMAIN,
  type KeyRotation,
  type ListSignature,
  MAX_EXTENSIONS_LENGTH,
  MAX_LIST_LENGTH,
  type NodeList,
  type NodeListHeader,
  RECORD_LENGTH,
} from "./format.ts";
import { keyIdOf, listSigningMessage, nodeListBodyHash } from "./signing.ts";
import { majorityThreshold } from "./verify.ts";

const COSIGNATURE_DOMAIN_BYTES = new TextEncoder().encode(COSIGNATURE_DOMAIN);
const ROTATION_DOMAIN_BYTES = new TextEncoder().encode(KEY_ROTATION_DOMAIN);

// ---------------------------------------------------------------------------
// Sections

/**
 * Where the sections of an encoded list are, and what its header and
 * signature sections say, from {@linkcode splitNodeList}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildEncodedList } from "./signing.ts";
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n };
 * const { bytes } = buildEncodedList(header, [], [new Uint8Array(32).fill(1)]);
 * const s: NodeListSections = splitNodeList(bytes, 3);
 * assert.equal(s.version, 1);
 * assert.equal(s.end, bytes.length);
 * ```
 */
export interface NodeListSections {
  /** Format version, 1 or 2. */
  version: 1 | 2;
  /** The decoded header. */
  header: NodeListHeader;
  /** Records in the list. */
  recordCount: number;
  /** v2: the records' hash the header commits to. */
  recordsHash?: Uint8Array;
  /** The list's identity (v1 body hash, v2 checkpoint hash). */
  id: Uint8Array;
  /** End of the header (the checkpoint is `bytes[0, headerEnd)`). */
  headerEnd: number;
  /** End of the records (the body is `bytes[0, bodyEnd)`). */
  bodyEnd: number;
  /** End of the registry signatures section. */
  signaturesEnd: number;
  /** The registry signatures. */
  signatures: ListSignature[];
  /** The co-signatures (always empty for v1). */
  cosignatures: Cosignature[];
  /** Length of the list. */
  end: number;
  /** The header's bytes (`bytes[0, headerEnd)`). */
  headerBytes: Uint8Array;
  /** The records' bytes (`bytes[headerEnd, bodyEnd)`). */
  recordBytes: Uint8Array;
  /** Everything after the records: the signature sections. */
  signatureBytes: Uint8Array;
}

/**
 * Find the sections of an encoded list and decode its header and signature
 * sections, without decoding the records (nor checking them against
 * `recordsHash`): what a server that splices co-signatures into stored lists,
 * or stores lists as record deltas, needs. Without `expectedNetwork` any
 * known network is accepted. Decode the list ({@linkcode decodeNodeList}) to check everything.
 *
 * @throws {DecodeError} for a malformed header or signature section,
 * `truncated` when the records cannot fit, `trailing_bytes`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildEncodedList } from "./signing.ts";
 * import { HEADER_V2_BASE_LENGTH } from "./format.ts";
 * const commitments = { inputsHash: new Uint8Array(32), stateHash: new Uint8Array(32), extensions: [] };
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n, commitments };
 * const { bytes, bodyHash } = buildEncodedList(header, [], [new Uint8Array(32).fill(1)]);
 * const s = splitNodeList(bytes, 3);
 * assert.equal(s.headerEnd, HEADER_V2_BASE_LENGTH);
 * assert.equal(s.headerBytes.length + s.recordBytes.length + s.signatureBytes.length, bytes.length);
 * assert.deepEqual(s.id, bodyHash);
 * assert.equal(s.cosignatures.length, 0);
 * ```
 */
export function splitNodeList(
  bytes: Uint8Array,
  expectedNetwork?: number,
): NodeListSections {
  checkInputLength(bytes, MAX_LIST_LENGTH, "node list");
  const r = new ByteReader(bytes, "node list");
  const { header, recordCount, version, recordsHash } = readHeader(
    r,
    expectedNetwork,
    "node list",
  );
  const headerEnd = r.offset;
  checkFits(r, recordCount, RECORD_LENGTH, "node list records");
  const bodyEnd = headerEnd + recordCount * RECORD_LENGTH;
  r.bytes(recordCount * RECORD_LENGTH);
  const signatures = readSignatures(r);
  const signaturesEnd = r.offset;
  const cosignatures = version === 2 ? readCosignatures(r) : [];
  r.end();
  const id = version === 2
    ? sha256(bytes.subarray(0, headerEnd))
    : sha256(bytes.subarray(0, bodyEnd));
  return {
    version,
    header,
    recordCount,
    ...(recordsHash === undefined ? {} : { recordsHash }),
    id,
    headerEnd,
    bodyEnd,
    signaturesEnd,
    signatures,
    cosignatures,
    end: bytes.length,
    headerBytes: bytes.subarray(0, headerEnd),
    recordBytes: bytes.subarray(headerEnd, bodyEnd),
    signatureBytes: bytes.subarray(bodyEnd),
  };
}

/**
 * The identity of an encoded list (v1: its body hash, v2: its checkpoint
 * hash), reading only its header and signature sections.
 *
 * @throws {DecodeError} as {@linkcode splitNodeList}.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildEncodedList } from "./signing.ts";
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n };
 * const { bytes, bodyHash } = buildEncodedList(header, [], [new Uint8Array(32).fill(1)]);
 * assert.deepEqual(listIdOf(bytes, 3), bodyHash);
 * ```
 */
export function listIdOf(
  bytes: Uint8Array,
  expectedNetwork: number,
): Uint8Array {
  return splitNodeList(bytes, expectedNetwork).id;
}

/**
 * A v2 list's checkpoint decoded from the header bytes alone.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const c: Pick<Checkpoint, "recordCount"> = { recordCount: 0 };
 * assert.equal(c.recordCount, 0);
 * ```
 */
export interface Checkpoint {
  /** The header bytes. */
  bytes: Uint8Array;
  /** The decoded header (with its commitments). */
  header: NodeListHeader;
  /** Records in the list. */
  recordCount: number;
  /** SHA-256 of the records. */
  recordsHash: Uint8Array;
  /** The checkpoint hash: SHA-256 of `bytes`. */
  id: Uint8Array;
}

/**
 * Decode a v2 header on its own (a checkpoint: what equivocation proofs and
 * witnesses' checkpoints carry). Exactly the header's bytes are allowed.
 *
 * @throws {DecodeError} for a malformed header, a v1 header
 * (`unsupported_version`), `trailing_bytes`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildEncodedList } from "./signing.ts";
 * const commitments = { inputsHash: new Uint8Array(32), stateHash: new Uint8Array(32), extensions: [] };
 * const header = { network: 3, epoch: 7n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n, commitments };
 * const { bytes, bodyHash } = buildEncodedList(header, [], [new Uint8Array(32).fill(1)]);
 * const end = splitNodeList(bytes, 3).headerEnd;
 * const c = decodeCheckpoint(bytes.subarray(0, end), 3);
 * assert.equal(c.header.epoch, 7n);
 * assert.deepEqual(c.id, bodyHash);
 * ```
 */
export function decodeCheckpoint(
  bytes: Uint8Array,
  expectedNetwork: number,
): Checkpoint {
  checkInputLength(
    bytes,
    HEADER_V2_BASE_LENGTH + MAX_EXTENSIONS_LENGTH,
    "checkpoint",
  );
  const r = new ByteReader(bytes, "checkpoint");
  const { header, recordCount, version, recordsHash } = readHeader(
    r,
    expectedNetwork,
    "checkpoint",
  );
  if (version !== 2 || recordsHash === undefined) {
    throw new DecodeError(
      "unsupported_version",
      "a checkpoint is a format v2 header; v1 lists have none",
    );
  }
  r.end();
  return { bytes, header, recordCount, recordsHash, id: sha256(bytes) };
}

// ---------------------------------------------------------------------------
// Co-signatures

/**
 * The exact bytes a witness signs:
 * `utf8("snode-registry/cosignature/v1\n") || time u64 || checkpointHash`.
 *
 * @throws {DecodeError} `bad_length` unless the hash is 32 bytes;
 * `out_of_range` for a time outside u64.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(cosignatureMessage(new Uint8Array(32), 5n).length, 30 + 8 + 32);
 * ```
 */
export function cosignatureMessage(
  checkpointHash: Uint8Array,
  time: bigint,
): Uint8Array {
  if (checkpointHash.length !== 32) {
    throw new DecodeError("bad_length", "a checkpoint hash is 32 bytes");
  }
  return concat(
    COSIGNATURE_DOMAIN_BYTES,
    new ByteWriter().u64(time).finish(),
    checkpointHash,
  );
}

/**
 * Co-sign a checkpoint hash with a witness's secret key at `time` (unix
 * seconds, chosen by the caller: core reads no clock).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { publicKeyOf } from "../keys.ts";
 * const sk = new Uint8Array(32).fill(4);
 * const c = signCosignature(new Uint8Array(32).fill(1), 1700000000n, sk);
 * assert(verifyCosignature(publicKeyOf(sk), new Uint8Array(32).fill(1), c));
 * ```
 */
export function signCosignature(
  checkpointHash: Uint8Array,
  time: bigint,
  secretKey: Uint8Array,
): Cosignature {
  return {
    keyId: keyIdOf(publicKeyOf(secretKey)),
    time,
    signature: sign(secretKey, cosignatureMessage(checkpointHash, time)),
  };
}

/**
 * Whether `cosignature` is `publicKey`'s valid co-signature of the
 * checkpoint hash (its key id must name the key).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { publicKeyOf } from "../keys.ts";
 * const sk = new Uint8Array(32).fill(4);
 * const c = signCosignature(new Uint8Array(32), 1n, sk);
 * assert.equal(verifyCosignature(publicKeyOf(sk), new Uint8Array(32).fill(2), c), false);
 * ```
 */
export function verifyCosignature(
  publicKey: Uint8Array,
  checkpointHash: Uint8Array,
  cosignature: Cosignature,
): boolean {
  return bytesEqual(keyIdOf(publicKey), cosignature.keyId) &&
    verify(
      publicKey,
      cosignatureMessage(checkpointHash, cosignature.time),
      cosignature.signature,
    );
}

/**
 * What {@linkcode verifyCosignatures} established.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const v: VerifiedCosignatures = { checkpointHash: new Uint8Array(32), signers: [], threshold: 0 };
 * assert.equal(v.signers.length, 0);
 * ```
 */
export interface VerifiedCosignatures {
  /** The list's checkpoint hash. */
  checkpointHash: Uint8Array;
  /** Pinned witness keys with a valid co-signature, in the order given. */
  signers: Uint8Array[];
  /** Co-signatures that were needed. */
  threshold: number;
}

/**
 * Check that at least `threshold` distinct pinned witness keys validly
 * co-signed a v2 list (default: a strict majority of them). Co-signatures of
 * keys not pinned are ignored; an invalid one is not counted. A threshold of
 * 0 accepts any list (no witnesses required).
 *
 * @throws {VerifyError} `insufficient_cosignatures` (saying how many of how
 * many), `bad_public_key`; {@linkcode DecodeError} `unsupported_version` for
 * a v1 list (it has no checkpoint to co-sign), `out_of_range` for a
 * threshold outside 0..pinned keys.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { publicKeyOf } from "../keys.ts";
 * import { buildEncodedList } from "./signing.ts";
 * const commitments = { inputsHash: new Uint8Array(32), stateHash: new Uint8Array(32), extensions: [] };
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n, commitments };
 * const { bytes, bodyHash } = buildEncodedList(header, [], [new Uint8Array(32).fill(1)]);
 * const witnesses = [5, 6, 7].map((i) => new Uint8Array(32).fill(i));
 * let cosigned = bytes;
 * for (const w of witnesses.slice(0, 2)) cosigned = withCosignature(cosigned, 3, signCosignature(bodyHash, 10n, w));
 * const pinned = witnesses.map(publicKeyOf);
 * assert.equal(verifyCosignatures(cosigned, pinned, { expectedNetwork: 3 }).signers.length, 2);
 * assert.throws(() => verifyCosignatures(bytes, pinned, { expectedNetwork: 3 }), { code: "insufficient_cosignatures" });
 * ```
 */
export function verifyCosignatures(
  input: NodeList | Uint8Array,
  witnessKeys: readonly Uint8Array[],
  options: { threshold?: number; expectedNetwork?: number } = {},
): VerifiedCosignatures {
  let checkpointHash: Uint8Array;
  let cosignatures: readonly Cosignature[];
  let epoch: bigint;
  if (input instanceof Uint8Array) {
    if (options.expectedNetwork === undefined) {
      throw new DecodeError(
        "wrong_network",
        "verifying node list bytes needs the expected network",
      );
    }
    const s = splitNodeList(input, options.expectedNetwork);
    if (s.version !== 2) throw noCheckpoint();
    checkpointHash = s.id;
    cosignatures = s.cosignatures;
    epoch = s.header.epoch;
  } else {
    checkNetwork(input.header.network, options.expectedNetwork, "node list");
    if (input.header.commitments === undefined) throw noCheckpoint();
    checkpointHash = nodeListBodyHash(input);
    cosignatures = input.cosignatures ?? [];
    epoch = input.header.epoch;
  }
  const keys: Uint8Array[] = [];
  for (const k of witnessKeys) {
    if (!isValidPublicKey(k)) {
      throw new VerifyError(
        "bad_public_key",
        "a pinned witness key is not a valid Ed25519 public key",
      );
    }
    if (!keys.some((x) => bytesEqual(x, k))) keys.push(k);
  }
  const threshold = options.threshold ??
    (keys.length === 0 ? 0 : majorityThreshold(keys.length));
  if (
    !Number.isSafeInteger(threshold) || threshold < 0 ||
    threshold > keys.length
  ) {
    throw new DecodeError(
      "out_of_range",
      `the co-signature threshold must be between 0 and the ${keys.length} pinned witness keys, got ${threshold}`,
    );
  }
  const signers = keys.filter((k) =>
    cosignatures.some((c) => verifyCosignature(k, checkpointHash, c))
  );
  if (signers.length < threshold) {
    throw new VerifyError(
      "insufficient_cosignatures",
      `node list ${epoch} has valid co-signatures from ${signers.length} of ${keys.length} pinned witnesses, needs ${threshold}`,
    );
  }
  return { checkpointHash, signers, threshold };
}

function noCheckpoint(): DecodeError {
  return new DecodeError(
    "unsupported_version",
    "only format v2 lists carry co-signatures; this is a v1 list",
  );
}

/**
 * Attach a co-signature to an encoded v2 list: the co-signatures section is
 * rebuilt with it (replacing an entry with the same key id), everything else
 * is copied. The records are not decoded. The co-signature is not checked:
 * check it first ({@linkcode verifyCosignature}).
 *
 * @throws {DecodeError} as {@linkcode splitNodeList}; `unsupported_version`
 * for a v1 list; `oversized` past 32 co-signatures.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildEncodedList } from "./signing.ts";
 * const commitments = { inputsHash: new Uint8Array(32), stateHash: new Uint8Array(32), extensions: [] };
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n, commitments };
 * const { bytes, bodyHash } = buildEncodedList(header, [], [new Uint8Array(32).fill(1)]);
 * const once = withCosignature(bytes, 3, signCosignature(bodyHash, 1n, new Uint8Array(32).fill(5)));
 * const again = withCosignature(once, 3, signCosignature(bodyHash, 2n, new Uint8Array(32).fill(5)));
 * assert.equal(splitNodeList(again, 3).cosignatures.length, 1);
 * assert.equal(splitNodeList(again, 3).cosignatures[0]!.time, 2n);
 * ```
 */
export function withCosignature(
  bytes: Uint8Array,
  expectedNetwork: number,
  cosignature: Cosignature,
): Uint8Array {
  const s = splitNodeList(bytes, expectedNetwork);
  if (s.version !== 2) throw noCheckpoint();
  const others = s.cosignatures.filter((c) =>
    !bytesEqual(c.keyId, cosignature.keyId)
  );
  const all = [...others, cosignature].sort((a, b) =>
    compareBytes(a.keyId, b.keyId)
  );
  return concat(
    bytes.subarray(0, s.signaturesEnd),
    encodeCosignatures(all),
  );
}

/**
 * The same list with its co-signatures section emptied: what the registry
 * publishes at the tick, and what every co-signer of it agrees on byte for
 * byte.
 *
 * @throws {DecodeError} as {@linkcode splitNodeList}; `unsupported_version`
 * for a v1 list.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildEncodedList } from "./signing.ts";
 * const commitments = { inputsHash: new Uint8Array(32), stateHash: new Uint8Array(32), extensions: [] };
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n, commitments };
 * const { bytes, bodyHash } = buildEncodedList(header, [], [new Uint8Array(32).fill(1)]);
 * const cosigned = withCosignature(bytes, 3, signCosignature(bodyHash, 1n, new Uint8Array(32).fill(5)));
 * assert.deepEqual(withoutCosignatures(cosigned, 3), bytes);
 * ```
 */
export function withoutCosignatures(
  bytes: Uint8Array,
  expectedNetwork: number,
): Uint8Array {
  const s = splitNodeList(bytes, expectedNetwork);
  if (s.version !== 2) throw noCheckpoint();
  return concat(bytes.subarray(0, s.signaturesEnd), new Uint8Array([0]));
}

// ---------------------------------------------------------------------------
// Key rotation

/**
 * What the new key signs in a rotation record:
 * `utf8("snode-registry/key-rotation/v1\n") || network u8 || oldKey || newKey`.
 *
 * @throws {DecodeError} `bad_length` for keys that are not 32 bytes.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(keyRotationMessage(3, new Uint8Array(32), new Uint8Array(32)).length, 31 + 1 + 64);
 * ```
 */
export function keyRotationMessage(
  network: number,
  oldKey: Uint8Array,
  newKey: Uint8Array,
): Uint8Array {
  return concat(
    ROTATION_DOMAIN_BYTES,
    new ByteWriter().u8(network).bytes(oldKey, PUBLIC_KEY_LENGTH)
      .bytes(newKey, PUBLIC_KEY_LENGTH).finish(),
  );
}

/**
 * Make a rotation record from the key being replaced (public) to the holder
 * of `newSecretKey`, who signs it to prove possession. The old key's consent
 * is its signature on the list that carries the record.
 *
 * @throws {DecodeError} `bad_length`; {@linkcode VerifyError} `bad_rotation`
 * when the new key is the old one.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { publicKeyOf } from "../keys.ts";
 * const r = buildKeyRotation(3, publicKeyOf(new Uint8Array(32).fill(1)), new Uint8Array(32).fill(2));
 * assert.deepEqual(r.newKey, publicKeyOf(new Uint8Array(32).fill(2)));
 * ```
 */
export function buildKeyRotation(
  network: number,
  oldKey: Uint8Array,
  newSecretKey: Uint8Array,
): KeyRotation {
  const newKey = publicKeyOf(newSecretKey);
  if (bytesEqual(oldKey, newKey)) {
    throw new VerifyError("bad_rotation", "a key cannot rotate to itself");
  }
  return {
    oldKey,
    newKey,
    signature: sign(newSecretKey, keyRotationMessage(network, oldKey, newKey)),
  };
}

/**
 * Whether a rotation record is well formed for `network`: both keys valid
 * and distinct, and the new key's signature verifies.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { publicKeyOf } from "../keys.ts";
 * const r = buildKeyRotation(3, publicKeyOf(new Uint8Array(32).fill(1)), new Uint8Array(32).fill(2));
 * assert.equal(verifyKeyRotation(3, r), true);
 * assert.equal(verifyKeyRotation(1, r), false); // signed for devnet
 * ```
 */
export function verifyKeyRotation(
  network: number,
  rotation: KeyRotation,
): boolean {
  return isValidPublicKey(rotation.oldKey) &&
    isValidPublicKey(rotation.newKey) &&
    !bytesEqual(rotation.oldKey, rotation.newKey) &&
    verify(
      rotation.newKey,
      keyRotationMessage(network, rotation.oldKey, rotation.newKey),
      rotation.signature,
    );
}

/**
 * The key rotation a header announces, if any.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n };
 * assert.equal(keyRotationOf(header), undefined);
 * ```
 */
export function keyRotationOf(header: NodeListHeader): KeyRotation | undefined {
  for (const e of header.commitments?.extensions ?? []) {
    if (e.type === EXTENSION_TYPES.keyRotation && "rotation" in e) {
      return e.rotation;
    }
  }
  return undefined;
}

/**
 * The registry keys to trust for the list after `list`, following the key
 * rotation it announces (if any). Call it only with a list already verified
 * against `trustedKeys`: its signature is the old key's consent. The rotation
 * must replace a trusted key that validly signed this list, and carry the
 * new key's proof of possession; otherwise the list is refused, since a
 * rotation a trusted key did not sign must never be followed.
 *
 * @throws {VerifyError} `bad_rotation`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { publicKeyOf } from "../keys.ts";
 * import { buildSignedList } from "./signing.ts";
 * const oldSk = new Uint8Array(32).fill(1), newSk = new Uint8Array(32).fill(2);
 * const rotation = buildKeyRotation(3, publicKeyOf(oldSk), newSk);
 * const commitments = { inputsHash: new Uint8Array(32), stateHash: new Uint8Array(32), extensions: [{ type: 1 as const, rotation }] };
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n, commitments };
 * const list = buildSignedList(header, [], [oldSk]);
 * assert.deepEqual(followKeyRotation(list, [publicKeyOf(oldSk)]), [publicKeyOf(newSk)]);
 * const stranger = new Uint8Array(32).fill(9);
 * assert.throws(() => followKeyRotation(list, [publicKeyOf(stranger)]), { code: "bad_rotation" });
 * ```
 */
export function followKeyRotation(
  list: NodeList,
  trustedKeys: readonly Uint8Array[],
): Uint8Array[] {
  const rotation = keyRotationOf(list.header);
  if (rotation === undefined) return [...trustedKeys];
  const epoch = list.header.epoch;
  if (!verifyKeyRotation(list.header.network, rotation)) {
    throw new VerifyError(
      "bad_rotation",
      `node list ${epoch} announces a key rotation to ${
        toHex(rotation.newKey)
      } without a valid signature by the new key`,
    );
  }
  const index = trustedKeys.findIndex((k) => bytesEqual(k, rotation.oldKey));
  const oldId = keyIdOf(rotation.oldKey);
  const id = nodeListBodyHash(list);
  const message = listSigningMessage(
    id,
    list.header.commitments === undefined ? 1 : 2,
  );
  const signedByOld = list.signatures.some((s) =>
    bytesEqual(s.keyId, oldId) && verify(rotation.oldKey, message, s.signature)
  );
  if (index < 0 || !signedByOld) {
    throw new VerifyError(
      "bad_rotation",
      `node list ${epoch} announces that ${toHex(rotation.newKey)} replaces ${
        toHex(rotation.oldKey)
      }, which is not a trusted registry key that signed this list: a rotation must be signed by the key it replaces`,
    );
  }
  const next = [...trustedKeys];
  next.splice(index, 1);
  if (!next.some((k) => bytesEqual(k, rotation.newKey))) {
    next.splice(index, 0, rotation.newKey);
  }
  return next;
}
