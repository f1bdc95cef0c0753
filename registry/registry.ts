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
} from "./actions/inputs.ts";
import type { ReachabilityResult } from "./actions/record_reachability.ts";
import { tick, type TickSummary } from "./actions/tick.ts";
import { bytesEqual, fromHex, toHex } from "./core/bytes.ts";
import {
  encodeGenesisPayload,
  encodeKeyRotationPayload,
  encodeReachabilityPayload,
  MAX_REACHABILITY_DETAIL,
} from "./core/inputs.ts";
import { publicKeyOf } from "./core/keys.ts";
import { decodeMessage } from "./core/messages.ts";
import {
  buildKeyRotation,
  keyRotationOf,
  splitNodeList,
} from "./core/nodelist.ts";
import type { NetworkParams } from "./core/params.ts";
import { EventBus } from "./event_bus.ts";
import type { Lease, Store } from "./store/store.ts";

export type {
  CosignatureInput,
  CosignatureResult,
  GenesisAllocation,
  Lease,
  ReachabilityResult,
  TickSummary,
};

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
  /**
   * The witnesses whose co-signatures are attached to the lists, with the
   * URL each serves its checkpoints at when known (published in `/v1/info`
   * for clients to compare; clients pin the keys themselves). Default none.
   */
  witnesses?: readonly WitnessConfig[];
  /** State snapshots kept for witnesses to start from. Default 8. */
  snapshotRetention?: number;
  /**
   * The secret of the key a rotation in progress moves to (a crash may have
   * come between the list announcing it and the key files changing): when
   * the latest list announces the rotation, lists are signed with it from
   * now on; when the rotation still waits for a tick, it goes ahead.
   */
  nextKey?: Uint8Array;
}

/** One witness of the registry. */
export interface WitnessConfig {
  /** Its public key. */
  key: Uint8Array;
  /** Where it serves its checkpoints (`GET {url}/v1/checkpoint`), if known. */
  url: string | null;
}

