import assert from "node:assert/strict";
import fc from "fast-check";
import { sha256 } from "@noble/hashes/sha2.js";
import { compareBytes, fromHex, toHex } from "./bytes.ts";
import { CoreError, DecodeError } from "./errors.ts";
import {
  calcSwarmChanges,
  DECOMMISSIONED_REDISTRIBUTION_LOWER_PERCENTILE,
  EXCESS_BASE,
  FILL_SWARM_LOWER_PERCENTILE,
  IDEAL_SWARM_MARGIN,
  IDEAL_SWARM_SIZE,
  MAX_SWARM_ID,
  MIN_SWARM_SIZE,
  Mt19937_64,
  NEW_SWARM_SIZE,
  newSwarmId,
  pubkeyToSwarmSpace,
  STEALING_SWARM_UPPER_PERCENTILE,
  swarmForPubkey,
  swarmSeedFromHash,
  UNASSIGNED_SWARM_ID,
  uniformPortable,
} from "./swarm.ts";
import { libstdcxxSort } from "./introsort.ts";
import {
  buildHistories,
  buildVectors,
  type Calc,
  type SwarmVector,
  type VectorSwarm,
} from "./testdata/gen_swarm_vectors.ts";
import vectorFile from "./testdata/swarm_vectors.json" with { type: "json" };

const U64_MAX = (1n << 64n) - 1n;
const enc = new TextEncoder();

type Swarms = Map<bigint, Uint8Array[]>;

/** Deterministic distinct test keys. */
function keys(label: string, count: number): Uint8Array[] {
  return Array.from(
    { length: count },
    (_, i) => sha256(enc.encode(`${label}-${i}`)),
  );
}

/** Comparable form of a swarm map: entries in iteration order, hex members. */
function hexOf(
  m: ReadonlyMap<bigint, readonly Uint8Array[]>,
): [string, string[]][] {
  return [...m].map(([id, nodes]) => [id.toString(), nodes.map(toHex)]);
}

function total(m: ReadonlyMap<bigint, readonly Uint8Array[]>): number {
  let n = 0;
  for (const nodes of m.values()) n += nodes.length;
  return n;
}

function excessOf(m: ReadonlyMap<bigint, readonly Uint8Array[]>): number {
  let e = 0;
  for (const nodes of m.values()) e += Math.max(0, nodes.length - EXCESS_BASE);
  return e;
}

/** Run calcSwarmChanges with `fresh` nodes registering on top of `m`. */
function register(m: Swarms, fresh: Uint8Array[], seed: bigint): Swarms {
  return calcSwarmChanges(new Map([...m, [UNASSIGNED_SWARM_ID, fresh]]), seed);
}

function sizes(m: ReadonlyMap<bigint, readonly Uint8Array[]>): number[] {
  return [...m.values()].map((s) => s.length);
}

/** Hex of members in bytewise order, the order calcSwarmChanges takes them in. */
function sortedHex(nodes: readonly Uint8Array[]): string[] {
  return [...nodes].sort(compareBytes).map(toHex);
}

function mapOf(m: ReadonlyMap<bigint, readonly Uint8Array[]>): Swarms {
  return new Map([...m].map(([id, nodes]) => [id, [...nodes]]));
}

// ---------------------------------------------------------------------------
// A literal, unoptimised port of oxen-core service_node_swarm.cpp, used as an
// oracle for the indexed implementation. It rebuilds every sorted list and
// pool from scratch like upstream, sorting with the libstdc++ std::sort port
// (checked on its own against g++ in introsort_test.ts), and throws where
// upstream's `.at(0)` on an empty vector would throw.
// ---------------------------------------------------------------------------

class UpstreamThrow extends Error {}

