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
 * The code lives in `keystore/`; this file is the stable entry point and
 * re-exports exactly the public API:
 *
 * | module                     | what                                                        |
 * | -------------------------- | ----------------------------------------------------------- |
 * | `keystore/format.ts`       | constants, kinds, scrypt bounds, strict parse and serialise |
 * | `keystore/key_schedule.ts` | passphrase, scrypt, subkeys, associated data                |
 * | `keystore/encryption.ts`   | encrypt and decrypt, blocking or async with progress        |
 *
 * @module
 */

export {
  checkScryptParams,
  DEFAULT_SCRYPT,
  KEYSTORE_KINDS,
  KEYSTORE_NONCE_LENGTH,
  KEYSTORE_SALT_LENGTH,
  KEYSTORE_VERSION,
  keystoreFromJson,
  keystoreToJson,
  parseKeystore,
} from "./keystore/format.ts";
export type {
  Keystore,
  KeystoreKind,
  ScryptParams,
} from "./keystore/format.ts";
export {
  keystoreAssociatedData,
  MIN_PASSPHRASE_LENGTH,
  passphraseBytes,
} from "./keystore/key_schedule.ts";
export type { KdfProgressOptions } from "./keystore/key_schedule.ts";
export {
  decryptKeystore,
  decryptKeystoreAsync,
  encryptKeystore,
  encryptKeystoreAsync,
} from "./keystore/encryption.ts";
export type {
  DecryptedKeystore,
  EncryptKeystoreInput,
} from "./keystore/encryption.ts";
