import assert from "node:assert/strict";
import fc from "fast-check";
import { scrypt } from "@noble/hashes/scrypt.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { fromHex, toHex } from "./bytes.ts";
import { CoreError, DecodeError, KeystoreError } from "./errors.ts";
import { publicKeyOf } from "./keys.ts";
import {
  checkScryptParams,
  decryptKeystore,
  decryptKeystoreAsync,
  DEFAULT_SCRYPT,
  encryptKeystore,
  encryptKeystoreAsync,
  type EncryptKeystoreInput,
  type Keystore,
  KEYSTORE_KINDS,
  keystoreAssociatedData,
  keystoreFromJson,
  keystoreToJson,
  parseKeystore,
  passphraseBytes,
} from "./keystore.ts";

const FAST = { n: 2 ** 10, r: 8, p: 1 };
const PASS = "correct horse battery staple";
const utf8 = new TextEncoder();

function fill(n: number, v: number): Uint8Array {
  return new Uint8Array(n).fill(v);
}

function input(over: Partial<EncryptKeystoreInput> = {}): EncryptKeystoreInput {
  return {
    secretKey: fill(32, 0x11),
    kind: "node",
    passphrase: PASS,
    salt: fill(32, 0x22),
    nonce: fill(24, 0x33),
    kdf: FAST,
    ...over,
  };
}

/** A deep, mutable copy of a keystore as plain JSON. */
// deno-lint-ignore no-explicit-any
function json(ks: Keystore): any {
  return JSON.parse(JSON.stringify(ks));
}

function flipHexBit(hex: string, bit: number): string {
  const b = fromHex(hex);
  b[bit >> 3]! ^= 1 << (bit & 7);
  return toHex(b);
}

function otherPublicKey(): string {
  return toHex(publicKeyOf(fill(32, 0x99)));
}

/**
 * Seal a secret following keystore.md alone (not the module), so the format
 * and the module are checked against each other.
 */
function sealBySpec(o: {
  secretKey: Uint8Array;
  publicKeyHex: string;
  kind: string;
  passphrase: string;
  salt: Uint8Array;
  nonce: Uint8Array;
  n: number;
  r: number;
  p: number;
}): { check: string; message: string; aad: string; dk: Uint8Array } {
  const pw = utf8.encode(o.passphrase.normalize("NFKD"));
  const dk = scrypt(pw, o.salt, { N: o.n, r: o.r, p: o.p, dkLen: 32 });
  const cipherKey = hmac(
    sha256,
    dk,
    utf8.encode("snode-registry keystore v1 cipher key"),
  );
  const check = hmac(
    sha256,
    dk,
    utf8.encode("snode-registry keystore v1 passphrase check"),
  );
  const aad = [
    "snode-registry keystore",
    "version=1",
    `kind=${o.kind}`,
    `publicKey=${o.publicKeyHex}`,
    "kdf=scrypt",
    `n=${o.n}`,
    `r=${o.r}`,
    `p=${o.p}`,
    "dklen=32",
    `salt=${toHex(o.salt)}`,
    "check=hmac-sha256",
    "cipher=xchacha20-poly1305",
    `nonce=${toHex(o.nonce)}`,
  ].map((l) => l + "\n").join("");
  const message = xchacha20poly1305(cipherKey, o.nonce, utf8.encode(aad))
    .encrypt(o.secretKey);
  return { check: toHex(check), message: toHex(message), aad, dk };
}

Deno.test("round trip for every kind, as an object and as JSON text", () => {
  for (const [i, kind] of KEYSTORE_KINDS.entries()) {
    const secretKey = fill(32, 0x40 + i);
    const ks = encryptKeystore(input({ secretKey, kind }));
    assert.equal(ks.kind, kind);
    assert.equal(ks.publicKey, toHex(publicKeyOf(secretKey)));
    for (
      const form of [ks, keystoreToJson(ks), JSON.parse(keystoreToJson(ks))]
    ) {
      const opened = decryptKeystore(form, PASS);
      assert.deepEqual(opened, {
        secretKey,
        publicKey: publicKeyOf(secretKey),
        kind,
      });
    }
  }
});

