/**
 * Ed25519 keys, pinned to strict RFC 8032 verification, and the X25519 key
 * clients derive from a node's Ed25519 key for onion encryption (network.md §1).
 * This is the only module in the project that calls the curve library for
 * signatures: everything else signs and verifies through it.
 *
 * Randomness never comes from inside core: secret keys are 32-byte seeds the
 * caller generates (e.g. `crypto.getRandomValues`) or derives.
 *
 * @module
 */

import { ed25519 } from "@noble/curves/ed25519.js";
import { DecodeError, VerifyError } from "./errors.ts";
import { fromHex } from "./bytes.ts";

/**
 * Length of an Ed25519 or X25519 public key, in bytes.
 *
 * @example Ed25519 and X25519 public keys are both 32 bytes
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(PUBLIC_KEY_LENGTH, 32);
 * const pk = publicKeyOf(new Uint8Array(SECRET_KEY_LENGTH).fill(1));
 * assert.equal(pk.length, PUBLIC_KEY_LENGTH);
 * assert.equal(x25519FromEd25519(pk).length, PUBLIC_KEY_LENGTH);
 * ```
 */
export const PUBLIC_KEY_LENGTH = 32;
/**
 * Length of an Ed25519 secret key (the RFC 8032 seed), in bytes.
 *
 * @example Pass the 32-byte seed: libsodium's 64-byte secret keys are refused
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(SECRET_KEY_LENGTH, 32);
 * assert.equal(sign(new Uint8Array(SECRET_KEY_LENGTH), new Uint8Array([1])).length, 64);
 * assert.throws(() => publicKeyOf(new Uint8Array(64)), { code: "bad_length" });
 * ```
 */
export const SECRET_KEY_LENGTH = 32;
/**
 * Length of an Ed25519 signature, in bytes.
 *
 * @example Every signature is exactly this long
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(SIGNATURE_LENGTH, 64);
 * const sk = new Uint8Array(32).fill(2);
 * const sig = sign(sk, new Uint8Array([1, 2, 3]));
 * assert.equal(sig.length, SIGNATURE_LENGTH);
 * assert.equal(verify(publicKeyOf(sk), new Uint8Array([1, 2, 3]), sig.subarray(1)), false);
 * ```
 */
export const SIGNATURE_LENGTH = 64;

/**
 * The Ed25519 public key of a 32-byte secret key (RFC 8032 §5.1.5).
 *
 * @throws {DecodeError} `bad_length` when the secret is not 32 bytes.
 * @example RFC 8032 §7.1 test 1
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromHex, toHex } from "./bytes.ts";
 * const sk = fromHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
 * assert.equal(toHex(publicKeyOf(sk)), "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
 * ```
 */
export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  checkLength(secretKey, SECRET_KEY_LENGTH, "secret key");
  return ed25519.getPublicKey(secretKey);
}

/**
 * Sign a message with a 32-byte secret key (deterministic, RFC 8032 §5.1.6).
 *
 * @throws {DecodeError} `bad_length` when the secret is not 32 bytes.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const sk = new Uint8Array(32).fill(7);
 * const sig = sign(sk, new TextEncoder().encode("hello"));
 * assert(verify(publicKeyOf(sk), new TextEncoder().encode("hello"), sig));
 * ```
 */
export function sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  checkLength(secretKey, SECRET_KEY_LENGTH, "secret key");
  return ed25519.sign(message, secretKey);
}

/**
 * Verify an Ed25519 signature **strictly** per RFC 8032 §5.1.7: canonical
 * encodings of R and A are required and S must be below the group order
 * (`zip215: false`); small-order public keys are refused too, as libsodium
 * does, since every signature verifies under them. Malformed input (wrong lengths, a public key that is not
 * a curve point) returns `false`; it never throws.
 *
 * @example A signature from another key is refused
 * ```ts
 * import assert from "node:assert/strict";
 * const msg = new Uint8Array([1, 2, 3]);
 * const sig = sign(new Uint8Array(32).fill(1), msg);
 * assert.equal(verify(publicKeyOf(new Uint8Array(32).fill(2)), msg, sig), false);
 * assert.equal(verify(new Uint8Array(5), msg, sig), false);
 * ```
 */
export function verify(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (
    publicKey.length !== PUBLIC_KEY_LENGTH ||
    signature.length !== SIGNATURE_LENGTH
  ) {
    return false;
  }
  try {
    // Small-order keys are refused as libsodium does: any signature "verifies"
    // under them, so they can never prove possession of anything.
    if (ed25519.Point.fromBytes(publicKey, false).isSmallOrder()) return false;
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    // noble throws on encodings that are not points; that is a failed check.
    return false;
  }
}

