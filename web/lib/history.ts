/**
 * Network history derived from the registry's events, since the registry
 * keeps none: each `list_published` event gives the epoch, its time and the
 * number of listed and active nodes; the stake in live nodes is replayed from
 * registrations, contributions, exits and deregistrations; swarm counts are
 * added from sampled lists (see `sampleSwarms` in the indexer) or from
 * `/v1/info` while the explorer follows the network live.
 *
 * @module
 */

import type { EventLike } from "../format.ts";

/** One point of history: the state right after an epoch's list. */
export interface HistoryPoint {
  /** The list's epoch. */
  epoch: number;
  /** Unix seconds it was published. */
  time: number;
  /** Nodes in the list (active and decommissioned). */
  nodes: number;
  /** Active nodes. */
  active: number;
  /** Stake in live nodes, atomic units. */
  staked: bigint;
  /** Swarms, when known. */
  swarms: number | null;
}

/** Folds events into history points, in event order. Bounded in memory. */
export class HistoryBuilder {
  readonly #stakeByNode = new Map<string, bigint>();
  #staked = 0n;
  readonly #points: HistoryPoint[] = [];
  readonly #maxPoints: number;

  /** Keeps at most `maxPoints` points, thinning the older half when full. */
  constructor(maxPoints = 4096) {
    this.#maxPoints = Math.max(16, maxPoints);
  }

  /** Stake in live nodes now, atomic units. */
  get staked(): bigint {
    return this.#staked;
  }

  /** The points, oldest first. */
  get points(): readonly HistoryPoint[] {
    return this.#points;
  }

  #setStake(node: string, amount: bigint): void {
    this.#staked += amount - (this.#stakeByNode.get(node) ?? 0n);
    if (amount === 0n) this.#stakeByNode.delete(node);
    else this.#stakeByNode.set(node, amount);
  }

  /** Fold one event in. */
  add(e: EventLike): void {
    const d = e.data;
    const node = e.node;
    switch (e.kind) {
      case "registered":
        if (node) this.#setStake(node, big(d.operatorStake));
        break;
      case "contribution":
      case "funded":
        if (node && d.contributed !== undefined) {
          this.#setStake(node, big(d.contributed));
        }
        break;
      case "deregistered":
      case "exited":
        if (node) this.#setStake(node, 0n);
        break;
      case "list_published":
        this.#push({
          epoch: Number(d.epoch ?? e.epoch),
          time: Math.floor(e.createdAt / 1000),
          nodes: Number(d.nodes ?? 0),
          active: Number(d.active ?? 0),
          staked: this.#staked,
          swarms: null,
        });
        break;
    }
  }

  #push(p: HistoryPoint): void {
    this.#points.push(p);
    if (this.#points.length > this.#maxPoints) {
      // Drop every other point of the older half: old history gets coarser,
      // recent history stays exact.
      const half = Math.floor(this.#points.length / 2);
      const older = this.#points.slice(0, half).filter((_, i) => i % 2 === 0);
      this.#points.splice(0, half, ...older);
    }
  }

  /** Record the swarm count of an epoch's list, if that point is kept. */
  setSwarms(epoch: number, swarms: number): void {
    const p = this.find(epoch);
    if (p) p.swarms = swarms;
  }

  /** The point of an epoch, if kept. */
  find(epoch: number): HistoryPoint | undefined {
    const pts = this.#points;
    let lo = 0, hi = pts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const p = pts[mid]!;
      if (p.epoch === epoch) return p;
      if (p.epoch < epoch) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }
}

function big(v: unknown): bigint {
  try {
    return typeof v === "string" || typeof v === "number" ? BigInt(v) : 0n;
  } catch {
    return 0n;
  }
}

/**
 * At most `n` points spread evenly over `points` (always keeping the last),
 * for a chart.
 */
export function samplePoints<T>(points: readonly T[], n: number): T[] {
  if (points.length <= n) return [...points];
  const out: T[] = [];
  const step = (points.length - 1) / (n - 1);
  for (let i = 0; i < n; i++) out.push(points[Math.round(i * step)]!);
  return out;
}
