/**
 * Recovery phrases for wallet keys (keystore.md): 24-word BIP39 English
 * mnemonics (256 bits of entropy), and the derivation of the wallet's Ed25519
 * key from one with SLIP-0010 at path `m/0'`.
 *
 * Node keys have no phrase: as upstream, a node's key lives on the node, and
 * is a random 32-byte seed kept in a keystore.
 *
 * Pure: entropy is an argument (the caller draws 32 bytes with
 * `crypto.getRandomValues`).
 *
 * @module
 */

import {
  entropyToMnemonic,
  mnemonicToEntropy,
  mnemonicToSeedSync,
} from "@scure/bip39";
import { wordlist } from "@scure/bip39/wordlists/english.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha512 } from "@noble/hashes/sha2.js";
import { concat } from "./bytes.ts";
import { DecodeError, RecoveryPhraseError } from "./errors.ts";
import { publicKeyOf } from "./keys.ts";

/**
 * Number of words in a recovery phrase.
 *
 * @example 12-word phrases are refused
 * ```ts
 * import assert from "node:assert/strict";
 * const phrase = phraseFromEntropy(new Uint8Array(PHRASE_ENTROPY_LENGTH).fill(1));
 * assert.equal(PHRASE_WORDS, 24);
 * assert.equal(phrase.split(" ").length, PHRASE_WORDS);
 * assert.throws(() => validatePhrase(phrase.split(" ").slice(0, 12).join(" ")), { code: "bad_phrase_length" });
 * ```
 */
export const PHRASE_WORDS = 24;
/**
 * Length of a recovery phrase's entropy, in bytes.
 *
 * @example 256 bits of entropy; 128 bits are refused
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(PHRASE_ENTROPY_LENGTH, 32);
 * assert.throws(() => phraseFromEntropy(new Uint8Array(16)), { code: "bad_length" });
 * ```
 */
export const PHRASE_ENTROPY_LENGTH = 32;
/**
 * Offset of hardened indexes in SLIP-0010 / BIP32 paths (`i'` = `i + 2^31`).
 *
 * @example SLIP-0010 test vector 1 for ed25519, chain m/0H/1H
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromHex, toHex } from "./bytes.ts";
 * const seed = fromHex("000102030405060708090a0b0c0d0e0f");
 * const node = slip10Ed25519(seed, [0 + HARDENED_OFFSET, 1 + HARDENED_OFFSET]);
 * assert.equal(toHex(node.secretKey), "b1d0bad404bf35da785a64ca1ac54b2617211d2777696fbffaf208f746ae84f2");
 * assert.throws(() => slip10Ed25519(seed, [1]), { code: "out_of_range" });
 * ```
 */
export const HARDENED_OFFSET = 0x80000000;
/**
 * The SLIP-0010 path of the wallet key: `m/0'`.
 *
 * @example The wallet key is the SLIP-0010 key at this path
 * ```ts
 * import assert from "node:assert/strict";
 * const phrase = phraseFromEntropy(new Uint8Array(32).fill(7));
 * assert.deepEqual(WALLET_DERIVATION_PATH, [HARDENED_OFFSET]);
 * const node = slip10Ed25519(seedFromPhrase(phrase), WALLET_DERIVATION_PATH);
 * assert.deepEqual(node.secretKey, walletKeyFromPhrase(phrase).secretKey);
 * ```
 */
export const WALLET_DERIVATION_PATH: readonly number[] = Object.freeze([
  HARDENED_OFFSET,
]);

const words = new Set(wordlist);
const SLIP10_ED25519_KEY = new TextEncoder().encode("ed25519 seed");

/**
 * A wallet key pair derived from a recovery phrase.
 *
 * @example Sign with a wallet restored from its phrase
 * ```ts
 * import assert from "node:assert/strict";
 * import { sign, verify } from "./keys.ts";
 * const key: WalletKey = walletKeyFromPhrase("abandon ".repeat(23) + "art");
 * const msg = new TextEncoder().encode("contribute");
 * assert(verify(key.publicKey, msg, sign(key.secretKey, msg)));
 * ```
 */