/**
 * What strict verification makes of a public key, for verifiers that check
 * the group equation elsewhere (e.g. WebCrypto) and must refuse exactly what
 * {@linkcode verify} refuses:
 *
 * - `"invalid"`: not a canonical encoding of a curve point, or of small
 *   order: {@linkcode verify} refuses every signature under it;
 * - `"prime"`: a point of the prime-order subgroup (every honest key,
 *   `[a]B`): any RFC 8032 verifier, cofactored or not, accepts a signature
 *   that passes {@linkcode isStrictSignatureEncoding} exactly when
 *   {@linkcode verify} does, except that a cofactorless one also refuses an
 *   R with a small-order component, which {@linkcode verify} (cofactored,
 *   RFC 8032 §5.1.7) accepts - so a refusal must be confirmed by
 *   {@linkcode verify};
 * - `"mixed"`: valid but with a small-order component: only
 *   {@linkcode verify} decides.
 *
 * Costs a point decompression and a scalar multiplication: cache it per key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(classifyPublicKey(publicKeyOf(new Uint8Array(32).fill(1))), "prime");
 * assert.equal(classifyPublicKey(new Uint8Array(32)), "invalid");
 * ```
 */
export function classifyPublicKey(
  publicKey: Uint8Array,
): "invalid" | "prime" | "mixed" {
  if (publicKey.length !== PUBLIC_KEY_LENGTH) return "invalid";
  try {
    const point = ed25519.Point.fromBytes(publicKey, false);
    if (point.isSmallOrder()) return "invalid";
    return point.isTorsionFree() ? "prime" : "mixed";
  } catch {
    return "invalid";
  }
}

/** The group order L = 2^252 + 27742317777372353535851937790883648493. */
const GROUP_ORDER = 2n ** 252n + 27742317777372353535851937790883648493n;

/**
 * The cheap part of strict verification, on the signature's bytes alone:
 * 64 bytes, S canonical (`S < L`), and R a canonical point encoding
 * (`y < p`, and not the sign bit set with `x = 0`, i.e. `y = 1` or
 * `y = p - 1`). {@linkcode verify} refuses every signature that fails this;
 * whether R is on the curve is left to the group equation.
 *
 * @example S + L is the classic malleation, refused
 * ```ts
 * import assert from "node:assert/strict";
 * const sig = sign(new Uint8Array(32).fill(1), new Uint8Array([1]));
 * assert(isStrictSignatureEncoding(sig));
 * const L = 2n ** 252n + 27742317777372353535851937790883648493n;
 * let s = 0n;
 * for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(sig[32 + i]!);
 * const malleated = sig.slice();
 * let t = s + L;
 * for (let i = 0; i < 32; i++, t >>= 8n) malleated[32 + i] = Number(t & 255n);
 * assert.equal(isStrictSignatureEncoding(malleated), false);
 * ```
 */
export function isStrictSignatureEncoding(signature: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_LENGTH) return false;
  // S < L: S's top byte is at most 0x10 (L < 2^253).
  if (signature[63]! > 0x10) return false;
  if (signature[63] === 0x10) {
    let s = 0n;
    for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(signature[i]!);
    if (s >= GROUP_ORDER) return false;
  }
  return isCanonicalPointEncoding(signature.subarray(0, 32));
}

/** `y < p` and no sign bit on `x = 0` (RFC 8032 §5.1.3, strict). */
function isCanonicalPointEncoding(b: Uint8Array): boolean {
  const top = b[31]! & 0x7f;
  const sign = (b[31]! & 0x80) !== 0;
  let middleAllFf = true;
  let middleAllZero = true;
  for (let i = 1; i < 31; i++) {
    if (b[i] !== 0xff) middleAllFf = false;
    if (b[i] !== 0) middleAllZero = false;
  }
  // y >= p = 2^255 - 19: 0x7f, 30 x 0xff, low byte >= 0xed.
  if (top === 0x7f && middleAllFf && b[0]! >= 0xed) return false;
  if (sign) {
    // x = 0 exactly when y = 1 or y = p - 1 (0x7f, 30 x 0xff, 0xec).
    if (top === 0 && middleAllZero && b[0] === 1) return false;
    if (top === 0x7f && middleAllFf && b[0] === 0xec) return false;
  }
  return true;
}