Deno.test("async variants agree with the sync ones and report progress", async () => {
  const progress: number[] = [];
  const ks = await encryptKeystoreAsync(input({ kind: "registry" }), {
    onProgress: (p) => progress.push(p),
  });
  assert.deepEqual(ks, encryptKeystore(input({ kind: "registry" })));
  assert(progress.length > 0);
  assert(
    progress.every((p, i) =>
      p >= 0 && p <= 1 && (i === 0 || p >= progress[i - 1]!)
    ),
  );
  const opened = await decryptKeystoreAsync(keystoreToJson(ks), PASS);
  assert.deepEqual(opened.secretKey, fill(32, 0x11));
  await assert.rejects(decryptKeystoreAsync(ks, PASS + "!"), {
    code: "wrong_passphrase",
  });
  await assert.rejects(
    decryptKeystoreAsync({ ...json(ks), version: 2 }, PASS),
    { code: "unsupported_version" },
  );
});

Deno.test("a wrong passphrase is wrong_passphrase, a KeystoreError", () => {
  const ks = encryptKeystore(input());
  for (
    const wrong of [
      "correct horse battery stapl",
      "Correct horse battery staple",
      "",
    ]
  ) {
    assert.throws(() => decryptKeystore(ks, wrong), (e: unknown) => {
      assert(e instanceof KeystoreError);
      assert(e instanceof CoreError);
      assert.equal(e.code, "wrong_passphrase");
      return true;
    });
  }
});

Deno.test("golden vector: byte for byte, intermediates by the spec", async () => {
  const v = JSON.parse(
    await Deno.readTextFile(
      new URL("./testdata/keystore_vector.json", import.meta.url),
    ),
  );
  const i = v.input;
  // The stored passphrase is precomposed (NFC): NFKD must change it.
  assert.notEqual(i.passphrase, i.passphrase.normalize("NFKD"));
  const ks = encryptKeystore({
    secretKey: fromHex(i.secretKey),
    kind: i.kind,
    passphrase: i.passphrase,
    salt: fromHex(i.salt),
    nonce: fromHex(i.nonce),
    kdf: i.kdf,
    description: i.description,
    createdAt: i.createdAt,
  });
  assert.deepEqual(ks, v.keystore);
  assert.equal(keystoreToJson(ks), JSON.stringify(v.keystore, null, 2) + "\n");

  // Intermediates, computed here from the spec with the primitives directly.
  const bySpec = sealBySpec({
    secretKey: fromHex(i.secretKey),
    publicKeyHex: v.keystore.publicKey,
    kind: i.kind,
    passphrase: i.passphrase,
    salt: fromHex(i.salt),
    nonce: fromHex(i.nonce),
    ...i.kdf,
  });
  assert.equal(
    toHex(passphraseBytes(i.passphrase)),
    v.intermediate.passphraseUtf8,
  );
  assert.equal(toHex(bySpec.dk), v.intermediate.scryptKey);
  assert.equal(bySpec.check, v.intermediate.check);
  assert.equal(bySpec.check, v.keystore.crypto.check.message);
  assert.equal(bySpec.aad, v.intermediate.associatedData);
  assert.equal(
    new TextDecoder().decode(keystoreAssociatedData(ks)),
    bySpec.aad,
  );
  assert.equal(bySpec.message, v.keystore.crypto.cipher.message);

  const opened = decryptKeystore(v.keystore, i.passphrase.normalize("NFD"));
  assert.equal(toHex(opened.secretKey), i.secretKey);
  assert.equal(opened.kind, "wallet");
});