function refEntries(m: Swarms): [bigint, Uint8Array[]][] {
  return [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function refSwarmSizes(m: Swarms): { id: bigint; size: number }[] {
  return libstdcxxSort(
    refEntries(m).map(([id, nodes]) => ({ id, size: nodes.length })),
    (a, b) => a.size < b.size,
  );
}

function refExcessPool(threshold: bigint, m: Swarms) {
  const pool: { pk: Uint8Array; id: bigint }[] = [];
  let excess = 0;
  for (const [id, nodes] of refEntries(m)) {
    if (BigInt(nodes.length) > threshold) {
      excess += nodes.length - MIN_SWARM_SIZE;
      for (const pk of nodes) pool.push({ pk, id });
    }
  }
  return { pool, excess };
}

function refRemove(e: { pk: Uint8Array; id: bigint }, m: Swarms): void {
  m.set(e.id, m.get(e.id)!.filter((pk) => compareBytes(pk, e.pk) !== 0));
}

function refCreateFromExcess(m: Swarms, rng: Mt19937_64): void {
  if ([...m.values()].some((s) => s.length < MIN_SWARM_SIZE)) return;
  while (excessOf(m) >= NEW_SWARM_SIZE + m.size * IDEAL_SWARM_MARGIN) {
    const fresh: Uint8Array[] = [];
    while (fresh.length < NEW_SWARM_SIZE) {
      const { pool } = refExcessPool(BigInt(EXCESS_BASE), m);
      if (pool.length === 0) return;
      const e = pool[Number(uniformPortable(rng, BigInt(pool.length)))]!;
      fresh.push(e.pk);
      refRemove(e, m);
    }
    const id = newSwarmId([...m.keys()]);
    assert(!m.has(id));
    m.set(id, fresh);
  }
}

function refAssign(
  pks: Uint8Array[],
  m: Swarms,
  rng: Mt19937_64,
  percentile: number,
): void {
  for (const pk of pks) {
    const sorted = refSwarmSizes(m);
    if (sorted.length === 0) throw new UpstreamThrow("std::out_of_range");
    const pi = Math.floor((percentile * (sorted.length - 1)) / 100);
    const pv = sorted[pi]!.size;
    let upper = sorted.length - 1;
    for (let i = pi; i < sorted.length; i++) {
      if (sorted[i]!.size > pv) {
        upper = i - 1;
        break;
      }
    }
    const r = Number(uniformPortable(rng, BigInt(upper + 1)));
    m.get(sorted[r]!.id)!.push(pk);
    refCreateFromExcess(m, rng);
  }
}

function referenceCalcSwarmChanges(
  input: ReadonlyMap<bigint, readonly Uint8Array[]>,
  seed: bigint,
): Swarms {
  const m: Swarms = new Map(
    [...input].map(([id, nodes]) => [id, [...nodes].sort(compareBytes)]),
  );
  if (m.size === 0) return m;
  const rng = new Mt19937_64(seed);
  const unassigned = m.get(UNASSIGNED_SWARM_ID) ?? [];
  m.delete(UNASSIGNED_SWARM_ID);
  if (m.size === 0) m.set(newSwarmId([]), []);
  refAssign(unassigned, m, rng, FILL_SWARM_LOWER_PERCENTILE);
  {
    const sorted = refSwarmSizes(m);
    let insufficient = false;
    for (const swarm of sorted) {
      if (swarm.size >= MIN_SWARM_SIZE) break;
      const poor = m.get(swarm.id)!;
      do {
        const pi = Math.floor(
          (STEALING_SWARM_UPPER_PERCENTILE * (sorted.length - 1)) / 100,
        );
        let pv = BigInt.asUintN(64, BigInt(sorted[pi]!.size) - 1n); // size_t arithmetic
        if (pv < BigInt(MIN_SWARM_SIZE)) pv = BigInt(MIN_SWARM_SIZE);
        const { pool, excess } = refExcessPool(pv, m);
        insufficient = excess < MIN_SWARM_SIZE - poor.length;
        if (insufficient) break;
        const e = pool[Number(uniformPortable(rng, BigInt(pool.length)))]!;
        refRemove(e, m);
        poor.push(e.pk);
      } while (poor.length < MIN_SWARM_SIZE);
      if (insufficient) break;
    }
  }
  refCreateFromExcess(m, rng);
  if (m.size > 1) {
    for (;;) {
      const victim = refEntries(m).find(([, nodes]) =>
        nodes.length < MIN_SWARM_SIZE
      );
      if (victim === undefined) break;
      m.delete(victim[0]);
      refAssign(
        victim[1],
        m,
        rng,
        DECOMMISSIONED_REDISTRIBUTION_LOWER_PERCENTILE,
      );
    }
  }
  return new Map(refEntries(m));
}

// ---------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------

const arbSeed = fc.bigInt({ min: 0n, max: U64_MAX });
const arbSwarmId = fc.oneof(
  fc.constantFrom(
    0n,
    1n,
    2n,
    1n << 62n,
    1n << 63n,
    MAX_SWARM_ID - 1n,
    MAX_SWARM_ID,
  ),
  fc.bigInt({ min: 0n, max: MAX_SWARM_ID }),
);

/** Arbitrary calcSwarmChanges input: swarms of 0-12 nodes plus an optional UNASSIGNED bucket. */
const arbInput = fc
  .record({
    swarms: fc.array(fc.record({ id: arbSwarmId, size: fc.nat(12) }), {
      maxLength: 10,
    }),
    unassigned: fc.option(fc.nat(40), { nil: undefined }),
    salt: fc.nat(),
  })
  .map(({ swarms, unassigned, salt }) => {
    let k = 0;
    const next = (n: number) => keys(`in-${salt}-${k++}`, n);
    const m: Swarms = new Map();
    for (const { id, size } of swarms) m.set(id, next(size));
    if (unassigned !== undefined) m.set(UNASSIGNED_SWARM_ID, next(unassigned));
    return m;
  });

/** A network built by registering `7 * k` nodes in bulk (k swarms). */
function network(k: number, label: string, seed: bigint): Swarms {
  const m = calcSwarmChanges(
    new Map([[UNASSIGNED_SWARM_ID, keys(label, IDEAL_SWARM_SIZE * k)]]),
    seed,
  );
  assert.equal(m.size, k);
  return m;
}

// ---------------------------------------------------------------------------
// MT19937-64 and the bounded draw
// ---------------------------------------------------------------------------

Deno.test("Mt19937_64 matches std::mt19937_64 for the default seed 5489", () => {
  const rng = new Mt19937_64(5489n);
  assert.equal(rng.next(), 14514284786278117030n);
  for (let i = 2; i < 10000; i++) rng.next();
  // [rand.predef]: the 10000th consecutive invocation of a default-constructed mt19937_64
  assert.equal(rng.next(), 9981545732273789042n);
});

Deno.test("Mt19937_64 outputs are uint64, deterministic per seed, and reject bad seeds", () => {
  const a = new Mt19937_64(U64_MAX);
  const b = new Mt19937_64(U64_MAX);
  const c = new Mt19937_64(0n);
  let differs = false;
  for (let i = 0; i < 700; i++) { // crosses two twists
    const x = a.next();
    assert(x >= 0n && x <= U64_MAX);
    assert.equal(b.next(), x);
    if (c.next() !== x) differs = true;
  }
  assert(differs);
  assert.throws(() => new Mt19937_64(-1n), { code: "out_of_range" });
  assert.throws(() => new Mt19937_64(1n << 64n), { code: "out_of_range" });
  assert.throws(() => new Mt19937_64(-1n), CoreError);
});

Deno.test("uniformPortable: n = 1 always gives 0 and draws once", () => {
  const rng = new Mt19937_64(7n);
  const shadow = new Mt19937_64(7n);
  for (let i = 0; i < 50; i++) {
    assert.equal(uniformPortable(rng, 1n), 0n);
    shadow.next();
  }
  assert.equal(rng.next(), shadow.next());
});

Deno.test("uniformPortable follows the upstream formula and stays in range", () => {
  fc.assert(
    fc.property(arbSeed, fc.bigInt({ min: 1n, max: U64_MAX }), (seed, n) => {
      const rng = new Mt19937_64(seed);
      const shadow = new Mt19937_64(seed);
      const got = uniformPortable(rng, n);
      const secureMax = U64_MAX - (U64_MAX % n);
      let x = shadow.next();
      while (x >= secureMax) x = shadow.next();
      assert.equal(got, x / (secureMax / n));
      assert(got >= 0n && got < n);
      assert.equal(rng.next(), shadow.next()); // same number of draws consumed
    }),
    { numRuns: 200 },
  );
  // Small bounds on a real stream
  const rng = new Mt19937_64(99n);
  const seen = new Set<bigint>();
  for (let i = 0; i < 200; i++) seen.add(uniformPortable(rng, 5n));
  assert.deepEqual([...seen].sort(), [0n, 1n, 2n, 3n, 4n]);
});

Deno.test("uniformPortable rejects draws at or above secureMax", () => {
  // n = 2^63 + 1: secureMax = 2^63 + 1 and secureMax / n = 1, so about half the
  // draws are rejected and the result is the first accepted draw itself.
  const n = (1n << 63n) + 1n;
  const rng = new Mt19937_64(5489n);
  const shadow = new Mt19937_64(5489n);
  const first = shadow.next();
  assert.equal(first, 14514284786278117030n);
  assert(first >= n); // the very first draw is rejected
  let x = shadow.next();
  while (x >= n) x = shadow.next();
  assert.equal(uniformPortable(rng, n), x);
  assert.equal(rng.next(), shadow.next());
  // n = 2^64 - 1 (max): only 2^64 - 1 itself is rejected, the result is the draw.
  const r2 = new Mt19937_64(1n);
  const s2 = new Mt19937_64(1n);
  assert.equal(uniformPortable(r2, U64_MAX), s2.next());
});

Deno.test("Mt19937_64.nextIndex draws exactly what uniformPortable draws", () => {
  const bounds = [
    1,
    2,
    3,
    5,
    7,
    100,
    1428,
    14285,
    (1 << 20) + 1,
    0x4000000 - 1,
    0x4000000,
    0x4000001,
    2 ** 32 - 1,
    2 ** 32,
    2 ** 40 + 3,
    Number.MAX_SAFE_INTEGER,
  ];
  fc.assert(
    fc.property(
      arbSeed,
      fc.array(
        fc.oneof(
          fc.constantFrom(...bounds),
          fc.integer({ min: 1, max: 1 << 26 }),
        ),
        { minLength: 50, maxLength: 400, size: "max" },
      ),
      (seed, ns) => {
        const a = new Mt19937_64(seed);
        const b = new Mt19937_64(seed);
        for (const n of ns) {
          assert.equal(
            a.nextIndex(n),
            Number(uniformPortable(b, BigInt(n))),
            `n=${n}`,
          );
        }
        assert.equal(a.next(), b.next()); // the same number of draws consumed
      },
    ),
    { numRuns: 100 },
  );
  // Many draws with bounds whose quotient often lands near an integer.
  const a = new Mt19937_64(1n);
  const b = new Mt19937_64(1n);
  for (let i = 0; i < 100_000; i++) {
    const n = [2, 3, 64, 1 << 25][i & 3]!;
    assert.equal(a.nextIndex(n), Number(uniformPortable(b, BigInt(n))));
  }
  for (const bad of [0, -1, 1.5, 2 ** 53 + 2, NaN]) {
    assert.throws(() => a.nextIndex(bad), { code: "out_of_range" });
  }
});

Deno.test("uniformPortable rejects bounds outside [1, 2^64-1]", () => {
  const rng = new Mt19937_64(1n);
  for (const n of [0n, -1n, 1n << 64n]) {
    assert.throws(() => uniformPortable(rng, n), (e: unknown) => {
      assert(e instanceof CoreError);
      assert.equal(e.code, "out_of_range");
      return true;
    });
  }
});

Deno.test("swarmSeedFromHash reads the first 8 bytes little-endian", () => {
  const hash = fromHex("0102030405060708" + "ff".repeat(24));
  assert.equal(swarmSeedFromHash(hash), 0x0807060504030201n);
  assert.equal(swarmSeedFromHash(new Uint8Array(32).fill(0xff)), U64_MAX);
  assert.throws(() => swarmSeedFromHash(new Uint8Array(8)), DecodeError);
  assert.throws(() => swarmSeedFromHash(new Uint8Array(33)), {
    code: "bad_length",
  });
});

// ---------------------------------------------------------------------------
// newSwarmId
// ---------------------------------------------------------------------------

Deno.test("newSwarmId: upstream unassigned_swarm_bug cases", () => {
  assert.equal(newSwarmId([]), 0n);
  const a = 0n;
  const b = newSwarmId([a]);
  assert.equal(b, MAX_SWARM_ID / 2n);
  const c = newSwarmId([a, b]);
  assert.equal(c, MAX_SWARM_ID / 2n + MAX_SWARM_ID / 4n + 1n);
  const d = newSwarmId([a, b, c]);
  assert.equal(d, MAX_SWARM_ID / 4n);
  // One swarm left: the new id is half way round, never the same id.
  assert.equal(newSwarmId([b]), MAX_SWARM_ID);
  assert.equal(
    newSwarmId([MAX_SWARM_ID / 4n]),
    MAX_SWARM_ID / 2n + MAX_SWARM_ID / 4n,
  );
  assert.equal(
    newSwarmId([12345678901234567890n]),
    12345678901234567890n - MAX_SWARM_ID / 2n - 1n,
  );
  // Straddling the midpoint: the largest gap's middle is at the wrap point.
  const h = MAX_SWARM_ID / 2n;
  assert.equal(newSwarmId([h - 100n, h + 100n]), MAX_SWARM_ID);
  assert.equal(newSwarmId([h - 100n, h + 101n]), 0n);
  assert.equal(newSwarmId([h - 101n, h + 101n]), MAX_SWARM_ID);
  assert.equal(newSwarmId([h - 101n, h + 102n]), 0n);
});

Deno.test("newSwarmId: largest gap, first maximal gap on ties, wrap gap only if strictly larger", () => {
  // Gaps 10 and 1000 (and a huge wrap gap): the wrap gap wins.
  assert.equal(
    newSwarmId([0n, 10n, 1010n]),
    1010n + (MAX_SWARM_ID - 1010n + 1n) / 2n,
  );
  // Without the wrap gap dominating: ids spread so the inner gap is largest.
  const A = 6_200_000_000_000_000_000n;
  // Gaps A and A tie; wrap = MAX_SWARM_ID - 2A + 1 < A. The first gap is kept.
  assert(MAX_SWARM_ID - 2n * A + 1n < A);
  assert.equal(newSwarmId([0n, A, 2n * A]), A / 2n);
  // Second gap strictly larger wins.
  assert.equal(newSwarmId([0n, A, 2n * A + 2n]), A + (A + 2n) / 2n);
  // Three equal gaps of (2^64-1)/3, the wrap gap among them: the first gap is
  // kept, the wrap gap does not win without being strictly larger.
  const third = U64_MAX / 3n;
  assert.equal(3n * third, U64_MAX);
  assert.equal(MAX_SWARM_ID - 2n * third + 0n + 1n, third);
  assert.equal(newSwarmId([2n * third, 0n, third]), third / 2n);
  // Wrap result: the middle of the last->first gap lies past MAX_SWARM_ID.
  // ids 2^63 and MAX-10: wrap gap 2^63+11 beats 2^63-12; diff 2^62+5 > toMax 10.
  assert.equal(newSwarmId([MAX_SWARM_ID - 10n, 1n << 63n]), (1n << 62n) - 6n);
});

Deno.test("newSwarmId is independent of the order of its input and rejects bad ids", () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(arbSwarmId, { maxLength: 12 }),
      fc.nat(),
      (ids, k) => {
        const shuffled = [...ids];
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = (k + i * 7919) % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        const id = newSwarmId(ids);
        assert.equal(newSwarmId(shuffled), id);
        assert(id >= 0n && id <= MAX_SWARM_ID);
        if (ids.length > 0 && ids.length < 10) assert(!ids.includes(id));
      },
    ),
    { numRuns: 200 },
  );
  assert.throws(() => newSwarmId([UNASSIGNED_SWARM_ID]), {
    code: "out_of_range",
  });
  assert.throws(() => newSwarmId([-1n]), { code: "out_of_range" });
});

