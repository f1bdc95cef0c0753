/**
 * Encrypted keystores (keystore.md): a versioned JSON document holding one
 * 32-byte Ed25519 secret key (a node's, a wallet's or the registry's own),
 * encrypted under a passphrase with scrypt and XChaCha20-Poly1305, in the
 * spirit of Ethereum's keystore v3 and EIP-2335.
 *
 * The public key is stored in clear so a keystore can be identified without
 * its passphrase, and every header field but the free-text metadata is bound
 * to the ciphertext through the AEAD's associated data.
 *
 * Pure: salts and nonces are arguments (the caller draws them with
 * `crypto.getRandomValues`). Decryption refuses scrypt parameters outside
 * fixed bounds before running the KDF, so a hostile file cannot make it hang
 * or allocate gigabytes.
 *
 * @module
 */

import { scrypt, scryptAsync } from "@noble/hashes/scrypt.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { bytesEqual, fromHex, toHex } from "./bytes.ts";
import { DecodeError, KeystoreError, VerifyError } from "./errors.ts";
import {
  isValidPublicKey,
  PUBLIC_KEY_LENGTH,
  publicKeyOf,
  SECRET_KEY_LENGTH,
} from "./keys.ts";

/**
 * The keystore format version this module reads and writes.
 *
 * @example Other versions are refused before any KDF work
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(KEYSTORE_VERSION, 1);
 * assert.throws(() => parseKeystore({ version: KEYSTORE_VERSION + 1 }), { code: "unsupported_version" });
 * ```
 */
export const KEYSTORE_VERSION = 1;
/**
 * Length of the scrypt salt, in bytes.
 *
 * @example A salt of any other length is refused
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(KEYSTORE_SALT_LENGTH, 32);
 * assert.throws(() => encryptKeystore({
 *   secretKey: new Uint8Array(32), kind: "node", passphrase: "correct horse battery",
 *   salt: new Uint8Array(16), nonce: new Uint8Array(KEYSTORE_NONCE_LENGTH), kdf: { n: 1024, r: 8, p: 1 },
 * }), { code: "bad_length" });
 * ```
 */
export const KEYSTORE_SALT_LENGTH = 32;
/**
 * Length of the XChaCha20-Poly1305 nonce, in bytes.
 *
 * @example The nonce is stored in the keystore as hex, two digits a byte
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(KEYSTORE_NONCE_LENGTH, 24);
 * const ks = encryptKeystore({
 *   secretKey: new Uint8Array(32), kind: "node", passphrase: "correct horse battery",
 *   salt: new Uint8Array(KEYSTORE_SALT_LENGTH), nonce: new Uint8Array(KEYSTORE_NONCE_LENGTH).fill(0xab),
 *   kdf: { n: 1024, r: 8, p: 1 },
 * });
 * assert.equal(ks.crypto.cipher.params.nonce, "ab".repeat(KEYSTORE_NONCE_LENGTH));
 * ```
 */
export const KEYSTORE_NONCE_LENGTH = 24;
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
 * What a keystore's key is for.
 *
 * @example The kind is authenticated and comes back on decryption
 * ```ts
 * import assert from "node:assert/strict";
 * const kind: KeystoreKind = "wallet";
 * const ks = encryptKeystore({
 *   secretKey: new Uint8Array(32).fill(1), kind, passphrase: "correct horse battery",
 *   salt: new Uint8Array(32), nonce: new Uint8Array(24), kdf: { n: 1024, r: 8, p: 1 },
 * });
 * assert.equal(decryptKeystore(ks, "correct horse battery").kind, kind);
 * const relabelled = { ...ks, kind: "node" };
 * assert.throws(() => decryptKeystore(relabelled, "correct horse battery"), { code: "keystore_corrupt" });
 * ```
 */
