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
 * exactly ({@linkcode libstdcxxSort}). Everything is pure: the only
 * randomness is the seeded generator.
 *
 * @module
 */

import { compareBytes, toHex } from "./bytes.ts";
import { CoreError, DecodeError } from "./errors.ts";
import { libstdcxxSort } from "./introsort.ts";

const U64_MAX = (1n << 64n) - 1n;

/**
 * A swarm with fewer nodes than this is "starving": it is refilled from rich
 * swarms or dissolved (`service_node_rules.h` `MIN_SWARM_SIZE`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(MIN_SWARM_SIZE, 5);
 * ```
 */
export const MIN_SWARM_SIZE = 5;

/**
 * Excess every swarm keeps before a new swarm is cut
 * (`service_node_rules.h` `IDEAL_SWARM_MARGIN`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(IDEAL_SWARM_MARGIN, 2);
 * ```
 */
export const IDEAL_SWARM_MARGIN = 2;

/**
 * Target swarm size, `MIN_SWARM_SIZE + IDEAL_SWARM_MARGIN`
 * (`service_node_rules.h` `IDEAL_SWARM_SIZE`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(IDEAL_SWARM_SIZE, MIN_SWARM_SIZE + IDEAL_SWARM_MARGIN);
 * ```
 */
export const IDEAL_SWARM_SIZE = 7;

/**
 * Nodes above this count in a swarm are its "excess"
 * (`service_node_rules.h` `EXCESS_BASE`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(EXCESS_BASE, MIN_SWARM_SIZE);
 * ```
 */
export const EXCESS_BASE = 5;

/**
 * Size of a swarm cut from excess (`service_node_rules.h` `NEW_SWARM_SIZE`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(NEW_SWARM_SIZE, IDEAL_SWARM_SIZE);
 * ```
 */
export const NEW_SWARM_SIZE = 7;

/**
 * New nodes go to a random swarm among the smallest 25 percent
 * (`service_node_rules.h` `FILL_SWARM_LOWER_PERCENTILE`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(FILL_SWARM_LOWER_PERCENTILE, 25);
 * ```
 */
export const FILL_SWARM_LOWER_PERCENTILE = 25;

/**
 * Nodes of a dissolved swarm go to a random swarm among those tied at the
 * smallest size (`service_node_rules.h`
 * `DECOMMISSIONED_REDISTRIBUTION_LOWER_PERCENTILE`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(DECOMMISSIONED_REDISTRIBUTION_LOWER_PERCENTILE, 0);
 * ```
 */
export const DECOMMISSIONED_REDISTRIBUTION_LOWER_PERCENTILE = 0;

/**
 * Starving swarms steal from swarms above the size at this percentile, minus
 * one (`service_node_rules.h` `STEALING_SWARM_UPPER_PERCENTILE`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(STEALING_SWARM_UPPER_PERCENTILE, 75);
 * ```
 */
export const STEALING_SWARM_UPPER_PERCENTILE = 75;

/**
 * The swarm id of a node waiting for a swarm (new or recommissioned), 2^64-1
 * (`service_node_rules.h` `UNASSIGNED_SWARM_ID`). Never a real swarm.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(UNASSIGNED_SWARM_ID, 2n ** 64n - 1n);
 * ```
 */
export const UNASSIGNED_SWARM_ID: bigint = U64_MAX;

/**
 * The largest id a real swarm can have, 2^64-2 (`service_node_swarm.h`
 * `MAX_ID`). {@linkcode newSwarmId} treats `MAX_SWARM_ID` and 0 as neighbours.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(MAX_SWARM_ID, UNASSIGNED_SWARM_ID - 1n);
 * ```
 */
export const MAX_SWARM_ID: bigint = U64_MAX - 1n;

// ---------------------------------------------------------------------------
// Random numbers
// ---------------------------------------------------------------------------

const NN = 312;
const MM = 156;
const MATRIX_A = 0xB5026F5AA96619E9n;
const UPPER_MASK = 0xFFFFFFFF80000000n; // most significant 33 bits
const LOWER_MASK = 0x7FFFFFFFn; // least significant 31 bits