Deno.test("newSwarmId + Mt19937_64: upstream deterministic_swarm_ids", () => {
  const rng = new Mt19937_64(12345n);
  const ids: bigint[] = []; // kept sorted, like std::map keys
  for (let i = 0; i < 10000; i++) {
    let n = rng.next();
    if (n < 1n << 62n) {
      assert(ids.length > 0);
      n %= BigInt(ids.length);
      ids.splice(Number(n), 1);
    } else {
      const id = newSwarmId(ids);
      let at = 0;
      while (at < ids.length && ids[at]! < id) at++;
      assert.notEqual(ids[at], id);
      ids.splice(at, 0, id);
    }
  }
  assert.equal(ids.length, 5048);
  const expected: [number, bigint][] = [
    [0, 1548112371908607n],
    [1, 4398046511103999n],
    [2, 7247980650299391n],
    [3, 10097914789494783n],
    [4, 12947848928690175n],
    [25, 72796465851793407n],
    [29, 84196202408574975n],
    [42, 121245346218115071n],
    [99, 283691592152252415n],
    [404, 1203745330089164798n],
    [888, 2829738309616402430n],
    [999, 3243154681660178430n],
    [2000, 6581905302285713406n],
    [3000, 10403878089179267070n],
    [3333, 11669248846982021118n],
    [4567, 16860997617805426686n],
    [5000, 18311495347400081406n],
    [5045, 18439742383663874046n],
    [5046, 18442592317803069438n],
    [5047, 18445442251942264830n],
  ];
  for (const [i, id] of expected) assert.equal(ids[i], id, `ids[${i}]`);
});