export type KeystoreKind = "node" | "wallet" | "registry";
/**
 * Every {@linkcode KeystoreKind}, in a fixed order.
 *
 * @example Check a kind typed by a user
 * ```ts
 * import assert from "node:assert/strict";
 * const isKind = (s: string): s is KeystoreKind => (KEYSTORE_KINDS as readonly string[]).includes(s);
 * assert.deepEqual(KEYSTORE_KINDS, ["node", "wallet", "registry"]);
 * assert(isKind("registry"));
 * assert.equal(isKind("validator"), false);
 * ```
 */
export const KEYSTORE_KINDS: readonly KeystoreKind[] = [
  "node",
  "wallet",
  "registry",
];

/**
 * scrypt cost parameters (RFC 7914).
 *
 * @example Cheap parameters for tests; the bounds are checked wherever they are used
 * ```ts
 * import assert from "node:assert/strict";
 * const fast: ScryptParams = { n: 1024, r: 8, p: 1 };
 * checkScryptParams(fast);
 * assert.throws(() => checkScryptParams({ ...fast, n: 1000 }), { code: "out_of_range" });
 * const ks = encryptKeystore({ secretKey: new Uint8Array(32), kind: "node", passphrase: "correct horse battery",
 *   salt: new Uint8Array(32), nonce: new Uint8Array(24), kdf: fast });
 * assert.deepEqual(ks.crypto.kdf.params, { ...fast, dklen: 32, salt: "00".repeat(32) });
 * ```
 */
export interface ScryptParams {
  /** CPU/memory cost: a power of two, 2^10 to 2^20. */
  n: number;
  /** Block size: 1 to 16. */
  r: number;
  /** Parallelisation: 1 to 4. */
  p: number;
}

/**
 * Default scrypt parameters, as EIP-2335: N = 2^18, r = 8, p = 1 (256 MiB,
 * about a second in JavaScript).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(DEFAULT_SCRYPT.n, 2 ** 18);
 * ```
 */
export const DEFAULT_SCRYPT: Readonly<ScryptParams> = Object.freeze({
  n: 2 ** 18,
  r: 8,
  p: 1,
});

/**
 * The JSON document of a keystore, as written to disk (keystore.md).
 *
 * @example The public key is in clear; the description is not authenticated
 * ```ts
 * import assert from "node:assert/strict";
 * import { toHex } from "./bytes.ts";
 * import { publicKeyOf } from "./keys.ts";
 * const secretKey = new Uint8Array(32).fill(1);
 * const ks: Keystore = encryptKeystore({ secretKey, kind: "node", passphrase: "correct horse battery",
 *   salt: new Uint8Array(32), nonce: new Uint8Array(24), kdf: { n: 1024, r: 8, p: 1 }, description: "node-1" });
 * assert.equal(ks.publicKey, toHex(publicKeyOf(secretKey)));
 * const renamed: Keystore = { ...ks, description: "node-2" };
 * assert.deepEqual(decryptKeystore(renamed, "correct horse battery").secretKey, secretKey);
 * ```
 */
export interface Keystore {
  /** Format version, `1`. */
  version: 1;
  /** What the key is for. */
  kind: KeystoreKind;
  /** Ed25519 public key of the stored secret, 64 lower-case hex digits. */
  publicKey: string;
  /** Key derivation, passphrase check and cipher. */
  crypto: {
    kdf: {
      function: "scrypt";
      params: { n: number; r: number; p: number; dklen: 32; salt: string };
    };
    check: { function: "hmac-sha256"; message: string };
    cipher: {
      function: "xchacha20-poly1305";
      params: { nonce: string };
      message: string;
    };
  };
  /** Free text for people; not authenticated. */
  description?: string;
  /** RFC 3339 creation time; informational, not authenticated. */
  createdAt?: string;
}

