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

import { VerifyError } from "./core/errors.ts";
import type { SignatureCheck } from "./core/messages.ts";
import { SignatureVerifier } from "./runtime/signatures.ts";
import type { Lease, Store, Tables } from "./store/store.ts";

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
  /** With `alone`: commit only while this lease is held (see `Store.transaction`). */
  fence?: Lease;
  /** Called once the write committed, in write order, before it is answered. */
  committed?: (value: T) => void | Promise<void>;
}

interface Job {
  unit: (tx: Tables) => Promise<unknown>;
  alone: boolean;
  fence: Lease | undefined;
  committed: ((value: unknown) => void | Promise<void>) | undefined;
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
        alone: (options.alone ?? false) || options.fence !== undefined,
        fence: options.fence,
        committed: options.committed as
          | ((value: unknown) => void | Promise<void>)
          | undefined,
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
          await this.#store.transaction(
            job.unit,
            job.fence ? { fence: job.fence } : {},
          ).then(
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
    for (const [i, job] of group.entries()) {
      const o = outcomes[i]!;
      if (!o.ok) {
        job.reject(o.error);
        continue;
      }
      try {
        await job.committed?.(o.value);
      } catch {
        // Delivering its events failed: the write committed all the same.
      }
      job.resolve(o.value);
    }
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

/**
 * How writes reach the queue: a signed write's signatures are verified
 * (strictly, with WebCrypto: `runtime/signatures.ts`) while earlier writes
 * are still on their way, and every write joins the queue in the order it
 * was called, whatever order the verifications finish in.
 */
export class WriteAdmission {
  readonly #verifier = new SignatureVerifier();
  readonly #order = new CallOrder();
  #verifying = 0;

  /** Writes whose signatures are being verified (about to join the queue). */
  get verifying(): number {
    return this.#verifying;
  }

  /**
   * Verify `checks` (the first failure is a `bad_signature` with its
   * message), run `ready` (further checks), then `enqueue`, in call order.
   */
  signed<T>(
    checks: readonly SignatureCheck[],
    ready: () => void,
    enqueue: () => Promise<T>,
  ): Promise<T> {
    const verified = (async () => {
      for (const c of checks) {
        if (
          !await this.#verifier.verify(c.publicKey, c.preimage, c.signature)
        ) throw new VerifyError("bad_signature", c.failure);
      }
    })();
    verified.catch(() => {});
    this.#verifying++;
    return this.#order.admit(async () => {
      try {
        await verified;
      } finally {
        this.#verifying--;
      }
      ready();
    }, enqueue);
  }

  /** `enqueue` in call order (a write with nothing to verify). */
  unsigned<T>(enqueue: () => Promise<T>): Promise<T> {
    return this.#order.admit(() => Promise.resolve(), enqueue);
  }
}
