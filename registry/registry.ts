/**
 * The registry: a thin facade over the actions. It verifies signed writes,
 * runs each action in one store transaction behind a write queue, keeps an
 * epoch cursor for readers, and publishes the events an action returns to
 * subscribers once its transaction has committed.
 *
 * Time comes from an injected clock and epochs advance only through
 * {@linkcode Registry.tick}, so tests drive it with a test clock.
 *
 * On a shared database (PostgreSQL, several registry processes) other
 * processes write too: {@linkcode Registry.sync} (called by the runtime
 * when the store says another process wrote, and periodically) moves the
 * epoch cursor and publishes their events, so subscribers get every
 * committed event exactly once and in id order, whoever wrote it.
 *
 * @module
 */

import type { RegistryEvent } from "./api/events.ts";
import { RegistryError } from "./api/errors.ts";
import type { SubmitResultView } from "./api/views.ts";
import {
  type ActionContext,
  actionContext,
  type RegistrySettings,
} from "./actions/context.ts";
import { type GenesisAllocation, initialise } from "./actions/initialise.ts";
import {
  type ReachabilityResult,
  recordReachability,
} from "./actions/record_reachability.ts";
import { submit } from "./actions/submit.ts";
import { tick, type TickSummary } from "./actions/tick.ts";
import { toHex } from "./core/bytes.ts";
import { publicKeyOf } from "./core/keys.ts";
import { checkTimestamp, decodeMessage } from "./core/messages.ts";
import type { NetworkParams } from "./core/params.ts";
import type { Lease, Store } from "./store/store.ts";

export type { GenesisAllocation, Lease, ReachabilityResult, TickSummary };

/** How to open a registry. */
export interface RegistryOptions {
  /** The store, open and migrated. */
  store: Store;
  /** Network rules. */
  params: NetworkParams;
  /** Secret keys the lists are signed with (one per registry key; usually one). */
  signingKeys: Uint8Array[];
  /** Milliseconds since the epoch; `Date.now` in production, a test clock in tests. */
  clock: () => number;
  /** Applied once, when the database is new. */
  genesis?: GenesisAllocation[];
  /** Largest faucet request, atomic units (devnet). Default 1,000 coins. */
  faucetLimit?: bigint;
  /** How many published lists to keep. Default 2,160 (72 h of 2-minute epochs). */
  listRetention?: number;
  /** Consecutive failed reachability tests that mark a node unreachable. Default 2. */
  reachabilityFailureThreshold?: number;
  /** Accept private and loopback addresses in proofs (devnet and tests). Default: only on devnet. */
  allowPrivateAddresses?: boolean;
  /** Refuse proofs from node software older than this (and publish it in `/v1/info`). Default: none. */
  minimumNodeVersion?: readonly [number, number, number] | null;
}

/** The registry service. Open with {@linkcode Registry.open}. */
export class Registry {
  /** The store. */
  readonly store: Store;
  /** Network rules. */
  readonly params: NetworkParams;
  /** Public keys of the registry's signing keys, as clients pin them. */
  readonly publicKeys: Uint8Array[];
  /** Proofs from node software older than this are refused; null: any. */
  readonly minimumNodeVersion: readonly [number, number, number] | null;
  readonly #settings: RegistrySettings;
  readonly #clock: () => number;
  readonly #listeners = new Set<(events: RegistryEvent[]) => void>();
  #created = false;
  #epoch = 0;
  #lastEventId = 0;
  #writeChain: Promise<unknown> = Promise.resolve();
  /** Shared database: event delivery, one at a time. */
  #deliveryChain: Promise<unknown> = Promise.resolve();
  /** Shared database: a sync queued and not started yet. */
  #syncQueued: Promise<void> | null = null;

