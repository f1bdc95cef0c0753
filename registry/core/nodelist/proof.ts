/**
 * Signed checkpoints and equivocation proofs.
 *
 * A **signed checkpoint** is a v2 list without its records: the header, then
 * the registry signatures section, then the co-signatures section (a few
 * hundred bytes). Witnesses serve their latest one, and clients compare.
 *
 * An **equivocation proof** is two checkpoints for the same network and
 * epoch with different checkpoint hashes, each validly signed by one key:
 * the registry's (a registry signature) or one witness's (a co-signature).
 * An honest signer never produces one, so anyone holding the public key can
 * check it offline and knows the key's holder showed two histories.
 *
 * @module
 */

import { sha256 } from "@noble/hashes/sha2.js";
import {
  ByteReader,
  bytesEqual,
  compareBytes,
  concat,
  fromHex,
  toHex,
} from "../bytes.ts";
import { DecodeError, VerifyError } from "../errors.ts";
import { isValidPublicKey, SIGNATURE_LENGTH, verify } from "../keys.ts";
import {
  checkInputLength,
  encodeCosignatures,
  encodeSignatures,
  NETWORK_NAMES,
  networkName,
  readCosignatures,
  readHeader,
  readSignatures,
} from "./codec.ts";
import {
  cosignatureMessage,
  decodeCheckpoint,
  splitNodeList,
  verifyCosignature,
} from "./checkpoint.ts";
import {
  type Cosignature,
  COSIGNATURE_ENTRY_LENGTH,
  HEADER_V2_BASE_LENGTH,
  type ListSignature,
  MAX_COSIGNATURES,
  MAX_EXTENSIONS_LENGTH,
  MAX_SIGNATURES,
  type NodeListHeader,
  SIGNATURE_ENTRY_LENGTH,
} from "./format.ts";
import { keyIdOf, listSigningMessage } from "./signing.ts";

// ---------------------------------------------------------------------------
// Signed checkpoints

/** Longest signed checkpoint. */
const MAX_SIGNED_CHECKPOINT_LENGTH = HEADER_V2_BASE_LENGTH +
  MAX_EXTENSIONS_LENGTH + 1 + MAX_SIGNATURES * SIGNATURE_ENTRY_LENGTH + 1 +
  MAX_COSIGNATURES * COSIGNATURE_ENTRY_LENGTH;

/**
 * A decoded signed checkpoint.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildEncodedList } from "./signing.ts";
 * const commitments = { inputsHash: new Uint8Array(32), stateHash: new Uint8Array(32), extensions: [] };
 * const header = { network: 3, epoch: 4n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n, commitments };
 * const { bytes } = buildEncodedList(header, [], [new Uint8Array(32).fill(1)]);
 * const c: SignedCheckpoint = decodeSignedCheckpoint(signedCheckpointOf(bytes, 3), 3);
 * assert.equal(c.header.epoch, 4n);
 * ```
 */
export interface SignedCheckpoint {
  /** The header's bytes. */
  checkpoint: Uint8Array;
  /** The decoded header. */
  header: NodeListHeader;
  /** The checkpoint hash. */
  id: Uint8Array;
  /** Registry signatures. */
  signatures: ListSignature[];
  /** Witness co-signatures. */
  cosignatures: Cosignature[];
}

/**
 * The signed checkpoint of an encoded v2 list: its header and its two
 * signature sections, without the records.
 *
 * @throws {DecodeError} as {@linkcode splitNodeList}; `unsupported_version`
 * for a v1 list.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildEncodedList } from "./signing.ts";
 * const commitments = { inputsHash: new Uint8Array(32), stateHash: new Uint8Array(32), extensions: [] };
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n, commitments };
 * const { bytes } = buildEncodedList(header, [], [new Uint8Array(32).fill(1)]);
 * assert.equal(signedCheckpointOf(bytes, 3).length, 180 + 1 + 72 + 1);
 * ```
 */
export function signedCheckpointOf(
  bytes: Uint8Array,
  expectedNetwork: number,
): Uint8Array {
  const s = splitNodeList(bytes, expectedNetwork);
  if (s.version !== 2) {
    throw new DecodeError(
      "unsupported_version",
      "only format v2 lists have a checkpoint",
    );
  }
  return concat(
    bytes.subarray(0, s.headerEnd),
    bytes.subarray(s.bodyEnd),
  );
}