// ---------------------------------------------------------------------------
// Pubkey -> swarm
// ---------------------------------------------------------------------------

Deno.test("pubkeyToSwarmSpace: libsession-util vectors", () => {
  const cases: [string, bigint][] = [
    [
      "3506f4a71324b7dd114eddbf4e311f39dde243e1f2cb97c40db1961f70ebaae8",
      17589930838143112648n,
    ],
    [
      "cf27da303a50ac8c4b2d43d27259505c9bcd73fc21cf2a57902c3d050730b604",
      10370619079776428163n,
    ],
    [
      "d3511706b8b34f6e8411bf07bd22ba6b2435ca56846fbccf6eb1e166a6cd15cc",
      2144983569669512198n,
    ],
    [
      "0f06693428fca9102a451e3f28d9cc743d8ea60a89ab6aa69eb119470c11cbd3",
      9690840703409570833n,
    ],
    [
      "ffba630924aa1224bb930dde21c0d11bf004608f2812217f8ac812d6c7e3ad48",
      4532060000165252872n,
    ],
    ["eeeeeeeeeeeeeeee777777777777777711111111111111118888888888888888", 0n],
    ["0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 0n],
    ["fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe", 1n],
    [
      "ffffffffffffffffffffffffffffffffffffffffffffffff7fffffffffffffff",
      1n << 63n,
    ],
    [
      "000000000000000000000000000000000000000000000000ffffffffffffffff",
      U64_MAX,
    ],
    [
      "0000000000000000000000000000000000000000000000000123456789abcdef",
      0x0123456789abcdefn,
    ],
  ];
  for (const [hex, v] of cases) {
    assert.equal(pubkeyToSwarmSpace(fromHex(hex)), v, hex);
  }
  // A subarray view works (byteOffset honoured).
  const buf = new Uint8Array(40);
  buf.set(fromHex(cases[0]![0]), 5);
  assert.equal(pubkeyToSwarmSpace(buf.subarray(5, 37)), cases[0]![1]);
  assert.throws(() => pubkeyToSwarmSpace(new Uint8Array(33)), {
    code: "bad_length",
  });
  assert.throws(() => pubkeyToSwarmSpace(new Uint8Array(31)), DecodeError);
});

/** A 32-byte key whose swarm-space value is `v` (last word = v, the rest zero). */
function keyAt(v: bigint): Uint8Array {
  const k = new Uint8Array(32);
  new DataView(k.buffer).setBigUint64(24, v);
  return k;
}

Deno.test("swarmForPubkey: libsession-util get_swarm vectors", () => {
  const swarms = [100n, 200n, 300n, 399n, 498n, 596n, 694n];
  const at = (v: bigint, ids = swarms) => swarmForPubkey(ids, keyAt(v));
  // Exact matches
  assert.equal(at(100n), 100n);
  assert.equal(at(200n), 200n);
  assert.equal(at(498n), 498n);
  // Nearest
  assert.equal(at(0n), 100n);
  assert.equal(at(1n), 100n);
  // Wrap-around, both ways
  assert.equal(at(0x8000000000000000n), 694n);
  assert.equal(at(0xa000000000000000n), 100n);
  // 2^64-1 (the unassigned id) is still a valid key position
  assert.equal(at(U64_MAX), 100n);
  assert.equal(at(U64_MAX - 1n), 100n);
  // Midpoints go to the lower (left) swarm
  const mids: [bigint, bigint][] = [
    [0x95n, 100n],
    [0x96n, 100n],
    [0x97n, 200n],
    [0xf9n, 200n],
    [0xfan, 200n],
    [0xfbn, 300n],
    [0x15dn, 300n],
    [0x15en, 399n],
    [0x1c0n, 399n],
    [0x1c1n, 498n],
    [0x222n, 498n],
    [0x223n, 498n],
    [0x224n, 596n],
    [0x285n, 596n],
    [0x286n, 694n],
    // the long way round between 694 and 100: ties go left, i.e. to 694
    [0x800000000000018cn, 694n],
    [0x800000000000018dn, 694n],
    [0x800000000000018en, 100n],
  ];
  for (const [v, id] of mids) assert.equal(at(v), id, `0x${v.toString(16)}`);
  // A swarm at 2^64-20: the midpoint to 100 is 40; ties go left (to the top swarm)
  const withTop = [...swarms, U64_MAX - 19n];
  assert.equal(at(0x27n, withTop), U64_MAX - 19n);
  assert.equal(at(0x28n, withTop), U64_MAX - 19n);
  assert.equal(at(0x29n, withTop), 100n);
  // A swarm at 0 and a key at 2^64-1: one apart, not 2^64-1 apart
  const withZero = [0n, ...withTop];
  assert.equal(at(U64_MAX, withZero), 0n);
  assert.equal(at(U64_MAX - 1n, withZero), 0n);
});

Deno.test("swarmForPubkey: one swarm, no swarms, order of ids, bad input", () => {
  fc.assert(
    fc.property(arbSwarmId, fc.bigInt({ min: 0n, max: U64_MAX }), (id, v) => {
      assert.equal(swarmForPubkey([id], keyAt(v)), id);
    }),
    { numRuns: 50 },
  );
  assert.throws(() => swarmForPubkey([], keyAt(1n)), (e: unknown) => {
    assert(e instanceof CoreError);
    assert.equal(e.code, "no_swarms");
    return true;
  });
  assert.throws(() => swarmForPubkey([1n], new Uint8Array(33)), {
    code: "bad_length",
  });
  assert.throws(() => swarmForPubkey([1n << 64n], keyAt(1n)), {
    code: "out_of_range",
  });
  assert.equal(swarmForPubkey([694n, 100n, 300n, 200n], keyAt(0x96n)), 100n);
});

Deno.test("swarmForPubkey agrees with a brute-force nearest-on-the-ring search", () => {
  // Values clustered so that exact ties and wrap-around are common.
  const arbPoint = fc.oneof(
    fc.bigInt({ min: 0n, max: 64n }),
    fc.bigInt({ min: U64_MAX - 64n, max: U64_MAX }),
    fc.bigInt({ min: (1n << 63n) - 64n, max: (1n << 63n) + 64n }),
    fc.bigInt({ min: 0n, max: U64_MAX }),
  );
  fc.assert(
    fc.property(
      fc.uniqueArray(arbPoint, { minLength: 1, maxLength: 8 }),
      arbPoint,
      (ids, v) => {
        const M = 1n << 64n;
        // nearest by ring distance; on a tie the swarm reached going down (left)
        let best: { id: bigint; dist: bigint; left: boolean } | undefined;
        for (const id of ids) {
          const down = (v - id + M) % M; // v - id: id is to the left
          const up = (id - v + M) % M;
          const cand = down <= up
            ? { id, dist: down, left: true }
            : { id, dist: up, left: false };
          if (
            best === undefined || cand.dist < best.dist ||
            (cand.dist === best.dist && cand.left && !best.left)
          ) best = cand;
        }
        assert.equal(swarmForPubkey(ids, keyAt(v)), best!.id);
        assert.equal(swarmForPubkey([...ids].reverse(), keyAt(v)), best!.id);
      },
    ),
    { numRuns: 200 },
  );
});

// ---------------------------------------------------------------------------
// calcSwarmChanges: examples
// ---------------------------------------------------------------------------

Deno.test("calcSwarmChanges: step 0 edge cases", () => {
  assert.deepEqual(calcSwarmChanges(new Map(), 1n), new Map());
  assert.deepEqual(
    hexOf(calcSwarmChanges(new Map([[UNASSIGNED_SWARM_ID, []]]), 1n)),
    [["0", []]],
  );
  const one = keys("one", 1);
  assert.deepEqual(
    hexOf(calcSwarmChanges(new Map([[UNASSIGNED_SWARM_ID, one]]), 1n)),
    [["0", one.map(toHex)]],
  );
  // A single small swarm is never dissolved (step 4 needs more than one swarm).
  const three = keys("three", 3);
  assert.deepEqual(hexOf(calcSwarmChanges(new Map([[42n, three]]), 1n)), [
    ["42", three.map(toHex).sort()],
  ]);
});

Deno.test("calcSwarmChanges: fewer than 5 nodes over several swarms keep the last swarm", () => {
  // Upstream throws std::out_of_range here; the port keeps the last swarm.
  const [a, b, c] = keys("few", 3) as [Uint8Array, Uint8Array, Uint8Array];
  const input = new Map([[1n, [a]], [2n, [b, c]]]);
  assert.throws(() => referenceCalcSwarmChanges(input, 5n), UpstreamThrow);
  const out = calcSwarmChanges(input, 5n);
  assert.deepEqual([...out.keys()], [2n]);
  assert.deepEqual(
    out.get(2n)!.map(toHex),
    [...[b, c].sort(compareBytes), a].map(toHex),
  );
  // With no nodes at all, every starving swarm is dissolved, like upstream.
  assert.deepEqual(
    calcSwarmChanges(new Map([[1n, []], [2n, []]]), 5n),
    new Map(),
  );
});

Deno.test("calcSwarmChanges: an empty swarm at the 75th percentile blocks stealing (size_t wrap)", () => {
  const rich = keys("rich", 10);
  const input = new Map<bigint, Uint8Array[]>([[1n, []], [2n, []], [3n, []], [
    4n,
    [],
  ], [5n, rich]]);
  const out = calcSwarmChanges(input, 3n);
  // Nothing stolen: the empty swarms are dissolved (they have no nodes) and swarm 5 is intact.
  assert.deepEqual(hexOf(out), [["5", rich.map(toHex).sort()]]);
  assert.deepEqual(hexOf(out), hexOf(referenceCalcSwarmChanges(input, 3n)));
});

Deno.test("calcSwarmChanges sorts members bytewise and spots duplicates even when keys share long prefixes", () => {
  // 200 keys equal in their first 30 bytes, plus keys of other lengths that
  // are prefixes of each other: the member order must still be bytewise.
  const shared = Array.from({ length: 200 }, (_, i) => {
    const k = new Uint8Array(32).fill(7);
    k[30] = i >> 3;
    k[31] = (i * 37) & 0xff;
    return k;
  });
  const short = [[1], [1, 0], [1, 0, 0], [0], [], [1, 0, 0, 0, 0, 0, 0, 1]].map(
    (b) => new Uint8Array(b),
  );
  const input = new Map<bigint, Uint8Array[]>([
    [UNASSIGNED_SWARM_ID, [...shared].reverse()],
    [5n, short],
  ]);
  const out = calcSwarmChanges(input, 99n);
  assert.deepEqual(hexOf(out), hexOf(referenceCalcSwarmChanges(input, 99n)));
  // A duplicate among them, far apart in input order.
  const dup = new Uint8Array(shared[150]!);
  assert.throws(
    () =>
      calcSwarmChanges(
        new Map([[UNASSIGNED_SWARM_ID, [...shared, dup]], [5n, short]]),
        1n,
      ),
    {
      code: "duplicate_node",
      message: `node ${toHex(dup)} appears more than once`,
    },
  );
  assert.throws(
    () =>
      calcSwarmChanges(
        new Map([[1n, [new Uint8Array([1, 0])]], [5n, short]]),
        1n,
      ),
    { code: "duplicate_node", message: "node 0100 appears more than once" },
  );
});

Deno.test("calcSwarmChanges rejects duplicate nodes and out-of-range ids or seeds", () => {
  const [a, b] = keys("dup", 2) as [Uint8Array, Uint8Array];
  assert.throws(
    () =>
      calcSwarmChanges(
        new Map([[1n, [a, b]], [UNASSIGNED_SWARM_ID, [new Uint8Array(a)]]]),
        1n,
      ),
    { code: "duplicate_node" },
  );
  assert.throws(() => calcSwarmChanges(new Map([[1n, [a, a]]]), 1n), CoreError);
  assert.throws(() => calcSwarmChanges(new Map([[-1n, [a]]]), 1n), {
    code: "out_of_range",
  });
  assert.throws(() => calcSwarmChanges(new Map([[1n << 64n, [a]]]), 1n), {
    code: "out_of_range",
  });
  assert.throws(() => calcSwarmChanges(new Map([[1n, [a]]]), -1n), {
    code: "out_of_range",
  });
  assert.throws(() => calcSwarmChanges(new Map([[1n, [a]]]), 1n << 64n), {
    code: "out_of_range",
  });
});

// ---------------------------------------------------------------------------
// calcSwarmChanges: general invariants (random inputs)
// ---------------------------------------------------------------------------

Deno.test("calcSwarmChanges matches the literal port of upstream", () => {
  fc.assert(
    fc.property(arbInput, arbSeed, (input, seed) => {
      const out = calcSwarmChanges(input, seed);
      let expected: Swarms;
      try {
        expected = referenceCalcSwarmChanges(input, seed);
      } catch (e) {
        // Upstream throws only when the last swarm would be dissolved with nodes in it.
        assert(e instanceof UpstreamThrow);
        assert(total(input) > 0 && total(input) < MIN_SWARM_SIZE);
        assert.equal(out.size, 1);
        return;
      }
      assert.deepEqual(hexOf(out), hexOf(expected));
    }),
    { numRuns: 200 },
  );
});

/** Larger networks, 17 to 60 swarms of 0-10 nodes, many of equal size, plus newcomers. */
const arbLargeInput = fc
  .record({
    sizes: fc.array(fc.oneof(fc.integer({ min: 3, max: 9 }), fc.nat(10)), {
      minLength: 17,
      maxLength: 60,
    }),
    unassigned: fc.nat(60),
    salt: fc.nat(),
    spread: fc.bigInt({ min: 1n, max: MAX_SWARM_ID / 64n }),
  })
  .map(({ sizes, unassigned, salt, spread }) => {
    let k = 0;
    const next = (n: number) => keys(`large-${salt}-${k++}`, n);
    const m: Swarms = new Map();
    sizes.forEach((size, i) => m.set(BigInt(i) * spread, next(size)));
    m.set(UNASSIGNED_SWARM_ID, next(unassigned));
    return m;
  });

Deno.test("calcSwarmChanges matches the literal port of upstream on networks of more than 16 swarms", () => {
  fc.assert(
    fc.property(arbLargeInput, arbSeed, (input, seed) => {
      assert.deepEqual(
        hexOf(calcSwarmChanges(input, seed)),
        hexOf(referenceCalcSwarmChanges(input, seed)),
      );
    }),
    { numRuns: 60 },
  );
});

Deno.test("calcSwarmChanges invariants: determinism, no mutation, every node once, sizes", () => {
  fc.assert(
    fc.property(arbInput, arbSeed, (input, seed) => {
      const before = hexOf(input);
      const arrays = [...input.values()];
      const out = calcSwarmChanges(input, seed);
      // input untouched (map entries, array identity and contents)
      assert.deepEqual(hexOf(input), before);
      assert.deepEqual([...input.values()], arrays);
      for (const nodes of out.values()) assert(!arrays.includes(nodes));
      // deterministic
      assert.deepEqual(hexOf(calcSwarmChanges(input, seed)), hexOf(out));
      // ids ascending, never UNASSIGNED
      const ids = [...out.keys()];
      assert(!out.has(UNASSIGNED_SWARM_ID));
      for (let i = 1; i < ids.length; i++) assert(ids[i - 1]! < ids[i]!);
      // every node exactly once
      const inNodes = [...input.values()].flat().map(toHex).sort();
      const outNodes = [...out.values()].flat().map(toHex).sort();
      assert.deepEqual(outNodes, inNodes);
      // sizes: with >= 5 nodes every swarm has >= 5 (one swarm if fewer in total)
      if (input.size > 0) assert(out.size >= 1 || inNodes.length === 0);
      if (inNodes.length >= MIN_SWARM_SIZE) {
        for (const n of sizes(out)) assert(n >= MIN_SWARM_SIZE);
      }
      if (inNodes.length > 0 && inNodes.length < MIN_SWARM_SIZE) {
        assert.equal(out.size, 1);
      }
    }),
    { numRuns: 150 },
  );
});

Deno.test("calcSwarmChanges ignores the order of members and of map entries", () => {
  fc.assert(
    fc.property(arbInput, arbSeed, fc.nat(), (input, seed, k) => {
      const permuted = new Map(
        [...input].reverse().map(([id, nodes], i) => {
          const copy = [...nodes];
          const rot = (k + i) % Math.max(1, copy.length);
          return [id, [...copy.slice(rot), ...copy.slice(0, rot)].reverse()];
        }),
      );
      assert.deepEqual(
        hexOf(calcSwarmChanges(permuted, seed)),
        hexOf(calcSwarmChanges(input, seed)),
      );
    }),
    { numRuns: 100 },
  );
});

// ---------------------------------------------------------------------------
// calcSwarmChanges: the properties upstream's service_nodes_swarm.cpp checks
// ---------------------------------------------------------------------------

/** Upstream getExpectedNumSwarmsNoDereg: 1 + max(0, N - 7) / 7. */
function expectedSwarms(n: number): number {
  return 1 + Math.floor(Math.max(0, n - IDEAL_SWARM_SIZE) / IDEAL_SWARM_SIZE);
}

/** Upstream validateSwarmsNoDereg (the excess is only checked from N >= 7 on). */
function validateNoDereg(m: Swarms, n: number): void {
  const swarms = expectedSwarms(n);
  assert.equal(m.size, swarms, `swarms with ${n} nodes`);
  if (n >= IDEAL_SWARM_SIZE) {
    assert.equal(
      excessOf(m),
      swarms * IDEAL_SWARM_MARGIN + (n % IDEAL_SWARM_SIZE),
      `excess, ${n}`,
    );
  } else {
    assert.equal(excessOf(m), Math.max(0, n - EXCESS_BASE));
  }
}

Deno.test("registering nodes one by one: 1 + max(0, N-7)/7 swarms, excess 2*swarms + N%7", () => {
  fc.assert(
    fc.property(fc.nat(), arbSeed, (salt, base) => {
      const fresh = keys(`one-by-one-${salt}`, 140);
      let m: Swarms = new Map();
      for (let i = 0; i < fresh.length; i++) {
        m = register(m, [fresh[i]!], BigInt.asUintN(64, base + BigInt(i)));
        validateNoDereg(m, i + 1);
      }
    }),
    { numRuns: 8 },
  );
});

Deno.test("registering nodes one by one, upstream's 280 with seeds 0, 1, 2, ...", () => {
  const fresh = keys("upstream-one-by-one", 40 * IDEAL_SWARM_SIZE);
  let m: Swarms = new Map();
  for (let i = 0; i < fresh.length; i++) {
    m = register(m, [fresh[i]!], BigInt(i));
    validateNoDereg(m, i + 1);
  }
  assert.equal(m.size, 40);
});

Deno.test("registering nodes in bulk keeps the same swarm count and excess", () => {
  const upstreamIncrements = [
    1,
    3,
    19,
    4,
    8,
    13,
    1,
    22,
    1,
    7,
    2,
    1,
    11,
    18,
    6,
    10,
  ];
  fc.assert(
    fc.property(
      fc.oneof(
        fc.constant(upstreamIncrements),
        fc.array(fc.integer({ min: 1, max: 60 }), { maxLength: 10 }),
      ),
      fc.nat(),
      arbSeed,
      (increments, salt, base) => {
        let m: Swarms = new Map();
        let n = 0;
        increments.forEach((inc, i) => {
          m = register(
            m,
            keys(`bulk-${salt}-${i}`, inc),
            BigInt.asUintN(64, base + BigInt(i)),
          );
          n += inc;
          validateNoDereg(m, n);
        });
      },
    ),
    { numRuns: 40 },
  );
});

Deno.test("a new swarm is cut only once the excess reaches 7 + 2 * swarms", () => {
  // Upstream create_new_swarm_from_excess test, through calcSwarmChanges:
  // 11 swarms of 5 plus 7 + 2*11 - 1 excess nodes: no new swarm; one more: a new swarm.
  const ids = Array.from({ length: 11 }, (_, i) => BigInt(i));
  const base = new Map(ids.map((id) => [id, keys(`cut-${id}`, EXCESS_BASE)]));
  const extra = keys("cut-extra", NEW_SWARM_SIZE + 11 * IDEAL_SWARM_MARGIN);
  extra.slice(0, -1).forEach((k, i) => base.get(ids[i % 11]!)!.push(k));
  const below = calcSwarmChanges(base, 42n);
  assert.equal(below.size, 11);
  assert.deepEqual(
    hexOf(below),
    hexOf(new Map([...base].map(([id, n]) => [id, [...n].sort(compareBytes)]))),
  );
  const at = calcSwarmChanges(
    new Map([...below, [UNASSIGNED_SWARM_ID, extra.slice(-1)]]),
    42n,
  );
  assert.equal(at.size, 12);

  // In general: with every swarm >= 5 and no newcomers, step 3 cuts exactly
  // floor((E - 7 - 2S) / 7) + 1 swarms when E >= 7 + 2S, and none otherwise.
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: MIN_SWARM_SIZE, max: 16 }), {
        minLength: 1,
        maxLength: 10,
      }),
      fc.nat(),
      arbSeed,
      (sz, salt, seed) => {
        const m: Swarms = new Map(
          sz.map((n, i) => [BigInt(i) * 1000n, keys(`cut-${salt}-${i}`, n)]),
        );
        const s = m.size;
        const e = excessOf(m);
        const threshold = NEW_SWARM_SIZE + IDEAL_SWARM_MARGIN * s;
        const out = calcSwarmChanges(m, seed);
        const cuts = e >= threshold
          ? Math.floor((e - threshold) / NEW_SWARM_SIZE) + 1
          : 0;
        assert.equal(out.size, s + cuts);
        assert(excessOf(out) < NEW_SWARM_SIZE + IDEAL_SWARM_MARGIN * out.size);
        if (cuts === 0) {
          for (const [id, nodes] of m) {
            assert.deepEqual(
              out.get(id)!.map(toHex),
              [...nodes].sort(compareBytes).map(toHex),
            );
          }
        }
      },
    ),
    { numRuns: 100 },
  );
});