Deno.test("NFKD: precomposed and decomposed passphrases open the same keystore", () => {
  const nfc = "caf\u00e9 au lait";
  const nfd = "cafe\u0301 au lait";
  assert.notEqual(nfc, nfd);
  assert.deepEqual(passphraseBytes(nfc), passphraseBytes(nfd));
  const a = encryptKeystore(input({ passphrase: nfc }));
  const b = encryptKeystore(input({ passphrase: nfd }));
  assert.deepEqual(a, b);
  assert.deepEqual(decryptKeystore(a, nfd).secretKey, fill(32, 0x11));
  assert.deepEqual(decryptKeystore(b, nfc).secretKey, fill(32, 0x11));
  // Compatibility forms fold too: the "ﬁ" ligature is "fi".
  const lig = encryptKeystore(input({ passphrase: "\ufb01ve little pigs" }));
  assert.deepEqual(
    decryptKeystore(lig, "five little pigs").secretKey,
    fill(32, 0x11),
  );
  // But the passphrase is not case-folded.
  assert.throws(() => decryptKeystore(lig, "FIVE little pigs"), {
    code: "wrong_passphrase",
  });
});

Deno.test("passphrases shorter than 8 code points after NFKD are refused", () => {
  for (const short of ["", "1234567", "\u{1F600}".repeat(7), "   \t   "]) {
    assert.throws(() => encryptKeystore(input({ passphrase: short })), {
      name: "KeystoreError",
      code: "passphrase_too_short",
    });
  }
  // 8 code points is enough, even when that is 16 UTF-16 units.
  encryptKeystore(input({ passphrase: "12345678" }));
  encryptKeystore(input({ passphrase: "\u{1F600}".repeat(8) }));
  // Counted after normalisation: 4 precomposed "é" become 8 code points.
  assert.equal([..."\u00e9".repeat(4)].length, 4);
  encryptKeystore(input({ passphrase: "\u00e9".repeat(4) }));
});

Deno.test("tampering with each header field is detected (documented codes)", () => {
  const ks = encryptKeystore(input({ kind: "node" }));
  // [description, mutation, expected code]
  // deno-lint-ignore no-explicit-any
  const cases: [string, (k: any) => void, string][] = [
    ["version", (k) => (k.version = 2), "unsupported_version"],
    ["kind node->wallet", (k) => (k.kind = "wallet"), "keystore_corrupt"],
    ["kind node->registry", (k) => (k.kind = "registry"), "keystore_corrupt"],
    ["kind unknown", (k) => (k.kind = "validator"), "unknown_kind"],
    [
      "publicKey (another valid key)",
      (k) => (k.publicKey = otherPublicKey()),
      "keystore_corrupt",
    ],
    ["kdf n", (k) => (k.crypto.kdf.params.n = 2 ** 11), "wrong_passphrase"],
    ["kdf r", (k) => (k.crypto.kdf.params.r = 4), "wrong_passphrase"],
    ["kdf p", (k) => (k.crypto.kdf.params.p = 2), "wrong_passphrase"],
    ["kdf dklen", (k) => (k.crypto.kdf.params.dklen = 64), "out_of_range"],
    [
      "kdf salt",
      (
        k,
      ) => (k.crypto.kdf.params.salt = flipHexBit(k.crypto.kdf.params.salt, 0)),
      "wrong_passphrase",
    ],
    [
      "kdf function",
      (k) => (k.crypto.kdf.function = "pbkdf2"),
      "unsupported_version",
    ],
    [
      "check message",
      (k) => (k.crypto.check.message = flipHexBit(k.crypto.check.message, 255)),
      "wrong_passphrase",
    ],
    [
      "check function",
      (k) => (k.crypto.check.function = "sha256"),
      "unsupported_version",
    ],
    [
      "cipher nonce",
      (
        k,
      ) => (k.crypto.cipher.params.nonce = flipHexBit(
        k.crypto.cipher.params.nonce,
        100,
      )),
      "keystore_corrupt",
    ],
    [
      "cipher function",
      (k) => (k.crypto.cipher.function = "aes-128-ctr"),
      "unsupported_version",
    ],
  ];
  for (const [what, mutate, code] of cases) {
    const k = json(ks);
    mutate(k);
    assert.throws(() => decryptKeystore(k, PASS), { code }, what);
  }
  // The free-text metadata is not authenticated: editing it is harmless.
  const edited = {
    ...json(ks),
    description: "renamed",
    createdAt: "2030-01-01T00:00:00Z",
  };
  assert.deepEqual(decryptKeystore(edited, PASS).secretKey, fill(32, 0x11));
});