/** A key rotation the registry went through (see {@linkcode Registry.rotateKey}). */
export interface KeyRotated {
  /** The list that announced it (signed by the old key). */
  epoch: number;
  /** Hex. */
  oldKey: string;
  /** Hex; it signs from list `epoch + 1` on. */
  newKey: string;
}

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
  readonly #settings: RegistrySettings;
  readonly #clock: () => number;
  readonly #bus: EventBus;
  readonly #rotationListeners = new Set<(r: KeyRotated) => void>();
  #created = false;
  #epoch = 0;
  #writeChain: Promise<unknown> = Promise.resolve();
  /** The new key of a rotation announced for the next list. */
  #nextKey: Uint8Array | undefined;

  private constructor(options: RegistryOptions) {
    this.store = options.store;
    this.params = options.params;
    this.minimumNodeVersion = options.minimumNodeVersion ?? null;
    this.witnesses = [...(options.witnesses ?? [])];
    this.#clock = options.clock;
    // Another process may have moved the epoch further: never back.
    this.#bus = new EventBus(options.store, (epoch) => {
      this.#epoch = Math.max(this.#epoch, epoch);
    });
    this.#settings = {
      signingKeys: [...options.signingKeys],
      witnessKeys: (options.witnesses ?? []).map((w) => w.key),
      snapshotRetention: options.snapshotRetention ?? 8,
      faucetLimit: options.faucetLimit ?? 1000n * 1_000_000_000n,
      listRetention: options.listRetention ?? 2160,
      reachabilityFailureThreshold: options.reachabilityFailureThreshold ?? 2,
      reachabilityEvidence: 10,
      allowPrivateAddresses: options.allowPrivateAddresses ??
        options.params.name === "devnet",
      minimumNodeVersion: options.minimumNodeVersion ?? null,
    };
  }

  /** Public keys of the registry's signing keys, as clients pin them. */
  get publicKeys(): Uint8Array[] {
    return this.#settings.signingKeys.map(publicKeyOf);
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
    const genesis = options.genesis ?? [];
    registry.#created = await registry.#run(async (ctx) => {
      if ((await ctx.tx.meta.network()) !== undefined) {
        return await initialise(ctx, []); // checks the database's network
      }
      // A new database: its genesis is epoch 0's first input.
      await applyGenesis(
        ctx,
        encodeGenesisPayload(
          genesis.map((g) => ({
            wallet: fromHex(g.wallet, 32),
            amount: g.amount,
          })),
        ),
      );
      return true;
    }, { epoch: 0 });
    if (options.nextKey !== undefined) await registry.#resume(options.nextKey);
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

  /** Finish or continue a key rotation a restart interrupted. */
  async #resume(next: Uint8Array): Promise<void> {
    const newKey = publicKeyOf(next);
    const latest = await this.store.read.lists.latest();
    if (latest) {
      const stored = await this.store.read.lists.find(latest.epoch);
      const rotation = stored &&
          splitNodeList(stored.bytes, this.params.id).version === 2
        ? keyRotationOf(splitNodeList(stored.bytes, this.params.id).header)
        : undefined;
      if (rotation && bytesEqual(rotation.newKey, newKey)) {
        this.#switchKey(rotation.oldKey, next);
        return;
      }
    }
    const pending = await this.store.read.epochs.pendingRotation();
    if (pending && bytesEqual(pending.subarray(32, 64), newKey)) {
      this.#nextKey = next;
    }
  }

  #switchKey(oldKey: Uint8Array, next: Uint8Array): void {
    const keys = this.#settings.signingKeys;
    const i = keys.findIndex((k) => bytesEqual(publicKeyOf(k), oldKey));
    this.#settings.signingKeys = i < 0
      ? [next]
      : keys.map((k, j) => (j === i ? next : k));
    this.#nextKey = undefined;
  }

  /** Listen for key rotations taking effect. Returns an unsubscribe function. */
  onKeyRotated(listener: (r: KeyRotated) => void): () => void {
    this.#rotationListeners.add(listener);
    return () => this.#rotationListeners.delete(listener);
  }

  /**
   * Move to a new signing key: the list closing the epoch in progress
   * announces it (signed by the current key, with the new key's proof of
   * possession), and every list after it is signed by the new key. Returns
   * once the rotation is recorded; {@linkcode Registry.onKeyRotated} tells
   * when it took effect.
   */
  async rotateKey(newSecretKey: Uint8Array): Promise<void> {
    const current = this.#settings.signingKeys[0];
    if (current === undefined) {
      throw new RegistryError("bad_request", "the registry has no key");
    }
    const rotation = buildKeyRotation(
      this.params.id,
      publicKeyOf(current),
      newSecretKey,
    );
    await this.#run((ctx) =>
      applyKeyRotation(ctx, encodeKeyRotationPayload(rotation))
    );
    this.#nextKey = newSecretKey;
  }

  /** The new key of a rotation waiting for the next tick, if any. */
  get pendingKey(): Uint8Array | undefined {
    return this.#nextKey;
  }

  /**
   * Attach a witness's co-signature to a published list (see
   * `actions/cosign.ts`).
   */
  attachCosignature(input: CosignatureInput): Promise<CosignatureResult> {
    return this.#run((ctx) => attachCosignature(ctx, input));
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
    await this.#writeChain;
  }

  /**
   * Accept one signed message (its canonical bytes): decode and verify it,
   * check its timestamp, then apply it - or throw a typed error and change
   * nothing.
   */
  async submit(bytes: Uint8Array): Promise<SubmitResultView> {
    // Signatures are checked here, outside the write queue; the timestamp
    // inside it, against the time the write is applied and recorded at.
    const msg = decodeMessage(bytes, this.params.id);
    return await this.#run((ctx) => applyWrite(ctx, msg.bytes, msg));
  }

  /**
   * Close the epoch in progress (see `actions/tick.ts`). With a `lease`,
   * the tick commits only while the lease is held (`LeaseLostError`
   * otherwise): a process that lost the leader lease cannot publish a list.
   */
  async tick(options: { lease?: Lease } = {}): Promise<TickSummary> {
    const summary = await this.#run((ctx) => tick(ctx), {
      advancesEpoch: true,
      ...(options.lease ? { fence: options.lease } : {}),
    });
    const r = summary.rotation;
    if (r !== undefined && this.#nextKey !== undefined) {
      const next = this.#nextKey;
      if (bytesEqual(publicKeyOf(next), fromHex(r.newKey, 32))) {
        this.#switchKey(fromHex(r.oldKey, 32), next);
        const rotated = { epoch: summary.epoch, ...r };
        for (const l of this.#rotationListeners) {
          try {
            l(rotated);
          } catch {
            // A broken listener must not break ticks.
          }
        }
      }
    }
    return summary;
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

  /**
   * Record reachability test results (see `actions/record_reachability.ts`):
   * an input of the epoch, published with it. Details are cut to 1,024
   * bytes and latencies rounded to whole milliseconds first.
   */
  recordReachability(results: ReachabilityResult[]): Promise<void> {
    const payload = encodeReachabilityPayload(results.map((r) => ({
      node: fromHex(r.node, 32),
      address: wellFormed(r.address, 255),
      ok: r.ok,
      detail: wellFormed(r.detail, MAX_REACHABILITY_DETAIL),
      latencyMs: r.latencyMs === null || !Number.isFinite(r.latencyMs)
        ? null
        : Math.min(0xfffffffe, Math.max(0, Math.round(r.latencyMs))),
    })));
    return this.#run((ctx) => applyReachability(ctx, payload));
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
      if (options.epoch === undefined) {
        const next = options.advancesEpoch ? epoch + 1 : epoch;
        // On a shared database another process may have moved it further.
        this.#epoch = this.store.shared ? Math.max(this.#epoch, next) : next;
      }
      await this.#bus.committed(events);
      return result;
    };
    const run = this.#writeChain.then(work, work);
    this.#writeChain = run.catch(() => {});
    return run;
  }
}

/** `text` as well-formed UTF-16 of at most `maxBytes` UTF-8 bytes. */
function wellFormed(text: string, maxBytes: number): string {
  let out = text.toWellFormed();
  const encoder = new TextEncoder();
  while (encoder.encode(out).length > maxBytes) {
    out = out.slice(0, Math.max(0, out.length - 16)).toWellFormed();
  }
  return out;
}