/**
 * Input of {@linkcode encryptKeystore}.
 *
 * @example Salt and nonce are inputs, so the output is reproducible
 * ```ts
 * import assert from "node:assert/strict";
 * const input: EncryptKeystoreInput = {
 *   secretKey: new Uint8Array(32).fill(5), kind: "wallet", passphrase: "correct horse battery",
 *   salt: new Uint8Array(32).fill(1), nonce: new Uint8Array(24).fill(2),
 *   kdf: { n: 1024, r: 8, p: 1 }, createdAt: "2025-01-01T00:00:00Z",
 * };
 * const ks = encryptKeystore(input);
 * assert.equal(ks.createdAt, input.createdAt);
 * assert.deepEqual(encryptKeystore(input), ks);
 * ```
 */
export interface EncryptKeystoreInput {
  /** The 32-byte Ed25519 secret key (seed) to protect. */
  secretKey: Uint8Array;
  /** What the key is for. */
  kind: KeystoreKind;
  /** At least 8 code points after NFKD normalisation. */
  passphrase: string;
  /** 32 fresh random bytes. */
  salt: Uint8Array;
  /** 24 fresh random bytes. */
  nonce: Uint8Array;
  /** scrypt cost; {@linkcode DEFAULT_SCRYPT} when omitted. */
  kdf?: ScryptParams;
  /** Free text stored in clear, e.g. the node's name. */
  description?: string;
  /** RFC 3339 time from the caller, e.g. `2025-01-01T00:00:00Z`. */
  createdAt?: string;
}

/**
 * What {@linkcode decryptKeystore} returns.
 *
 * @example The secret key and its public key, checked against each other
 * ```ts
 * import assert from "node:assert/strict";
 * import { publicKeyOf } from "./keys.ts";
 * const ks = encryptKeystore({
 *   secretKey: new Uint8Array(32).fill(6), kind: "registry", passphrase: "correct horse battery",
 *   salt: new Uint8Array(32), nonce: new Uint8Array(24), kdf: { n: 1024, r: 8, p: 1 },
 * });
 * const opened: DecryptedKeystore = decryptKeystore(ks, "correct horse battery");
 * assert.deepEqual(opened.secretKey, new Uint8Array(32).fill(6));
 * assert.deepEqual(opened.publicKey, publicKeyOf(opened.secretKey));
 * assert.equal(opened.kind, "registry");
 * ```
 */
export interface DecryptedKeystore {
  /** The 32-byte secret key. */
  secretKey: Uint8Array;
  /** Its public key (equal to the one stored in the keystore). */
  publicKey: Uint8Array;
  /** What the key is for. */
  kind: KeystoreKind;
}

/**
 * Options of the async variants.
 *
 * @example Progress rises to exactly 1
 * ```ts
 * import assert from "node:assert/strict";
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
const DKLEN = 32;
const CHECK_LENGTH = 32;
const MESSAGE_LENGTH = SECRET_KEY_LENGTH + 16;
const MAX_SCRYPT_WORK = 2 ** 23;
const RFC3339_RE =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;
const utf8 = new TextEncoder();

/**
 * Check scrypt parameters against the bounds every keystore must respect:
 * N a power of two in 2^10..2^20, r in 1..16, p in 1..4, and N·r·p ≤ 2^23
 * (at most 4× the default's work; at most 1 GiB of memory).
 *
 * @throws {DecodeError} `out_of_range`, naming the parameter.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * checkScryptParams({ n: 2 ** 10, r: 8, p: 1 });
 * assert.throws(() => checkScryptParams({ n: 2 ** 30, r: 8, p: 1 }), { code: "out_of_range" });
 * assert.throws(() => checkScryptParams({ n: 1000, r: 8, p: 1 }), { code: "out_of_range" });
 * ```
 */
