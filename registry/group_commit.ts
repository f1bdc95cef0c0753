/**
 * Group commit for the registry's write queue: writes waiting their turn
 * are applied together in one transaction, each in its own savepoint, and
 * the transaction commits once for all of them. A write that fails rolls
 * back its savepoint only - it changes nothing, exactly as when it had its
 * own transaction - and the others still commit. Every write is answered
 * (its promise settles) only after the group's commit returned: an
 * acknowledged write is as durable as before (SQLite in WAL mode with
 * `synchronous=NORMAL`: it survives the registry process being killed; an
 * operating-system crash or power loss may lose the last commits).
 *
 * Writes run one at a time and in arrival order, within a group and from
 * group to group, so each sees the ones before it. A write marked `alone`
 * (a tick, which closes the epoch) runs in a transaction of its own.
 *
 * A group forms while the previous one runs, or, when writes are still on
 * their way (`pending()` says so: signatures being verified), during one
 * turn of the event loop; otherwise a write starts at once.
 *
 * @module
 */

import type { Store, Tables } from "./store/store.ts";

/** Options of {@linkcode GroupCommit}. */
export interface GroupCommitOptions {
  /** Most writes in one group. Default 256. */
  maxGroup?: number;
  /** Whether more writes are about to arrive (worth waiting one event-loop turn). */
  pending?: () => boolean;
}

/** Options of one write. */
export interface WriteOptions<T> {
  /** Run in a transaction of its own. */
  alone?: boolean;
  /** Called once the write committed, in write order, before it is answered. */
  committed?: (value: T) => void;
}

interface Job {
  unit: (tx: Tables) => Promise<unknown>;
  alone: boolean;
  committed: ((value: unknown) => void) | undefined;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Counters, for benchmarks and `/metrics`. */
export interface GroupCommitStats {
  groups: number;
  writes: number;
  largestGroup: number;
}

/** Applies queued writes in groups, one transaction per group. */
export class GroupCommit {
  readonly #store: Store;
  readonly #maxGroup: number;
  readonly #pending: () => boolean;
  readonly #queue: Job[] = [];
  #running = false;
  #idle: { promise: Promise<void>; resolve: () => void } | null = null;
  readonly stats: GroupCommitStats = { groups: 0, writes: 0, largestGroup: 0 };

  constructor(store: Store, options: GroupCommitOptions = {}) {
    this.#store = store;
    this.#maxGroup = options.maxGroup ?? 256;
    this.#pending = options.pending ?? (() => false);
  }

  /** Apply `unit` in the next group; resolves with its value after the group committed. */
  run<T>(
    unit: (tx: Tables) => Promise<T>,
    options: WriteOptions<T> = {},
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({
        unit,
        alone: options.alone ?? false,
        committed: options.committed as ((value: unknown) => void) | undefined,
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      if (!this.#running) {
        this.#running = true;
        if (this.#pending()) setTimeout(() => this.#loop(), 0);
        else this.#loop();
      }
    });
  }

  /** Resolve once every write queued so far has committed or failed. */
  drain(): Promise<void> {
    if (!this.#running) return Promise.resolve();
    this.#idle ??= Promise.withResolvers<void>();
    return this.#idle.promise;
  }

  async #loop(): Promise<void> {
    while (this.#queue.length > 0) {
      const first = this.#queue[0]!;
      const size = first.alone ? 1 : Math.min(
        this.#queue.length,
        this.#maxGroup,
        (() => {
          const alone = this.#queue.findIndex((j) => j.alone);
          return alone < 0 ? Infinity : alone;
        })(),
      );
      const group = this.#queue.splice(0, size);
      await this.#apply(group);
    }
    this.#running = false;
    this.#idle?.resolve();
    this.#idle = null;
  }

  async #apply(group: Job[]): Promise<void> {
    this.stats.groups++;
    this.stats.writes += group.length;
    this.stats.largestGroup = Math.max(this.stats.largestGroup, group.length);
    let outcomes: { ok: boolean; value?: unknown; error?: unknown }[];
    try {
      if (group.length === 1) {
        // One write: its own transaction, no savepoint needed.
        const job = group[0]!;
        outcomes = [
          await this.#store.transaction(job.unit).then(
            (value) => ({ ok: true, value }),
            (error) => ({ ok: false, error }),
          ),
        ];
      } else {
        outcomes = await this.#store.transaction(async (tx) => {
          const out = [];
          for (const job of group) {
            out.push(await tx.savepoints.run(() => job.unit(tx)));
          }
          return out;
        });
      }
    } catch (error) {
      // The commit itself failed: nothing of the group was applied.
      for (const job of group) job.reject(error);
      return;
    }
    group.forEach((job, i) => {
      const o = outcomes[i]!;
      if (!o.ok) {
        job.reject(o.error);
        return;
      }
      try {
        job.committed?.(o.value);
      } catch {
        // A broken listener must not fail a committed write.
      }
      job.resolve(o.value);
    });
  }
}

/**
 * Keeps writes in the order they were called while each first does some
 * asynchronous work (verifying signatures): `enqueue` runs once every
 * earlier call's `enqueue` ran (or its `ready` failed) and `ready` resolved.
 */
export class CallOrder {
  /** Settles once the last call reached its turn. */
  #last: Promise<void> = Promise.resolve();

  /** Wait for `ready` and this call's turn, then `enqueue`; resolves with its result. */
  async admit<T>(
    ready: () => Promise<void>,
    enqueue: () => Promise<T>,
  ): Promise<T> {
    const previous = this.#last;
    const turn = Promise.withResolvers<void>();
    this.#last = turn.promise;
    let queued: Promise<T>;
    try {
      await previous;
      await ready();
      queued = enqueue();
    } finally {
      turn.resolve();
    }
    return await queued;
  }
}