export interface WalletKey {
  /** The 32-byte Ed25519 secret key (seed). */
  secretKey: Uint8Array;
  /** Its Ed25519 public key. */
  publicKey: Uint8Array;
}

/**
 * A SLIP-0010 ed25519 node: a secret key and its chain code.
 *
 * @example SLIP-0010 test vector 1 for ed25519, master node
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromHex, toHex } from "./bytes.ts";
 * const master: Slip10Node = slip10Ed25519(fromHex("000102030405060708090a0b0c0d0e0f"), []);
 * assert.equal(toHex(master.secretKey), "2b4be7f19ee27bbf30c667b642d5f4aa69fd169872f8fc3059c08ebae2eb19e7");
 * assert.equal(toHex(master.chainCode), "90046a93de5380a72b5e45010748567d5ea02bbf6522f979e05c0d8d8ca9fffb");
 * ```
 */
export interface Slip10Node {
  /** The 32-byte Ed25519 secret key (seed) at this node. */
  secretKey: Uint8Array;
  /** The 32-byte chain code used to derive children. */
  chainCode: Uint8Array;
}

/**
 * The 24-word recovery phrase of 32 bytes of entropy (BIP39, English).
 *
 * @throws {DecodeError} `bad_length` when the entropy is not 32 bytes.
 * @example BIP39 test vector: all-zero entropy
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(phraseFromEntropy(new Uint8Array(32)), "abandon ".repeat(23) + "art");
 * ```
 */
export function phraseFromEntropy(entropy: Uint8Array): string {
  if (
    !(entropy instanceof Uint8Array) || entropy.length !== PHRASE_ENTROPY_LENGTH
  ) {
    throw new DecodeError(
      "bad_length",
      `recovery phrase entropy must be ${PHRASE_ENTROPY_LENGTH} bytes`,
    );
  }
  return entropyToMnemonic(entropy, wordlist);
}

/**
 * Check a recovery phrase and return it normalised: NFKD, lower case, words
 * separated by single spaces. Checks, in order: 24 words, each in the BIP39
 * English list, then the checksum.
 *
 * @throws {RecoveryPhraseError} `bad_phrase_length`, `bad_phrase_word` (the
 * message names the first unknown word and its 1-based position, which is
 * also in `position`, and suggests a word sharing its first four letters),
 * `bad_phrase_checksum`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const phrase = "abandon ".repeat(23) + "art";
 * assert.equal(validatePhrase("  Abandon  " + "abandon ".repeat(22) + "ART\n"), phrase);
 * assert.throws(() => validatePhrase("abandon ".repeat(24).trim()), { code: "bad_phrase_checksum" });
 * assert.throws(() => validatePhrase("abandon art"), { code: "bad_phrase_length" });
 * assert.throws(
 *   () => validatePhrase("abandon ".repeat(5) + "abandno " + "abandon ".repeat(17) + "art"),
 *   { code: "bad_phrase_word", position: 6 },
 * );
 * ```
 */
export function validatePhrase(phrase: string): string {
  const list = phrase.normalize("NFKD").toLowerCase().trim().split(/\s+/)
    .filter((w) => w !== "");
  if (list.length !== PHRASE_WORDS) {
    throw new RecoveryPhraseError(
      "bad_phrase_length",
      `a recovery phrase has ${PHRASE_WORDS} words, got ${list.length}`,
    );
  }
  list.forEach((word, i) => {
    if (!words.has(word)) {
      const prefix = word.slice(0, 4);
      const guess = prefix.length === 4
        ? wordlist.find((w) => w.startsWith(prefix))
        : undefined;
      throw new RecoveryPhraseError(
        "bad_phrase_word",
        `word ${i + 1} ${
          JSON.stringify(word)
        } is not in the BIP39 English list${
          guess ? ` (did you mean ${JSON.stringify(guess)}?)` : ""
        }`,
        i + 1,
      );
    }
  });
  const normalised = list.join(" ");
  try {
    mnemonicToEntropy(normalised, wordlist);
  } catch {
    throw new RecoveryPhraseError(
      "bad_phrase_checksum",
      "the recovery phrase's checksum does not match: a word is wrong or out of order",
    );
  }
  return normalised;
}

