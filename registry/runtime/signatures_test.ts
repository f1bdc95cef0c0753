import assert from "node:assert/strict";
import { ed25519 } from "@noble/curves/ed25519.js";
import { sha256, sha512 } from "@noble/hashes/sha2.js";
import { publicKeyOf, sign, verify } from "../core/keys.ts";
import { SignatureVerifier } from "./signatures.ts";

const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const P = 2n ** 255n - 19n;
const Point = ed25519.Point;
type Pt = InstanceType<typeof Point>;

function le(n: bigint, len = 32): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++, n >>= 8n) out[i] = Number(n & 255n);
  return out;
}
function fromLe(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!);
  return n;
}
function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A deterministic stream of bytes. */
function stream(seed: string): (n: number) => Uint8Array {
  let state = sha256(new TextEncoder().encode(seed));
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 32) {
      state = sha256(state);
      out.set(state.subarray(0, Math.min(32, n - i)), i);
    }
    return out;
  };
}

/** The 8 points of small order: [L]Q for random points Q. */
function smallOrderPoints(): Pt[] {
  const found = new Map<string, Pt>();
  const rand = stream("torsion");
  while (found.size < 8) {
    try {
      const q = Point.fromBytes(rand(32), false);
      // [L]Q = [L-1]Q + Q: no prime-order component is left.
      const small = q.multiplyUnsafe(L - 1n).add(q);
      found.set(small.toHex(), small);
    } catch { /* not a point */ }
  }
  return [...found.values()];
}

/** A signature whose R carries a small-order component (cofactored verify accepts it). */
function torsionedR(secret: Uint8Array, msg: Uint8Array, t: Pt): Uint8Array {
  const h = sha512(secret);
  const a = fromLe(
    (() => {
      const s = h.slice(0, 32);
      s[0]! &= 248;
      s[31]! &= 127;
      s[31]! |= 64;
      return s;
    })(),
  );
  const A = Point.BASE.multiply(a % L);
  const r = fromLe(sha512(concat(h.slice(32), msg))) % L;
  const R = Point.BASE.multiply(r).add(t);
  const Rb = R.toBytes();
  const k = fromLe(sha512(concat(Rb, A.toBytes(), msg))) % L;
  return concat(Rb, le((r + k * (a % L)) % L));
}

Deno.test("WebCrypto-backed verification refuses exactly what strict verification refuses", async () => {
  const verifier = new SignatureVerifier();
  const rand = stream("differential");
  const torsion = smallOrderPoints();
  let accepted = 0, refused = 0, torsionAccepted = 0;
  const check = async (
    pk: Uint8Array,
    msg: Uint8Array,
    sig: Uint8Array,
    label: string,
  ) => {
    const strict = verify(pk, msg, sig);
    assert.equal(await verifier.verify(pk, msg, sig), strict, label);
    if (strict) accepted++;
    else refused++;
    if (strict && label.startsWith("R + T")) torsionAccepted++;
  };
  for (let i = 0; i < 40; i++) {
    const secret = rand(32);
    const pk = publicKeyOf(secret);
    const msg = rand(1 + (i % 90));
    const sig = sign(secret, msg);
    await check(pk, msg, sig, `valid ${i}`);
    // Every bit of the signature, a few of the message and key.
    for (let bit = 0; bit < 512; bit += i % 2 === 0 ? 7 : 13) {
      const s = sig.slice();
      s[bit >> 3]! ^= 1 << (bit & 7);
      await check(pk, msg, s, `sig bit ${bit}`);
    }
    for (let bit = 0; bit < 256; bit += 37) {
      const k = pk.slice();
      k[bit >> 3]! ^= 1 << (bit & 7);
      await check(k, msg, sig, `key bit ${bit}`);
      const m = msg.slice();
      m[(bit >> 3) % m.length]! ^= 1 << (bit & 7);
      await check(pk, m, sig, `message bit ${bit}`);
    }
    // S + L, S + 2^253 and S = L: the malleations of S.
    const S = fromLe(sig.subarray(32));
    for (const s2 of [S + L, S + 8n * L, L, 2n ** 256n - 1n]) {
      if (s2 >= 2n ** 256n) continue;
      await check(
        pk,
        msg,
        concat(sig.subarray(0, 32), le(s2)),
        `S malleated ${s2}`,
      );
    }
    // R with a small-order component: strict (cofactored) verification
    // accepts it, a cofactorless WebCrypto refuses; the answers must agree.
    const t = torsion[i % torsion.length]!;
    await check(pk, msg, torsionedR(secret, msg, t), `R + T${i % 8}`);
    // A key with a small-order component (mixed order).
    const mixed = Point.fromBytes(pk, false).add(t).toBytes();
    await check(mixed, msg, sig, "mixed key");
  }
  // Non-canonical encodings of R: y >= p and x = 0 with the sign bit.
  const secret = rand(32);
  const pk = publicKeyOf(secret);
  const msg = rand(20);
  const sig = sign(secret, msg);
  for (
    const y of [
      P,
      P + 1n,
      P + 2n,
      2n ** 255n - 1n,
      1n | (1n << 255n),
      (P - 1n) | (1n << 255n),
    ]
  ) {
    await check(pk, msg, concat(le(y), sig.subarray(32)), `R = ${y}`);
  }
  // Small-order keys (every signature "verifies" under them) and non-canonical keys.
  for (const t of torsion) {
    await check(t.toBytes(), msg, sig, `small-order key ${t.toHex()}`);
    const forged = concat(t.toBytes(), le(0n));
    await check(t.toBytes(), msg, forged, "small-order key, forged");
  }
  for (const y of [P + 1n, 2n ** 255n - 1n, 1n | (1n << 255n)]) {
    await check(le(y), msg, sig, `key y = ${y}`);
  }
  await check(pk.subarray(1), msg, sig, "short key");
  await check(pk, msg, sig.subarray(1), "short signature");
  assert(accepted >= 40 && refused > 1000, `${accepted} / ${refused}`);
  assert(verifier.counts.fast >= 40, "honest signatures take the fast path");
  // Strict verification is cofactored: an R with a small-order component
  // verifies, and the fast verifier agreed (by confirming WebCrypto's refusal).
  assert(torsionAccepted >= 30, `R + T accepted ${torsionAccepted} times`);
});