export function checkScryptParams(params: ScryptParams): void {
  const { n, r, p } = params;
  if (
    !Number.isSafeInteger(n) || n < 2 ** 10 || n > 2 ** 20 ||
    (n & (n - 1)) !== 0
  ) {
    throw new DecodeError(
      "out_of_range",
      `scrypt n must be a power of two from 2^10 to 2^20, got ${n}`,
    );
  }
  if (!Number.isSafeInteger(r) || r < 1 || r > 16) {
    throw new DecodeError("out_of_range", `scrypt r must be 1 to 16, got ${r}`);
  }
  if (!Number.isSafeInteger(p) || p < 1 || p > 4) {
    throw new DecodeError("out_of_range", `scrypt p must be 1 to 4, got ${p}`);
  }
  if (n * r * p > MAX_SCRYPT_WORK) {
    throw new DecodeError(
      "out_of_range",
      `scrypt n*r*p must be at most 2^23, got ${n * r * p}`,
    );
  }
}

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
 * Encrypt a secret key into a keystore (synchronously; see
 * {@linkcode encryptKeystoreAsync} to keep a UI responsive).
 *
 * @throws {KeystoreError} `passphrase_too_short`; {@linkcode DecodeError}
 * `bad_length` (secret, salt or nonce), `out_of_range` (scrypt parameters),
 * `unknown_kind`, `bad_json` (`createdAt` not RFC 3339).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const ks = encryptKeystore({
 *   secretKey: new Uint8Array(32).fill(1),
 *   kind: "node",
 *   passphrase: "correct horse battery",
 *   salt: new Uint8Array(32).fill(2),
 *   nonce: new Uint8Array(24).fill(3),
 *   kdf: { n: 2 ** 10, r: 8, p: 1 },
 * });
 * assert.equal(ks.kind, "node");
 * assert.equal(ks.crypto.cipher.message.length, 96);
 * ```
 */
export function encryptKeystore(input: EncryptKeystoreInput): Keystore {
  const plan = planEncryption(input);
  return sealKeystore(plan, deriveKey(plan.password, plan.salt, plan.kdf));
}

/**
 * Like {@linkcode encryptKeystore}, but runs scrypt asynchronously, yielding
 * to the event loop and reporting progress.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const ks = await encryptKeystoreAsync({
 *   secretKey: new Uint8Array(32).fill(1),
 *   kind: "wallet",
 *   passphrase: "correct horse battery",
 *   salt: new Uint8Array(32).fill(2),
 *   nonce: new Uint8Array(24).fill(3),
 *   kdf: { n: 2 ** 10, r: 8, p: 1 },
 * });
 * assert.equal(ks.kind, "wallet");
 * ```
 */
export async function encryptKeystoreAsync(
  input: EncryptKeystoreInput,
  options: KdfProgressOptions = {},
): Promise<Keystore> {
  const plan = planEncryption(input);
  const dk = await deriveKeyAsync(plan.password, plan.salt, plan.kdf, options);
  return sealKeystore(plan, dk);
}

/**
 * Decrypt a keystore: parse it strictly ({@linkcode parseKeystore}; a JSON
 * string is parsed first), derive the key, check the passphrase, decrypt and
 * authenticate, then check the secret matches the stored public key.
 *
 * @throws {DecodeError} from {@linkcode parseKeystore} (before any KDF work);
 * {@linkcode KeystoreError} `wrong_passphrase` (the passphrase check fails:
 * a wrong passphrase, or a tampered salt, KDF parameter or check value),
 * `keystore_corrupt` (right passphrase but the header, nonce or ciphertext was
 * modified, or the secret does not match the public key).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const secretKey = new Uint8Array(32).fill(9);
 * const ks = encryptKeystore({
 *   secretKey, kind: "registry", passphrase: "correct horse battery",
 *   salt: new Uint8Array(32), nonce: new Uint8Array(24), kdf: { n: 2 ** 10, r: 8, p: 1 },
 * });
 * const opened = decryptKeystore(keystoreToJson(ks), "correct horse battery");
 * assert.deepEqual(opened.secretKey, secretKey);
 * assert.equal(opened.kind, "registry");
 * assert.throws(() => decryptKeystore(ks, "wrong horse battery"), { code: "wrong_passphrase" });
 * ```
 */
