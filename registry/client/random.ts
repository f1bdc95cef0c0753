/**
 * Randomness for the client, injected so every choice (path hops, guards,
 * source order, refresh jitter) can be replayed from a seed in tests and
 * drawn from the platform's CSPRNG in use. Works in Deno and browsers.
 *
 * @module
 */

import { sha256 } from "@noble/hashes/sha2.js";

/**
 * A source of uniformly distributed 32-bit words. Everything else here
 * (bounded integers, floats, shuffles) is built on it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const r: RandomSource = seededRandom("example");
 * const x = r.nextUint32();
 * assert(Number.isInteger(x) && x >= 0 && x < 2 ** 32);
 * ```
 */
export interface RandomSource {
  /** A uniform integer in [0, 2^32). */
  nextUint32(): number;
}

/**
 * The platform's cryptographic generator (`crypto.getRandomValues`), read
 * 256 words at a time. The default of the client.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const r = cryptoRandom();
 * assert.notEqual(r.nextUint32() + r.nextUint32() + r.nextUint32(), 0);
 * ```
 */
export function cryptoRandom(): RandomSource {
  const buffer = new Uint32Array(256);
  let at = buffer.length;
  return {
    nextUint32() {
      if (at === buffer.length) {
        crypto.getRandomValues(buffer);
        at = 0;
      }
      return buffer[at++]!;
    },
  };
}

/**
 * A deterministic generator for tests and simulations: xoshiro128**
 * (Blackman and Vigna, "Scrambled linear pseudorandom number generators",
 * 2018), its 128-bit state the first 16 bytes of SHA-256 of the seed's
 * text. Not for anything an adversary may predict.
 *
 * @example The same seed gives the same sequence
 * ```ts
 * import assert from "node:assert/strict";
 * const a = seededRandom(42), b = seededRandom(42);
 * assert.deepEqual([a.nextUint32(), a.nextUint32()], [b.nextUint32(), b.nextUint32()]);
 * assert.notEqual(seededRandom(43).nextUint32(), seededRandom(42).nextUint32());
 * ```
 */
export function seededRandom(seed: string | number): RandomSource {
  const digest = sha256(new TextEncoder().encode(String(seed)));
  const view = new DataView(digest.buffer, digest.byteOffset, 16);
  let s0 = view.getUint32(0, true);
  let s1 = view.getUint32(4, true);
  let s2 = view.getUint32(8, true);
  let s3 = view.getUint32(12, true);
  // An all-zero state would stay zero forever; SHA-256 makes it
  // astronomically unlikely, but it costs nothing to rule out.
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
  const rotl = (x: number, k: number) => (x << k) | (x >>> (32 - k));
  return {
    nextUint32() {
      const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl(s3, 11);
      return result;
    },
  };
}

/**
 * A uniform integer in [0, n), without modulo bias: words at or above the
 * largest multiple of `n` below 2^32 are drawn again.
 *
 * @throws {RangeError} unless `n` is an integer in 1..2^32.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const r = seededRandom(1);
 * for (let i = 0; i < 100; i++) assert(randomInt(r, 6) < 6);
 * assert.equal(randomInt(r, 1), 0);
 * ```
 */
export function randomInt(random: RandomSource, n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 2 ** 32) {
    throw new RangeError(`randomInt needs 1 <= n <= 2^32, got ${n}`);
  }
  const limit = 2 ** 32 - (2 ** 32 % n);
  for (;;) {
    const x = random.nextUint32();
    if (x < limit) return x % n;
  }
}

/**
 * A uniform float in [0, 1) with 53 random bits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const x = randomFloat(seededRandom(1));
 * assert(x >= 0 && x < 1);
 * ```
 */
export function randomFloat(random: RandomSource): number {
  const hi = random.nextUint32() >>> 5; // 27 bits
  const lo = random.nextUint32() >>> 6; // 26 bits
  return (hi * 2 ** 26 + lo) / 2 ** 53;
}

/**
 * A shuffled copy (Fisher-Yates, Knuth vol. 2 §3.4.2 algorithm P).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const out = shuffled(seededRandom(1), [1, 2, 3, 4]);
 * assert.deepEqual([...out].sort(), [1, 2, 3, 4]);
 * ```
 */
export function shuffled<T>(random: RandomSource, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(random, i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
