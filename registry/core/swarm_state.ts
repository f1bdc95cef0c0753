/**
 * The indexed state behind `calcSwarmChanges` (`swarm.ts`): upstream's
 * `swarm_snode_map_t` (swarm id -> node vector, iterated in id order) kept
 * with the indexes that make each step of `calc_swarm_changes` cheap while
 * giving exactly upstream's results:
 *
 * - swarms in id order as parallel typed arrays (size, handle), so the input
 *   of "sort swarms by size" is a memcpy;
 * - {@linkcode RootPartition}: the first partition libstdc++'s introsort does
 *   on that input, kept up to date between sorts, so that the entry at one
 *   position of the sorted list costs a copy of half the list plus a
 *   selection in it, instead of a sort;
 * - a histogram of sizes, for percentile sizes, total excess and the number
 *   of starving swarms;
 * - {@linkcode PoolIndex}: block sums that find an excess-pool entry without
 *   building the pool;
 * - {@linkcode GapHeap}: the largest gap between ids, for new swarm ids.
 *
 * Internal to core: not exported from `mod.ts`.
 *
 * @module
 */

import { CoreError } from "./errors.ts";
import {
  INSERTION_SORT_THRESHOLD,
  introsortDepthLimit,
  libstdcxxSelectIn,
  libstdcxxSortPairs,
  medianOfThree,
} from "./introsort.ts";

/** The constants of `service_node_rules.h` the state needs. */
export interface SwarmRules {
  /** `MIN_SWARM_SIZE`: a smaller swarm is starving. */
  readonly minSwarmSize: number;
  /** `EXCESS_BASE`: a swarm's excess is its size above this. */
  readonly excessBase: number;
  /** `MAX_ID`: the largest swarm id (MAX and 0 are neighbours). */
  readonly maxSwarmId: bigint;
}

/** Positions per block of a {@linkcode PoolIndex}. */
const POOL_BLOCK = 64;

/**
 * `get_excess_pool(threshold)` without building it: the pool lists every node
 * of every swarm larger than `threshold`, swarms in id order; block sums of
 * those sizes over id-order positions find pool entry `x` in
 * O(swarms / POOL_BLOCK + POOL_BLOCK).
 */
export class PoolIndex {
  readonly threshold: number;
  #blocks = new Int32Array(0);
  #valid = false;
  /** The pool's size (entries). */
  total = 0;

  constructor(threshold: number) {
    this.threshold = threshold;
  }