Deno.test("ciphertext and tag bit flips are keystore_corrupt", () => {
  const ks = encryptKeystore(input());
  const bits = [0, 7, 100, 31 * 8 + 7, 32 * 8, 40 * 8 + 3, 47 * 8 + 7];
  for (const bit of bits) {
    const k = json(ks);
    k.crypto.cipher.message = flipHexBit(k.crypto.cipher.message, bit);
    assert.throws(
      () => decryptKeystore(k, PASS),
      { code: "keystore_corrupt" },
      `bit ${bit}`,
    );
  }
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 48 * 8 - 1 }), (bit) => {
      const k = json(ks);
      k.crypto.cipher.message = flipHexBit(k.crypto.cipher.message, bit);
      assert.throws(() => decryptKeystore(k, PASS), {
        code: "keystore_corrupt",
      });
    }),
    { numRuns: 16, seed: 42 },
  );
});

Deno.test("a secret that does not match the stored public key is keystore_corrupt", () => {
  // Built by the spec with a consistent header, so only the final check fails.
  const salt = fill(32, 1);
  const nonce = fill(24, 2);
  const publicKeyHex = otherPublicKey();
  const sealed = sealBySpec({
    secretKey: fill(32, 0x11),
    publicKeyHex,
    kind: "wallet",
    passphrase: PASS,
    salt,
    nonce,
    ...FAST,
  });
  const ks = {
    version: 1,
    kind: "wallet",
    publicKey: publicKeyHex,
    crypto: {
      kdf: {
        function: "scrypt",
        params: { ...FAST, dklen: 32, salt: toHex(salt) },
      },
      check: { function: "hmac-sha256", message: sealed.check },
      cipher: {
        function: "xchacha20-poly1305",
        params: { nonce: toHex(nonce) },
        message: sealed.message,
      },
    },
  };
  assert.throws(() => decryptKeystore(ks, PASS), {
    code: "keystore_corrupt",
    message: /does not match/,
  });
  // The same construction with the right public key opens: the spec is complete.
  const good = sealBySpec({
    secretKey: fill(32, 0x11),
    publicKeyHex: toHex(publicKeyOf(fill(32, 0x11))),
    kind: "wallet",
    passphrase: PASS,
    salt,
    nonce,
    ...FAST,
  });
  const okKs = {
    ...ks,
    publicKey: toHex(publicKeyOf(fill(32, 0x11))),
    crypto: {
      ...ks.crypto,
      check: { function: "hmac-sha256", message: good.check },
      cipher: { ...ks.crypto.cipher, message: good.message },
    },
  };
  assert.deepEqual(decryptKeystore(okKs, PASS).secretKey, fill(32, 0x11));
});