  private constructor(options: RegistryOptions) {
    this.store = options.store;
    this.params = options.params;
    this.publicKeys = options.signingKeys.map(publicKeyOf);
    this.minimumNodeVersion = options.minimumNodeVersion ?? null;
    this.#clock = options.clock;
    this.#settings = {
      signingKeys: options.signingKeys,
      faucetLimit: options.faucetLimit ?? 1000n * 1_000_000_000n,
      listRetention: options.listRetention ?? 2160,
      reachabilityFailureThreshold: options.reachabilityFailureThreshold ?? 2,
      reachabilityEvidence: 10,
      allowPrivateAddresses: options.allowPrivateAddresses ??
        options.params.name === "devnet",
      minimumNodeVersion: options.minimumNodeVersion ?? null,
    };
  }

  /**
   * Open a registry on a migrated store. A new database is initialised:
   * network recorded, genesis allocations credited and list 0 published. An
   * existing one must be for the same network.
   */
  static async open(options: RegistryOptions): Promise<Registry> {
    if (options.signingKeys.length < 1) {
      throw new RegistryError(
        "bad_request",
        "the registry needs a signing key",
      );
    }
    const registry = new Registry(options);
    const read = registry.store.read;
    if (registry.store.shared) {
      // Events other processes wrote before this one opened are in the
      // database (event streams replay them); deliver only newer ones.
      registry.#lastEventId = await read.events.lastId();
    }
    registry.#created = await registry.#run(
      (ctx) => initialise(ctx, options.genesis ?? []),
      { epoch: 0 },
    );
    if (registry.store.shared) await registry.#pinKeys();
    registry.#epoch = await read.meta.epoch();
    registry.#lastEventId = Math.max(
      registry.#lastEventId,
      await read.events.lastId(),
    );
    // List 0, checked inside the transaction: of several processes opening
    // a new shared database at once, only the first publishes it.
    await registry.#run(async (ctx) =>
      (await ctx.tx.lists.latest()) ? undefined : tick(ctx)
    );
    registry.#epoch = Math.max(registry.#epoch, await read.meta.epoch());
    return registry;
  }

  /**
   * A shared database's lists must all be signed with one key: the first
   * process records its keys, the others must have the same.
   */
  async #pinKeys(): Promise<void> {
    const mine = this.publicKeys.map(toHex).join(",");
    await this.#run(async (ctx) => {
      const pinned = await ctx.tx.meta.registryKeys();
      if (pinned === undefined) {
        await ctx.tx.meta.setRegistryKeys(mine);
      } else if (pinned !== mine) {
        throw new RegistryError(
          "bad_request",
          `this database's lists are signed with the registry key ${pinned}, not ${mine}: every registry process on one database needs the same key (copy registry-key.json and its passphrase from the first)`,
        );
      }
    }, { epoch: 0 });
  }

  /** Whether opening this registry created its database (and applied the genesis). */
  get created(): boolean {
    return this.#created;
  }

  /** The epoch in progress: writes are applied in it; the next tick closes it. */
  get epoch(): number {
    return this.#epoch;
  }

  /** Id of the newest event. */
  get lastEventId(): number {
    return this.#lastEventId;
  }

  /** Unix seconds now, by the registry's clock. */
  nowSeconds(): number {
    return Math.floor(this.#clock() / 1000);
  }

  /** Estimated unix seconds when `epoch` begins, from the current one. */
  epochTime(epoch: number): number {
    return this.nowSeconds() + (epoch - this.#epoch) * this.params.epochSeconds;
  }

  /** Listen for events as they are committed. Returns an unsubscribe function. */
  subscribe(listener: (events: RegistryEvent[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolve once every write queued so far has committed or failed. */
  async drain(): Promise<void> {
    await this.#writeChain;
  }

  /**
   * Accept one signed message (its canonical bytes): decode and verify it,
   * check its timestamp, then apply it - or throw a typed error and change
   * nothing.
   */
  async submit(bytes: Uint8Array): Promise<SubmitResultView> {
    const msg = decodeMessage(bytes, this.params.id);
    checkTimestamp(
      msg.body,
      this.nowSeconds(),
      this.params.clockToleranceSeconds,
    );
    return await this.#run((ctx) => submit(ctx, msg));
  }

  /**
   * Close the epoch in progress (see `actions/tick.ts`). With a `lease`,
   * the tick commits only while the lease is held (`LeaseLostError`
   * otherwise): a process that lost the leader lease cannot publish a list.
   */
  tick(options: { lease?: Lease } = {}): Promise<TickSummary> {
    return this.#run((ctx) => tick(ctx), {
      advancesEpoch: true,
      ...(options.lease ? { fence: options.lease } : {}),
    });
  }

  /**
   * Catch up with writes other processes committed to a shared database:
   * move the epoch cursor and publish their events, in id order, each once.
   * Calls made while one is waiting to start share it. A no-op on a
   * database this process owns.
   */
  sync(): Promise<void> {
    if (!this.store.shared) return Promise.resolve();
    if (this.#syncQueued) return this.#syncQueued;
    const run = this.#deliveryChain.then(async () => {
      this.#syncQueued = null;
      await this.#catchUp();
    });
    this.#syncQueued = run;
    this.#deliveryChain = run.catch(() => {});
    return run;
  }

  /** Record reachability test results (see `actions/record_reachability.ts`). */
  recordReachability(results: ReachabilityResult[]): Promise<void> {
    return this.#run((ctx) => recordReachability(ctx, results));
  }

  /**
   * Run an action in one transaction behind the write queue (one writer at
   * a time keeps the epoch stable within a write and events in order), then
   * move the epoch cursor and publish the events it caused.
   */
  #run<T>(
    action: (ctx: ActionContext) => Promise<T>,
    options: { epoch?: number; advancesEpoch?: boolean; fence?: Lease } = {},
  ): Promise<T> {
    const work = async () => {
      let events: readonly RegistryEvent[] = [];
      let epoch = 0;
      const result = await this.store.transaction(async (tx) => {
        // The epoch is read inside the transaction: the store, not this
        // process, is the authority (a new database has none yet).
        epoch = options.epoch ?? await tx.meta.epoch();
        const ctx = actionContext(
          tx,
          this.params,
          this.#settings,
          epoch,
          this.#clock(),
        );
        const value = await action(ctx);
        events = ctx.events;
        return value;
      }, options.fence ? { fence: options.fence } : {});
      if (!this.store.shared) {
        if (options.epoch === undefined) {
          this.#epoch = options.advancesEpoch ? epoch + 1 : epoch;
        }
        this.#publish(events);
        return result;
      }
      if (options.epoch === undefined) {
        // Another process may have moved it further meanwhile.
        this.#epoch = Math.max(
          this.#epoch,
          options.advancesEpoch ? epoch + 1 : epoch,
        );
      }
      // The write has committed: failing to deliver its events now (the
      // database went away) must not fail it; the next sync delivers them.
      await this.#deliver(events).catch(() => {});
      return result;
    };
    const run = this.#writeChain.then(work, work);
    this.#writeChain = run.catch(() => {});
    return run;
  }

  /**
   * Shared database: publish a committed write's events. Event ids are in
   * commit order (the store serialises writes), so when they follow the
   * last delivered id without a gap nothing can be missing before them;
   * otherwise another process (or a rolled-back write) used the ids
   * between, and the events are read from the database in order.
   */
  #deliver(events: readonly RegistryEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    const run = this.#deliveryChain.then(async () => {
      const fresh = events.filter((e) => e.id > this.#lastEventId);
      if (fresh.length === 0) return;
      const contiguous = fresh.every((e, i) =>
        e.id === this.#lastEventId + 1 + i
      );
      if (contiguous) this.#publish(fresh);
      else await this.#catchUp();
    });
    this.#deliveryChain = run.catch(() => {});
    return run;
  }

  /** Read and publish every event after the last delivered one; refresh the epoch. */
  async #catchUp(): Promise<void> {
    const read = this.store.read;
    for (;;) {
      const page = await read.events.list({
        after: this.#lastEventId,
        limit: 1000,
      });
      // The epoch first: a listener told of a new list sees its epoch closed.
      this.#epoch = Math.max(this.#epoch, await read.meta.epoch());
      this.#publish(page);
      if (page.length < 1000) return;
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
