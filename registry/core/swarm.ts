/**
 * Swarm assignment and pubkey -> swarm mapping, ported bit-exactly from the
 * Oxen network (network.md §2 and §3):
 *
 * - {@linkcode calcSwarmChanges}: oxen-core `service_node_swarm.cpp`
 *   `calc_swarm_changes`, which decides which swarm every active service node
 *   belongs to, driven by a {@linkcode Mt19937_64} seeded from a block hash;
 * - {@linkcode swarmForPubkey}: oxen-storage-server / libsession-util
 *   `swarm.cpp`, which maps an account's 32-byte key to the swarm storing its
 *   messages.
 *
 * Where upstream sorts swarms by size it uses the unstable `std::sort`, so the
 * order of equal-size swarms is whatever the C++ library does; oxend's Linux
 * builds use GCC's libstdc++, and this port reproduces its `std::sort`
 * exactly (`libstdcxxSort`, `introsort.ts`). Everything is pure: the only
 * randomness is the seeded generator.
 *
 * @module
 */

import { bytesEqual, compareBytes, toHex } from "./bytes.ts";
import { CoreError, DecodeError } from "./errors.ts";
import { PoolIndex, type SwarmRules, SwarmState } from "./swarm_state.ts";
import {
  DECOMMISSIONED_REDISTRIBUTION_LOWER_PERCENTILE,
  EXCESS_BASE,
  FILL_SWARM_LOWER_PERCENTILE,
  IDEAL_SWARM_MARGIN,
  IDEAL_SWARM_SIZE,
  MAX_SWARM_ID,
  MIN_SWARM_SIZE,
  NEW_SWARM_SIZE,
  STEALING_SWARM_UPPER_PERCENTILE,
  UNASSIGNED_SWARM_ID,
} from "./swarm_rules.ts";

const U64_MAX = (1n << 64n) - 1n;

export {
  DECOMMISSIONED_REDISTRIBUTION_LOWER_PERCENTILE,
  EXCESS_BASE,
  FILL_SWARM_LOWER_PERCENTILE,
  IDEAL_SWARM_MARGIN,
  IDEAL_SWARM_SIZE,
  MAX_SWARM_ID,
  MIN_SWARM_SIZE,
  NEW_SWARM_SIZE,
  STEALING_SWARM_UPPER_PERCENTILE,
  UNASSIGNED_SWARM_ID,
};

// ---------------------------------------------------------------------------
// Random numbers
// ---------------------------------------------------------------------------

const NN = 312;
const MM = 156;
const TWO_32 = 4294967296;

/**
 * The 64-bit Mersenne Twister, `std::mt19937_64` (Matsumoto & Nishimura 2004,
 * `mt19937-64.c` with `init_genrand64`), the generator upstream seeds with the
 * block hash for `calc_swarm_changes`.
 *
 * The state is kept as 32-bit halves, so drawing needs no `bigint`
 * arithmetic; {@linkcode Mt19937_64.nextIndex} draws a bounded index without
 * any.
 *
 * @throws {CoreError} `out_of_range` when the seed is not a uint64.
 * @example The first output for the C++ default seed 5489
 * ```ts
 * import assert from "node:assert/strict";
 * const rng = new Mt19937_64(5489n);
 * assert.equal(rng.next(), 14514284786278117030n);
 * ```
 */
export class Mt19937_64 {
  readonly #hi = new Uint32Array(NN);
  readonly #lo = new Uint32Array(NN);
  #mti = NN;
  #outHi = 0;
  #outLo = 0;

  /** Seed like `std::mt19937_64(seed)` (`init_genrand64`). */
  constructor(seed: bigint) {
    checkU64(seed, "seed");
    let x = seed;
    for (let i = 0; i < NN; i++) {
      if (i > 0) {
        x = BigInt.asUintN(
          64,
          6364136223846793005n * (x ^ (x >> 62n)) + BigInt(i),
        );
      }
      this.#hi[i] = Number(x >> 32n);
      this.#lo[i] = Number(x & 0xFFFFFFFFn);
    }
  }

