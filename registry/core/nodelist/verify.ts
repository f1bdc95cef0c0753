/**
 * What a client checks before trusting a list: k-of-n registry signatures,
 * the hash chain to the previous list, and the validity window.
 *
 * @module
 */

import { bytesEqual, toHex } from "../bytes.ts";
import { DecodeError, VerifyError } from "../errors.ts";
import { isValidPublicKey, verify } from "../keys.ts";
import { checkNetwork, decodeNodeList, encodeListBody } from "./codec.ts";
import {
  HEADER_LENGTH,
  type NodeList,
  type NodeListHeader,
  RECORD_LENGTH,
} from "./format.ts";
import {
  keyIdOf,
  listIdOfBody,
  listSigningMessage,
  nodeListBodyHash,
} from "./signing.ts";

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
 * import { buildSignedList } from "./signing.ts";
 * import { publicKeyOf } from "../keys.ts";
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
 * import { buildSignedList } from "./signing.ts";
 * import { publicKeyOf } from "../keys.ts";
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
  /** Its identity: v1 the SHA-256 of its body, v2 its checkpoint hash. */
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
 * import { encodeNodeList } from "./codec.ts";
 * import { buildSignedList } from "./signing.ts";
 * import { publicKeyOf } from "../keys.ts";
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
  let bodyHash: Uint8Array;
  if (input instanceof Uint8Array) {
    if (options.expectedNetwork === undefined) {
      throw new DecodeError(
        "wrong_network",
        "verifying node list bytes needs the expected network",
      );
    }
    list = decodeNodeList(input, options.expectedNetwork);
    bodyHash = list.header.commitments === undefined
      ? listIdOfBody(
        input.subarray(0, HEADER_LENGTH + list.records.length * RECORD_LENGTH),
      )
      : listIdOfBody(input);
  } else {
    list = input;
    checkNetwork(list.header.network, options.expectedNetwork, "node list");
    bodyHash = listIdOfBody(encodeListBody(list.header, list.records));
  }
  const message = listSigningMessage(
    bodyHash,
    list.header.commitments === undefined ? 1 : 2,
  );

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
 * `next.prevHash` equal to the identity of `prev` (v1: its body hash, v2:
 * its checkpoint hash; the first v2 list names the last v1 list's body
 * hash). Signatures are not
 * looked at (verify each list with {@linkcode verifyNodeList}).
 *
 * @throws {VerifyError} `chain_broken`, saying which rule failed.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nodeListBodyHash } from "./signing.ts";
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
