import assert from "node:assert/strict";
import fc from "fast-check";
import { mnemonicToSeedSync } from "@scure/bip39";
import { wordlist } from "@scure/bip39/wordlists/english.js";
import { fromHex, toHex } from "./bytes.ts";
import { RecoveryPhraseError } from "./errors.ts";
import { publicKeyOf } from "./keys.ts";
import {
  HARDENED_OFFSET,
  phraseFromEntropy,
  seedFromPhrase,
  slip10Ed25519,
  validatePhrase,
  WALLET_DERIVATION_PATH,
  walletKeyFromPhrase,
} from "./recovery.ts";

const ABANDON_ART = "abandon ".repeat(23) + "art";

// BIP39 reference vectors (trezor/python-mnemonic vectors.json, English,
// passphrase "TREZOR"), the 256-bit ones.
const BIP39_256 = [
  {
    entropy: "00".repeat(32),
    phrase: ABANDON_ART,
    seed:
      "bda85446c68413707090a52022edd26a1c9462295029f2e60cd7c4f2bbd3097170af7a4d73245cafa9c3cca8d561a7c3de6f5d4a10be8ed2a5e608d68f92fcc8",
  },
  {
    entropy: "ff".repeat(32),
    phrase: "zoo ".repeat(23) + "vote",
    seed:
      "dd48c104698c30cfe2b6142103248622fb7bb0ff692eebb00089b32d22484e1613912f0a5b694407be899ffd31ed3992c456cdf60f5d4564b8ba3f05a69890ad",
  },
  {
    entropy: "7f".repeat(32),
    phrase:
      "legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth title",
  },
];

Deno.test("BIP39 reference vectors for 256-bit entropy", () => {
  for (const v of BIP39_256) {
    assert.equal(phraseFromEntropy(fromHex(v.entropy)), v.phrase);
    assert.equal(validatePhrase(v.phrase), v.phrase);
    if (v.seed) assert.equal(toHex(seedFromPhrase(v.phrase, "TREZOR")), v.seed);
  }
});

Deno.test("BIP39 reference vector for 128-bit zero entropy (the PBKDF2 step)", () => {
  // "abandon x11 about" is the 12-word vector; wallets here use 24 words, so
  // validatePhrase refuses it, but the seed function underneath must match.
  const twelve = "abandon ".repeat(11) + "about";
  assert.equal(
    toHex(mnemonicToSeedSync(twelve, "TREZOR")),
    "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04",
  );
  assert.throws(() => seedFromPhrase(twelve, "TREZOR"), {
    code: "bad_phrase_length",
  });
});

Deno.test("SLIP-0010 ed25519 test vector 1: chains m, m/0H, m/0H/1H", () => {
  const seed = fromHex("000102030405060708090a0b0c0d0e0f");
  const H = HARDENED_OFFSET;
  const chains: [number[], string, string, string][] = [
    [
      [],
      "90046a93de5380a72b5e45010748567d5ea02bbf6522f979e05c0d8d8ca9fffb",
      "2b4be7f19ee27bbf30c667b642d5f4aa69fd169872f8fc3059c08ebae2eb19e7",
      "00a4b2856bfec510abab89753fac1ac0e1112364e7d250545963f135f2a33188ed",
    ],
    [
      [H + 0],
      "8b59aa11380b624e81507a27fedda59fea6d0b779a778918a2fd3590e16e9c69",
      "68e0fe46dfb67e368c75379acec591dad19df3cde26e63b93a8e704f1dade7a3",
      "008c8a13df77a28f3445213a0f432fde644acaa215fc72dcdf300d5efaa85d350c",
    ],
    [
      [H + 0, H + 1],
      "a320425f77d1b5c2505a6b1b27382b37368ee640e3557c315416801243552f14",
      "b1d0bad404bf35da785a64ca1ac54b2617211d2777696fbffaf208f746ae84f2",
      "001932a5270f335bed617d5b935c80aedb1a35bd9fc1e31acafd5372c30f5c1187",
    ],
  ];
  for (const [path, chainCode, secretKey, publicKey] of chains) {
    const node = slip10Ed25519(seed, path);
    assert.equal(toHex(node.chainCode), chainCode);
    assert.equal(toHex(node.secretKey), secretKey);
    // SLIP-0010 prints ed25519 public keys with a 0x00 prefix.
    assert.equal("00" + toHex(publicKeyOf(node.secretKey)), publicKey);
  }
  assert.deepEqual([...WALLET_DERIVATION_PATH], [H]);
});

Deno.test("SLIP-0010 refuses non-hardened indexes and bad seeds", () => {
  const seed = new Uint8Array(16);
  for (const bad of [0, 1, HARDENED_OFFSET - 1, 2 ** 32, -1, 1.5, Number.NaN]) {
    assert.throws(() => slip10Ed25519(seed, [HARDENED_OFFSET, bad]), {
      code: "out_of_range",
    });
  }
  slip10Ed25519(seed, [2 ** 32 - 1]);
  for (const len of [0, 15, 65]) {
    assert.throws(() => slip10Ed25519(new Uint8Array(len), []), {
      code: "bad_length",
    });
  }
  slip10Ed25519(new Uint8Array(64), []);
});