/**
 * The 64-bit Mersenne Twister, `std::mt19937_64` (Matsumoto & Nishimura 2004,
 * `mt19937-64.c` with `init_genrand64`), the generator upstream seeds with the
 * block hash for `calc_swarm_changes`.
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
  readonly #mt = new BigUint64Array(NN); // stores reduce mod 2^64
  #mti = NN;

  /** Seed like `std::mt19937_64(seed)` (`init_genrand64`). */
  constructor(seed: bigint) {
    checkU64(seed, "seed");
    const mt = this.#mt;
    mt[0] = seed;
    for (let i = 1; i < NN; i++) {
      const prev = mt[i - 1]!;
      mt[i] = 6364136223846793005n * (prev ^ (prev >> 62n)) + BigInt(i);
    }
  }

  /** The next uint64 output (`genrand64_int64`, `operator()`). */
  next(): bigint {
    const mt = this.#mt;
    if (this.#mti >= NN) {
      for (let i = 0; i < NN; i++) {
        const x = (mt[i]! & UPPER_MASK) | (mt[(i + 1) % NN]! & LOWER_MASK);
        mt[i] = mt[(i + MM) % NN]! ^ (x >> 1n) ^ ((x & 1n) ? MATRIX_A : 0n);
      }
      this.#mti = 0;
    }
    let x = mt[this.#mti++]!;
    x ^= (x >> 29n) & 0x5555555555555555n;
    x ^= (x << 17n) & 0x71D67FFFEDA60000n;
    x ^= (x << 37n) & 0xFFF7EEE000000000n;
    x ^= x >> 43n;
    return x;
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

/** `uniformPortable` for a small positive count, as a number. */
function pick(rng: Mt19937_64, n: number): number {
  return Number(uniformPortable(rng, BigInt(n)));
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
  for (const id of ids) {
    checkU64(id, "swarm id");
    if (id > MAX_SWARM_ID) {
      throw new CoreError(
        "out_of_range",
        `swarm id ${id} is above MAX_SWARM_ID`,
      );
    }
  }
  return newSwarmIdSorted([...ids].sort(compareBigint));
}

// ---------------------------------------------------------------------------
// calc_swarm_changes
// ---------------------------------------------------------------------------

/** One swarm while assigning: its id and its members in upstream vector order. */
interface Swarm {
  readonly id: bigint;
  readonly nodes: Uint8Array[];
}

/** One entry of upstream's `calc_swarm_sizes` vector (`swarm_size`). */
interface SwarmSize {
  readonly swarm: Swarm;
  readonly size: number;
}

/** Upstream's comparator for sorting swarms by size: `a.size < b.size`. */
function smaller(a: SwarmSize, b: SwarmSize): boolean {
  return a.size < b.size;
}

/**
 * The `swarm_snode_map_t` of upstream: swarms in ascending id order (the
 * `std::map` order).
 */
class SwarmTable {
  /** Ascending id. */
  readonly byId: Swarm[] = [];

  #idSlot(id: bigint): number {
    let lo = 0;
    let hi = this.byId.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.byId[mid]!.id < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** `calc_swarm_sizes`: (swarm, size) in map order, `std::sort`ed by size. */
  sortedBySize(): SwarmSize[] {
    return libstdcxxSort(
      this.byId.map((swarm) => ({ swarm, size: swarm.nodes.length })),
      smaller,
    );
  }

  /** Sum over swarms of max(0, size - EXCESS_BASE) (`calc_excess`). */
  excess(): number {
    let e = 0;
    for (const s of this.byId) e += Math.max(0, s.nodes.length - EXCESS_BASE);
    return e;
  }

  hasStarving(): boolean {
    return this.byId.some((s) => s.nodes.length < MIN_SWARM_SIZE);
  }

  add(id: bigint, nodes: Uint8Array[]): Swarm {
    const at = this.#idSlot(id);
    if (this.byId[at]?.id === id) {
      // Upstream's emplace would fail and drop these nodes; get_new_swarm_id
      // cannot return a used id unless the ids cover the whole ring.
      throw new CoreError(
        "swarm_id_exhausted",
        `new swarm id ${id} is already in use`,
      );
    }
    const swarm: Swarm = { id, nodes };
    this.byId.splice(at, 0, swarm);
    return swarm;
  }

  remove(swarm: Swarm): void {
    this.byId.splice(this.#idSlot(swarm.id), 1);
  }

  /**
   * `get_excess_pool(threshold)`: the pool is every node of every swarm with
   * more than `threshold` nodes, swarms in id order, nodes in vector order;
   * `excess` sums `size - MIN_SWARM_SIZE` over those swarms. Only the pool's
   * size is computed here; {@linkcode SwarmTable.poolAt} finds one entry.
   */
  pool(threshold: number): { size: number; excess: number } {
    let size = 0;
    let excess = 0;
    for (const swarm of this.byId) {
      const n = swarm.nodes.length;
      if (n > threshold) {
        size += n;
        excess += n - MIN_SWARM_SIZE;
      }
    }
    return { size, excess };
  }

  /** Entry `index` of the pool of {@linkcode SwarmTable.pool}: its swarm and position. */
  poolAt(threshold: number, index: number): [Swarm, number] {
    let rest = index;
    for (const swarm of this.byId) {
      const n = swarm.nodes.length;
      if (n <= threshold) continue;
      if (rest < n) return [swarm, rest];
      rest -= n;
    }
    throw new CoreError("internal", "excess pool index out of range");
  }
}

/**
 * `create_new_swarm_from_excess`: unless a swarm is starving, while the total
 * excess reaches `NEW_SWARM_SIZE + IDEAL_SWARM_MARGIN * swarms`, take
 * `NEW_SWARM_SIZE` nodes one at a time, each uniformly from the pool of
 * swarms above `EXCESS_BASE` (recomputed for every pick), and make them a
 * swarm with id `get_new_swarm_id`.
 */
function createNewSwarmFromExcess(table: SwarmTable, rng: Mt19937_64): void {
  if (table.hasStarving()) return;
  while (
    table.excess() >= NEW_SWARM_SIZE + IDEAL_SWARM_MARGIN * table.byId.length
  ) {
    const fresh: Uint8Array[] = [];
    while (fresh.length < NEW_SWARM_SIZE) {
      const { size } = table.pool(EXCESS_BASE);
      // Unreachable: the loop condition guarantees >= 7 excess nodes.
      if (size === 0) throw new CoreError("internal", "empty excess pool");
      const [swarm, index] = table.poolAt(EXCESS_BASE, pick(rng, size));
      fresh.push(swarm.nodes.splice(index, 1)[0]!);
    }
    table.add(newSwarmIdSorted(table.byId.map((s) => s.id)), fresh);
  }
}

/**
 * `assign_snodes(nodes, percentile)`: each node in turn goes to a uniformly
 * random swarm among the first `upper + 1` swarms sorted by size (libstdc++
 * `std::sort` order), where `upper` is the last index whose size equals the
 * size at index `percentile * (swarms - 1) / 100`; then
 * `create_new_swarm_from_excess`.
 */
function assignSnodes(
  table: SwarmTable,
  rng: Mt19937_64,
  nodes: readonly Uint8Array[],
  percentile: number,
): void {
  for (const node of nodes) {
    const sorted = table.sortedBySize();
    const n = sorted.length;
    const percentileIndex = Math.floor((percentile * (n - 1)) / 100);
    const percentileValue = sorted[percentileIndex]!.size;
    let upper = n - 1;
    for (let i = percentileIndex; i < n; i++) {
      if (sorted[i]!.size > percentileValue) {
        upper = i - 1;
        break;
      }
    }
    sorted[pick(rng, upper + 1)]!.swarm.nodes.push(node);
    createNewSwarmFromExcess(table, rng);
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
function robinHood(table: SwarmTable, rng: Mt19937_64): void {
  const sorted = table.sortedBySize();
  const percentileIndex = Math.floor(
    (STEALING_SWARM_UPPER_PERCENTILE * (sorted.length - 1)) / 100,
  );
  const percentileSize = sorted[percentileIndex]!.size;
  // Upstream computes `size - 1` in size_t: an empty swarm there wraps to
  // 2^64-1, so no swarm is large enough to steal from.
  const threshold = percentileSize === 0
    ? Number.POSITIVE_INFINITY
    : Math.max(MIN_SWARM_SIZE, percentileSize - 1);
  for (const { swarm: poor, size } of sorted) {
    if (size >= MIN_SWARM_SIZE) break; // all starving swarms done
    do {
      const pool = table.pool(threshold);
      const deficit = MIN_SWARM_SIZE - poor.nodes.length;
      if (pool.excess < deficit) return; // no later swarm can be saved either
      const [rich, index] = table.poolAt(threshold, pick(rng, pool.size));
      poor.nodes.push(rich.nodes.splice(index, 1)[0]!);
    } while (poor.nodes.length < MIN_SWARM_SIZE);
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
  for (const id of ids) checkU64(id, "swarm id");
  ids.sort(compareBigint);

  const seen = new Set<string>();
  const table = new SwarmTable();
  let unassigned: Uint8Array[] = [];
  for (const id of ids) {
    const nodes = [...swarms.get(id)!].sort(compareBytes);
    for (const node of nodes) {
      const hex = toHex(node);
      if (seen.has(hex)) {
        throw new CoreError(
          "duplicate_node",
          `node ${hex} appears more than once`,
        );
      }
      seen.add(hex);
    }
    if (id === UNASSIGNED_SWARM_ID) unassigned = nodes;
    else table.add(id, nodes);
  }

  // 0. Empty -> nothing to do; ensure there is always one swarm.
  if (ids.length === 0) return new Map();
  const rng = new Mt19937_64(seed);
  if (table.byId.length === 0) table.add(newSwarmIdSorted([]), []);

  // 1. Assign newly registered (and recommissioned) nodes.
  assignSnodes(table, rng, unassigned, FILL_SWARM_LOWER_PERCENTILE);

  // 2. Robin Hood round: steal from wealthy swarms and give to the poor.
  robinHood(table, rng);

  // 3. New swarm creation.
  createNewSwarmFromExcess(table, rng);

  // 4. Dissolve swarms still below MIN_SWARM_SIZE.
  if (table.byId.length > 1) {
    for (;;) {
      const victim = table.byId.find((s) => s.nodes.length < MIN_SWARM_SIZE);
      if (victim === undefined) break;
      // Upstream throws here (assign_snodes on an empty map); keep the swarm.
      if (table.byId.length === 1 && victim.nodes.length > 0) break;
      table.remove(victim);
      assignSnodes(
        table,
        rng,
        victim.nodes,
        DECOMMISSIONED_REDISTRIBUTION_LOWER_PERCENTILE,
      );
    }
  }

  return new Map(table.byId.map((s) => [s.id, s.nodes]));
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