Deno.test("new nodes fill the smallest swarms", () => {
  // A single newcomer goes to a swarm no larger than the 25th-percentile size.
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: MIN_SWARM_SIZE, max: 9 }), {
        minLength: 1,
        maxLength: 12,
      }),
      fc.nat(),
      arbSeed,
      (sz, salt, seed) => {
        const m: Swarms = new Map(
          sz.map((n, i) => [BigInt(i) * 77n, keys(`fill-${salt}-${i}`, n)]),
        );
        fc.pre(excessOf(m) + 1 < NEW_SWARM_SIZE + IDEAL_SWARM_MARGIN * m.size);
        const [newcomer] = keys(`fill-new-${salt}`, 1) as [Uint8Array];
        const out = register(m, [newcomer], seed);
        const sorted = [...sz].sort((a, b) => a - b);
        const pval = sorted[
          Math.floor((FILL_SWARM_LOWER_PERCENTILE * (sz.length - 1)) / 100)
        ]!;
        let receivers = 0;
        for (const [id, nodes] of m) {
          const after = out.get(id)!;
          if (after.length === nodes.length + 1) {
            receivers++;
            assert(nodes.length <= pval);
            assert.equal(toHex(after[after.length - 1]!), toHex(newcomer));
          } else {
            assert.equal(after.length, nodes.length);
          }
        }
        assert.equal(receivers, 1);
      },
    ),
    { numRuns: 100 },
  );

  // Upstream register_snode_fills_low_swarms: 10 swarms, the first two dropped to 4,
  // 3 registrations cover the lowest 25% and refill both.
  fc.assert(
    fc.property(fc.nat(), arbSeed, (salt, seed) => {
      let m = network(10, `low-${salt}`, seed);
      const [first, second] = [...m.keys()] as [bigint, bigint];
      let s = seed;
      while (m.get(first)!.length > MIN_SWARM_SIZE) {
        m = mapOf(m);
        m.get(first)!.pop();
        m.get(second)!.pop();
        s = BigInt.asUintN(64, s + 1n);
        m = calcSwarmChanges(m, s);
      }
      m = mapOf(m);
      m.get(first)!.pop();
      m.get(second)!.pop();
      const out = register(
        m,
        keys(`low-new-${salt}`, 3),
        BigInt.asUintN(64, s + 1n),
      );
      assert(out.get(first)!.length >= MIN_SWARM_SIZE);
      assert(out.get(second)!.length >= MIN_SWARM_SIZE);
    }),
    { numRuns: 20 },
  );
});

