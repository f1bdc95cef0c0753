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
import { libstdcxxSelect, libstdcxxSortPairs } from "./introsort.ts";

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
//
// Upstream rebuilds and re-sorts its lists from scratch at every step: one
// std::sort of all swarms per assigned node, one scan of every node per pick
// from an excess pool, one scan of all ids per new swarm id. The state below
// keeps the same information indexed, so each step costs what it must and
// the outcome (and every random draw, in order) is exactly upstream's:
//
// - swarms in id order as parallel typed arrays (size, handle), so the sort
//   input is one memcpy, and "which swarm is at position i of the sorted
//   list" is answered by following libstdc++'s introsort only into the part
//   holding i (libstdcxxSelect) instead of sorting everything;
// - a histogram of sizes, for the percentile sizes, the total excess and the
//   number of starving swarms;
// - block sums of the excess pools, so a pool entry is found without
//   building the pool;
// - a heap of the gaps between consecutive ids, for get_new_swarm_id.

/** Positions per block of a {@linkcode PoolIndex}. */
const POOL_BLOCK = 64;

/**
 * `get_excess_pool(threshold)` without building it: the pool lists every node
 * of every swarm larger than `threshold`, swarms in id order; block sums of
 * those sizes over id-order positions find pool entry `x` in
 * O(swarms / POOL_BLOCK + POOL_BLOCK).
 */
class PoolIndex {
  readonly threshold: number;
  #blocks = new Int32Array(0);
  #valid = false;
  /** The pool's size (entries). */
  total = 0;

  constructor(threshold: number) {
    this.threshold = threshold;
  }

  /** Forget the block sums (positions shifted); rebuilt on next use. */
  invalidate(): void {
    this.#valid = false;
  }

