/**
 * Encrypting a secret key into a keystore and opening one again, blocking or
 * asynchronously with progress: the keystore API the CLI and the registry
 * use.
 *
 * @module
 */

import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { bytesEqual, fromHex, toHex } from "../bytes.ts";
import { DecodeError, KeystoreError } from "../errors.ts";
import { publicKeyOf } from "../keys.ts";
import {
  bytesOfLength,
  checkScryptParams,
  DEFAULT_SCRYPT,
  DKLEN,
  type Keystore,
  KEYSTORE_KINDS,
  KEYSTORE_NONCE_LENGTH,
  KEYSTORE_SALT_LENGTH,
  KEYSTORE_VERSION,
  keystoreFromJson,
  type KeystoreKind,
  parseKeystore,
  type ScryptParams,
  string,
  timestamp,
} from "./format.ts";
import {
  associatedData,
  constantTimeEqual,
  deriveKey,
  deriveKeyAsync,
  type KdfProgressOptions,
  passphraseBytes,
  subkeys,
  utf8Passphrase,
} from "./key_schedule.ts";
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
 * import { publicKeyOf } from "../keys.ts";
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
 * import { keystoreToJson } from "./format.ts";
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