Deno.test("malformed hex: truncated, odd, non-hex, wrong lengths", () => {
  const ks = encryptKeystore(input());
  // deno-lint-ignore no-explicit-any
  const cases: [string, (k: any) => void, string][] = [
    [
      "message truncated",
      (k) => (k.crypto.cipher.message = k.crypto.cipher.message.slice(0, -2)),
      "bad_length",
    ],
    [
      "message odd",
      (k) => (k.crypto.cipher.message = k.crypto.cipher.message.slice(0, -1)),
      "bad_hex",
    ],
    [
      "message extended",
      (k) => (k.crypto.cipher.message += "00"),
      "bad_length",
    ],
    ["message empty", (k) => (k.crypto.cipher.message = ""), "bad_length"],
    [
      "message non-hex",
      (
        k,
      ) => (k.crypto.cipher.message = "zz" + k.crypto.cipher.message.slice(2)),
      "bad_hex",
    ],
    [
      "salt truncated",
      (k) => (k.crypto.kdf.params.salt = k.crypto.kdf.params.salt.slice(0, 62)),
      "bad_length",
    ],
    [
      "nonce 12 bytes",
      (k) => (k.crypto.cipher.params.nonce = "00".repeat(12)),
      "bad_length",
    ],
    [
      "nonce odd",
      (k) => (k.crypto.cipher.params.nonce = "0".repeat(47)),
      "bad_hex",
    ],
    [
      "check truncated",
      (k) => (k.crypto.check.message = k.crypto.check.message.slice(0, 32)),
      "bad_length",
    ],
    [
      "publicKey truncated",
      (k) => (k.publicKey = k.publicKey.slice(0, 62)),
      "bad_length",
    ],
    [
      "publicKey with 0x",
      (k) => (k.publicKey = "0x" + k.publicKey.slice(2)),
      "bad_hex",
    ],
    [
      "publicKey not a point",
      (k) => (k.publicKey = "00".repeat(32)),
      "bad_public_key",
    ],
  ];
  for (const [what, mutate, code] of cases) {
    const k = json(ks);
    mutate(k);
    assert.throws(() => decryptKeystore(k, PASS), { code }, what);
    assert.throws(() => parseKeystore(k), { code }, what);
  }
});

Deno.test("missing, unexpected and mistyped fields are bad_json", () => {
  const ks = encryptKeystore(input());
  const paths = [
    ["version"],
    ["kind"],
    ["publicKey"],
    ["crypto"],
    ["crypto", "kdf"],
    ["crypto", "kdf", "function"],
    ["crypto", "kdf", "params"],
    ["crypto", "kdf", "params", "n"],
    ["crypto", "kdf", "params", "r"],
    ["crypto", "kdf", "params", "p"],
    ["crypto", "kdf", "params", "dklen"],
    ["crypto", "kdf", "params", "salt"],
    ["crypto", "check"],
    ["crypto", "check", "function"],
    ["crypto", "check", "message"],
    ["crypto", "cipher"],
    ["crypto", "cipher", "function"],
    ["crypto", "cipher", "params"],
    ["crypto", "cipher", "params", "nonce"],
    ["crypto", "cipher", "message"],
  ];
  for (const path of paths) {
    const k = json(ks);
    let at = k;
    for (const p of path.slice(0, -1)) at = at[p];
    delete at[path.at(-1)!];
    assert.throws(() => decryptKeystore(k, PASS), {
      name: "DecodeError",
      code: "bad_json",
      message: new RegExp(path.at(-1)!),
    }, path.join("."));
  }
  // deno-lint-ignore no-explicit-any
  const mistyped: [string, (k: any) => void][] = [
    ["version string", (k) => (k.version = "1")],
    ["version fraction", (k) => (k.version = 1.5)],
    ["kind number", (k) => (k.kind = 1)],
    ["n string", (k) => (k.crypto.kdf.params.n = "1024")],
    ["r float", (k) => (k.crypto.kdf.params.r = 8.5)],
    ["salt array", (k) => (k.crypto.kdf.params.salt = [1, 2])],
    ["crypto array", (k) => (k.crypto = [])],
    ["cipher null", (k) => (k.crypto.cipher = null)],
    ["description number", (k) => (k.description = 5)],
    ["createdAt not RFC 3339", (k) => (k.createdAt = "yesterday")],
    ["unexpected top-level field", (k) => (k.uuid = "x")],
    ["unexpected nested field", (k) => (k.crypto.kdf.params.c = 1)],
  ];
  for (const [what, mutate] of mistyped) {
    const k = json(ks);
    mutate(k);
    assert.throws(() => decryptKeystore(k, PASS), { code: "bad_json" }, what);
  }
  for (const bad of [null, 5, "x", [], true, undefined]) {
    assert.throws(() => parseKeystore(bad), { code: "bad_json" });
  }
  for (
    const text of [
      "",
      "{",
      "not json",
      '{"version":1,}',
      keystoreToJson(ks).slice(0, -5),
    ]
  ) {
    assert.throws(() => keystoreFromJson(text), { code: "bad_json" });
    assert.throws(() => decryptKeystore(text, PASS), { code: "bad_json" });
  }
});

