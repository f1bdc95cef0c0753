/**
 * A list's identity and signatures: the body hash, the exact bytes a registry
 * key signs, key ids, and building signed (and encoded) lists.
 *
 * @module
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { compareBytes, concat } from "../bytes.ts";
import { DecodeError } from "../errors.ts";
import { PUBLIC_KEY_LENGTH, publicKeyOf, sign } from "../keys.ts";
import {
  checkSignatureCount,
  decodeListBody,
  encodeListBody,
  encodeNodeList,
  encodeSignatures,
} from "./codec.ts";
import {
  KEY_ID_LENGTH,
  LIST_SIGNATURE_DOMAIN,
  type ListSignature,
  type NodeList,
  type NodeListHeader,
  type NodeRecord,
} from "./format.ts";

const DOMAIN_BYTES = new TextEncoder().encode(LIST_SIGNATURE_DOMAIN);

/**
 * The list's identity: SHA-256 of its encoded body.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toHex } from "../bytes.ts";
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
 * import { encodeListBody } from "./codec.ts";
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
 * import { KEY_ID_LENGTH } from "./format.ts";
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
 * import { encodeListBody } from "./codec.ts";
 * import { publicKeyOf, verify } from "../keys.ts";
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
 * import { compareBytes } from "../bytes.ts";
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
 * import { decodeNodeList } from "./codec.ts";
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
 * import { encodeNodeList } from "./codec.ts";
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
