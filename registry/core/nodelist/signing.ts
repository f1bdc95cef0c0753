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
  HEADER_V2_BASE_LENGTH,
  KEY_ID_LENGTH,
  LIST_FORMAT_V2,
  LIST_SIGNATURE_DOMAIN,
  LIST_SIGNATURE_DOMAIN_V2,
  type ListSignature,
  type NodeList,
  type NodeListHeader,
  type NodeRecord,
} from "./format.ts";

const DOMAIN_BYTES = new TextEncoder().encode(LIST_SIGNATURE_DOMAIN);
const DOMAIN_V2_BYTES = new TextEncoder().encode(LIST_SIGNATURE_DOMAIN_V2);

/**
 * Identity of an encoded body (or of a whole list: only its start is read).
 * v1: SHA-256 of the body; v2: SHA-256 of the header (the checkpoint hash).
 * The bytes must already be known to be well formed.
 */
export function listIdOfBody(body: Uint8Array): Uint8Array {
  if (body[4] !== LIST_FORMAT_V2) return sha256(body);
  const extensions = ((body[HEADER_V2_BASE_LENGTH - 2] ?? 0) << 8) |
    (body[HEADER_V2_BASE_LENGTH - 1] ?? 0);
  return sha256(body.subarray(0, HEADER_V2_BASE_LENGTH + extensions));
}

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
 * The identity of a decoded list (it encodes the body first): for v1 the
 * SHA-256 of its body, for v2 its checkpoint hash, the SHA-256 of its header
 * (which commits to the records through `recordsHash`). It is what the
 * registry signs, what the next list's `prevHash` names and what diffs name;
 * the name is from v1.
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
  return listIdOfBody(encodeListBody(list.header, list.records));
}

/**
 * The exact bytes each registry signature covers:
 * `utf8("snode-registry/nodelist/v1\n") || bodyHash` for a v1 list,
 * `utf8("snode-registry/nodelist/v2\n") || checkpointHash` for a v2 list.
 *
 * @throws {DecodeError} `bad_length` unless the hash is 32 bytes.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(listSigningMessage(new Uint8Array(32)).length, 27 + 32);
 * assert.notDeepEqual(listSigningMessage(new Uint8Array(32), 2), listSigningMessage(new Uint8Array(32)));
 * ```
 */
export function listSigningMessage(
  bodyHash: Uint8Array,
  version: 1 | 2 = 1,
): Uint8Array {
  if (bodyHash.length !== 32) {
    throw new DecodeError("bad_length", "a body hash is 32 bytes");
  }
  return concat(version === 2 ? DOMAIN_V2_BYTES : DOMAIN_BYTES, bodyHash);
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
    signature: sign(
      secretKey,
      listSigningMessage(
        listIdOfBody(body),
        body[4] === LIST_FORMAT_V2 ? 2 : 1,
      ),
    ),
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
  const list: NodeList = header.commitments === undefined
    ? { header, records: sorted, signatures }
    : { header, records: sorted, signatures, cosignatures: [] };
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
  /** Its encoding: body, then signatures (v2: then an empty co-signatures section). */
  bytes: Uint8Array;
  /**
   * The list's identity (v1: SHA-256 of the body; v2: the checkpoint hash):
   * what the signatures cover and the next list chains to.
   */
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
  checkSignatureCount(secretKeys.length);
  return buildEncodedListWith(
    header,
    records,
    (message) =>
      secretKeys.map((sk): ListSignature => ({
        keyId: keyIdOf(publicKeyOf(sk)),
        signature: sign(sk, message),
      })),
  );
}

/**
 * {@linkcode buildEncodedList} with the signing done by `signer`, which gets
 * the exact bytes to sign ({@linkcode listSigningMessage} of the identity)
 * and returns the signatures (any order; they are sorted by key id). A
 * signer that holds its keys elsewhere (a hardware token, another process),
 * or a witness re-building a list it will compare, passes its own.
 *
 * @throws {DecodeError} as {@linkcode buildSignedList}.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { publicKeyOf, sign } from "../keys.ts";
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n };
 * const sk = new Uint8Array(32).fill(1);
 * const a = buildEncodedListWith(header, [], (m) => [{ keyId: keyIdOf(publicKeyOf(sk)), signature: sign(sk, m) }]);
 * assert.deepEqual(a.bytes, buildEncodedList(header, [], [sk]).bytes);
 * ```
 */
export function buildEncodedListWith(
  header: NodeListHeader,
  records: readonly NodeRecord[],
  signer: (message: Uint8Array) => ListSignature[],
): EncodedNodeList {
  const sorted = [...records].sort((a, b) => compareBytes(a.pubkey, b.pubkey));
  const body = encodeListBody(header, sorted);
  const v2 = header.commitments !== undefined;
  const bodyHash = listIdOfBody(body);
  const signatures = [...signer(listSigningMessage(bodyHash, v2 ? 2 : 1))]
    .sort((a, b) => compareBytes(a.keyId, b.keyId));
  // encodeSignatures refuses duplicate signing keys (not_sorted).
  const bytes = concat(
    body,
    encodeSignatures(signatures),
    v2 ? new Uint8Array([0]) : new Uint8Array(),
  );
  const list: NodeList = v2
    ? { header, records: sorted, signatures, cosignatures: [] }
    : { header, records: sorted, signatures };
  return { list, bytes, bodyHash };
}
