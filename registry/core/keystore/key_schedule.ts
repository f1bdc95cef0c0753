/**
 * The keystore key schedule (`README.md`, "Key schedule and encryption"):
 * passphrase normalisation, scrypt (blocking or in slices with progress),
 * the two HMAC subkeys and the associated data that binds the header to the
 * ciphertext.
 *
 * The derivation helpers are exported for `encryption.ts` only; the public
 * API is what `../keystore.ts` re-exports.
 *
 * @module
 */

import { scrypt, scryptAsync } from "@noble/hashes/scrypt.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { KeystoreError } from "../errors.ts";
import {
  checkScryptParams,
  DKLEN,
  type Keystore,
  KEYSTORE_VERSION,
  type KeystoreKind,
  parseKeystore,
  type ScryptParams,
} from "./format.ts";
/**
 * Least passphrase length, in Unicode code points after NFKD normalisation.
 *
 * @example Counted in code points, not UTF-16 units or bytes
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(MIN_PASSPHRASE_LENGTH, 8);
 * assert.equal(passphraseBytes("x".repeat(MIN_PASSPHRASE_LENGTH)).length, 8);
 * // 7 code points, though 14 UTF-16 units and 28 UTF-8 bytes:
 * assert.throws(() => passphraseBytes("\u{1F511}".repeat(7)), { code: "passphrase_too_short" });
 * ```
 */
export const MIN_PASSPHRASE_LENGTH = 8;

/**
 * Options of the async variants.
 *
 * @example Progress rises to exactly 1
 * ```ts
 * import assert from "node:assert/strict";
 * import { encryptKeystoreAsync } from "./encryption.ts";
 * const seen: number[] = [];
 * const options: KdfProgressOptions = { onProgress: (p) => seen.push(p) };
 * await encryptKeystoreAsync({ secretKey: new Uint8Array(32), kind: "node", passphrase: "correct horse battery",
 *   salt: new Uint8Array(32), nonce: new Uint8Array(24), kdf: { n: 1024, r: 8, p: 1 } }, options);
 * assert(seen.every((p, i) => p > 0 && p >= (seen[i - 1] ?? 0)));
 * assert.equal(seen.at(-1), 1);
 * ```
 */
export interface KdfProgressOptions {
  /** Called with the KDF's progress, 0 to 1, e.g. to drive a spinner. */
  onProgress?: (progress: number) => void;
}

const CIPHER_KEY_LABEL = "snode-registry keystore v1 cipher key";
const CHECK_LABEL = "snode-registry keystore v1 passphrase check";
const AAD_TITLE = "snode-registry keystore";
const utf8 = new TextEncoder();

/**
 * Normalise a passphrase as keystores use it: NFKD, then UTF-8. Checks the
 * minimum length (8 code points after normalisation).
 *
 * @throws {KeystoreError} `passphrase_too_short`.
 * @example "é" precomposed and decomposed give the same bytes
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(passphraseBytes("caf\u00e9-caf\u00e9"), passphraseBytes("cafe\u0301-cafe\u0301"));
 * assert.throws(() => passphraseBytes("short"), { code: "passphrase_too_short" });
 * ```
 */
export function passphraseBytes(passphrase: string): Uint8Array {
  const normalised = passphrase.normalize("NFKD");
  const length = [...normalised].length;
  if (length < MIN_PASSPHRASE_LENGTH) {
    throw new KeystoreError(
      "passphrase_too_short",
      `a passphrase needs at least ${MIN_PASSPHRASE_LENGTH} characters, got ${length}`,
    );
  }
  return utf8.encode(normalised);
}

/**
 * The associated data that binds a keystore's header to its ciphertext
 * (keystore.md): UTF-8 lines `name=value\n` in a fixed order, from the
 * canonical (lower-case hex, decimal) values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encryptKeystore } from "./encryption.ts";
 * const ks = encryptKeystore({
 *   secretKey: new Uint8Array(32).fill(1), kind: "node", passphrase: "correct horse battery",
 *   salt: new Uint8Array(32), nonce: new Uint8Array(24), kdf: { n: 2 ** 10, r: 8, p: 1 },
 * });
 * const text = new TextDecoder().decode(keystoreAssociatedData(ks));
 * assert(text.startsWith("snode-registry keystore\nversion=1\nkind=node\n"));
 * ```
 */
export function keystoreAssociatedData(keystore: Keystore): Uint8Array {
  const ks = parseKeystore(keystore);
  const { params } = ks.crypto.kdf;
  return associatedData(
    ks.kind,
    ks.publicKey,
    params,
    params.salt,
    ks.crypto.cipher.params.nonce,
  );
}

// --- internals ---------------------------------------------------------------

export function utf8Passphrase(passphrase: string): Uint8Array {
  // No minimum on decryption: a keystore written elsewhere with a shorter
  // passphrase must still open; a wrong one fails the passphrase check.
  if (typeof passphrase !== "string") {
    throw new KeystoreError("wrong_passphrase", "the passphrase is not text");
  }
  return utf8.encode(passphrase.normalize("NFKD"));
}

function scryptOptions(kdf: ScryptParams) {
  // Our own bounds (checkScryptParams) are tighter than noble's memory cap;
  // lift the cap so N·r = 2^23 (1 GiB) plus scratch is not refused.
  return { N: kdf.n, r: kdf.r, p: kdf.p, dkLen: DKLEN, maxmem: 2 ** 31 };
}

export function deriveKey(
  password: Uint8Array,
  salt: Uint8Array,
  kdf: ScryptParams,
): Uint8Array {
  checkScryptParams(kdf);
  return scrypt(password, salt, scryptOptions(kdf));
}

export function deriveKeyAsync(
  password: Uint8Array,
  salt: Uint8Array,
  kdf: ScryptParams,
  options: KdfProgressOptions,
): Promise<Uint8Array> {
  checkScryptParams(kdf);
  const opts = options.onProgress
    ? { ...scryptOptions(kdf), onProgress: options.onProgress }
    : scryptOptions(kdf);
  return scryptAsync(password, salt, opts);
}

export function subkeys(
  dk: Uint8Array,
): { cipherKey: Uint8Array; check: Uint8Array } {
  return {
    cipherKey: hmac(sha256, dk, utf8.encode(CIPHER_KEY_LABEL)),
    check: hmac(sha256, dk, utf8.encode(CHECK_LABEL)),
  };
}

export function associatedData(
  kind: KeystoreKind,
  publicKeyHex: string,
  kdf: ScryptParams,
  saltHex: string,
  nonceHex: string,
): Uint8Array {
  const lines = [
    AAD_TITLE,
    `version=${KEYSTORE_VERSION}`,
    `kind=${kind}`,
    `publicKey=${publicKeyHex}`,
    "kdf=scrypt",
    `n=${kdf.n}`,
    `r=${kdf.r}`,
    `p=${kdf.p}`,
    `dklen=${DKLEN}`,
    `salt=${saltHex}`,
    "check=hmac-sha256",
    "cipher=xchacha20-poly1305",
    `nonce=${nonceHex}`,
  ];
  return utf8.encode(lines.map((l) => l + "\n").join(""));
}

export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
