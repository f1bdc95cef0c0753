/**
 * The reachability challenge a node answers to prove it holds its key at
 * the address it advertises (registry README, "Reachability tests").
 *
 * @module
 */

import { ByteWriter } from "./bytes.ts";
import { PUBLIC_KEY_LENGTH, verify } from "./keys.ts";

const REACHABILITY_TAG = "snode-registry/challenge/v1\n";

/**
 * The bytes a node signs to answer the registry's reachability challenge:
 * `"snode-registry/challenge/v1\n" || network u8 || node pubkey 32 || nonce 32`.
 * Binding the network and the node key stops a challenge answered by one
 * node (or on one network) being replayed for another.
 *
 * @throws {DecodeError} `bad_length` unless the key and nonce are 32 bytes.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { publicKeyOf, sign } from "./keys.ts";
 * const sk = new Uint8Array(32).fill(6);
 * const nonce = new Uint8Array(32).fill(1);
 * const pk = publicKeyOf(sk);
 * const sig = sign(sk, challengePreimage(3, pk, nonce));
 * assert(verifyChallenge(3, pk, nonce, sig));
 * assert.equal(verifyChallenge(1, pk, nonce, sig), false);
 * ```
 */
export function challengePreimage(
  network: number,
  nodePubkey: Uint8Array,
  nonce: Uint8Array,
): Uint8Array {
  return new ByteWriter()
    .bytes(new TextEncoder().encode(REACHABILITY_TAG))
    .u8(network)
    .bytes(nodePubkey, PUBLIC_KEY_LENGTH)
    .bytes(nonce, 32)
    .finish();
}

/**
 * Verify a node's answer to a reachability challenge.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(verifyChallenge(3, new Uint8Array(32), new Uint8Array(32), new Uint8Array(64)), false);
 * ```
 */
export function verifyChallenge(
  network: number,
  nodePubkey: Uint8Array,
  nonce: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (nonce.length !== 32 || nodePubkey.length !== PUBLIC_KEY_LENGTH) {
    return false;
  }
  return verify(
    nodePubkey,
    challengePreimage(network, nodePubkey, nonce),
    signature,
  );
}
