/**
 * The registry: a thin facade over the actions. It verifies signed writes
 * (WebCrypto, strictly: `group_commit.ts`), runs each action in the write
 * queue (queued writes share one transaction, each in its own savepoint),
 * keeps an epoch cursor for readers, and hands the events an action
 * returns to the event bus once its transaction has committed. Every
 * action is an input of the epoch (`actions/inputs.ts`), recorded in the
 * same transaction, so witnesses can re-execute it.
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
import {
  attachCosignature,
  type CosignatureInput,
  type CosignatureResult,
} from "./actions/cosign.ts";
import { type GenesisAllocation, initialise } from "./actions/initialise.ts";
import {
  applyGenesis,
  applyKeyRotation,
  applyReachability,
  applyWrite,
  reachabilityInput,
} from "./actions/inputs.ts";
import type { ReachabilityResult } from "./actions/record_reachability.ts";
import { tick, type TickSummary } from "./actions/tick.ts";
import { fromHex, toHex } from "./core/bytes.ts";
import {
  encodeGenesisPayload,
  encodeKeyRotationPayload,
} from "./core/inputs.ts";
import { decodeUnverifiedMessage } from "./core/messages.ts";
import { buildKeyRotation } from "./core/nodelist.ts";
import { publicKeyOf } from "./core/keys.ts";
import type { NetworkParams } from "./core/params.ts";
import { EventBus } from "./event_bus.ts";
import {
  GroupCommit,
  type GroupCommitStats,
  WriteAdmission,
} from "./group_commit.ts";
import { KeyRing } from "./key_ring.ts";
import type {
  KeyRotated,
  RegistryOptions,
  WitnessConfig,
} from "./registry_options.ts";
import type { Lease, Store } from "./store/store.ts";

export type {
  CosignatureInput,
  CosignatureResult,
  GenesisAllocation,
  KeyRotated,
  Lease,
  ReachabilityResult,
  RegistryOptions,
  TickSummary,
  WitnessConfig,
};

/** The registry service. Open with {@linkcode Registry.open}. */
export class Registry {
  /** The store. */
  readonly store: Store;
  /** Network rules. */
  readonly params: NetworkParams;
  /** Proofs from node software older than this are refused; null: any. */
  readonly minimumNodeVersion: readonly [number, number, number] | null;
  /** The witnesses whose co-signatures are attached. */
  readonly witnesses: readonly WitnessConfig[];
  /** Counters of the write queue's groups (live). */
  readonly writeStats: Readonly<GroupCommitStats>;
  readonly #settings: RegistrySettings;
  readonly #clock: () => number;
  readonly #bus: EventBus;
  readonly #keys: KeyRing;
  readonly #writes: GroupCommit;
  readonly #admission = new WriteAdmission();
  #created = false;
  #epoch = 0;