  #weight(size: number): number {
    return size > this.threshold ? size : 0;
  }

  #reserve(nBlocks: number): void {
    if (this.#blocks.length < nBlocks) {
      const grown = new Int32Array(Math.max(nBlocks, 2 * this.#blocks.length));
      grown.set(this.#blocks);
      this.#blocks = grown;
    }
  }

  #build(sizes: Int32Array, count: number): void {
    const nBlocks = Math.ceil(count / POOL_BLOCK);
    this.#reserve(nBlocks);
    this.#blocks.fill(0, nBlocks); // blocks past the end stay 0
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

  /**
   * A swarm was inserted at `position`: `sizes` is already shifted and
   * `count` includes it. Every later block gains its left neighbour's last
   * entry and loses its own last one.
   */
  inserted(position: number, sizes: Int32Array, count: number): void {
    if (!this.#valid) return;
    const nBlocks = Math.ceil(count / POOL_BLOCK);
    this.#reserve(nBlocks);
    const first = (position / POOL_BLOCK) | 0;
    for (let b = first; b < nBlocks; b++) {
      const enter = sizes[b === first ? position : b * POOL_BLOCK]!;
      const out = (b + 1) * POOL_BLOCK;
      const leave = out < count ? sizes[out]! : 0;
      this.#blocks[b]! += this.#weight(enter) - this.#weight(leave);
    }
    this.total += this.#weight(sizes[position]!);
  }

  /**
   * The swarm at `position`, of `size` nodes, was removed: `sizes` is
   * already shifted and `count` excludes it.
   */
  removed(
    position: number,
    size: number,
    sizes: Int32Array,
    count: number,
  ): void {
    if (!this.#valid) return;
    const nBlocks = Math.ceil((count + 1) / POOL_BLOCK);
    const first = (position / POOL_BLOCK) | 0;
    for (let b = first; b < nBlocks; b++) {
      const leave = b === first ? size : sizes[b * POOL_BLOCK - 1]!;
      const enter = (b + 1) * POOL_BLOCK - 1;
      this.#blocks[b]! += (enter < count ? this.#weight(sizes[enter]!) : 0) -
        this.#weight(leave);
    }
    this.total -= this.#weight(size);
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
export interface Gap {
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
export class GapHeap {
  readonly #heap: Gap[] = [];
  /** Whether #heap is in heap order; pushes before the first top() just append. */
  #ordered = false;
  /** id -> the next larger id, for every id but the largest. */
  readonly #next = new Map<bigint, bigint>();

  push(left: bigint, right: bigint): void {
    this.#next.set(left, right);
    const heap = this.#heap;
    const gap: Gap = { size: right - left, left, right };
    if (!this.#ordered) {
      heap.push(gap);
      return;
    }
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

  /** Move the entry at `i` down to its place (heap of `heap.length`). */
  #siftDown(i: number, gap: Gap): void {
    const heap = this.#heap;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= heap.length) break;
      const r = l + 1;
      const c = r < heap.length && gapBefore(heap[r]!, heap[l]!) ? r : l;
      if (!gapBefore(heap[c]!, gap)) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = gap;
  }

  #pop(): void {
    const last = this.#heap.pop()!;
    if (this.#heap.length > 0) this.#siftDown(0, last);
  }

  /** The largest gap between current neighbours, first on ties, if any. */
  top(): Gap | undefined {
    const heap = this.#heap;
    if (!this.#ordered) {
      for (let i = (heap.length >> 1) - 1; i >= 0; i--) {
        this.#siftDown(i, heap[i]!);
      }
      this.#ordered = true;
    }
    while (heap.length > 0) {
      const g = heap[0]!;
      if (this.#next.get(g.left) === g.right) return g;
      this.#pop();
    }
    return undefined;
  }
}

/**
 * The first step libstdc++'s introsort takes on the sizes in id order
 * (`__move_median_to_first`, then `__unguarded_partition` of `[1, n)` around
 * the median), kept up to date while sizes change, so a selection does not
 * have to redo it.
 *
 * With `K` the sizes and `m` the median position among `1`, `n / 2`, `n - 1`,
 * the partition works on `K'` = `K` with entries `0` and `m` swapped; pivot
 * `p = K[m]`. It swaps the t-th position of `[1, n)` (ascending) whose `K'` is
 * `>= p`, `L[t]`, with the t-th position (descending) whose `K'` is `<= p`,
 * `R[t]`, for every t below the first `k` with `L[k] >= R[k]`, and returns
 * the cut `min(L[k], R[k-1])` (`L[0]` when k = 0). (A missing `L[t]` counts
 * as `n`, a missing `R[t]` as 0: the scans stop at the swapped elements or
 * the pivot.) The lists `L` and `R` depend on each size only through its
 * side of `p`, so a size change updates at most one entry of each; only a
 * change at `0`, `1`, `n / 2` or `n - 1` (the pivot) or in `n` rebuilds them.
 */
export class RootPartition {
  /** Ascending positions in [1, n) with K' >= pivot. */
  #left = new Int32Array(16);
  #leftCount = 0;
  /** Descending positions in [1, n) with K' <= pivot. */
  #right = new Int32Array(16);
  #rightCount = 0;
  #valid = false;
  #n = 0;
  #median = 0;
  #pivot = 0;

  /** Forget everything (swarm added or removed); rebuilt on next use. */
  invalidate(): void {
    this.#valid = false;
  }

  /** The size at `position` changed from `before` to `after`. */
  changed(position: number, before: number, after: number): void {
    if (!this.#valid) return;
    const n = this.#n;
    if (
      position === 0 || position === 1 || position === n >> 1 ||
      position === n - 1
    ) {
      this.#valid = false; // the pivot or K'[0], K'[m] may change
      return;
    }
    const p = this.#pivot;
    if ((before >= p) !== (after >= p)) {
      this.#leftCount = after >= p
        ? insertSorted(this.#left, this.#leftCount, position, 1)
        : removeSorted(this.#left, this.#leftCount, position, 1);
    }
    if ((before <= p) !== (after <= p)) {
      this.#rightCount = after <= p
        ? insertSorted(this.#right, this.#rightCount, position, -1)
        : removeSorted(this.#right, this.#rightCount, position, -1);
    }
  }

  #rebuild(sizes: Int32Array, n: number): void {
    if (this.#left.length < n) {
      this.#left = new Int32Array(Math.max(n, 2 * this.#left.length));
      this.#right = new Int32Array(this.#left.length);
    }
    const m = medianOfThree(sizes, 1, n >> 1, n - 1);
    const p = sizes[m]!;
    // Scan K' (K[0] moved to m) without branching on the sizes:
    // (p - 1 - k) >>> 31 is 1 exactly when k >= p, (k - p - 1) >>> 31 when k <= p.
    sizes[m] = sizes[0]!;
    const left = this.#left;
    const right = this.#right;
    let lc = 0;
    for (let i = 1; i < n; i++) {
      left[lc] = i;
      lc += (p - 1 - sizes[i]!) >>> 31;
    }
    let rc = 0;
    for (let i = n - 1; i >= 1; i--) {
      right[rc] = i;
      rc += (sizes[i]! - p - 1) >>> 31;
    }
    sizes[m] = p;
    this.#leftCount = lc;
    this.#rightCount = rc;
    this.#n = n;
    this.#median = m;
    this.#pivot = p;
    this.#valid = true;
  }

  /**
   * Position `r` of the list of the `n` (> 16) sizes in `sizes` sorted by
   * libstdc++'s `std::sort`: returns the id-order position of that entry.
   * Uses `keys`/`vals` (length >= n) as scratch; `iota[i] = i`.
   */
  select(
    sizes: Int32Array,
    n: number,
    r: number,
    keys: Int32Array,
    vals: Int32Array,
    iota: Int32Array,
  ): number {
    if (!this.#valid || this.#n !== n) this.#rebuild(sizes, n);
    const left = this.#left;
    const right = this.#right;
    const lc = this.#leftCount;
    const rc = this.#rightCount;
    const m = this.#median;
    // The first k with L[k] >= R[k] (both monotone), by binary search.
    let lo = 0;
    let hi = Math.max(lc, rc);
    while (lo < hi) {
      const t = (lo + hi) >>> 1;
      const l = t < lc ? left[t]! : n;
      const rr = t < rc ? right[t]! : 0;
      if (l >= rr) hi = t;
      else lo = t + 1;
    }
    const k = lo;
    const lk = k < lc ? left[k]! : n;
    const cut = k === 0 ? lk : Math.min(lk, right[k - 1]!);
    // The part holding r is K' with the other side's stops written into its
    // own: [0, cut) gets K'[R[t]] at L[t], [cut, n) gets K'[L[t]] at R[t].
    // K' is `sizes` with entries 0 and m swapped; vals hold id-order positions.
    const first = sizes[0]!;
    let f: number;
    let l: number;
    let to: Int32Array;
    let from: Int32Array;
    let fromDir: 1 | -1;
    if (r < cut) {
      f = 0;
      l = cut;
      to = left;
      from = right;
      fromDir = -1;
    } else {
      f = cut;
      l = n;
      to = right;
      from = left;
      fromDir = 1;
    }
    keys.set(sizes.subarray(f, l), f);
    vals.set(iota.subarray(f, l), f);
    if (f === 0) {
      keys[0] = sizes[m]!;
      vals[0] = m;
    }
    if (m >= f && m < l) {
      keys[m] = first;
      vals[m] = 0;
    }
    for (let t = 0; t < k; t++) {
      const src = from[t]!; // never 0: the lists hold positions >= 1
      const dst = to[t]!;
      keys[dst] = sizes[src]!;
      vals[dst] = src;
    }
    // The median's slot, if it was moved across, holds K[0] from position 0.
    if (m < f || m >= l) {
      // m is on the other side; if it is one of the sources, fix that entry.
      const at = indexOfSorted(from, k, m, fromDir);
      if (at >= 0) {
        keys[to[at]!] = first;
        vals[to[at]!] = 0;
      }
    }
    return libstdcxxSelectIn(keys, vals, f, l, r, introsortDepthLimit(n) - 1);
  }
}

/** The index of `x` among the first `count` entries of sorted `a` (ascending if dir = 1, descending if -1), or -1. */
function indexOfSorted(
  a: Int32Array,
  count: number,
  x: number,
  dir: 1 | -1,
): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid]! - x) * dir < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo < count && a[lo] === x ? lo : -1;
}

/** Insert `x` into the sorted `a[0 .. count)` (ascending if dir = 1, descending if -1). */
function insertSorted(
  a: Int32Array,
  count: number,
  x: number,
  dir: 1 | -1,
): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid]! - x) * dir < 0) lo = mid + 1;
    else hi = mid;
  }
  a.copyWithin(lo + 1, lo, count);
  a[lo] = x;
  return count + 1;
}

/** Remove `x` (present) from the sorted `a[0 .. count)`. */
function removeSorted(
  a: Int32Array,
  count: number,
  x: number,
  dir: 1 | -1,
): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid]! - x) * dir < 0) lo = mid + 1;
    else hi = mid;
  }
  a.copyWithin(lo, lo + 1, count);
  return count - 1;
}