  #build(sizes: Int32Array, count: number): void {
    const nBlocks = Math.ceil(count / POOL_BLOCK);
    if (this.#blocks.length < nBlocks) {
      this.#blocks = new Int32Array(Math.max(nBlocks, 2 * this.#blocks.length));
    }
    const t = this.threshold;
    let total = 0;
    for (let b = 0; b < nBlocks; b++) {
      let sum = 0;
      const end = Math.min(count, (b + 1) * POOL_BLOCK);
      for (let i = b * POOL_BLOCK; i < end; i++) {
        const s = sizes[i]!;
        if (s > t) sum += s;
      }
      this.#blocks[b] = sum;
      total += sum;
    }
    this.total = total;
    this.#valid = true;
  }

  /** The swarm at `position` changed size from `before` to `after`. */
  update(position: number, before: number, after: number): void {
    if (!this.#valid) return;
    const t = this.threshold;
    const d = (after > t ? after : 0) - (before > t ? before : 0);
    if (d !== 0) {
      this.#blocks[(position / POOL_BLOCK) | 0]! += d;
      this.total += d;
    }
  }

  /** Make sure the sums describe `sizes[0 .. count)`; returns the pool size. */
  size(sizes: Int32Array, count: number): number {
    if (!this.#valid) this.#build(sizes, count);
    return this.total;
  }

  /** Pool entry `x` (< size): the id-order position of its swarm and its index there. */
  find(sizes: Int32Array, count: number, x: number): [number, number] {
    if (!this.#valid) this.#build(sizes, count);
    let b = 0;
    while (x >= this.#blocks[b]!) x -= this.#blocks[b++]!;
    const t = this.threshold;
    for (let i = b * POOL_BLOCK;; i++) {
      const s = sizes[i]!;
      if (s <= t) continue;
      if (x < s) return [i, x];
      x -= s;
    }
  }
}

/** A gap between consecutive swarm ids (`left` < `right`, no id between). */
interface Gap {
  readonly size: bigint;
  readonly left: bigint;
  readonly right: bigint;
}

/** Heap order for get_new_swarm_id: larger gap first, then the lower (earlier) one. */
function gapBefore(a: Gap, b: Gap): boolean {
  return a.size > b.size || (a.size === b.size && a.left < b.left);
}

/**
 * `get_new_swarm_id` kept up to date: a max-heap of the gaps between
 * consecutive ids with lazy deletion (an entry counts only while its two ids
 * are still neighbours), plus the wrap-around gap from the last id to the
 * first, which only wins when strictly larger.
 */
class GapHeap {
  readonly #heap: Gap[] = [];
  /** id -> the next larger id, for every id but the largest. */
  readonly #next = new Map<bigint, bigint>();

  push(left: bigint, right: bigint): void {
    this.#next.set(left, right);
    const heap = this.#heap;
    const gap: Gap = { size: right - left, left, right };
    let i = heap.length;
    heap.push(gap);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!gapBefore(gap, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = gap;
  }

  /** `id` is now the largest id (or gone): it has no gap to its right. */
  unlink(id: bigint): void {
    this.#next.delete(id);
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= heap.length) break;
      const r = l + 1;
      const c = r < heap.length && gapBefore(heap[r]!, heap[l]!) ? r : l;
      if (!gapBefore(heap[c]!, last)) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = last;
  }

  /** The largest gap between current neighbours, first on ties, if any. */
  top(): Gap | undefined {
    const heap = this.#heap;
    while (heap.length > 0) {
      const g = heap[0]!;
      if (this.#next.get(g.left) === g.right) return g;
      this.#pop();
    }
    return undefined;
  }
}

/**
 * Upstream's `swarm_snode_map_t` (swarm id -> node vector, iterated in id
 * order) with the indexes described above. A swarm has a fixed handle (its
 * index in `#ids` / `#members`) and a position in id order that shifts when a
 * swarm is added or removed before it.
 */
class SwarmState {
  readonly #ids: bigint[] = [];
  readonly #members: Uint8Array[][] = [];
  /** Swarm ids in ascending order (position -> id). */
  readonly #order: bigint[] = [];
  /** Position -> size. */
  sizes = new Int32Array(16);
  /** Position -> handle. */
  #handles = new Int32Array(16);
  /** Number of swarms. */
  count = 0;
  /** Size -> number of swarms of that size. */
  readonly #hist: number[] = [];
  /** Sum over swarms of max(0, size - EXCESS_BASE) (`calc_excess`). */
  excess = 0;
  /** Swarms with fewer than MIN_SWARM_SIZE nodes. */
  starving = 0;
  /** The pool of `create_new_swarm_from_excess`. */
  readonly excessPool = new PoolIndex(EXCESS_BASE);
  /** The Robin Hood pool while step 2 runs. */
  stealPool: PoolIndex | undefined;
  readonly #gaps = new GapHeap();
  // Scratch arrays for sorting (sizes, positions) and the identity 0, 1, ...
  workKeys = new Int32Array(16);
  workPositions = new Int32Array(16);
  #iota = Int32Array.from({ length: 16 }, (_, i) => i);

  #grow(): void {
    const cap = 2 * this.sizes.length;
    const grown = (a: Int32Array) => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    this.sizes = grown(this.sizes);
    this.#handles = grown(this.#handles);
    this.workKeys = new Int32Array(cap);
    this.workPositions = new Int32Array(cap);
    this.#iota = Int32Array.from({ length: cap }, (_, i) => i);
  }

  #count(size: number, sign: 1 | -1): void {
    const hist = this.#hist;
    while (hist.length <= size) hist.push(0);
    hist[size]! += sign;
    if (size > EXCESS_BASE) this.excess += sign * (size - EXCESS_BASE);
    if (size < MIN_SWARM_SIZE) this.starving += sign;
  }

  /** The swarm id at `position`. */
  idAt(position: number): bigint {
    return this.#order[position]!;
  }

  /** The nodes of the swarm at `position` (upstream's vector, in order). */
  membersAt(position: number): Uint8Array[] {
    return this.#members[this.#handles[position]!]!;
  }

  #setSize(position: number, after: number): void {
    const before = this.sizes[position]!;
    this.sizes[position] = after;
    this.#count(before, -1);
    this.#count(after, 1);
    this.excessPool.update(position, before, after);
    this.stealPool?.update(position, before, after);
  }

  /** Append `node` to the swarm at `position`. */
  push(position: number, node: Uint8Array): void {
    this.membersAt(position).push(node);
    this.#setSize(position, this.sizes[position]! + 1);
  }

  /** Erase the node at `index` of the swarm at `position`, keeping the others in order. */
  takeAt(position: number, index: number): Uint8Array {
    const node = this.membersAt(position).splice(index, 1)[0]!;
    this.#setSize(position, this.sizes[position]! - 1);
    return node;
  }

  /** Where `id` is or would go in id order. */
  #slot(id: bigint): number {
    const order = this.#order;
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (order[mid]! < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Insert a swarm (`emplace` into the map); ids must be new. */
  add(id: bigint, nodes: Uint8Array[]): void {
    const at = this.#slot(id);
    if (this.#order[at] === id && at < this.count) {
      // Upstream's emplace would fail and drop these nodes; get_new_swarm_id
      // cannot return a used id unless the ids cover the whole ring.
      throw new CoreError(
        "swarm_id_exhausted",
        `new swarm id ${id} is already in use`,
      );
    }
    if (this.count === this.sizes.length) this.#grow();
    const handle = this.#ids.length;
    this.#ids.push(id);
    this.#members.push(nodes);
    this.#order.splice(at, 0, id);
    this.sizes.copyWithin(at + 1, at, this.count);
    this.#handles.copyWithin(at + 1, at, this.count);
    this.sizes[at] = nodes.length;
    this.#handles[at] = handle;
    this.count++;
    this.#count(nodes.length, 1);
    this.excessPool.invalidate();
    this.stealPool?.invalidate();
    if (at > 0) this.#gaps.push(this.#order[at - 1]!, id);
    if (at + 1 < this.count) this.#gaps.push(id, this.#order[at + 1]!);
  }

  /** Remove the swarm at `position`; returns its nodes. */
  removeAt(position: number): Uint8Array[] {
    const nodes = this.membersAt(position);
    const id = this.#order[position]!;
    this.#count(this.sizes[position]!, -1);
    this.#order.splice(position, 1);
    this.sizes.copyWithin(position, position + 1, this.count);
    this.#handles.copyWithin(position, position + 1, this.count);
    this.count--;
    this.excessPool.invalidate();
    this.stealPool?.invalidate();
    this.#gaps.unlink(id);
    const before = position > 0 ? this.#order[position - 1] : undefined;
    const after = position < this.count ? this.#order[position] : undefined;
    if (before !== undefined) {
      if (after !== undefined) this.#gaps.push(before, after);
      else this.#gaps.unlink(before);
    }
    return nodes;
  }

  /** `get_new_swarm_id` of the current ids. */
  newSwarmId(): bigint {
    if (this.count === 0) return 0n;
    const first = this.#order[0]!;
    const last = this.#order[this.count - 1]!;
    const gap = this.#gaps.top();
    let maxDist = gap?.size ?? 0n;
    let best = gap?.left ?? first;
    // The gap from the last id round to the first: MAX_SWARM_ID and 0 are one apart.
    const wrap = MAX_SWARM_ID - last + first + 1n;
    if (wrap > maxDist) {
      maxDist = wrap;
      best = last;
    }
    const diff = maxDist / 2n;
    const toMax = MAX_SWARM_ID - best;
    return diff > toMax ? diff - toMax - 1n : best + diff;
  }

  /** The size at index `k` of the swarms sorted by size. */
  sizeAtRank(k: number): number {
    const hist = this.#hist;
    let seen = 0;
    for (let s = 0;; s++) {
      seen += hist[s]!;
      if (seen > k) return s;
    }
  }

  /** Number of swarms with at most `size` nodes. */
  countAtMost(size: number): number {
    const hist = this.#hist;
    let n = 0;
    for (let s = 0; s <= size && s < hist.length; s++) n += hist[s]!;
    return n;
  }

  /** Sum of `size - MIN_SWARM_SIZE` over swarms larger than `threshold` (the pool's excess). */
  excessAbove(threshold: number): number {
    const hist = this.#hist;
    let e = 0;
    for (let s = hist.length - 1; s > threshold; s--) {
      e += hist[s]! * (s - MIN_SWARM_SIZE);
    }
    return e;
  }

  /** Load the sort input: sizes and positions in id order (`calc_swarm_sizes`). */
  loadSortInput(): void {
    this.workKeys.set(this.sizes.subarray(0, this.count));
    this.workPositions.set(this.#iota.subarray(0, this.count));
  }

  /** The id-order position of the first swarm with fewer than MIN_SWARM_SIZE nodes, or -1. */
  firstStarving(): number {
    if (this.starving === 0) return -1;
    const sizes = this.sizes;
    for (let i = 0; i < this.count; i++) {
      if (sizes[i]! < MIN_SWARM_SIZE) return i;
    }
    return -1;
  }

  /** The map upstream returns: ids ascending, each with its node vector. */
  toMap(): Map<bigint, Uint8Array[]> {
    const out = new Map<bigint, Uint8Array[]>();
    for (let i = 0; i < this.count; i++) {
      out.set(this.#order[i]!, this.membersAt(i));
    }
    return out;
  }
}

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
    const r = pick(rng, upper + 1);
    st.loadSortInput();
    st.push(libstdcxxSelect(st.workKeys, st.workPositions, n, r), node);
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
  st.loadSortInput();
  const sizes = st.workKeys; // the sizes when sorted, like upstream's swarm_size
  const positions = st.workPositions;
  libstdcxxSortPairs(sizes, positions, n);
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
  const st = new SwarmState();
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
