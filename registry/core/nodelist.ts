/**
 * The signed node list, formats v1 and v2: the registry's answer to "which service
 * nodes exist, where do they listen and which swarm is each in", published
 * once per epoch, signed by k of n registry keys (like Tor's consensus,
 * network.md §8) and hash-chained to the previous list.
 *
 * A list is `body || signatures`. The body is a fixed 82-byte header and
 * 52-byte records sorted by public key; the first 51 bytes of a record are
 * libsession's `active_nodes_bin` record (network.md §4), the 52nd is a flags
 * byte. In v1 the body's SHA-256 is the list's identity; in v2 the header
 * also commits to the records' hash, the epoch's published inputs and the
 * state after the epoch, and its own SHA-256 (the checkpoint hash) is the
 * identity. Signatures cover the identity (with a domain tag), the next
 * list's `prevHash` chains to it, and a diff names the two lists it connects
 * by it; v2 lists also carry witness co-signatures. The byte layout is
 * specified in `README.md` ("Signed node list v1", "Signed node list v2");
 * every length is exported for other implementations.
 *
 * All u64 fields (epoch, times, swarm ids, seed) are `bigint`, so every value
 * the format can carry round-trips exactly; the JSON view writes them as
 * decimal strings for the same reason.
 *
 * The code lives in `nodelist/`, one module per concern; this file is the
 * stable entry point and re-exports exactly the public API:
 *
 * | module                | what                                                         |
 * | --------------------- | ------------------------------------------------------------ |
 * | `nodelist/format.ts`  | layout constants and the types of a decoded list             |
 * | `nodelist/codec.ts`   | binary encoding and decoding of a list body and a whole list |
 * | `nodelist/signing.ts` | body hash, signing message, key ids, building signed lists   |
 * | `nodelist/verify.ts`  | k-of-n signature check, hash chain, validity window          |
 * | `nodelist/json.ts`    | the JSON view and its strict parser                          |
 * | `nodelist/diff.ts`    | diffs between two lists, and applying them                   |
 * | `nodelist/checkpoint.ts` | v2: sections, checkpoints, co-signatures, key rotations   |
 * | `nodelist/proof.ts`   | v2: signed checkpoints and equivocation proofs               |
 * | `nodelist/records.ts` | record sections compared and merged as bytes (storage)       |
 *
 * @module
 */

export {
  COSIGNATURE_DOMAIN,
  COSIGNATURE_ENTRY_LENGTH,
  DIFF_MAGIC,
  DIFF_PREFIX_LENGTH,
  EXTENSION_TYPES,
  HEADER_LENGTH,
  HEADER_V2_BASE_LENGTH,
  KEY_ID_LENGTH,
  KEY_ROTATION_DOMAIN,
  LIST_FORMAT_V2,
  LIST_FORMAT_VERSION,
  LIST_MAGIC,
  LIST_SIGNATURE_DOMAIN,
  LIST_SIGNATURE_DOMAIN_V2,
  MAX_COSIGNATURES,
  MAX_DIFF_LENGTH,
  MAX_EXTENSIONS_LENGTH,
  MAX_LIST_LENGTH,
  MAX_RECORDS,
  MAX_SIGNATURES,
  RECORD_FLAGS,
  RECORD_LENGTH,
  SIGNATURE_ENTRY_LENGTH,
} from "./nodelist/format.ts";
export type {
  Cosignature,
  KeyRotation,
  ListCommitments,
  ListExtension,
  ListSignature,
  NodeList,
  NodeListHeader,
  NodeListNetworkName,
  NodeRecord,
  NodeState,
} from "./nodelist/format.ts";
export {
  decodeListBody,
  decodeNodeList,
  encodeListBody,
  encodeNodeList,
} from "./nodelist/codec.ts";
export {
  buildEncodedList,
  buildEncodedListWith,
  buildSignedList,
  keyIdOf,
  listBodyHash,
  listSigningMessage,
  nodeListBodyHash,
  signListBody,
} from "./nodelist/signing.ts";
export type { EncodedNodeList } from "./nodelist/signing.ts";
export {
  checkFreshness,
  majorityThreshold,
  verifyChain,
  verifyNodeList,
} from "./nodelist/verify.ts";
export type {
  VerifiedNodeList,
  VerifyNodeListOptions,
} from "./nodelist/verify.ts";
export { nodeListFromJson, nodeListToJson } from "./nodelist/json.ts";
export type {
  ListExtensionJson,
  NodeListJson,
  NodeRecordJson,
} from "./nodelist/json.ts";
export {
  applyNodeListDiff,
  decodeNodeListDiff,
  diffNodeLists,
  encodeNodeListDiff,
} from "./nodelist/diff.ts";
export type { NodeListDiff } from "./nodelist/diff.ts";
export {
  buildKeyRotation,
  cosignatureMessage,
  decodeCheckpoint,
  followKeyRotation,
  keyRotationMessage,
  keyRotationOf,
  listIdOf,
  signCosignature,
  splitNodeList,
  verifyCosignature,
  verifyCosignatures,
  verifyKeyRotation,
  withCosignature,
  withoutCosignatures,
} from "./nodelist/checkpoint.ts";
export type {
  Checkpoint,
  NodeListSections,
  VerifiedCosignatures,
} from "./nodelist/checkpoint.ts";
export {
  decodeSignedCheckpoint,
  encodeSignedCheckpoint,
  equivocationProofFromJson,
  equivocationProofToJson,
  findEquivocation,
  signedCheckpointOf,
  verifyEquivocationProof,
} from "./nodelist/proof.ts";
export type {
  EquivocationProof,
  EquivocationProofJson,
  ProofSide,
  ProofSideJson,
  SignedCheckpoint,
  VerifiedEquivocation,
} from "./nodelist/proof.ts";
export { applyRecordDelta, diffRecordSections } from "./nodelist/records.ts";
export type { RecordDelta } from "./nodelist/records.ts";
