/**
 * The registry: a thin facade over the actions. It verifies signed writes,
 * runs each action behind a write queue committing in groups
 * (`group_commit.ts`), keeps an epoch cursor for readers, and publishes the
 * events an action returns once its transaction has committed.
 *
 * Time comes from an injected clock and epochs advance only through
 * {@linkcode Registry.tick}, so tests drive it with a test clock.
 *
 * On a shared database (PostgreSQL, several registry processes) other
 * processes write too: {@linkcode Registry.sync} (called by the runtime
 * when the store says another process wrote, and periodically) moves the
 * epoch cursor and publishes their events through the event bus
 * (`event_bus.ts`), so subscribers get every committed event exactly once
 * and in id order, whoever wrote it.
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
import { checkTimestamp, decodeUnverifiedMessage } from "./core/messages.ts";
import type { NetworkParams } from "./core/params.ts";
import { EventBus } from "./event_bus.ts";
import {
  GroupCommit,
  type GroupCommitStats,
  WriteAdmission,
} from "./group_commit.ts";
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
  /** Snapshot every K lists, deltas between (32); events kept N epochs, 0: all (21,600); reachability tests kept per node (10). */
  listSnapshotEvery?: number;
  eventRetention?: number;
  reachabilityEvidence?: number;
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
  readonly #bus: EventBus;
  #created = false;
  #epoch = 0;
  readonly #writes: GroupCommit;
  /** Counters of the write queue's groups (live). */
  readonly writeStats: Readonly<GroupCommitStats>;
  readonly #admission = new WriteAdmission();

  private constructor(options: RegistryOptions) {
    this.store = options.store;
    this.params = options.params;
    this.publicKeys = options.signingKeys.map(publicKeyOf);
    this.minimumNodeVersion = options.minimumNodeVersion ?? null;
    this.#clock = options.clock;
    // Another process may have moved the epoch further: never back.
    this.#bus = new EventBus(options.store, (epoch) => {
      this.#epoch = Math.max(this.#epoch, epoch);
    });
    this.#writes = new GroupCommit(options.store, {
      pending: () => this.#admission.verifying > 0,
    });
    this.writeStats = this.#writes.stats;
    this.#settings = {
      signingKeys: options.signingKeys,
      faucetLimit: options.faucetLimit ?? 1000n * 1_000_000_000n,
      listRetention: options.listRetention ?? 2160,
      reachabilityFailureThreshold: options.reachabilityFailureThreshold ?? 2,
      listSnapshotEvery: options.listSnapshotEvery ?? 32,
      eventRetention: options.eventRetention ?? 21_600,
      reachabilityEvidence: options.reachabilityEvidence ?? 10,
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
      registry.#bus.skipTo(await read.events.lastId());
    }
    registry.#created = await registry.#run(
      (ctx) => initialise(ctx, options.genesis ?? []),
      { epoch: 0 },
    );
    if (registry.store.shared) await registry.#pinKeys();
    registry.#epoch = await read.meta.epoch();
    registry.#bus.skipTo(await read.events.lastId());
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
    return this.#bus.lastEventId;
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
    return this.#bus.subscribe(listener);
  }

  /** Resolve once every write queued so far has committed or failed. */
  async drain(): Promise<void> {
    await this.#writes.drain();
  }

  /**
   * Accept one signed message (its canonical bytes): decode and verify it,
   * check its timestamp, then apply it - or throw a typed error and change
   * nothing.
   */
  async submit(bytes: Uint8Array): Promise<SubmitResultView> {
    const { message: msg, checks } = decodeUnverifiedMessage(
      bytes,
      this.params.id,
    );
    return await this.#admission.signed(
      checks,
      () =>
        checkTimestamp(
          msg.body,
          this.nowSeconds(),
          this.params.clockToleranceSeconds,
        ),
      () => this.#run((ctx) => submit(ctx, msg)),
    );
  }

  /**
   * Close the epoch in progress (see `actions/tick.ts`). With a `lease`,
   * the tick commits only while the lease is held (`LeaseLostError`
   * otherwise): a process that lost the leader lease cannot publish a list.
   */
  tick(options: { lease?: Lease } = {}): Promise<TickSummary> {
    return this.#admission.unsigned(() =>
      this.#run((ctx) => tick(ctx), {
        advancesEpoch: true,
        ...(options.lease ? { fence: options.lease } : {}),
      })
    );
  }

  /**
   * Catch up with writes other processes committed to a shared database:
   * move the epoch cursor and publish their events, in id order, each once.
   * Calls made while one is waiting to start share it. A no-op on a
   * database this process owns.
   */
  sync(): Promise<void> {
    return this.#bus.sync();
  }

  /** Record reachability test results (see `actions/record_reachability.ts`). */
  recordReachability(results: ReachabilityResult[]): Promise<void> {
    return this.#admission.unsigned(() =>
      this.#run((ctx) => recordReachability(ctx, results))
    );
  }

  /** Run an action in the write queue's next group (a tick alone), then move the epoch cursor and publish its events. */
  async #run<T>(
    action: (ctx: ActionContext) => Promise<T>,
    options: { epoch?: number; advancesEpoch?: boolean; fence?: Lease } = {},
  ): Promise<T> {
    const done = await this.#writes.run(async (tx) => {
      // Read inside the transaction: the store is the authority.
      const epoch = options.epoch ?? await tx.meta.epoch();
      const ctx = actionContext(
        tx,
        this.params,
        this.#settings,
        epoch,
        this.#clock(),
      );
      const value = await action(ctx);
      return { value, events: ctx.events, epoch };
    }, {
      alone: options.advancesEpoch === true || options.epoch !== undefined,
      ...(options.fence ? { fence: options.fence } : {}),
      committed: async ({ events, epoch }) => {
        if (options.epoch === undefined) {
          const next = options.advancesEpoch ? epoch + 1 : epoch;
          // On a shared database another process may have moved it further.
          this.#epoch = this.store.shared ? Math.max(this.#epoch, next) : next;
        }
        await this.#bus.committed(events);
      },
    });
    return done.value;
  }
}