Deno.test("a swarm shrinking to exactly 5 leaves the others untouched", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 2, max: 15 }),
      fc.nat(),
      arbSeed,
      fc.nat(),
      fc.boolean(),
      (k, salt, seed, pickAt, oneByOne) => {
        let m = network(k, `shrink-${salt}`, seed);
        const candidates = [...m].filter(([, n]) => n.length > MIN_SWARM_SIZE)
          .map(([id]) => id);
        fc.pre(candidates.length > 0);
        const victim = candidates[pickAt % candidates.length]!;
        let s = seed;
        while (m.get(victim)!.length > MIN_SWARM_SIZE) {
          const copy = m;
          m = mapOf(m);
          if (oneByOne) m.get(victim)!.pop();
          else {while (m.get(victim)!.length > MIN_SWARM_SIZE) {
              m.get(victim)!
                .pop();
            }}
          s = BigInt.asUintN(64, s + 1n);
          const expectedVictim = m.get(victim)!.map(toHex).sort();
          m = calcSwarmChanges(m, s);
          assert.equal(m.size, copy.size);
          for (const [id, nodes] of copy) {
            // same members; calcSwarmChanges takes each swarm in pubkey order
            if (id !== victim) {
              assert.deepEqual(
                m.get(id)!.map(toHex),
                sortedHex(nodes),
              );
            }
          }
          assert.deepEqual(m.get(victim)!.map(toHex), expectedVictim);
        }
      },
    ),
    { numRuns: 40 },
  );
});