  /**
   * Regenerate the 312 words in place: `x = (mt[i] & 0xFFFFFFFF80000000) |
   * (mt[i+1] & 0x7FFFFFFF)`, `mt[i] = mt[i+156] ^ (x >> 1) ^ (x odd ?
   * 0xB5026F5AA96619E9 : 0)`, indices mod 312.
   */
  #twist(): void {
    const hi = this.#hi;
    const lo = this.#lo;
    for (let i = 0; i < NN; i++) {
      const j = i + 1 < NN ? i + 1 : 0;
      const k = i + MM < NN ? i + MM : i + MM - NN;
      const xh = hi[i]!;
      const xl = (lo[i]! & 0x80000000) | (lo[j]! & 0x7FFFFFFF);
      let yh = xh >>> 1;
      let yl = (xl >>> 1) | (xh << 31);
      if (xl & 1) {
        yh ^= 0xB5026F5A;
        yl ^= 0xA96619E9;
      }
      hi[i] = hi[k]! ^ yh;
      lo[i] = lo[k]! ^ yl;
    }
    this.#mti = 0;
  }

  /** Draw and temper the next word into #outHi / #outLo. */
  #step(): void {
    if (this.#mti >= NN) this.#twist();
    const i = this.#mti++;
    let h = this.#hi[i]!;
    let l = this.#lo[i]!;
    // x ^= (x >> 29) & 0x5555555555555555
    h ^= (h >>> 29) & 0x55555555;
    l ^= ((l >>> 29) | (this.#hi[i]! << 3)) & 0x55555555;
    // x ^= (x << 17) & 0x71D67FFFEDA60000
    h ^= ((h << 17) | (l >>> 15)) & 0x71D67FFF;
    l ^= (l << 17) & 0xEDA60000;
    // x ^= (x << 37) & 0xFFF7EEE000000000
    h ^= (l << 5) & 0xFFF7EEE0;
    // x ^= x >> 43
    l ^= h >>> 11;
    this.#outHi = h >>> 0;
    this.#outLo = l >>> 0;
  }

  /** The next uint64 output (`genrand64_int64`, `operator()`). */
  next(): bigint {
    this.#step();
    return (BigInt(this.#outHi) << 32n) | BigInt(this.#outLo);
  }

  /**
   * `uniformPortable(this, BigInt(n))` as a number, for an integer
   * `1 <= n <= 2^53`: the same result from the same draws. Bounds up to
   * 2^26 (every list a swarm computation draws from) need no `bigint`:
   * `(2^64-1) % n` comes from `2^32 % n`, and `x / (secureMax / n)` from a
   * double-precision quotient whose error is far below the distance to the
   * next integer unless the quotient is within 2^-20 of one, in which case
   * the exact division decides.
   *
   * @throws {CoreError} `out_of_range` for any other `n`.
   * @example The same as uniformPortable
   * ```ts
   * import assert from "node:assert/strict";
   * const a = new Mt19937_64(7n);
   * const b = new Mt19937_64(7n);
   * for (const n of [1, 7, 1000, 2 ** 40]) {
   *   assert.equal(a.nextIndex(n), Number(uniformPortable(b, BigInt(n))));
   * }
   * ```
   */
  nextIndex(n: number): number {
    if (!Number.isSafeInteger(n) || n < 1) {
      throw new CoreError(
        "out_of_range",
        `uniform bound must be an integer in [1, 2^53], got ${n}`,
      );
    }
    if (n > 0x4000000) return Number(uniformPortable(this, BigInt(n)));
    const m = TWO_32 % n;
    const rem = ((m * m) % n + n - 1) % n; // (2^64 - 1) % n
    // secureMax = 2^64 - 1 - rem = 0xFFFFFFFF : (0xFFFFFFFF - rem)
    const limitLo = 0xFFFFFFFF - rem;
    let h: number;
    let l: number;
    do {
      this.#step();
      h = this.#outHi;
      l = this.#outLo;
    } while (h === 0xFFFFFFFF && l >= limitLo);
    // x / (secureMax / n), secureMax / n = (2^64 - 1 - rem) / n exactly
    const t = ((h * TWO_32 + l) * n) / (18446744073709551615 - rem);
    const k = Math.floor(t);
    if (t - k > 1 / 1048576 && k + 1 - t > 1 / 1048576) return k;
    const x = (BigInt(h) << 32n) | BigInt(l);
    return Number(x / ((U64_MAX - BigInt(rem)) / BigInt(n)));
  }
}

/**
 * A uniform integer in `[0, n)` drawn by rejection, exactly as oxen-core
 * `tools::uniform_distribution_portable` (`src/common/random.cpp`):
 * `secureMax = 2^64-1 - ((2^64-1) % n)`; draw until `x < secureMax`; return
 * `x / (secureMax / n)`.
 *
 * @throws {CoreError} `out_of_range` unless `1 <= n <= 2^64-1`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const rng = new Mt19937_64(5489n);
 * assert.equal(uniformPortable(rng, 1n), 0n);
 * const x = uniformPortable(rng, 10n);
 * assert(x >= 0n && x < 10n);
 * assert.throws(() => uniformPortable(rng, 0n), { code: "out_of_range" });
 * ```
 */
export function uniformPortable(rng: Mt19937_64, n: bigint): bigint {
  if (typeof n !== "bigint" || n < 1n || n > U64_MAX) {
    throw new CoreError(
      "out_of_range",
      `uniform bound must be in [1, 2^64-1], got ${n}`,
    );
  }
  const secureMax = U64_MAX - (U64_MAX % n);
  let x: bigint;
  do x = rng.next(); while (x >= secureMax);
  return x / (secureMax / n);
}

/** `uniformPortable` for a positive count, as a number. */
function pick(rng: Mt19937_64, n: number): number {
  return rng.nextIndex(n);
}

/**
 * The block-hash seed of `calc_swarm_changes`: the first 8 bytes of the
 * 32-byte hash read little-endian (oxen-core `service_node_list.cpp`
 * `memcpy(&seed, hash.data, sizeof(seed))` on a little-endian host).
 *
 * @throws {DecodeError} `bad_length` unless the hash is 32 bytes.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const hash = new Uint8Array(32);
 * hash[0] = 1;
 * hash[7] = 0x80;
 * assert.equal(swarmSeedFromHash(hash), (1n << 63n) + 1n);
 * ```
 */
export function swarmSeedFromHash(hash: Uint8Array): bigint {
  if (hash.length !== 32) {
    throw new DecodeError(
      "bad_length",
      `expected a 32-byte block hash, got ${hash.length} bytes`,
    );
  }
  return new DataView(hash.buffer, hash.byteOffset, 8).getBigUint64(0, true);
}

// ---------------------------------------------------------------------------
// Swarm ids
// ---------------------------------------------------------------------------

function checkU64(v: bigint, what: string): void {
  if (typeof v !== "bigint" || v < 0n || v > U64_MAX) {
    throw new CoreError("out_of_range", `${what} must be a uint64, got ${v}`);
  }
}

function compareBigint(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `get_new_swarm_id` on ids already sorted ascending, each <= MAX_SWARM_ID. */
function newSwarmIdSorted(ids: readonly bigint[]): bigint {
  if (ids.length === 0) return 0n;
  let maxDist = 0n;
  let best = 0;
  for (let i = 0; i + 1 < ids.length; i++) {
    const dist = ids[i + 1]! - ids[i]!;
    if (dist > maxDist) {
      maxDist = dist;
      best = i;
    }
  }
  // The gap from the last id round to the first: MAX_SWARM_ID and 0 are one apart.
  const wrap = MAX_SWARM_ID - ids[ids.length - 1]! + ids[0]! + 1n;
  if (wrap > maxDist) {
    maxDist = wrap;
    best = ids.length - 1;
  }
  const diff = maxDist / 2n;
  const toMax = MAX_SWARM_ID - ids[best]!;
  return diff > toMax ? diff - toMax - 1n : ids[best]! + diff;
}

/**
 * The id of a new swarm: the middle of the largest gap between existing ids
 * on the ring where `MAX_SWARM_ID` and 0 are neighbours (oxen-core
 * `service_node_swarm.cpp` `get_new_swarm_id`). No ids gives 0. The first of
 * several equally large gaps wins, and the wrap-around gap (last id to first)
 * only wins when strictly larger. Ids may come in any order.
 *
 * @throws {CoreError} `out_of_range` for an id above `MAX_SWARM_ID`.
 * @example The sequence from upstream's `unassigned_swarm_bug` test
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(newSwarmId([]), 0n);
 * assert.equal(newSwarmId([0n]), MAX_SWARM_ID / 2n);
 * assert.equal(newSwarmId([MAX_SWARM_ID / 2n, 0n]), MAX_SWARM_ID / 2n + MAX_SWARM_ID / 4n + 1n);
 * ```
 */
export function newSwarmId(ids: readonly bigint[]): bigint {
  let ascending = true;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    checkU64(id, "swarm id");
    if (id > MAX_SWARM_ID) {
      throw new CoreError(
        "out_of_range",
        `swarm id ${id} is above MAX_SWARM_ID`,
      );
    }
    if (i > 0 && ids[i - 1]! > id) ascending = false;
  }
  return newSwarmIdSorted(ascending ? ids : [...ids].sort(compareBigint));
}

// ---------------------------------------------------------------------------
// calc_swarm_changes
// ---------------------------------------------------------------------------
//
// Upstream rebuilds and re-sorts its lists from scratch at every step: one
// std::sort of all swarms per assigned node, one scan of every node per pick
// from an excess pool, one scan of all ids per new swarm id. SwarmState
// (swarm_state.ts) keeps the same information indexed, so each step below
// costs what it must while the outcome, and every random draw in its order,
// is exactly upstream's.

/** The constants the indexed state needs. */
const RULES: SwarmRules = {
  minSwarmSize: MIN_SWARM_SIZE,
  excessBase: EXCESS_BASE,
  maxSwarmId: MAX_SWARM_ID,
};

/**
 * `create_new_swarm_from_excess`: unless a swarm is starving, while the total
 * excess reaches `NEW_SWARM_SIZE + IDEAL_SWARM_MARGIN * swarms`, take
 * `NEW_SWARM_SIZE` nodes one at a time, each uniformly from the pool of
 * swarms above `EXCESS_BASE` (as it is at that moment), and make them a swarm
 * with id `get_new_swarm_id`.
 */
function createNewSwarmFromExcess(st: SwarmState, rng: Mt19937_64): void {
  if (st.starving > 0) return;
  while (st.excess >= NEW_SWARM_SIZE + IDEAL_SWARM_MARGIN * st.count) {
    const fresh: Uint8Array[] = [];
    while (fresh.length < NEW_SWARM_SIZE) {
      const size = st.excessPool.size(st.sizes, st.count);
      // Unreachable: the loop condition guarantees >= 7 excess nodes.
      if (size === 0) throw new CoreError("internal", "empty excess pool");
      const [position, index] = st.excessPool.find(
        st.sizes,
        st.count,
        pick(rng, size),
      );
      fresh.push(st.takeAt(position, index));
    }
    st.add(st.newSwarmId(), fresh);
  }
}

/**
 * `assign_snodes(nodes, percentile)`: each node in turn goes to a uniformly
 * random swarm among the first `upper + 1` swarms sorted by size (libstdc++
 * `std::sort` order), where `upper` is the last index whose size equals the
 * size at index `percentile * (swarms - 1) / 100`; then
 * `create_new_swarm_from_excess`. `upper` depends only on the sizes, so it
 * comes from the histogram, and of the sorted list only the entry drawn is
 * computed.
 */
function assignSnodes(
  st: SwarmState,
  rng: Mt19937_64,
  nodes: readonly Uint8Array[],
  percentile: number,
): void {
  for (const node of nodes) {
    const n = st.count;
    const percentileIndex = Math.floor((percentile * (n - 1)) / 100);
    const upper = st.countAtMost(st.sizeAtRank(percentileIndex)) - 1;
    st.push(st.positionAtSortedIndex(pick(rng, upper + 1)), node);
    createNewSwarmFromExcess(st, rng);
  }
}

/**
 * The Robin Hood round (step 2 of `calc_swarm_changes`): with the swarms
 * sorted by size once (libstdc++ `std::sort` order), each starving swarm in
 * that order steals nodes one at a time, uniformly from the pool of swarms
 * above `max(MIN_SWARM_SIZE, size at the 75th percentile - 1)`, until it has
 * `MIN_SWARM_SIZE`; the whole round stops as soon as the pool's excess is
 * below the current swarm's deficit.
 */
function robinHood(st: SwarmState, rng: Mt19937_64): void {
  const n = st.count;
  // Entry i: the size when sorted (upstream's swarm_size) and id-order position.
  const { sizes, positions } = st.sortedBySize();
  const percentileIndex = Math.floor(
    (STEALING_SWARM_UPPER_PERCENTILE * (n - 1)) / 100,
  );
  const percentileSize = sizes[percentileIndex]!;
  // Upstream computes `size - 1` in size_t: an empty swarm there wraps to
  // 2^64-1, so no swarm is large enough to steal from, and the first
  // starving swarm (the empty one at index 0) ends the round.
  if (percentileSize === 0) return;
  const threshold = Math.max(MIN_SWARM_SIZE, percentileSize - 1);
  const pool = new PoolIndex(threshold);
  st.stealPool = pool;
  try {
    for (let i = 0; i < n; i++) {
      if (sizes[i]! >= MIN_SWARM_SIZE) break; // all starving swarms done
      const poor = positions[i]!; // no swarm is added or removed in step 2
      do {
        const deficit = MIN_SWARM_SIZE - st.sizes[poor]!;
        // no later swarm can be saved either
        if (st.excessAbove(threshold) < deficit) return;
        const [rich, index] = pool.find(
          st.sizes,
          st.count,
          pick(rng, pool.size(st.sizes, st.count)),
        );
        st.push(poor, st.takeAt(rich, index));
      } while (st.sizes[poor]! < MIN_SWARM_SIZE);
    }
  } finally {
    st.stealPool = undefined;
  }
}

/** The first 4 bytes as an unsigned number (missing bytes count as 0). */
function prefix32(b: Uint8Array): number {
  return (b[0] ?? 0) * 0x1000000 +
    (((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0));
}

/** A copy of `nodes` in bytewise order (upstream: the pubkey-sorted list). */
function sortedNodes(nodes: readonly Uint8Array[]): Uint8Array[] {
  const n = nodes.length;
  const out = nodes.slice();
  if (n <= 32) {
    for (let i = 1; i < n; i++) {
      const x = out[i]!;
      let j = i;
      while (j > 0 && compareBytes(x, out[j - 1]!) < 0) {
        out[j] = out[j - 1]!;
        j--;
      }
      out[j] = x;
    }
    return out;
  }
  if (n >= 1 << 21) return out.sort(compareBytes);
  // Large lists (a bulk registration): sort (4-byte prefix, index) pairs as
  // doubles with the engine's numeric sort, then order each run of equal
  // prefixes bytewise.
  const packed = new Float64Array(n);
  for (let i = 0; i < n; i++) packed[i] = prefix32(nodes[i]!) * 2097152 + i;
  packed.sort();
  for (let i = 0; i < n;) {
    const p = Math.floor(packed[i]! / 2097152);
    let j = i;
    while (j < n && Math.floor(packed[j]! / 2097152) === p) {
      out[j] = nodes[packed[j]! % 2097152]!;
      j++;
    }
    if (j - i > 1) {
      const run = out.slice(i, j).sort(compareBytes);
      for (let k = i; k < j; k++) out[k] = run[k - i]!;
    }
    i = j;
  }
  return out;
}

/**
 * The set of nodes seen so far, for `duplicate_node`: an open-addressing hash
 * table (linear probing) over a hash of every byte of each key, sized for
 * `capacity` keys, comparing keys in full on a hash match.
 */
class SeenNodes {
  readonly #nodes: Uint8Array[] = [];
  /** 0 = empty, else 1 + index into #nodes. */
  readonly #slots: Int32Array;
  readonly #mask: number;

  constructor(capacity: number) {
    let size = 16;
    while (size < 2 * capacity) size *= 2;
    this.#slots = new Int32Array(size);
    this.#mask = size - 1;
  }

  /** Record `node`; false if an equal node was recorded before. */
  add(node: Uint8Array): boolean {
    // FNV-1a style over all bytes, then a final mix.
    let h = 0x811C9DC5 ^ node.length;
    for (let i = 0; i < node.length; i++) {
      h = Math.imul(h ^ node[i]!, 0x01000193);
    }
    h ^= h >>> 15;
    h = Math.imul(h, 0x2C1B3C6D);
    h ^= h >>> 12;
    const slots = this.#slots;
    const mask = this.#mask;
    for (let at = h & mask;; at = (at + 1) & mask) {
      const e = slots[at]!;
      if (e === 0) {
        this.#nodes.push(node);
        slots[at] = this.#nodes.length;
        return true;
      }
      if (bytesEqual(this.#nodes[e - 1]!, node)) return false;
    }
  }
}

/**
 * Assign active service nodes to swarms: a bit-exact port of oxen-core
 * `service_node_swarm.cpp` `calc_swarm_changes` (network.md §2).
 *
 * `swarms` holds every active node under its current swarm id; new and
 * recommissioned nodes sit under {@linkcode UNASSIGNED_SWARM_ID}. Each
 * swarm's members are taken in bytewise pubkey order whatever order they come
 * in, and swarms in ascending id order. The result maps every swarm id
 * (ascending insertion order, never `UNASSIGNED_SWARM_ID`) to its members in
 * the order upstream's vectors would hold them. The input is not modified;
 * the returned arrays are new, the key bytes are shared with the input.
 *
 * Steps: 0. an empty map gives an empty map; take out the unassigned bucket
 * and create swarm 0 if no swarm is left; 1. assign the unassigned nodes to
 * the smallest 25% of swarms, cutting new swarms from excess after each;
 * 2. Robin Hood: starving swarms steal from rich ones; 3. cut new swarms from
 * excess; 4. while there is more than one swarm, dissolve the first starving
 * swarm (id order) and hand its nodes to the smallest swarms. Where upstream
 * sorts swarms by size, this port orders them exactly as libstdc++'s
 * `std::sort` does (oxend's Linux builds), equal sizes included.
 *
 * One deliberate difference: when step 4 would dissolve the last remaining
 * swarm while it still has nodes (fewer than 5 nodes in total), upstream
 * throws `std::out_of_range`; this port keeps that swarm instead.
 *
 * @throws {CoreError} `out_of_range` for a seed or id that is not a uint64,
 *   `duplicate_node` when a pubkey appears twice.
 * @example Fourteen new nodes make two swarms
 * ```ts
 * import assert from "node:assert/strict";
 * const nodes = Array.from({ length: 14 }, (_, i) => new Uint8Array(32).fill(i));
 * const out = calcSwarmChanges(new Map([[UNASSIGNED_SWARM_ID, nodes]]), 42n);
 * assert.deepEqual([...out.keys()], [0n, MAX_SWARM_ID / 2n]);
 * assert.deepEqual([...out.values()].map((s) => s.length), [7, 7]);
 * ```
 */
export function calcSwarmChanges(
  swarms: ReadonlyMap<bigint, readonly Uint8Array[]>,
  seed: bigint,
): Map<bigint, Uint8Array[]> {
  checkU64(seed, "seed");
  const ids = [...swarms.keys()];
  let ascending = true;
  for (let i = 0; i < ids.length; i++) {
    checkU64(ids[i]!, "swarm id");
    if (i > 0 && ids[i - 1]! > ids[i]!) ascending = false;
  }
  if (!ascending) ids.sort(compareBigint);

  let total = 0;
  for (const nodes of swarms.values()) total += nodes.length;
  const seen = new SeenNodes(total);
  const st = new SwarmState(RULES);
  let unassigned: Uint8Array[] = [];
  for (const id of ids) {
    const nodes = sortedNodes(swarms.get(id)!);
    for (const node of nodes) {
      if (!seen.add(node)) {
        throw new CoreError(
          "duplicate_node",
          `node ${toHex(node)} appears more than once`,
        );
      }
    }
    if (id === UNASSIGNED_SWARM_ID) unassigned = nodes;
    else st.add(id, nodes);
  }

  // 0. Empty -> nothing to do; ensure there is always one swarm.
  if (ids.length === 0) return new Map();
  const rng = new Mt19937_64(seed);
  if (st.count === 0) st.add(st.newSwarmId(), []);

  // 1. Assign newly registered (and recommissioned) nodes.
  assignSnodes(st, rng, unassigned, FILL_SWARM_LOWER_PERCENTILE);

  // 2. Robin Hood round: steal from wealthy swarms and give to the poor.
  robinHood(st, rng);

  // 3. New swarm creation.
  createNewSwarmFromExcess(st, rng);

  // 4. Dissolve swarms still below MIN_SWARM_SIZE.
  if (st.count > 1) {
    for (;;) {
      const victim = st.firstStarving();
      if (victim < 0) break;
      // Upstream throws here (assign_snodes on an empty map); keep the swarm.
      if (st.count === 1 && st.sizes[victim]! > 0) break;
      assignSnodes(
        st,
        rng,
        st.removeAt(victim),
        DECOMMISSIONED_REDISTRIBUTION_LOWER_PERCENTILE,
      );
    }
  }

  return st.toMap();
}

// ---------------------------------------------------------------------------
// Pubkey -> swarm
// ---------------------------------------------------------------------------

/**
 * Where a 32-byte key sits on the swarm ring: the XOR of its four 8-byte words,
 * each read big-endian (oxen-storage-server `pubkey_to_swarm_space`). For a
 * Session ID, pass the 32 key bytes without the `05` prefix.
 *
 * @throws {DecodeError} `bad_length` unless the key is 32 bytes.
 * @example A vector from libsession-util's tests
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromHex } from "./bytes.ts";
 * const pk = fromHex("3506f4a71324b7dd114eddbf4e311f39dde243e1f2cb97c40db1961f70ebaae8");
 * assert.equal(pubkeyToSwarmSpace(pk), 17589930838143112648n);
 * ```
 */
export function pubkeyToSwarmSpace(pubkey: Uint8Array): bigint {
  if (pubkey.length !== 32) {
    throw new DecodeError(
      "bad_length",
      `expected a 32-byte public key, got ${pubkey.length} bytes`,
    );
  }
  const view = new DataView(pubkey.buffer, pubkey.byteOffset, 32);
  return view.getBigUint64(0) ^ view.getBigUint64(8) ^ view.getBigUint64(16) ^
    view.getBigUint64(24);
}

/**
 * The swarm a key belongs to: the swarm id nearest its
 * {@linkcode pubkeyToSwarmSpace} value on the ring Z/2^64 (oxen-storage-server
 * / libsession-util `swarm.cpp`). With `right` the first id >= the value
 * (wrapping to the first id) and `left` the id before it (wrapping to the
 * last), `right` wins only when strictly nearer, so a tie goes left. Ids may
 * come in any order.
 *
 * @throws {CoreError} `no_swarms` when `swarmIds` is empty, `out_of_range`
 *   for an id that is not a uint64; {@linkcode DecodeError} `bad_length` for a
 *   key that is not 32 bytes.
 * @example Exactly between swarms 100 and 200 goes to 100
 * ```ts
 * import assert from "node:assert/strict";
 * const pk = new Uint8Array(32);
 * pk[31] = 150;
 * assert.equal(swarmForPubkey([200n, 100n], pk), 100n);
 * pk[31] = 151;
 * assert.equal(swarmForPubkey([200n, 100n], pk), 200n);
 * ```
 */
export function swarmForPubkey(
  swarmIds: readonly bigint[],
  pubkey: Uint8Array,
): bigint {
  const v = pubkeyToSwarmSpace(pubkey);
  if (swarmIds.length === 0) {
    throw new CoreError("no_swarms", "there are no swarms to map a key to");
  }
  for (const id of swarmIds) checkU64(id, "swarm id");
  const ids = [...swarmIds].sort(compareBigint);
  // lower_bound: the first id >= v, wrapping to the first.
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  const rightAt = lo === ids.length ? 0 : lo;
  const right = ids[rightAt]!;
  const left = ids[rightAt === 0 ? ids.length - 1 : rightAt - 1]!;
  const dRight = BigInt.asUintN(64, right - v);
  const dLeft = BigInt.asUintN(64, v - left);
  return dRight < dLeft ? right : left;
}