/**
 * Decode a signed checkpoint: a v2 header, a registry signatures section (1
 * to 16) and a co-signatures section (0 to 32), exactly.
 *
 * @throws {DecodeError} for any malformed part, `trailing_bytes`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.throws(() => decodeSignedCheckpoint(new TextEncoder().encode("SNL1"), 3), { code: "truncated" });
 * ```
 */
export function decodeSignedCheckpoint(
  bytes: Uint8Array,
  expectedNetwork: number,
): SignedCheckpoint {
  checkInputLength(bytes, MAX_SIGNED_CHECKPOINT_LENGTH, "signed checkpoint");
  const r = new ByteReader(bytes, "signed checkpoint");
  const { header, version } = readHeader(r, expectedNetwork, "checkpoint");
  if (version !== 2) {
    throw new DecodeError(
      "unsupported_version",
      "a checkpoint is a format v2 header",
    );
  }
  const end = r.offset;
  const signatures = readSignatures(r);
  const cosignatures = readCosignatures(r);
  r.end();
  const checkpoint = bytes.slice(0, end);
  return {
    checkpoint,
    header,
    id: sha256(checkpoint),
    signatures,
    cosignatures,
  };
}

/**
 * Encode a signed checkpoint from its parts.
 *
 * @throws {DecodeError} for a malformed header or signature section.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildEncodedList } from "./signing.ts";
 * const commitments = { inputsHash: new Uint8Array(32), stateHash: new Uint8Array(32), extensions: [] };
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n, commitments };
 * const { bytes } = buildEncodedList(header, [], [new Uint8Array(32).fill(1)]);
 * const c = decodeSignedCheckpoint(signedCheckpointOf(bytes, 3), 3);
 * assert.deepEqual(encodeSignedCheckpoint(c), signedCheckpointOf(bytes, 3));
 * ```
 */
export function encodeSignedCheckpoint(
  c: Pick<SignedCheckpoint, "checkpoint" | "signatures" | "cosignatures">,
): Uint8Array {
  decodeCheckpoint(c.checkpoint, c.checkpoint[5] ?? 0);
  return concat(
    c.checkpoint,
    encodeSignatures(c.signatures),
    encodeCosignatures(c.cosignatures),
  );
}

// ---------------------------------------------------------------------------
// Equivocation proofs

/** The `type` line of an equivocation proof's JSON form. */
const PROOF_TYPE = "snode-registry/equivocation-proof/v1";

/**
 * One side of an equivocation proof: a checkpoint and the signer's signature
 * over it (a registry signature, or a co-signature with its time).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const side: ProofSide = { checkpoint: new Uint8Array(180), signature: new Uint8Array(64) };
 * assert.equal(side.time, undefined);
 * ```
 */
export interface ProofSide {
  /** The checkpoint (v2 header) bytes. */
  checkpoint: Uint8Array;
  /** The signer's Ed25519 signature, 64 bytes. */
  signature: Uint8Array;
  /** For a witness: the co-signature's time. */
  time?: bigint;
}

/**
 * Two checkpoints for one network and epoch, with different hashes, both
 * signed by `signer` in the given role. Sides are ordered by checkpoint hash,
 * so the same conflict always gives the same proof.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const role: EquivocationProof["role"] = "witness";
 * assert.equal(role, "witness");
 * ```
 */
export interface EquivocationProof {
  /** Network id. */
  network: number;
  /** The epoch both checkpoints claim. */
  epoch: bigint;
  /** Whose signatures: the registry's list signatures or a witness's co-signatures. */
  role: "registry" | "witness";
  /** The signer's public key. */
  signer: Uint8Array;
  /** The two sides, ascending by checkpoint hash. */
  sides: [ProofSide, ProofSide];
}

/**
 * What a valid proof shows, from {@linkcode verifyEquivocationProof}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const v: Pick<VerifiedEquivocation, "role"> = { role: "registry" };
 * assert.equal(v.role, "registry");
 * ```
 */
export interface VerifiedEquivocation {
  /** Network id. */
  network: number;
  /** The epoch. */
  epoch: bigint;
  /** The signer's role. */
  role: "registry" | "witness";
  /** The signer's public key. */
  signer: Uint8Array;
  /** The two checkpoint hashes, ascending. */
  checkpointHashes: [Uint8Array, Uint8Array];
}