Deno.test("refilling a poor swarm takes one node from exactly one rich swarm", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 3, max: 15 }),
      fc.nat(),
      arbSeed,
      fc.nat(),
      (k, salt, seed, pickAt) => {
        const before = network(k, `steal-${salt}`, seed);
        const ids = [...before.keys()];
        const victim = ids[pickAt % ids.length]!;
        const m = mapOf(before);
        while (m.get(victim)!.length >= MIN_SWARM_SIZE) m.get(victim)!.pop();
        // The Robin Hood pool: swarms above max(5, 75th-percentile size - 1).
        const sorted = sizes(m).sort((a, b) => a - b);
        const pval = Math.max(
          MIN_SWARM_SIZE,
          sorted[
            Math.floor(
              (STEALING_SWARM_UPPER_PERCENTILE * (sorted.length - 1)) / 100,
            )
          ]! - 1,
        );
        const poolExcess = sizes(m).filter((n) => n > pval).reduce(
          (a, n) => a + n - MIN_SWARM_SIZE,
          0,
        );
        fc.pre(poolExcess >= 1);
        const out = calcSwarmChanges(m, BigInt.asUintN(64, seed + 1n));
        assert.equal(out.size, before.size);
        const got = out.get(victim)!;
        assert.equal(got.length, MIN_SWARM_SIZE);
        const stolen = toHex(got[got.length - 1]!);
        let affected = 0;
        for (const [id, nodes] of m) {
          if (id === victim) continue;
          const after = out.get(id)!;
          if (after.length < nodes.length) {
            affected++;
            assert.equal(after.length, nodes.length - 1);
            assert(nodes.length > pval);
            assert(after.length >= MIN_SWARM_SIZE);
            // the same vector with the stolen element erased, order kept
            assert.deepEqual(
              after.map(toHex),
              sortedHex(nodes).filter((h) => h !== stolen),
            );
          } else {
            assert.deepEqual(after.map(toHex), sortedHex(nodes));
          }
        }
        assert.equal(affected, 1);
      },
    ),
    { numRuns: 40 },
  );

  // Upstream stealing_from_rich_swarms: 70 nodes, the first swarm cut to 4.
  const before = network(10, "upstream-steal", 70n);
  const first = [...before.keys()][0]!;
  const m = mapOf(before);
  while (m.get(first)!.length >= MIN_SWARM_SIZE) m.get(first)!.pop();
  const out = calcSwarmChanges(m, 70n);
  assert(out.get(first)!.length >= MIN_SWARM_SIZE);
  const affected = [...before.keys()].filter((id) =>
    id !== first && out.get(id)!.length < before.get(id)!.length
  );
  assert.equal(affected.length, 1);
  assert.equal(
    out.get(affected[0]!)!.length,
    before.get(affected[0]!)!.length - 1,
  );
});

