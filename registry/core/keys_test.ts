import assert from "node:assert/strict";
import { sha512 } from "@noble/hashes/sha2.js";
import { fromHex, toHex } from "./bytes.ts";
import {
  assertSignature,
  isValidPublicKey,
  parsePublicKey,
  parseSessionId,
  publicKeyOf,
  sign,
  verify,
  x25519FromEd25519,
} from "./keys.ts";
import { x25519 } from "@noble/curves/ed25519.js";

// RFC 8032 §7.1, tests 1, 2, 3 and SHA(abc).
const RFC8032 = [
  {
    sk: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    pk: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    msg: "",
    sig:
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
  },
  {
    sk: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    pk: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    msg: "72",
    sig:
      "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
  },
  {
    sk: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
    pk: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
    msg: "af82",
    sig:
      "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
  },
  {
    sk: "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
    pk: "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
    msg: toHex(sha512(new TextEncoder().encode("abc"))),
    sig:
      "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704",
  },
];

Deno.test("RFC 8032 §7.1 vectors: key derivation, signing, verification", () => {
  for (const v of RFC8032) {
    const sk = fromHex(v.sk);
    const msg = fromHex(v.msg);
    assert.equal(toHex(publicKeyOf(sk)), v.pk);
    assert.equal(toHex(sign(sk, msg)), v.sig);
    assert(verify(fromHex(v.pk), msg, fromHex(v.sig)));
  }
});

Deno.test("verify rejects a flipped bit anywhere in message, key or signature", () => {
  const v = RFC8032[2]!;
  const msg = fromHex(v.msg), pk = fromHex(v.pk), sig = fromHex(v.sig);
  for (
    const [which, bytes] of [["msg", msg], ["pk", pk], ["sig", sig]] as const
  ) {
    for (let i = 0; i < bytes.length; i++) {
      const bad = bytes.slice();
      bad[i]! ^= 0x01;
      const ok = which === "msg"
        ? verify(pk, bad, sig)
        : which === "pk"
        ? verify(bad, msg, sig)
        : verify(pk, msg, bad);
      assert.equal(ok, false, `${which} byte ${i}`);
    }
  }
});

// The group order L, little-endian, for building a non-canonical S.
const L = (1n << 252n) + 27742317777372353535851937790883648493n;
function leBytes(n: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
}
function leNumber(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!);
  return n;
}

Deno.test("strict: S >= L (malleated signature) is refused", () => {
  const v = RFC8032[1]!;
  const sig = fromHex(v.sig);
  const s = leNumber(sig.subarray(32));
  const malleated = new Uint8Array(64);
  malleated.set(sig.subarray(0, 32));
  malleated.set(leBytes(s + L, 32), 32);
  assert.equal(verify(fromHex(v.pk), fromHex(v.msg), malleated), false);
});

Deno.test("strict: small-order and non-canonical public keys are refused", () => {
  // With A = identity, R = B and S = 1 satisfy [S]B = R + [k]A for any message.
  const basePoint = fromHex(
    "5866666666666666666666666666666666666666666666666666666666666666",
  );
  const forged = new Uint8Array(64);
  forged.set(basePoint);
  forged[32] = 1;
  const identity = new Uint8Array(32);
  identity[0] = 1;
  // y = p + 1: a non-canonical encoding of the identity that ZIP-215 accepts.
  const p = (1n << 255n) - 19n;
  const nonCanonical = leBytes(p + 1n, 32);
  const msg = new TextEncoder().encode("anything at all");
  assert.equal(verify(identity, msg, forged), false);
  assert.equal(verify(nonCanonical, msg, forged), false);
  assert.equal(isValidPublicKey(identity), false);
  assert.equal(isValidPublicKey(nonCanonical), false);
  assert.throws(() => parsePublicKey(toHex(identity)), {
    code: "bad_public_key",
  });
});

Deno.test("verify never throws on malformed input", () => {
  const junk = [
    new Uint8Array(0),
    new Uint8Array(31),
    new Uint8Array(33),
    new Uint8Array(64).fill(0xff),
  ];
  for (const a of junk) {
    for (const b of junk) assert.equal(verify(a, new Uint8Array(1), b), false);
  }
  assert.equal(
    verify(
      new Uint8Array(32).fill(0xff),
      new Uint8Array(1),
      new Uint8Array(64),
    ),
    false,
  );
});

Deno.test("assertSignature throws a typed error naming the signer", () => {
  const sk = new Uint8Array(32).fill(8);
  assert.throws(
    () =>
      assertSignature(
        publicKeyOf(sk),
        new Uint8Array([1]),
        sign(sk, new Uint8Array([2])),
        "operator wallet",
      ),
    (e: Error & { code?: string }) =>
      e.code === "bad_signature" && /operator wallet/.test(e.message),
  );
});

Deno.test("secret keys of the wrong length are refused with bad_length", () => {
  assert.throws(() => publicKeyOf(new Uint8Array(31)), { code: "bad_length" });
  assert.throws(() => sign(new Uint8Array(64), new Uint8Array(1)), {
    code: "bad_length",
  });
});

Deno.test("X25519 derived from Ed25519 agrees with the derived secret (Diffie-Hellman)", () => {
  const edSecret = new Uint8Array(32).fill(42);
  const xPub = x25519FromEd25519(publicKeyOf(edSecret));
  // The other side's X25519 pair.
  const peerSecret = new Uint8Array(32).fill(7);
  const peerPub = x25519.getPublicKey(peerSecret);
  // Convert our Ed25519 secret to X25519 the way libsodium does: clamp(SHA-512(seed)[0..32]).
  const h = sha512(edSecret).slice(0, 32);
  h[0]! &= 248;
  h[31]! &= 127;
  h[31]! |= 64;
  assert.deepEqual(
    x25519.getSharedSecret(h, peerPub),
    x25519.getSharedSecret(peerSecret, xPub),
  );
  assert.throws(() => x25519FromEd25519(new Uint8Array(32)), {
    code: "bad_public_key",
  });
});

Deno.test("Session IDs: 05 and 03 prefixes, 64 hex; anything else is refused", () => {
  const key = "ab".repeat(32);
  assert.equal(parseSessionId("05" + key).prefix, 0x05);
  assert.equal(parseSessionId("03" + key.toUpperCase()).prefix, 0x03);
  assert.deepEqual(parseSessionId("05" + key).key, fromHex(key));
  for (
    const bad of [
      "",
      "05",
      "05" + key + "00",
      "15" + key,
      key,
      "05" + "zz".repeat(32),
      " 05" + key,
    ]
  ) {
    assert.throws(() => parseSessionId(bad), { code: "bad_session_id" }, bad);
  }
});