function sideValid(
  role: "registry" | "witness",
  signer: Uint8Array,
  id: Uint8Array,
  side: ProofSide,
): boolean {
  if (side.signature.length !== SIGNATURE_LENGTH) return false;
  if (role === "registry") {
    return side.time === undefined &&
      verify(signer, listSigningMessage(id, 2), side.signature);
  }
  return side.time !== undefined &&
    verify(signer, cosignatureMessage(id, side.time), side.signature);
}

/**
 * Check an equivocation proof offline: both checkpoints decode as v2
 * headers of the same network and epoch, their hashes differ, and the
 * signer's signature verifies over each.
 *
 * @throws {DecodeError} for a malformed checkpoint; {@linkcode VerifyError}
 * `not_equivocation` (different networks or epochs, or one checkpoint twice),
 * `bad_public_key`, `bad_signature`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { publicKeyOf } from "../keys.ts";
 * import { buildEncodedList } from "./signing.ts";
 * const sk = new Uint8Array(32).fill(1);
 * const commitments = { inputsHash: new Uint8Array(32), stateHash: new Uint8Array(32), extensions: [] };
 * const header = { network: 3, epoch: 9n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n, commitments };
 * const a = signedCheckpointOf(buildEncodedList(header, [], [sk]).bytes, 3);
 * const b = signedCheckpointOf(buildEncodedList({ ...header, validUntil: 1n }, [], [sk]).bytes, 3);
 * const proof = findEquivocation(a, b, 3, { registryKeys: [publicKeyOf(sk)] })!;
 * assert.equal(verifyEquivocationProof(proof).epoch, 9n);
 * ```
 */
export function verifyEquivocationProof(
  proof: EquivocationProof,
): VerifiedEquivocation {
  if (!isValidPublicKey(proof.signer)) {
    throw new VerifyError(
      "bad_public_key",
      "the proof's signer is not a valid Ed25519 public key",
    );
  }
  const [x, y] = proof.sides;
  const a = decodeCheckpoint(x.checkpoint, proof.network);
  const b = decodeCheckpoint(y.checkpoint, proof.network);
  if (a.header.epoch !== proof.epoch || b.header.epoch !== proof.epoch) {
    throw new VerifyError(
      "not_equivocation",
      `the checkpoints are for epochs ${a.header.epoch} and ${b.header.epoch}, the proof says ${proof.epoch}: no conflict`,
    );
  }
  if (compareBytes(a.id, b.id) >= 0) {
    throw new VerifyError(
      "not_equivocation",
      bytesEqual(a.id, b.id)
        ? "both sides are the same checkpoint: no conflict"
        : "the sides must be in ascending order of checkpoint hash",
    );
  }
  for (const [side, id] of [[x, a.id], [y, b.id]] as const) {
    if (!sideValid(proof.role, proof.signer, id, side)) {
      throw new VerifyError(
        "bad_signature",
        `the ${proof.role} key ${toHex(proof.signer)} did not sign checkpoint ${
          toHex(id)
        }`,
      );
    }
  }
  return {
    network: proof.network,
    epoch: proof.epoch,
    role: proof.role,
    signer: proof.signer,
    checkpointHashes: [a.id, b.id],
  };
}

/**
 * Look for an equivocation between two signed checkpoints (or whole v2
 * lists): the same network and epoch, different checkpoint hashes, and a
 * registry key (from `registryKeys`) or a witness key (from `witnessKeys`)
 * that validly signed both. Returns the proof, or undefined when they do
 * not conflict or no listed key signed both.
 *
 * @throws {DecodeError} for malformed input.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { publicKeyOf } from "../keys.ts";
 * import { buildEncodedList } from "./signing.ts";
 * const sk = new Uint8Array(32).fill(1);
 * const commitments = { inputsHash: new Uint8Array(32), stateHash: new Uint8Array(32), extensions: [] };
 * const header = { network: 3, epoch: 9n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n, commitments };
 * const a = buildEncodedList(header, [], [sk]).bytes;
 * assert.equal(findEquivocation(a, a, 3, { registryKeys: [publicKeyOf(sk)] }), undefined);
 * ```
 */