export function decryptKeystore(
  keystore: unknown,
  passphrase: string,
): DecryptedKeystore {
  const ks = parseAny(keystore);
  const { salt, kdf } = kdfOf(ks);
  return openKeystore(ks, deriveKey(utf8Passphrase(passphrase), salt, kdf));
}

/**
 * Like {@linkcode decryptKeystore}, but runs scrypt asynchronously, yielding
 * to the event loop and reporting progress. Malformed keystores are still
 * refused before any KDF work.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const ks = encryptKeystore({
 *   secretKey: new Uint8Array(32).fill(4), kind: "node", passphrase: "correct horse battery",
 *   salt: new Uint8Array(32), nonce: new Uint8Array(24), kdf: { n: 2 ** 10, r: 8, p: 1 },
 * });
 * let last = 0;
 * const opened = await decryptKeystoreAsync(ks, "correct horse battery", {
 *   onProgress: (p) => { last = p; },
 * });
 * assert.equal(opened.kind, "node");
 * assert(last > 0);
 * ```
 */
export async function decryptKeystoreAsync(
  keystore: unknown,
  passphrase: string,
  options: KdfProgressOptions = {},
): Promise<DecryptedKeystore> {
  const ks = parseAny(keystore);
  const { salt, kdf } = kdfOf(ks);
  const dk = await deriveKeyAsync(
    utf8Passphrase(passphrase),
    salt,
    kdf,
    options,
  );
  return openKeystore(ks, dk);
}

/**
 * Validate a keystore document without its passphrase (e.g. to show which key
 * it holds) and return it in canonical form: fields in the documented order,
 * hex in lower case. Unknown fields are refused.
 *
 * @throws {DecodeError} `bad_json` (not an object, a missing, unexpected or
 * mistyped field, `createdAt` not RFC 3339), `unsupported_version` (a version
 * other than 1, or a KDF, check or cipher function other than the documented
 * one), `unknown_kind`, `out_of_range` (scrypt parameters, `dklen`), `bad_hex`,
 * `bad_length`; {@linkcode VerifyError} `bad_public_key` (not a usable point).
 * @example Identify a keystore without its passphrase
 * ```ts
 * import assert from "node:assert/strict";
 * const ks = encryptKeystore({
 *   secretKey: new Uint8Array(32).fill(1), kind: "node", passphrase: "correct horse battery",
 *   salt: new Uint8Array(32), nonce: new Uint8Array(24), kdf: { n: 2 ** 10, r: 8, p: 1 },
 * });
 * const parsed = parseKeystore(JSON.parse(keystoreToJson(ks)));
 * assert.equal(parsed.publicKey, ks.publicKey);
 * assert.throws(() => parseKeystore({ ...ks, version: 2 }), { code: "unsupported_version" });
 * assert.throws(() => parseKeystore([]), { code: "bad_json" });
 * ```
 */