/**
 * Like {@linkcode verify}, but throws a typed error on failure.
 *
 * @throws {VerifyError} `bad_signature`, naming `who` signed.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const sk = new Uint8Array(32).fill(3);
 * assert.throws(
 *   () => assertSignature(publicKeyOf(sk), new Uint8Array([1]), new Uint8Array(64), "node key"),
 *   { code: "bad_signature" },
 * );
 * ```
 */
export function assertSignature(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
  who: string,
): void {
  if (!verify(publicKey, message, signature)) {
    throw new VerifyError(
      "bad_signature",
      `signature by the ${who} does not verify`,
    );
  }
}

/**
 * Whether 32 bytes are the canonical encoding of a point on Ed25519 that is
 * usable as a key (not of small order).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert(isValidPublicKey(publicKeyOf(new Uint8Array(32))));
 * assert.equal(isValidPublicKey(new Uint8Array(31)), false);
 * ```
 */
export function isValidPublicKey(publicKey: Uint8Array): boolean {
  if (publicKey.length !== PUBLIC_KEY_LENGTH) return false;
  try {
    return !ed25519.Point.fromBytes(publicKey, false).isSmallOrder();
  } catch {
    return false;
  }
}

/**
 * Parse a public key from 64 hex characters, checking it is a valid point.
 *
 * @throws {DecodeError} `bad_hex` / `bad_length`; {@linkcode VerifyError} `bad_public_key`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const pk = parsePublicKey("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
 * assert.equal(pk.length, 32);
 * assert.throws(() => parsePublicKey("zz"), { code: "bad_hex" });
 * ```
 */
export function parsePublicKey(hex: string): Uint8Array {
  const pk = fromHex(hex, PUBLIC_KEY_LENGTH);
  if (!isValidPublicKey(pk)) {
    throw new VerifyError("bad_public_key", "not a valid Ed25519 public key");
  }
  return pk;
}

/**
 * The X25519 public key of an Ed25519 public key (the birational map from
 * Edwards to Montgomery form, u = (1 + y) / (1 - y)), as clients use for
 * onion encryption to a node.
 *
 * @throws {VerifyError} `bad_public_key` when the input is not a valid point.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const x = x25519FromEd25519(publicKeyOf(new Uint8Array(32).fill(9)));
 * assert.equal(x.length, 32);
 * ```
 */
export function x25519FromEd25519(publicKey: Uint8Array): Uint8Array {
  if (!isValidPublicKey(publicKey)) {
    throw new VerifyError("bad_public_key", "not a valid Ed25519 public key");
  }
  return ed25519.utils.toMontgomery(publicKey);
}

/**
 * A parsed Session ID: its prefix and the 32 key bytes used for swarm mapping.
 *
 * @example The prefix does not change the key bytes used for swarm mapping
 * ```ts
 * import assert from "node:assert/strict";
 * const account: SessionId = parseSessionId("05" + "ab".repeat(32));
 * const group: SessionId = parseSessionId("03" + "AB".repeat(32));
 * assert.deepEqual([account.prefix, group.prefix], [0x05, 0x03]);
 * assert.deepEqual(account.key, group.key);
 * ```
 */
export interface SessionId {
  /** `0x05` for an account (X25519 key), `0x03` for a closed group (Ed25519 key). */
  prefix: 0x05 | 0x03;
  /** The 32 key bytes; the prefix has no effect on swarm mapping (network.md §1). */
  key: Uint8Array;
}

/**
 * Parse a Session ID: `05` or `03` followed by 64 hex characters.
 *
 * @throws {DecodeError} `bad_session_id` for anything else.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const id = parseSessionId("05" + "ab".repeat(32));
 * assert.equal(id.prefix, 5);
 * assert.throws(() => parseSessionId("07" + "ab".repeat(32)), { code: "bad_session_id" });
 * ```
 */
export function parseSessionId(id: string): SessionId {
  const m = /^(0[35])([0-9a-fA-F]{64})$/.exec(id);
  if (!m) {
    throw new DecodeError(
      "bad_session_id",
      "a Session ID is 66 hex characters: 05 (account) or 03 (group) and a 32-byte key",
    );
  }
  return {
    prefix: m[1] === "05" ? 0x05 : 0x03,
    key: fromHex(m[2]!, PUBLIC_KEY_LENGTH),
  };
}

function checkLength(b: Uint8Array, n: number, what: string): void {
  if (!(b instanceof Uint8Array) || b.length !== n) {
    throw new DecodeError("bad_length", `${what} must be ${n} bytes`);
  }
}