Deno.test("absurd scrypt parameters are refused before any KDF work", () => {
  const ks = encryptKeystore(input());
  const absurd: [number, number, number][] = [
    [2 ** 30, 8, 1],
    [2 ** 21, 1, 1],
    [2 ** 20, 8, 4], // each in range, but 16x the default's work (~1 GiB, ~16 s)
    [2 ** 20, 16, 1],
    [1000, 8, 1],
    [2 ** 9, 8, 1],
    [0, 8, 1],
    [-1024, 8, 1],
    [2 ** 10, 0, 1],
    [2 ** 10, 17, 1],
    [2 ** 10, 8, 0],
    [2 ** 10, 8, 5],
    [2 ** 53, 8, 1],
  ];
  for (const [n, r, p] of absurd) {
    const k = json(ks);
    Object.assign(k.crypto.kdf.params, { n, r, p });
    const start = performance.now();
    assert.throws(() => decryptKeystore(k, PASS), {
      name: "DecodeError",
      code: "out_of_range",
    }, `n=${n} r=${r} p=${p}`);
    assert.throws(() => checkScryptParams({ n, r, p }), {
      code: "out_of_range",
    });
    assert.throws(() => encryptKeystore(input({ kdf: { n, r, p } })), {
      code: "out_of_range",
    });
    // Running even the smallest of these would take far longer.
    assert(
      performance.now() - start < 50,
      `n=${n} r=${r} p=${p} was not refused at once`,
    );
  }
  // The bounds themselves are accepted.
  for (
    const ok of [{ n: 2 ** 10, r: 1, p: 1 }, { n: 2 ** 20, r: 8, p: 1 }, {
      n: 2 ** 18,
      r: 8,
      p: 4,
    }, { n: 2 ** 10, r: 16, p: 4 }]
  ) {
    checkScryptParams(ok);
  }
});

Deno.test("encryptKeystore validates its inputs", () => {
  assert.throws(() => encryptKeystore(input({ secretKey: fill(31, 1) })), {
    code: "bad_length",
  });
  assert.throws(() => encryptKeystore(input({ salt: fill(16, 1) })), {
    code: "bad_length",
  });
  assert.throws(() => encryptKeystore(input({ nonce: fill(12, 1) })), {
    code: "bad_length",
  });
  assert.throws(
    () => encryptKeystore(input({ kind: "validator" as unknown as "node" })),
    { code: "unknown_kind" },
  );
  assert.throws(() => encryptKeystore(input({ createdAt: "2024-13" })), {
    code: "bad_json",
  });
  const ks = encryptKeystore(
    input({
      createdAt: "2024-01-31T12:00:00.123+02:00",
      description: "node 1",
    }),
  );
  assert.equal(ks.createdAt, "2024-01-31T12:00:00.123+02:00");
  assert.equal(ks.description, "node 1");
  // The inputs are copied: wiping them afterwards does not change the result.
  const sk = fill(32, 5);
  const ks2 = encryptKeystore(input({ secretKey: sk }));
  sk.fill(0);
  assert.deepEqual(decryptKeystore(ks2, PASS).secretKey, fill(32, 5));
  assert(new DecodeError("bad_json", "x") instanceof CoreError);
});