export function parseKeystore(value: unknown): Keystore {
  const top = object(value, "keystore");
  if (!("version" in top)) missing("version");
  const version = top["version"];
  if (typeof version !== "number" || !Number.isSafeInteger(version)) {
    throw new DecodeError("bad_json", "version must be an integer");
  }
  if (version !== KEYSTORE_VERSION) {
    throw new DecodeError(
      "unsupported_version",
      `keystore version ${version} is not supported (expected ${KEYSTORE_VERSION})`,
    );
  }
  fields(top, "keystore", ["version", "kind", "publicKey", "crypto"], [
    "description",
    "createdAt",
  ]);
  const kind = string(top["kind"], "kind");
  if (!(KEYSTORE_KINDS as readonly string[]).includes(kind)) {
    throw new DecodeError(
      "unknown_kind",
      `unknown keystore kind ${JSON.stringify(kind)}`,
    );
  }
  const publicKey = hex(top["publicKey"], "publicKey", PUBLIC_KEY_LENGTH);
  if (!isValidPublicKey(fromHex(publicKey))) {
    throw new VerifyError(
      "bad_public_key",
      "publicKey is not a valid Ed25519 public key",
    );
  }

  const crypto = object(top["crypto"], "crypto");
  fields(crypto, "crypto", ["kdf", "check", "cipher"]);

  const kdfObj = object(crypto["kdf"], "crypto.kdf");
  fields(kdfObj, "crypto.kdf", ["function", "params"]);
  algorithm(kdfObj["function"], "crypto.kdf.function", "scrypt");
  const kp = object(kdfObj["params"], "crypto.kdf.params");
  fields(kp, "crypto.kdf.params", ["n", "r", "p", "dklen", "salt"]);
  const n = integer(kp["n"], "crypto.kdf.params.n");
  const r = integer(kp["r"], "crypto.kdf.params.r");
  const p = integer(kp["p"], "crypto.kdf.params.p");
  checkScryptParams({ n, r, p });
  const dklen = integer(kp["dklen"], "crypto.kdf.params.dklen");
  if (dklen !== DKLEN) {
    throw new DecodeError(
      "out_of_range",
      `crypto.kdf.params.dklen must be ${DKLEN}, got ${dklen}`,
    );
  }
  const salt = hex(kp["salt"], "crypto.kdf.params.salt", KEYSTORE_SALT_LENGTH);

  const checkObj = object(crypto["check"], "crypto.check");
  fields(checkObj, "crypto.check", ["function", "message"]);
  algorithm(checkObj["function"], "crypto.check.function", "hmac-sha256");
  const check = hex(checkObj["message"], "crypto.check.message", CHECK_LENGTH);

  const cipherObj = object(crypto["cipher"], "crypto.cipher");
  fields(cipherObj, "crypto.cipher", ["function", "params", "message"]);
  algorithm(
    cipherObj["function"],
    "crypto.cipher.function",
    "xchacha20-poly1305",
  );
  const cp = object(cipherObj["params"], "crypto.cipher.params");
  fields(cp, "crypto.cipher.params", ["nonce"]);
  const nonce = hex(
    cp["nonce"],
    "crypto.cipher.params.nonce",
    KEYSTORE_NONCE_LENGTH,
  );
  const message = hex(
    cipherObj["message"],
    "crypto.cipher.message",
    MESSAGE_LENGTH,
  );

  const out: Keystore = {
    version: KEYSTORE_VERSION,
    kind: kind as KeystoreKind,
    publicKey,
    crypto: {
      kdf: { function: "scrypt", params: { n, r, p, dklen: DKLEN, salt } },
      check: { function: "hmac-sha256", message: check },
      cipher: {
        function: "xchacha20-poly1305",
        params: { nonce },
        message,
      },
    },
  };
  if ("description" in top) {
    out.description = string(top["description"], "description");
  }
  if ("createdAt" in top) {
    out.createdAt = timestamp(top["createdAt"], "createdAt");
  }
  return out;
}

/**
 * Parse a keystore file's text: JSON, then {@linkcode parseKeystore}.
 *
 * @throws {DecodeError} `bad_json` when the text is not JSON; otherwise as
 * {@linkcode parseKeystore}.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.throws(() => keystoreFromJson("{not json"), { code: "bad_json" });
 * ```
 */
export function keystoreFromJson(text: string): Keystore {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new DecodeError(
      "bad_json",
      `keystore is not valid JSON: ${(e as Error).message}`,
    );
  }
  return parseKeystore(value);
}

/**
 * Serialise a keystore as its file text: canonical field order, two-space
 * indentation, a final newline. The input is validated first.
 *
 * @throws {DecodeError} as {@linkcode parseKeystore} when the object is not a
 * valid keystore.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const ks = encryptKeystore({
 *   secretKey: new Uint8Array(32).fill(1), kind: "node", passphrase: "correct horse battery",
 *   salt: new Uint8Array(32), nonce: new Uint8Array(24), kdf: { n: 2 ** 10, r: 8, p: 1 },
 * });
 * const text = keystoreToJson(ks);
 * assert(text.startsWith('{\n  "version": 1,\n  "kind": "node",'));
 * assert.deepEqual(keystoreFromJson(text), ks);
 * ```
 */