  private constructor(options: RegistryOptions) {
    this.store = options.store;
    this.params = options.params;
    this.minimumNodeVersion = options.minimumNodeVersion ?? null;
    this.witnesses = [...(options.witnesses ?? [])];
    this.#clock = options.clock;
    this.#keys = new KeyRing(options.signingKeys);
    // Another process may have moved the epoch further: never back.
    this.#bus = new EventBus(options.store, (epoch) => {
      this.#epoch = Math.max(this.#epoch, epoch);
    });
    this.#writes = new GroupCommit(options.store, {
      pending: () => this.#admission.verifying > 0,
    });
    this.writeStats = this.#writes.stats;
    this.#settings = {
      signingKeys: this.#keys.signingKeys,
      witnessKeys: this.witnesses.map((w) => w.key),
      snapshotRetention: options.snapshotRetention ?? 8,
      faucetLimit: options.faucetLimit ?? 1000n * 1_000_000_000n,
      listRetention: options.listRetention ?? 2160,
      listSnapshotEvery: options.listSnapshotEvery ?? 32,
      eventRetention: options.eventRetention ?? 21_600,
      reachabilityFailureThreshold: options.reachabilityFailureThreshold ?? 2,
      reachabilityEvidence: options.reachabilityEvidence ?? 10,
      allowPrivateAddresses: options.allowPrivateAddresses ??
        options.params.name === "devnet",
      minimumNodeVersion: options.minimumNodeVersion ?? null,
    };
  }

  /**
   * Open a registry on a migrated store. A new database is initialised:
   * network recorded, genesis allocations credited (epoch 0's first input)
   * and list 0 published. An existing one must be for the same network.
   */
  static async open(options: RegistryOptions): Promise<Registry> {
    if (options.signingKeys.length < 1) {
      throw new RegistryError(
        "bad_request",
        "the registry needs a signing key",
      );
    }
    const r = new Registry(options);
    const read = r.store.read;
    // A shared database: events other processes wrote before this one
    // opened are in the database (event streams replay them).
    if (r.store.shared) r.#bus.skipTo(await read.events.lastId());
    const genesis = encodeGenesisPayload((options.genesis ?? []).map((g) => ({
      wallet: fromHex(g.wallet, 32),
      amount: g.amount,
    })));
    r.#created = await r.#run(async (ctx) => {
      // An existing database: only check its network.
      if ((await ctx.tx.meta.network()) !== undefined) {
        return await initialise(ctx, []);
      }
      await applyGenesis(ctx, genesis);
      return true;
    }, { epoch: 0 });
    if (options.nextKey) {
      await r.#keys.resume(r.store, r.params.id, options.nextKey);
    }
    if (r.store.shared) await r.#pinKeys();
    r.#epoch = await read.meta.epoch();
    r.#bus.skipTo(await read.events.lastId());
    // List 0, checked inside the transaction: of several processes opening
    // a new shared database at once, only the first publishes it.
    await r.#run(async (ctx) =>
      (await ctx.tx.lists.latest()) ? undefined : tick(ctx)
    );
    r.#epoch = Math.max(r.#epoch, await read.meta.epoch());
    return r;
  }

  /** A shared database's lists are all signed with one key: the first process records it. */
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

  /** Public keys of the registry's signing keys, as clients pin them. */
  get publicKeys(): Uint8Array[] {
    return this.#keys.publicKeys;
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

  /** The new key of a rotation waiting for the next tick, if any. */
  get pendingKey(): Uint8Array | undefined {
    return this.#keys.pending;
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

  /** Listen for key rotations taking effect. Returns an unsubscribe function. */
  onKeyRotated(listener: (r: KeyRotated) => void): () => void {
    return this.#keys.onRotated(listener);
  }

  /** Resolve once every write queued so far has committed or failed. */
  async drain(): Promise<void> {
    await this.#writes.drain();
  }

  /**
   * Accept one signed message (its canonical bytes): decode it, verify its
   * signatures (strict RFC 8032), then apply it - its timestamp checked
   * against the time it is applied and recorded at - or throw a typed
   * error and change nothing.
   */
  submit(bytes: Uint8Array): Promise<SubmitResultView> {
    const { message, checks } = decodeUnverifiedMessage(bytes, this.params.id);
    return this.#admission.signed(
      checks,
      () => {},
      () => this.#run((ctx) => applyWrite(ctx, message.bytes, message)),
    );
  }

  /**
   * Close the epoch in progress (see `actions/tick.ts`). With a `lease`,
   * the tick commits only while the lease is held (`LeaseLostError`
   * otherwise): a process that lost the leader lease cannot publish a list.
   */
  async tick(options: { lease?: Lease } = {}): Promise<TickSummary> {
    const summary = await this.#admission.unsigned(() =>
      this.#run((ctx) => tick(ctx), {
        advancesEpoch: true,
        ...(options.lease ? { fence: options.lease } : {}),
      })
    );
    this.#keys.published(summary.epoch, summary.rotation);
    return summary;
  }

  /**
   * Move to a new signing key: the list closing the epoch in progress
   * announces it (signed by the current key, with the new key's proof of
   * possession), and every list after it is signed by the new key. Returns
   * once the rotation is recorded; {@linkcode Registry.onKeyRotated} tells
   * when it took effect.
   */
  async rotateKey(newSecretKey: Uint8Array): Promise<void> {
    const current = this.#keys.signingKeys[0];
    if (current === undefined) {
      throw new RegistryError("bad_request", "the registry has no key");
    }
    const rotation = buildKeyRotation(
      this.params.id,
      publicKeyOf(current),
      newSecretKey,
    );
    await this.#admission.unsigned(() =>
      this.#run((ctx) =>
        applyKeyRotation(ctx, encodeKeyRotationPayload(rotation))
      )
    );
    this.#keys.announce(newSecretKey);
  }

  /** Attach a witness's co-signature to a published list (see `actions/cosign.ts`). */
  attachCosignature(input: CosignatureInput): Promise<CosignatureResult> {
    return this.#admission.unsigned(() =>
      this.#run((ctx) => attachCosignature(ctx, input))
    );
  }

  /** Record reachability test results: an input of the epoch, published with it. */
  recordReachability(results: ReachabilityResult[]): Promise<void> {
    const payload = reachabilityInput(results);
    return this.#admission.unsigned(() =>
      this.#run((ctx) => applyReachability(ctx, payload))
    );
  }

  /**
   * Catch up with writes other processes committed to a shared database
   * (see `event_bus.ts`). A no-op on a database this process owns.
   */
  sync(): Promise<void> {
    return this.#bus.sync();
  }

  /**
   * Run an action in the write queue's next group (a tick, or anything
   * before the database has an epoch, alone), then move the epoch cursor
   * and publish its events.
   */
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