Deno.test("keystoreToJson: canonical order and lower-case hex, whatever the input", () => {
  const ks = encryptKeystore(
    input({ description: "d", createdAt: "2024-01-01T00:00:00Z" }),
  );
  const text = keystoreToJson(ks);
  assert.deepEqual(
    [...text.matchAll(/^\s*"(\w+)":/gm)].map((m) => m[1]),
    [
      "version",
      "kind",
      "publicKey",
      "crypto",
      "kdf",
      "function",
      "params",
      "n",
      "r",
      "p",
      "dklen",
      "salt",
      "check",
      "function",
      "message",
      "cipher",
      "function",
      "params",
      "nonce",
      "message",
      "description",
      "createdAt",
    ],
  );
  assert(text.endsWith("}\n"));
  // Shuffled keys and upper-case hex serialise the same and still open.
  const k = json(ks);
  const shuffled = {
    createdAt: k.createdAt,
    crypto: {
      cipher: {
        message: k.crypto.cipher.message.toUpperCase(),
        params: k.crypto.cipher.params,
        function: k.crypto.cipher.function,
      },
      check: k.crypto.check,
      kdf: k.crypto.kdf,
    },
    description: k.description,
    publicKey: k.publicKey.toUpperCase(),
    kind: k.kind,
    version: k.version,
  };
  assert.equal(keystoreToJson(shuffled as Keystore), text);
  assert.deepEqual(decryptKeystore(shuffled, PASS).secretKey, fill(32, 0x11));
  assert.deepEqual(keystoreFromJson(text), ks);
  assert.throws(
    () => keystoreToJson({ ...ks, version: 3 } as unknown as Keystore),
    {
      code: "unsupported_version",
    },
  );
});

Deno.test("random round trips", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ minLength: 24, maxLength: 24 }),
      fc.array(
        fc.constantFrom(
          "a",
          "Z",
          "7",
          " ",
          "\u00e9",
          "e\u0301",
          "\ufb01",
          "\u{1F600}",
          "\u00df",
          "\u3000",
        ),
        { minLength: 8, maxLength: 24 },
      ).map((parts) => parts.join("")),
      fc.constantFrom(...KEYSTORE_KINDS),
      (secretKey, salt, nonce, passphrase, kind) => {
        const ks = keystoreFromJson(keystoreToJson(
          encryptKeystore({
            secretKey,
            salt,
            nonce,
            passphrase,
            kind,
            kdf: FAST,
          }),
        ));
        // Any canonically equivalent spelling opens it.
        const opened = decryptKeystore(ks, passphrase.normalize("NFD"));
        assert.deepEqual(opened.secretKey, secretKey);
        assert.equal(opened.kind, kind);
      },
    ),
    { numRuns: 12, seed: 7 },
  );
});

Deno.test("default parameters (N = 2^18): the only test that runs the full KDF", async () => {
  assert.deepEqual({ ...DEFAULT_SCRYPT }, { n: 2 ** 18, r: 8, p: 1 });
  const t0 = performance.now();
  const { kdf: _fast, ...withoutKdf } = input();
  const ks = await encryptKeystoreAsync(withoutKdf);
  const t1 = performance.now();
  assert.equal(ks.crypto.kdf.params.n, 2 ** 18);
  assert.equal(ks.crypto.kdf.params.r, 8);
  assert.equal(ks.crypto.kdf.params.p, 1);
  const opened = decryptKeystore(keystoreToJson(ks), PASS);
  const t2 = performance.now();
  assert.deepEqual(opened.secretKey, fill(32, 0x11));
  console.log(
    `N=2^18 encrypt (async) ${(t1 - t0).toFixed(0)} ms, decrypt (sync) ${
      (t2 - t1).toFixed(0)
    } ms`,
  );
});