export function keystoreToJson(keystore: Keystore): string {
  return JSON.stringify(parseKeystore(keystore), null, 2) + "\n";
}

/**
 * The associated data that binds a keystore's header to its ciphertext
 * (keystore.md): UTF-8 lines `name=value\n` in a fixed order, from the
 * canonical (lower-case hex, decimal) values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
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

interface EncryptionPlan {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
  kind: KeystoreKind;
  password: Uint8Array;
  salt: Uint8Array;
  nonce: Uint8Array;
  kdf: ScryptParams;
  description: string | undefined;
  createdAt: string | undefined;
}

function planEncryption(input: EncryptKeystoreInput): EncryptionPlan {
  const { secretKey, kind, salt, nonce } = input;
  if (!(KEYSTORE_KINDS as readonly string[]).includes(kind)) {
    throw new DecodeError(
      "unknown_kind",
      `unknown keystore kind ${JSON.stringify(kind)}`,
    );
  }
  bytesOfLength(salt, KEYSTORE_SALT_LENGTH, "salt");
  bytesOfLength(nonce, KEYSTORE_NONCE_LENGTH, "nonce");
  const kdf = input.kdf ?? DEFAULT_SCRYPT;
  checkScryptParams(kdf);
  if (input.description !== undefined) {
    string(input.description, "description");
  }
  if (input.createdAt !== undefined) timestamp(input.createdAt, "createdAt");
  return {
    secretKey: secretKey.slice(),
    publicKey: publicKeyOf(secretKey),
    kind,
    password: passphraseBytes(input.passphrase),
    salt: salt.slice(),
    nonce: nonce.slice(),
    kdf: { n: kdf.n, r: kdf.r, p: kdf.p },
    description: input.description,
    createdAt: input.createdAt,
  };
}

function sealKeystore(plan: EncryptionPlan, dk: Uint8Array): Keystore {
  const { cipherKey, check } = subkeys(dk);
  const publicKey = toHex(plan.publicKey);
  const salt = toHex(plan.salt);
  const nonce = toHex(plan.nonce);
  const aad = associatedData(plan.kind, publicKey, plan.kdf, salt, nonce);
  const message = xchacha20poly1305(cipherKey, plan.nonce, aad).encrypt(
    plan.secretKey,
  );
  cipherKey.fill(0);
  dk.fill(0);
  const ks: Keystore = {
    version: KEYSTORE_VERSION,
    kind: plan.kind,
    publicKey,
    crypto: {
      kdf: {
        function: "scrypt",
        params: { ...plan.kdf, dklen: DKLEN, salt },
      },
      check: { function: "hmac-sha256", message: toHex(check) },
      cipher: {
        function: "xchacha20-poly1305",
        params: { nonce },
        message: toHex(message),
      },
    },
  };
  if (plan.description !== undefined) ks.description = plan.description;
  if (plan.createdAt !== undefined) ks.createdAt = plan.createdAt;
  return ks;
}

function openKeystore(ks: Keystore, dk: Uint8Array): DecryptedKeystore {
  const { cipherKey, check } = subkeys(dk);
  dk.fill(0);
  if (!constantTimeEqual(check, fromHex(ks.crypto.check.message))) {
    cipherKey.fill(0);
    throw new KeystoreError(
      "wrong_passphrase",
      "wrong passphrase for this keystore",
    );
  }
  const { params } = ks.crypto.kdf;
  const nonceHex = ks.crypto.cipher.params.nonce;
  const aad = associatedData(
    ks.kind,
    ks.publicKey,
    params,
    params.salt,
    nonceHex,
  );
  let secretKey: Uint8Array;
  try {
    secretKey = xchacha20poly1305(cipherKey, fromHex(nonceHex), aad).decrypt(
      fromHex(ks.crypto.cipher.message),
    );
  } catch {
    throw new KeystoreError(
      "keystore_corrupt",
      "the passphrase is right but the keystore was modified after it was written (authentication failed)",
    );
  } finally {
    cipherKey.fill(0);
  }
  const publicKey = publicKeyOf(secretKey);
  if (!bytesEqual(publicKey, fromHex(ks.publicKey))) {
    throw new KeystoreError(
      "keystore_corrupt",
      "the decrypted secret key does not match the keystore's public key",
    );
  }
  return { secretKey, publicKey, kind: ks.kind };
}

function parseAny(keystore: unknown): Keystore {
  return typeof keystore === "string"
    ? keystoreFromJson(keystore)
    : parseKeystore(keystore);
}

function kdfOf(ks: Keystore): { salt: Uint8Array; kdf: ScryptParams } {
  const { n, r, p, salt } = ks.crypto.kdf.params;
  return { salt: fromHex(salt), kdf: { n, r, p } };
}

function utf8Passphrase(passphrase: string): Uint8Array {
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

function deriveKey(
  password: Uint8Array,
  salt: Uint8Array,
  kdf: ScryptParams,
): Uint8Array {
  checkScryptParams(kdf);
  return scrypt(password, salt, scryptOptions(kdf));
}

function deriveKeyAsync(
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

function subkeys(dk: Uint8Array): { cipherKey: Uint8Array; check: Uint8Array } {
  return {
    cipherKey: hmac(sha256, dk, utf8.encode(CIPHER_KEY_LABEL)),
    check: hmac(sha256, dk, utf8.encode(CHECK_LABEL)),
  };
}

function associatedData(
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

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

function bytesOfLength(b: unknown, n: number, what: string): void {
  if (!(b instanceof Uint8Array) || b.length !== n) {
    throw new DecodeError("bad_length", `${what} must be ${n} bytes`);
  }
}

function missing(path: string): never {
  throw new DecodeError("bad_json", `keystore field ${path} is missing`);
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new DecodeError("bad_json", `${path} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

function fields(
  obj: Record<string, unknown>,
  path: string,
  required: string[],
  optional: string[] = [],
): void {
  for (const name of required) {
    if (!Object.hasOwn(obj, name) || obj[name] === undefined) {
      missing(`${path}.${name}`);
    }
  }
  for (const name of Object.keys(obj)) {
    if (!required.includes(name) && !optional.includes(name)) {
      throw new DecodeError(
        "bad_json",
        `unexpected field ${path}.${name} in keystore`,
      );
    }
  }
}

function string(value: unknown, path: string): string {
  if (typeof value !== "string") {
    throw new DecodeError("bad_json", `${path} must be a string`);
  }
  return value;
}

function integer(value: unknown, path: string): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new DecodeError("bad_json", `${path} must be an integer`);
  }
  if (!Number.isSafeInteger(value)) {
    throw new DecodeError("out_of_range", `${path} is too large: ${value}`);
  }
  return value;
}

function hex(value: unknown, path: string, length: number): string {
  const text = string(value, path);
  try {
    return toHex(fromHex(text, length));
  } catch (e) {
    if (e instanceof DecodeError) {
      throw new DecodeError(e.code, `${path}: ${e.message}`);
    }
    throw e;
  }
}

function algorithm(value: unknown, path: string, expected: string): void {
  const name = string(value, path);
  if (name !== expected) {
    throw new DecodeError(
      "unsupported_version",
      `${path} ${JSON.stringify(name)} is not supported (expected ${
        JSON.stringify(expected)
      })`,
    );
  }
}

function timestamp(value: unknown, path: string): string {
  const text = string(value, path);
  if (!RFC3339_RE.test(text)) {
    throw new DecodeError(
      "bad_json",
      `${path} must be an RFC 3339 time like 2024-01-31T12:00:00Z`,
    );
  }
  return text;
}