export function findEquivocation(
  first: Uint8Array,
  second: Uint8Array,
  network: number,
  keys: {
    registryKeys?: readonly Uint8Array[];
    witnessKeys?: readonly Uint8Array[];
  },
): EquivocationProof | undefined {
  const a = asSignedCheckpoint(first, network);
  const b = asSignedCheckpoint(second, network);
  if (a.header.epoch !== b.header.epoch || bytesEqual(a.id, b.id)) {
    return undefined;
  }
  const [lo, hi] = compareBytes(a.id, b.id) < 0 ? [a, b] : [b, a];
  for (const key of keys.registryKeys ?? []) {
    const id = keyIdOf(key);
    const message = (c: SignedCheckpoint) => listSigningMessage(c.id, 2);
    const sig = (c: SignedCheckpoint) =>
      c.signatures.find((s) =>
        bytesEqual(s.keyId, id) && verify(key, message(c), s.signature)
      );
    const sl = sig(lo), sh = sig(hi);
    if (sl && sh) {
      return {
        network,
        epoch: a.header.epoch,
        role: "registry",
        signer: key,
        sides: [
          { checkpoint: lo.checkpoint, signature: sl.signature },
          { checkpoint: hi.checkpoint, signature: sh.signature },
        ],
      };
    }
  }
  for (const key of keys.witnessKeys ?? []) {
    const cos = (c: SignedCheckpoint) =>
      c.cosignatures.find((x) => verifyCosignature(key, c.id, x));
    const cl = cos(lo), ch = cos(hi);
    if (cl && ch) {
      return {
        network,
        epoch: a.header.epoch,
        role: "witness",
        signer: key,
        sides: [
          { checkpoint: lo.checkpoint, signature: cl.signature, time: cl.time },
          { checkpoint: hi.checkpoint, signature: ch.signature, time: ch.time },
        ],
      };
    }
  }
  return undefined;
}

function asSignedCheckpoint(
  bytes: Uint8Array,
  network: number,
): SignedCheckpoint {
  try {
    return decodeSignedCheckpoint(bytes, network);
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    // A whole list: its records sit between the header and the signatures.
    return decodeSignedCheckpoint(signedCheckpointOf(bytes, network), network);
  }
}

/**
 * The JSON form of an equivocation proof (what `snode list check-proof`
 * reads): hex bytes, decimal strings for u64 values, the checkpoint hashes
 * spelled out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { publicKeyOf } from "../keys.ts";
 * import { buildEncodedList } from "./signing.ts";
 * const sk = new Uint8Array(32).fill(1);
 * const commitments = { inputsHash: new Uint8Array(32), stateHash: new Uint8Array(32), extensions: [] };
 * const header = { network: 3, epoch: 9n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n, commitments };
 * const a = buildEncodedList(header, [], [sk]).bytes;
 * const b = buildEncodedList({ ...header, validUntil: 5n }, [], [sk]).bytes;
 * const proof = findEquivocation(a, b, 3, { registryKeys: [publicKeyOf(sk)] })!;
 * const json = JSON.parse(JSON.stringify(equivocationProofToJson(proof)));
 * assert.deepEqual(equivocationProofFromJson(json), proof);
 * ```
 */
export function equivocationProofToJson(
  proof: EquivocationProof,
): EquivocationProofJson {
  return {
    type: PROOF_TYPE,
    network: networkName(proof.network),
    epoch: proof.epoch.toString(),
    role: proof.role,
    signer: toHex(proof.signer),
    checkpoints: proof.sides.map((s) => ({
      checkpointHash: toHex(sha256(s.checkpoint)),
      checkpoint: toHex(s.checkpoint),
      signature: toHex(s.signature),
      ...(s.time === undefined ? {} : { time: s.time.toString() }),
    })) as EquivocationProofJson["checkpoints"],
  };
}

/**
 * The JSON form of an {@linkcode EquivocationProof}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const j: Pick<EquivocationProofJson, "type"> = { type: "snode-registry/equivocation-proof/v1" };
 * assert(j.type.endsWith("/v1"));
 * ```
 */
export interface EquivocationProofJson {
  /** Always `"snode-registry/equivocation-proof/v1"`. */
  type: string;
  /** Network name. */
  network: string;
  /** Decimal u64. */
  epoch: string;
  /** `"registry"` or `"witness"`. */
  role: "registry" | "witness";
  /** The signer's public key, hex. */
  signer: string;
  /** The two sides. */
  checkpoints: [ProofSideJson, ProofSideJson];
}