/**
 * Upstream's `swarm_snode_map_t` with the indexes described in the module
 * documentation. A swarm has a fixed handle (its index in `#ids` and
 * `#members`) and a position in id order, which shifts when a swarm is added
 * or removed before it.
 */
export class SwarmState {
  readonly #rules: SwarmRules;
  readonly #members: Uint8Array[][] = [];
  /** Swarm ids in ascending order (position -> id). */
  readonly #order: bigint[] = [];
  /** Position -> size. */
  sizes: Int32Array = new Int32Array(16);
  /** Position -> handle. */
  #handles = new Int32Array(16);
  /** Number of swarms. */
  count = 0;
  /** Size -> number of swarms of that size. */
  readonly #hist: number[] = [];
  /** Sum over swarms of max(0, size - excessBase) (`calc_excess`). */
  excess = 0;
  /** Swarms with fewer than minSwarmSize nodes. */
  starving = 0;
  /** The pool of `create_new_swarm_from_excess` (swarms above excessBase). */
  readonly excessPool: PoolIndex;
  /** The Robin Hood pool while step 2 runs. */
  stealPool: PoolIndex | undefined;
  /** Built on the first new swarm id; until then ids are only loaded. */
  #gaps: GapHeap | undefined;
  readonly #root = new RootPartition();
  // Scratch for sorting (sizes, positions), and the identity 0, 1, ...
  #workKeys = new Int32Array(16);
  #workPositions = new Int32Array(16);
  #iota = Int32Array.from({ length: 16 }, (_, i) => i);

