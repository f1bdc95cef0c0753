/**
 * The keystore document (`README.md`, "Keystores"): its constants, kinds,
 * scrypt bounds and shape, and the strict parser and canonical serialiser
 * every read and write goes through. No key derivation happens here.
 *
 * A few helpers are exported for the sibling modules only; the public API is
 * what `../keystore.ts` re-exports.
 *
 * @module
 */

import { fromHex, toHex } from "../bytes.ts";
import { DecodeError, VerifyError } from "../errors.ts";
import {
  isValidPublicKey,
  PUBLIC_KEY_LENGTH,
  SECRET_KEY_LENGTH,
} from "../keys.ts";
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
 * import { encryptKeystore } from "./encryption.ts";
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
 * import { encryptKeystore } from "./encryption.ts";
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
 * What a keystore's key is for.
 *
 * @example The kind is authenticated and comes back on decryption
 * ```ts
 * import assert from "node:assert/strict";
 * import { decryptKeystore, encryptKeystore } from "./encryption.ts";
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
export type KeystoreKind = "node" | "wallet" | "registry" | "witness";

/**
 * Every {@linkcode KeystoreKind}, in a fixed order.
 *
 * @example Check a kind typed by a user
 * ```ts
 * import assert from "node:assert/strict";
 * const isKind = (s: string): s is KeystoreKind => (KEYSTORE_KINDS as readonly string[]).includes(s);
 * assert.deepEqual(KEYSTORE_KINDS, ["node", "wallet", "registry", "witness"]);
 * assert(isKind("registry"));
 * assert.equal(isKind("validator"), false);
 * ```
 */
export const KEYSTORE_KINDS: readonly KeystoreKind[] = [
  "node",
  "wallet",
  "registry",
  "witness",
];

/**
 * scrypt cost parameters (RFC 7914).
 *
 * @example Cheap parameters for tests; the bounds are checked wherever they are used
 * ```ts
 * import assert from "node:assert/strict";
 * import { encryptKeystore } from "./encryption.ts";
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
 * @example Raise the cost for a valuable key, up to four times the default's work
 * ```ts
 * import assert from "node:assert/strict";
 * checkScryptParams({ ...DEFAULT_SCRYPT, p: 4 });
 * assert.throws(() => checkScryptParams({ ...DEFAULT_SCRYPT, p: 4, r: 16 }), { code: "out_of_range" });
 * // The default is frozen: no caller can weaken it for everyone else.
 * assert.throws(() => Object.assign(DEFAULT_SCRYPT, { n: 2 ** 10 }), TypeError);
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
 * import { decryptKeystore, encryptKeystore } from "./encryption.ts";
 * import { toHex } from "../bytes.ts";
 * import { publicKeyOf } from "../keys.ts";
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

/** scrypt output length: the one `dklen` a keystore may have. */
export const DKLEN = 32;
const CHECK_LENGTH = 32;
const MESSAGE_LENGTH = SECRET_KEY_LENGTH + 16;
const MAX_SCRYPT_WORK = 2 ** 23;
const RFC3339_RE =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

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
 * import { encryptKeystore } from "./encryption.ts";
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
 * import { encryptKeystore } from "./encryption.ts";
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

// --- strict JSON fields ------------------------------------------------------

export function bytesOfLength(b: unknown, n: number, what: string): void {
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

export function string(value: unknown, path: string): string {
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

export function timestamp(value: unknown, path: string): string {
  const text = string(value, path);
  if (!RFC3339_RE.test(text)) {
    throw new DecodeError(
      "bad_json",
      `${path} must be an RFC 3339 time like 2024-01-31T12:00:00Z`,
    );
  }
  return text;
}