Deno.test("a swarm dropping below 5 while all others are at 5 is dissolved", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 2, max: 12 }),
      fc.integer({ min: 0, max: 4 }),
      fc.nat(),
      fc.nat(),
      arbSeed,
      (s, victimSize, pickAt, salt, seed) => {
        const ids = Array.from(
          { length: s },
          (_, i) => BigInt(i) * (MAX_SWARM_ID / BigInt(s)),
        );
        const victim = ids[pickAt % s]!;
        const m: Swarms = new Map(
          ids.map((
            id,
            i,
          ) => [
            id,
            keys(
              `dis-${salt}-${i}`,
              id === victim ? victimSize : MIN_SWARM_SIZE,
            ),
          ]),
        );
        const out = calcSwarmChanges(m, seed);
        assert.equal(out.size, s - 1);
        assert(!out.has(victim));
        const outSizes = sizes(out);
        assert(Math.max(...outSizes) - Math.min(...outSizes) <= 1); // filled smallest first
        for (const [id, nodes] of m) {
          if (id === victim) continue;
          const after = out.get(id)!.map(toHex);
          // the old members first, in order; then nodes of the dissolved swarm
          assert.deepEqual(
            after.slice(0, nodes.length),
            [...nodes].sort(compareBytes).map(toHex),
          );
          const victimNodes = m.get(victim)!.map(toHex);
          for (const h of after.slice(nodes.length)) {
            assert(
              victimNodes.includes(h),
            );
          }
        }
      },
    ),
    { numRuns: 100 },
  );

  // Upstream decommission test: 70 nodes, all swarms cut to 5, one to 4.
  const m = mapOf(network(10, "upstream-decommission", 70n));
  for (const nodes of m.values()) {
    while (nodes.length > MIN_SWARM_SIZE) nodes.pop();
  }
  m.values().next().value!.pop();
  assert.equal(calcSwarmChanges(m, 70n).size, 9);
});

// ---------------------------------------------------------------------------
// Golden vectors
// ---------------------------------------------------------------------------

function decodeSwarms(swarms: readonly VectorSwarm[]): Swarms {
  return new Map(
    swarms.map((s) => [BigInt(s.id), s.nodes.map((h) => fromHex(h, 32))]),
  );
}

/** calcSwarmChanges as a vector-builder Calc; it has no way to report the deviation. */
const tsCalc: Calc = (input, seed) => ({
  output: calcSwarmChanges(input, seed),
  deviation: false,
});

Deno.test("golden vectors: testdata/swarm_vectors.json (outputs from g++/libstdc++)", () => {
  const vectors: SwarmVector[] = vectorFile.vectors;
  assert(vectors.length >= 19);
  for (const v of vectors) {
    const seed = BigInt(v.seed);
    assert.equal(seed, swarmSeedFromHash(fromHex(v.blockHash, 32)), v.name);
    const input = decodeSwarms(v.input);
    const got = calcSwarmChanges(input, seed);
    assert.deepEqual(
      [...got].map(([id, nodes]) => ({
        id: id.toString(),
        nodes: nodes.map(toHex),
      })),
      v.output,
      v.name,
    );
    if (v.deviation) {
      assert.throws(
        () => referenceCalcSwarmChanges(input, seed),
        UpstreamThrow,
      );
    } else {
      assert.deepEqual(
        hexOf(referenceCalcSwarmChanges(input, seed)),
        hexOf(got),
        v.name,
      );
    }
  }
  const names = vectors.map((v) => v.name);
  for (
    const n of [
      "one-node",
      "seven-nodes",
      "twenty-nodes",
      "hundred-nodes",
      "thousand-nodes",
      "seventeen-swarms",
      "forty-two-swarms-churn",
      "robin-hood-thirty-swarms",
      "dissolve-twenty-four-swarms",
    ]
  ) {
    assert(names.includes(n), n);
  }
  assert.deepEqual(
    vectors.filter((v) => v.deviation).map((v) => v.name),
    ["last-swarm-kept"],
  );
  // Networks of 17 to 500 swarms are covered.
  const swarmCounts = vectors.map((v) => v.output.length);
  assert(swarmCounts.includes(17) && Math.max(...swarmCounts) > 100);
});

Deno.test("golden vectors are what the generator builds (inputs chained from outputs)", async () => {
  const built = await buildVectors(tsCalc);
  const strip = (vs: SwarmVector[]) =>
    vs.map(({ deviation: _, ...rest }) => rest);
  assert.deepEqual(strip(built), strip(vectorFile.vectors));
});

Deno.test("simulated network histories of 150 and 500 swarms match g++/libstdc++ epoch by epoch", async () => {
  const histories = vectorFile.histories;
  const built = await buildHistories(tsCalc);
  assert.equal(built.length, histories.length);
  for (const [i, h] of histories.entries()) {
    const b = built[i]!;
    assert.equal(b.name, h.name);
    assert(h.epochs.length >= 9, h.name);
    h.epochs.forEach((e, k) => {
      assert.equal(
        e.seed,
        swarmSeedFromHash(fromHex(e.blockHash, 32)).toString(),
      );
      assert.deepEqual(b.epochs[k], e, `${h.name} epoch ${k}`);
    });
  }
  assert(histories.some((h) => h.epochs.some((e) => e.swarms >= 500)));
});

// Its speed is measured in bench/swarm_scaling.ts, not asserted here.
Deno.test("bulk assignment of 10,000 nodes is well-formed", () => {
  const nodes = keys("big", 10000);
  const out = calcSwarmChanges(new Map([[UNASSIGNED_SWARM_ID, nodes]]), 12345n);
  validateNoDereg(out, 10000);
});