  constructor(rules: SwarmRules) {
    this.#rules = rules;
    this.excessPool = new PoolIndex(rules.excessBase);
  }

  #grow(): void {
    const cap = 2 * this.sizes.length;
    const grown = (a: Int32Array) => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    this.sizes = grown(this.sizes);
    this.#handles = grown(this.#handles);
    this.#workKeys = new Int32Array(cap);
    this.#workPositions = new Int32Array(cap);
    this.#iota = Int32Array.from({ length: cap }, (_, i) => i);
  }

  #count(size: number, sign: 1 | -1): void {
    const hist = this.#hist;
    while (hist.length <= size) hist.push(0);
    hist[size]! += sign;
    const { excessBase, minSwarmSize } = this.#rules;
    if (size > excessBase) this.excess += sign * (size - excessBase);
    if (size < minSwarmSize) this.starving += sign;
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
    this.#root.changed(position, before, after);
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
    if (hi > 0 && order[hi - 1]! < id) return hi; // appending in order
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (order[mid]! < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Insert a swarm (`emplace` into the map); the id must be new. */
  add(id: bigint, nodes: Uint8Array[]): void {
    const at = this.#slot(id);
    if (at < this.count && this.#order[at] === id) {
      // Upstream's emplace would fail and drop these nodes; get_new_swarm_id
      // cannot return a used id unless the ids cover the whole ring.
      throw new CoreError(
        "swarm_id_exhausted",
        `new swarm id ${id} is already in use`,
      );
    }
    if (this.count === this.sizes.length) this.#grow();
    const handle = this.#members.length;
    this.#members.push(nodes);
    if (at === this.count) this.#order.push(id);
    else this.#order.splice(at, 0, id);
    this.sizes.copyWithin(at + 1, at, this.count);
    this.#handles.copyWithin(at + 1, at, this.count);
    this.sizes[at] = nodes.length;
    this.#handles[at] = handle;
    this.count++;
    this.#count(nodes.length, 1);
    this.excessPool.inserted(at, this.sizes, this.count);
    this.stealPool?.inserted(at, this.sizes, this.count);
    this.#root.invalidate();
    if (this.#gaps !== undefined) {
      if (at > 0) this.#gaps.push(this.#order[at - 1]!, id);
      if (at + 1 < this.count) this.#gaps.push(id, this.#order[at + 1]!);
    }
  }

  /** Remove the swarm at `position`; returns its nodes. */
  removeAt(position: number): Uint8Array[] {
    const nodes = this.membersAt(position);
    const id = this.#order[position]!;
    const size = this.sizes[position]!;
    this.#count(size, -1);
    this.#order.splice(position, 1);
    this.sizes.copyWithin(position, position + 1, this.count);
    this.#handles.copyWithin(position, position + 1, this.count);
    this.count--;
    this.excessPool.removed(position, size, this.sizes, this.count);
    this.stealPool?.removed(position, size, this.sizes, this.count);
    this.#root.invalidate();
    const gaps = this.#gaps;
    if (gaps !== undefined) {
      gaps.unlink(id);
      const before = position > 0 ? this.#order[position - 1] : undefined;
      const after = position < this.count ? this.#order[position] : undefined;
      if (before !== undefined) {
        if (after !== undefined) gaps.push(before, after);
        else gaps.unlink(before);
      }
    }
    return nodes;
  }

  /** `get_new_swarm_id` of the current ids. */
  newSwarmId(): bigint {
    if (this.count === 0) return 0n;
    const max = this.#rules.maxSwarmId;
    const first = this.#order[0]!;
    const last = this.#order[this.count - 1]!;
    if (this.#gaps === undefined) {
      this.#gaps = new GapHeap();
      const order = this.#order;
      for (let i = 0; i + 1 < this.count; i++) {
        this.#gaps.push(order[i]!, order[i + 1]!);
      }
    }
    const gap = this.#gaps.top();
    let maxDist = gap?.size ?? 0n;
    let best = gap?.left ?? first;
    // The gap from the last id round to the first: MAX and 0 are one apart.
    const wrap = max - last + first + 1n;
    if (wrap > maxDist) {
      maxDist = wrap;
      best = last;
    }
    const diff = maxDist / 2n;
    const toMax = max - best;
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

  /** Sum of `size - minSwarmSize` over swarms larger than `threshold` (a pool's excess). */
  excessAbove(threshold: number): number {
    const hist = this.#hist;
    const min = this.#rules.minSwarmSize;
    let e = 0;
    for (let s = hist.length - 1; s > threshold; s--) e += hist[s]! * (s - min);
    return e;
  }

  /**
   * `calc_swarm_sizes` then `sorted[r]`: the id-order position of the swarm
   * at index `r` of the swarms (in id order) sorted by size with libstdc++'s
   * `std::sort`, without sorting them all.
   */
  positionAtSortedIndex(r: number): number {
    const n = this.count;
    if (n <= INSERTION_SORT_THRESHOLD) {
      const keys = this.#workKeys;
      const vals = this.#workPositions;
      keys.set(this.sizes.subarray(0, n));
      vals.set(this.#iota.subarray(0, n));
      return libstdcxxSelectIn(keys, vals, 0, n, r, introsortDepthLimit(n));
    }
    return this.#root.select(
      this.sizes,
      n,
      r,
      this.#workKeys,
      this.#workPositions,
      this.#iota,
    );
  }

  /**
   * `calc_swarm_sizes`: the swarms sorted by size with libstdc++'s
   * `std::sort`, as (sizes, positions) in two arrays valid until the next
   * call of a sorting method.
   */
  sortedBySize(): { sizes: Int32Array; positions: Int32Array } {
    const n = this.count;
    const keys = this.#workKeys;
    const vals = this.#workPositions;
    keys.set(this.sizes.subarray(0, n));
    vals.set(this.#iota.subarray(0, n));
    libstdcxxSortPairs(keys, vals, n);
    return { sizes: keys, positions: vals };
  }

  /** The id-order position of the first swarm with fewer than minSwarmSize nodes, or -1. */
  firstStarving(): number {
    if (this.starving === 0) return -1;
    const sizes = this.sizes;
    const min = this.#rules.minSwarmSize;
    for (let i = 0; i < this.count; i++) {
      if (sizes[i]! < min) return i;
    }
    return -1;
  }

  /** The map upstream ends with: ids ascending, each with its node vector. */
  toMap(): Map<bigint, Uint8Array[]> {
    const out = new Map<bigint, Uint8Array[]>();
    for (let i = 0; i < this.count; i++) {
      out.set(this.#order[i]!, this.membersAt(i));
    }
    return out;
  }
}
