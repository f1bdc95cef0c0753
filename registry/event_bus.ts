/**
 * Delivery of committed events to the registry's subscribers (the event
 * streams, the list cache): every committed event exactly once, in id
 * order, whoever wrote it.
 *
 * On a database this process owns, an action's events are published as
 * soon as its transaction commits. On a shared database (PostgreSQL,
 * several registry processes) other processes write too: event ids are in
 * commit order (the store serialises writes), so a write's events that
 * follow the last delivered id without a gap are published at once, and
 * anything else - another process's writes, or ids a rolled-back write
 * used - is read from the database in order ({@linkcode EventBus.sync}).
 *
 * @module
 */

import type { RegistryEvent } from "./api/events.ts";
import type { Store } from "./store/store.ts";

/** Events page size when catching up from the database. */
const CATCH_UP_PAGE = 1000;

/** The registry's subscribers and what they have been told. */
export class EventBus {
  readonly #store: Store;
  /** Called with the database's epoch before events are published (a listener told of a new list sees its epoch closed). */
  readonly #onEpoch: (epoch: number) => void;
  readonly #listeners = new Set<(events: RegistryEvent[]) => void>();
  #lastEventId = 0;
  /** Shared database: deliveries, one at a time. */
  #chain: Promise<unknown> = Promise.resolve();
  /** Shared database: a sync queued and not started yet. */
  #syncQueued: Promise<void> | null = null;

  constructor(store: Store, onEpoch: (epoch: number) => void) {
    this.#store = store;
    this.#onEpoch = onEpoch;
  }

  /** Id of the newest event delivered (or known to exist at start). */
  get lastEventId(): number {
    return this.#lastEventId;
  }

  /** Start after this id (events before it are in the database already). */
  skipTo(id: number): void {
    this.#lastEventId = Math.max(this.#lastEventId, id);
  }

  /** Listen for events as they are committed. Returns an unsubscribe function. */
  subscribe(listener: (events: RegistryEvent[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * A transaction committed with these events. On a shared database a
   * failure to deliver now (the database went away) is not the write's
   * failure: the next sync delivers them.
   */
  async committed(events: readonly RegistryEvent[]): Promise<void> {
    if (!this.#store.shared) return this.#publish(events);
    if (events.length === 0) return;
    const run = this.#chain.then(async () => {
      const fresh = events.filter((e) => e.id > this.#lastEventId);
      if (fresh.length === 0) return;
      const contiguous = fresh.every((e, i) =>
        e.id === this.#lastEventId + 1 + i
      );
      if (contiguous) this.#publish(fresh);
      else await this.#catchUp();
    });
    this.#chain = run.catch(() => {});
    await run.catch(() => {});
  }

  /**
   * Catch up with what other processes committed to a shared database.
   * Calls made while one is waiting to start share it; a no-op on a
   * database this process owns.
   */
  sync(): Promise<void> {
    if (!this.#store.shared) return Promise.resolve();
    if (this.#syncQueued) return this.#syncQueued;
    const run = this.#chain.then(async () => {
      this.#syncQueued = null;
      await this.#catchUp();
    });
    this.#syncQueued = run;
    this.#chain = run.catch(() => {});
    return run;
  }

  /** Read and publish every event after the last delivered one. */
  async #catchUp(): Promise<void> {
    const read = this.#store.read;
    for (;;) {
      const page = await read.events.list({
        after: this.#lastEventId,
        limit: CATCH_UP_PAGE,
      });
      this.#onEpoch(await read.meta.epoch());
      this.#publish(page);
      if (page.length < CATCH_UP_PAGE) return;
    }
  }

  #publish(events: readonly RegistryEvent[]): void {
    if (events.length === 0) return;
    this.#lastEventId = Math.max(this.#lastEventId, events.at(-1)!.id);
    const batch = [...events];
    for (const listener of this.#listeners) {
      try {
        listener(batch);
      } catch {
        // A broken listener must not break writes.
      }
    }
  }
}