Deno.test("wallet key derivation vectors (keystore.md)", () => {
  const vectors = [
    {
      phrase: ABANDON_ART,
      seed:
        "408b285c123836004f4b8842c89324c1f01382450c0d439af345ba7fc49acf705489c6fc77dbd4e3dc1dd8cc6bc9f043db8ada1e243c4a0eafb290d399480840",
      secretKey:
        "6d4deabbdad8d5ebc5f34e36bca3f1644e5dd98a8d0c480ac1892456d28c6d90",
      publicKey:
        "908429353034e60d0b6f31895526878690ddd34c73411735d9868375d5233f0e",
    },
    {
      phrase: BIP39_256[2]!.phrase,
      seed:
        "761914478ebf6fe16185749372e91549361af22b386de46322cf8b1ba7e92e80c4af05196f742be1e63aab603899842ddadf4e7248d8e43870a4b6ff9bf16324",
      secretKey:
        "2a526fd9fd50238e03eba2b6ef227af2477b9dcc28495fcbcb6b1782780d296f",
      publicKey:
        "d4a968a039ce473e649b4e2e4c3a2ca9b9e6c0d3cff51d9dd5acc1b59583f943",
    },
  ];
  for (const v of vectors) {
    assert.equal(toHex(seedFromPhrase(v.phrase)), v.seed);
    const key = walletKeyFromPhrase(v.phrase);
    assert.equal(toHex(key.secretKey), v.secretKey);
    assert.equal(toHex(key.publicKey), v.publicKey);
    assert.deepEqual(key.publicKey, publicKeyOf(key.secretKey));
    // m/0' of the seed, not the master key nor the seed's first bytes.
    const seed = fromHex(v.seed);
    assert.notEqual(toHex(slip10Ed25519(seed, []).secretKey), v.secretKey);
    assert.notEqual(toHex(seed.subarray(0, 32)), v.secretKey);
  }
});

Deno.test("phrases are normalised: case, spacing, NFKD", () => {
  const expected = walletKeyFromPhrase(ABANDON_ART);
  const spellings = [
    ABANDON_ART.toUpperCase(),
    "\n  " + ABANDON_ART.replaceAll(" ", " \t ") + "  \n",
    ABANDON_ART.replaceAll(" ", "\u3000"), // ideographic space
    // Full-width letters fold to ASCII under NFKD.
    "\uff41\uff42\uff41\uff4e\uff44\uff4f\uff4e " + "abandon ".repeat(22) +
    "art",
  ];
  for (const s of spellings) {
    assert.equal(validatePhrase(s), ABANDON_ART);
    assert.deepEqual(walletKeyFromPhrase(s), expected);
  }
});

Deno.test("wrong length is bad_phrase_length", () => {
  for (const n of [0, 1, 12, 15, 18, 21, 23, 25, 48]) {
    const phrase = "abandon ".repeat(n).trim();
    assert.throws(() => validatePhrase(phrase), (e: unknown) => {
      assert(e instanceof RecoveryPhraseError);
      assert.equal(e.code, "bad_phrase_length");
      assert.match(e.message, new RegExp(`got ${n}\\b`));
      return true;
    });
    assert.throws(() => walletKeyFromPhrase(phrase), {
      code: "bad_phrase_length",
    });
  }
});

Deno.test("an unknown word is bad_phrase_word, naming the word and its position", () => {
  const words = ABANDON_ART.split(" ");
  for (
    const [pos, word] of [[1, "abandn"], [12, "bitcoin"], [24, "artt"], [
      7,
      "ABANDONED",
    ]] as const
  ) {
    const w = [...words];
    w[pos - 1] = word;
    assert.throws(() => validatePhrase(w.join(" ")), (e: unknown) => {
      assert(e instanceof RecoveryPhraseError);
      assert.equal(e.code, "bad_phrase_word");
      assert.equal(e.position, pos);
      assert.match(
        e.message,
        new RegExp(`word ${pos} "${word.toLowerCase()}"`),
      );
      return true;
    });
  }
  // A word sharing its first four letters with a list word gets a suggestion.
  const w = [...words];
  w[4] = "abanDONN";
  assert.throws(() => validatePhrase(w.join(" ")), {
    code: "bad_phrase_word",
    position: 5,
    message: /did you mean "abandon"\?/,
  });
  // The first unknown word is reported.
  w[1] = "xyz";
  assert.throws(() => validatePhrase(w.join(" ")), { position: 2 });
});

Deno.test("a bad checksum is bad_phrase_checksum", () => {
  const bad = [
    "abandon ".repeat(24).trim(),
    "abandon ".repeat(23) + "zoo",
    // Two words swapped.
    ABANDON_ART.split(" ").toSpliced(22, 2, "art", "abandon").join(" "),
  ];
  for (const phrase of bad) {
    assert.throws(() => validatePhrase(phrase), {
      name: "RecoveryPhraseError",
      code: "bad_phrase_checksum",
    });
  }
});

Deno.test("phraseFromEntropy needs 32 bytes; entropy round-trips", () => {
  for (const len of [0, 16, 31, 33]) {
    assert.throws(() => phraseFromEntropy(new Uint8Array(len)), {
      code: "bad_length",
    });
  }
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (entropy) => {
      const phrase = phraseFromEntropy(entropy);
      const words = phrase.split(" ");
      assert.equal(words.length, 24);
      assert(words.every((w) => wordlist.includes(w)));
      assert.equal(validatePhrase(phrase), phrase);
    }),
    { numRuns: 50, seed: 3 },
  );
  // Distinct entropy gives distinct wallet keys.
  const a = walletKeyFromPhrase(phraseFromEntropy(new Uint8Array(32).fill(1)));
  const b = walletKeyFromPhrase(phraseFromEntropy(new Uint8Array(32).fill(2)));
  assert.notDeepEqual(a.secretKey, b.secretKey);
});
