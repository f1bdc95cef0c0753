/**
 * Several registry processes on one database: every process accepts writes
 * and serves reads; exactly one - the holder of the store's leader lease -
 * runs the epochs (ticks, reachability rounds); the others follow.
 *
 * - **Leader lease.** Each process tries to take the lease at start and,
 *   while it does not hold it, every `leaseRetryMs` (half an epoch, 250 ms
 *   to 5 s). The holder runs an {@linkcode EpochRunner} whose ticks are
 *   fenced by the lease. When the lease is lost (its connection dropped or
 *   stopped answering, e.g. the database restarted), the runner stops and
 *   the process follows again. A leader that dies (even `kill -9`) loses its
 *   connection, the database frees the lease, and the next follower to try
 *   takes it and continues the chain from the last list in the database:
 *   its first tick is one epoch after that list was published, or at once
 *   if that is past, so the lists keep their pace.
 * - **Followers** catch up with other processes' writes through
 *   {@linkcode Registry.sync} - the epoch cursor, and every event published
 *   to local subscribers (event streams) once and in order - when the store
 *   says another process wrote (PostgreSQL `NOTIFY`) and every `pollMs` in
 *   case a notification was missed.
 *
 * On a database this process owns (SQLite) the lease is always granted at
 * once and there is nothing to follow: this is just the epoch runner.
 *
 * @module
 */

import type { Lease, Registry } from "../registry.ts";
import { EpochRunner, type EpochRunnerOptions } from "./epoch_runner.ts";
import type { Logger } from "./log.ts";

/** Options of {@linkcode Cluster}. */
export interface ClusterOptions {
  /** Reachability rounds of the leader. */
  probe: EpochRunnerOptions["probe"];
  /** Where to log. */
  log: Logger;
  /** How often a follower tries to take the lease, ms. Default: half an epoch, 250 ms to 5 s. */
  leaseRetryMs?: number;
  /** How often to look for other processes' writes besides notifications, ms. Default 1,000. */
  pollMs?: number;
  /** Wall clock, unix ms. Default `Date.now`. */
  now?: () => number;
}

/** Runs the epochs when this process holds the lease; follows otherwise. */
export class Cluster {
  readonly #registry: Registry;
  readonly #options: ClusterOptions;
  readonly #stop = Promise.withResolvers<void>();
  #stopping = false;
  #leading = false;
  #campaign: Promise<void> | null = null;
  #unwatch: () => void = () => {};
  #poll: ReturnType<typeof setInterval> | undefined;
  #syncFailing = false;
  #runner: EpochRunner | null = null;
  #pastTickFailures = 0;

  constructor(registry: Registry, options: ClusterOptions) {
    this.#registry = registry;
    this.#options = options;
  }

  /** Epoch deadlines the leader's ticker passed without ticking; 0 while following. */
  lag(): number {
    return this.#runner?.lag() ?? 0;
  }

  /** Ticks that failed while this process led, since it started. */
  get tickFailures(): number {
    return this.#pastTickFailures + (this.#runner?.tickFailures ?? 0);
  }

  /** Whether this process runs the epochs now. */
  get leading(): boolean {
    return this.#leading;
  }

  /** Start following and campaigning for the lease. */
  start(): void {
    if (this.#campaign) return;
    const store = this.#registry.store;
    if (store.shared) {
      this.#unwatch = store.watch(() => this.#sync());
      this.#poll = setInterval(
        () => this.#sync(),
        this.#options.pollMs ?? 1000,
      );
    }
    this.#campaign = this.#run();
  }

  /**
   * Stop: the epoch runner as {@linkcode EpochRunner.stop} does (a tick in
   * progress commits), the lease released, no more following.
   */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#stop.resolve();
    clearInterval(this.#poll);
    this.#unwatch();
    await this.#campaign;
  }

  #sync(): void {
    this.#registry.sync().then(() => {
      if (this.#syncFailing) {
        this.#syncFailing = false;
        this.#options.log.info("reading other processes' writes again");
      }
    }, (e) => {
      if (this.#syncFailing) return;
      this.#syncFailing = true;
      this.#options.log.warn("cannot read other processes' writes", {
        error: e,
      });
    });
  }

  get #retryMs(): number {
    const half = this.#registry.params.epochSeconds * 500;
    return this.#options.leaseRetryMs ?? Math.min(5000, Math.max(250, half));
  }

  async #run(): Promise<void> {
    const { log } = this.#options;
    const shared = this.#registry.store.shared;
    let announced = false;
    let unreachable = false;
    while (!this.#stopping) {
      let lease: Lease | null = null;
      try {
        lease = await this.#registry.store.tryLease();
        unreachable = false;
      } catch (e) {
        if (!unreachable) {
          log.warn("cannot reach the database for the leader lease", {
            error: e,
          });
        }
        unreachable = true;
      }
      if (lease !== null) {
        await this.#lead(lease);
        announced = false;
      } else if (shared && !unreachable && !announced) {
        log.info("following: another process runs the epochs", {
          epoch: this.#registry.epoch,
        });
        announced = true;
      }
      if (!this.#stopping) await this.#sleep(this.#retryMs);
    }
  }

  async #lead(lease: Lease): Promise<void> {
    const { log, probe } = this.#options;
    const registry = this.#registry;
    if (this.#stopping) {
      await lease.release();
      return;
    }
    let start: number | undefined;
    if (registry.store.shared) {
      try {
        // Continue from the database: the epoch and the list the last
        // leader left.
        await registry.sync();
        const last = await registry.store.read.lists.latest();
        const now = (this.#options.now ?? Date.now)();
        const interval = registry.params.epochSeconds * 1000;
        if (last) {
          const published = last.publishedAt * 1000;
          start = published + interval <= now ? now - interval : published;
        }
        log.info("leader lease taken: this process runs the epochs", {
          epoch: registry.epoch,
          lastList: last?.epoch ?? null,
          firstTickInMs: start === undefined
            ? interval
            : Math.max(0, start + interval - now),
        });
      } catch (e) {
        log.warn("cannot read the database to lead: giving the lease up", {
          error: e,
        });
        await lease.release();
        return;
      }
    }
    const runner = new EpochRunner(registry, {
      probe,
      log,
      lease,
      ...(start === undefined ? {} : { start }),
    });
    this.#leading = true;
    this.#runner = runner;
    runner.start();
    await Promise.race([lease.lost, this.#stop.promise]);
    await runner.stop();
    this.#pastTickFailures += runner.tickFailures;
    this.#runner = null;
    this.#leading = false;
    if (!this.#stopping) {
      log.warn("lost the leader lease: following", { epoch: registry.epoch });
    }
    await lease.release();
  }

  #sleep(ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    return Promise.race([
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
      }),
      this.#stop.promise,
    ]).finally(() => clearTimeout(timer));
  }
}
