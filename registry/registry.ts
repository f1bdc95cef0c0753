/**
 * The registry: a thin facade over the actions. It verifies signed writes,
 * runs each action behind a write queue that commits queued writes in
 * groups (each write in its own savepoint: `group_commit.ts`), keeps an
 * epoch cursor for readers, and publishes the events an action returns to
 * subscribers once its transaction has committed.
 *
 * Time comes from an injected clock and epochs advance only through
 * {@linkcode Registry.tick}, so tests drive it with a test clock.
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
import { publicKeyOf } from "./core/keys.ts";
import { VerifyError } from "./core/errors.ts";
import {
  checkTimestamp,
  decodeUnverifiedMessage,
  type SignatureCheck,
} from "./core/messages.ts";
import type { NetworkParams } from "./core/params.ts";
import {
  CallOrder,
  GroupCommit,
  type GroupCommitStats,
} from "./group_commit.ts";
import { SignatureVerifier } from "./runtime/signatures.ts";
import type { Store } from "./store/store.ts";

export type { GenesisAllocation, ReachabilityResult, TickSummary };

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
  /** A list is stored in full at least every this many epochs, else as a delta. Default 32. */
  listSnapshotEvery?: number;
  /** Epochs of events kept; 0 keeps all. Default 21,600. */
  eventRetention?: number;
  /** Reachability tests kept per node. Default 10. */
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
  readonly #listeners = new Set<(events: RegistryEvent[]) => void>();
  #epoch = 0;
  #lastEventId = 0;
  readonly #writes: GroupCommit;
  readonly #verifier = new SignatureVerifier();
  /** Writes whose signatures are being verified (about to be queued). */
  #verifying = 0;
  readonly #order = new CallOrder();

  private constructor(options: RegistryOptions) {
    this.store = options.store;
    this.params = options.params;
    this.publicKeys = options.signingKeys.map(publicKeyOf);
    this.minimumNodeVersion = options.minimumNodeVersion ?? null;
    this.#clock = options.clock;
    this.#writes = new GroupCommit(options.store, {
      pending: () => this.#verifying > 0,
    });
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
    await registry.#run((ctx) => initialise(ctx, options.genesis ?? []), {
      epoch: 0,
    });
    const read = registry.store.read;
    registry.#epoch = await read.meta.epoch();
    registry.#lastEventId = Math.max(
      registry.#lastEventId,
      await read.events.lastId(),
    );
    if (!(await read.lists.latest())) await registry.tick();
    return registry;
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
    await this.#writes.drain();
  }

  /** Counters of the write queue's groups. */
  get writeStats(): GroupCommitStats {
    return { ...this.#writes.stats };
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
    // Strict RFC 8032, checked with WebCrypto (runtime/signatures.ts).
    const verified = this.#verify(checks);
    verified.catch(() => {});
    this.#verifying++;
    return await this.#order.admit(async () => {
      try {
        await verified;
      } finally {
        this.#verifying--;
      }
      checkTimestamp(
        msg.body,
        this.nowSeconds(),
        this.params.clockToleranceSeconds,
      );
    }, () => this.#run((ctx) => submit(ctx, msg)));
  }

  async #verify(checks: readonly SignatureCheck[]): Promise<void> {
    for (const c of checks) {
      if (!await this.#verifier.verify(c.publicKey, c.preimage, c.signature)) {
        throw new VerifyError("bad_signature", c.failure);
      }
    }
  }

  /** Close the epoch in progress (see `actions/tick.ts`). */
  tick(): Promise<TickSummary> {
    return this.#order.admit(
      () => Promise.resolve(),
      () => this.#run((ctx) => tick(ctx), { advancesEpoch: true }),
    );
  }

  /** Record reachability test results (see `actions/record_reachability.ts`). */
  recordReachability(results: ReachabilityResult[]): Promise<void> {
    return this.#order.admit(
      () => Promise.resolve(),
      () => this.#run((ctx) => recordReachability(ctx, results)),
    );
  }

  /**
   * Run an action behind the write queue, in the next group of writes
   * (`group_commit.ts`: one transaction per group, a savepoint per write),
   * then move the epoch cursor and publish the events it caused once the
   * group committed. One writer at a time keeps the epoch stable within a
   * write and events in order; a tick (or a run at a given epoch) runs
   * alone.
   */
  async #run<T>(
    action: (ctx: ActionContext) => Promise<T>,
    options: { epoch?: number; advancesEpoch?: boolean } = {},
  ): Promise<T> {
    const done = await this.#writes.run(async (tx) => {
      // The epoch is read inside the transaction: the store, not this
      // process, is the authority (a new database has none yet).
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
      committed: ({ events, epoch }) => {
        if (options.epoch === undefined) {
          this.#epoch = options.advancesEpoch ? epoch + 1 : epoch;
        }
        this.#publish(events);
      },
    });
    return done.value;
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