/**
 * The 64-byte BIP39 seed of a recovery phrase: PBKDF2-HMAC-SHA512 with 2048
 * rounds over the normalised phrase, salt `"mnemonic" + passphrase` (both
 * NFKD). Wallet keys use the empty BIP39 passphrase.
 *
 * @throws {RecoveryPhraseError} as {@linkcode validatePhrase}.
 * @example BIP39 test vector (passphrase "TREZOR")
 * ```ts
 * import assert from "node:assert/strict";
 * import { toHex } from "./bytes.ts";
 * const seed = seedFromPhrase("abandon ".repeat(23) + "art", "TREZOR");
 * assert.equal(toHex(seed).slice(0, 16), "bda85446c6841370");
 * ```
 */
export function seedFromPhrase(
  phrase: string,
  bip39Passphrase = "",
): Uint8Array {
  return mnemonicToSeedSync(validatePhrase(phrase), bip39Passphrase);
}

/**
 * SLIP-0010 derivation for ed25519: master node = HMAC-SHA512(key "ed25519
 * seed", seed) split into key and chain code; each child i (hardened only) =
 * HMAC-SHA512(key = parent chain code, 0x00 || parent key || ser32(i)).
 *
 * @param seed 16 to 64 bytes (e.g. a BIP39 seed).
 * @param path indexes from the master, each hardened (`>= 2^31`).
 * @throws {DecodeError} `bad_length` (seed), `out_of_range` (an index that is
 * not hardened or not a u32).
 * @example SLIP-0010 test vector 1 for ed25519, chain m/0H
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromHex, toHex } from "./bytes.ts";
 * const node = slip10Ed25519(fromHex("000102030405060708090a0b0c0d0e0f"), [HARDENED_OFFSET]);
 * assert.equal(toHex(node.secretKey), "68e0fe46dfb67e368c75379acec591dad19df3cde26e63b93a8e704f1dade7a3");
 * assert.throws(() => slip10Ed25519(new Uint8Array(16), [0]), { code: "out_of_range" });
 * ```
 */
export function slip10Ed25519(
  seed: Uint8Array,
  path: readonly number[],
): Slip10Node {
  if (!(seed instanceof Uint8Array) || seed.length < 16 || seed.length > 64) {
    throw new DecodeError("bad_length", "a SLIP-0010 seed is 16 to 64 bytes");
  }
  let node = split(hmac(sha512, SLIP10_ED25519_KEY, seed));
  for (const index of path) {
    if (
      !Number.isInteger(index) || index < HARDENED_OFFSET || index > 0xffffffff
    ) {
      throw new DecodeError(
        "out_of_range",
        `ed25519 derivation needs hardened indexes (2^31 to 2^32-1), got ${index}`,
      );
    }
    const ser = new Uint8Array(4);
    new DataView(ser.buffer).setUint32(0, index);
    node = split(
      hmac(
        sha512,
        node.chainCode,
        concat(new Uint8Array([0]), node.secretKey, ser),
      ),
    );
  }
  return node;
}

/**
 * The wallet key of a recovery phrase: the SLIP-0010 ed25519 key at `m/0'`
 * of the phrase's BIP39 seed (empty BIP39 passphrase).
 *
 * @throws {RecoveryPhraseError} as {@linkcode validatePhrase}.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const phrase = phraseFromEntropy(new Uint8Array(32).fill(7));
 * const a = walletKeyFromPhrase(phrase);
 * const b = walletKeyFromPhrase(phrase.toUpperCase());
 * assert.deepEqual(a, b);
 * assert.equal(a.publicKey.length, 32);
 * ```
 */
export function walletKeyFromPhrase(phrase: string): WalletKey {
  const { secretKey } = slip10Ed25519(
    seedFromPhrase(phrase),
    WALLET_DERIVATION_PATH,
  );
  return { secretKey, publicKey: publicKeyOf(secretKey) };
}

function split(i: Uint8Array): Slip10Node {
  return { secretKey: i.slice(0, 32), chainCode: i.slice(32, 64) };
}
