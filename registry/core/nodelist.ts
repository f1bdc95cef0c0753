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
 * `README.md` ("Signed node list v1"); every length is exported for other
 * implementations.
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
 * | `nodelist/records.ts` | record sections compared and merged as bytes (storage)       |
 *
 * @module
 */

export {
  DIFF_MAGIC,
  DIFF_PREFIX_LENGTH,
  HEADER_LENGTH,
  KEY_ID_LENGTH,
  LIST_FORMAT_VERSION,
  LIST_MAGIC,
  LIST_SIGNATURE_DOMAIN,
  MAX_DIFF_LENGTH,
  MAX_LIST_LENGTH,
  MAX_RECORDS,
  MAX_SIGNATURES,
  RECORD_FLAGS,
  RECORD_LENGTH,
  SIGNATURE_ENTRY_LENGTH,
} from "./nodelist/format.ts";
export type {
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
  splitNodeList,
} from "./nodelist/codec.ts";
export type { NodeListSections } from "./nodelist/codec.ts";
export {
  buildEncodedList,
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
export type { NodeListJson, NodeRecordJson } from "./nodelist/json.ts";
export {
  applyNodeListDiff,
  decodeNodeListDiff,
  diffNodeLists,
  encodeNodeListDiff,
} from "./nodelist/diff.ts";
export type { NodeListDiff } from "./nodelist/diff.ts";
export { applyRecordDelta, diffRecordSections } from "./nodelist/records.ts";
export type { RecordDelta } from "./nodelist/records.ts";