/**
 * One side of {@linkcode EquivocationProofJson}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const s: Pick<ProofSideJson, "time"> = {};
 * assert.equal(s.time, undefined);
 * ```
 */
export interface ProofSideJson {
  /** SHA-256 of the checkpoint, hex (derived; checked on parse). */
  checkpointHash: string;
  /** The checkpoint bytes, hex. */
  checkpoint: string;
  /** The signature, hex. */
  signature: string;
  /** Witness only: the co-signature's time, decimal. */
  time?: string;
}

function badJson(message: string): DecodeError {
  return new DecodeError("bad_json", `equivocation proof JSON: ${message}`);
}

function exactObject(
  v: unknown,
  required: readonly string[],
  optional: readonly string[],
  what: string,
): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw badJson(`${what} must be an object`);
  }
  const o = v as Record<string, unknown>;
  for (const k of required) {
    if (!Object.hasOwn(o, k)) throw badJson(`${what} is missing "${k}"`);
  }
  for (const k of Object.keys(o)) {
    if (!required.includes(k) && !optional.includes(k)) {
      throw badJson(`${what} has unknown field "${k}"`);
    }
  }
  return o;
}

function str(v: unknown, what: string): string {
  if (typeof v !== "string") throw badJson(`${what} must be a string`);
  return v;
}

function u64(v: unknown, what: string): bigint {
  const s = str(v, what);
  if (!/^(0|[1-9][0-9]{0,19})$/.test(s) || BigInt(s) >= 1n << 64n) {
    throw badJson(`${what} must be a decimal u64 without leading zeros`);
  }
  return BigInt(s);
}

/**
 * Parse the JSON form strictly (no unknown fields, the derived checkpoint
 * hashes must match). Verify the result with
 * {@linkcode verifyEquivocationProof}.
 *
 * @throws {DecodeError} `bad_json`, `bad_hex`, `bad_length`,
 * `wrong_network`, `unsupported_version`; {@linkcode VerifyError}
 * `hash_mismatch`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.throws(() => equivocationProofFromJson({ type: "x" }), { code: "bad_json" });
 * ```
 */
export function equivocationProofFromJson(json: unknown): EquivocationProof {
  const o = exactObject(
    json,
    ["type", "network", "epoch", "role", "signer", "checkpoints"],
    [],
    "the proof",
  );
  if (o.type !== PROOF_TYPE) {
    if (typeof o.type === "string" && o.type.startsWith("snode-registry/")) {
      throw new DecodeError(
        "unsupported_version",
        `not a proof this reader knows: ${o.type}`,
      );
    }
    throw badJson(`type must be "${PROOF_TYPE}"`);
  }
  const name = str(o.network, "network");
  const network = [...NETWORK_NAMES].find(([, n]) => n === name)?.[0];
  if (network === undefined) {
    throw badJson(`network must be "mainnet", "testnet" or "devnet"`);
  }
  if (o.role !== "registry" && o.role !== "witness") {
    throw badJson(`role must be "registry" or "witness"`);
  }
  const role = o.role;
  if (!Array.isArray(o.checkpoints) || o.checkpoints.length !== 2) {
    throw badJson("checkpoints must be an array of two");
  }
  const sides = o.checkpoints.map((c, i): ProofSide => {
    const w = `checkpoints[${i}]`;
    const s = exactObject(
      c,
      ["checkpointHash", "checkpoint", "signature"],
      ["time"],
      w,
    );
    const checkpoint = fromHex(str(s.checkpoint, `${w}.checkpoint`));
    const hash = fromHex(str(s.checkpointHash, `${w}.checkpointHash`), 32);
    if (!bytesEqual(hash, sha256(checkpoint))) {
      throw new VerifyError(
        "hash_mismatch",
        `${w}.checkpointHash is not the SHA-256 of its checkpoint`,
      );
    }
    const signature = fromHex(str(s.signature, `${w}.signature`), 64);
    if ((s.time !== undefined) !== (role === "witness")) {
      throw badJson(
        `${w}.time is present exactly for a witness's co-signature`,
      );
    }
    return s.time === undefined
      ? { checkpoint, signature }
      : { checkpoint, signature, time: u64(s.time, `${w}.time`) };
  }) as [ProofSide, ProofSide];
  return {
    network,
    epoch: u64(o.epoch, "epoch"),
    role,
    signer: fromHex(str(o.signer, "signer"), 32),
    sides,
  };
}
