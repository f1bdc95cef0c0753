/**
 * What every action runs with: the transaction's tables, the network's
 * rules, the epoch in progress (read from the store inside the
 * transaction), the time, the registry's settings, and an event log that
 * records each event in the store and keeps it for the caller to publish
 * once the transaction has committed.
 *
 * @module
 */

import type { EventData, EventKind, RegistryEvent } from "../api/events.ts";
import type { EpochSettings } from "../core/inputs.ts";
import type { ListSignature } from "../core/nodelist.ts";
import type { NetworkParams } from "../core/params.ts";
import type { Tables } from "../store/store.ts";

/** The registry's own settings, beyond the network's rules. */
export interface RegistrySettings {
  /** Secret keys the lists are signed with (one per registry key; usually one). */
  signingKeys: readonly Uint8Array[];
  /**
   * Signs a list instead of `signingKeys` (given the exact bytes to sign). A
   * witness re-executing an epoch passes the registry's own signatures: it
   * compares the list it rebuilds with the registry's, not the signatures.
   */
  listSigner?: (message: Uint8Array) => ListSignature[];
  /** Witness keys whose co-signatures the registry attaches to its lists. */
  witnessKeys: readonly Uint8Array[];
  /** State snapshots kept (the newest ones), for witnesses to start from. */
  snapshotRetention: number;
  /** Largest faucet request, atomic units (devnet). */
  faucetLimit: bigint;
  /** How many published lists to keep. */
  listRetention: number;
  /** A list is stored in full at least every this many epochs. */
  listSnapshotEvery: number;
  /** Epochs of events kept; 0: all. */
  eventRetention: number;
  /** Consecutive failed reachability tests that mark a node unreachable. */
  reachabilityFailureThreshold: number;
  /** Reachability tests kept per node as evidence. */
  reachabilityEvidence: number;
  /** Accept private and loopback addresses in proofs (devnet and tests). */
  allowPrivateAddresses: boolean;
  /** Proofs from node software older than this are refused; null: any version. */
  minimumNodeVersion: readonly [number, number, number] | null;
}

/** Everything an action needs. */
export interface ActionContext {
  /** The tables, inside the action's transaction. */
  tx: Tables;
  /** Network rules. */
  params: NetworkParams;
  /** Registry settings. */
  settings: RegistrySettings;
  /** The epoch in progress: writes apply in it, a tick closes it. */
  epoch: number;
  /** Unix milliseconds, from the registry's clock. */
  now: number;
  /** Record an event (in this transaction). */
  emit<K extends EventKind>(
    kind: K,
    node: string | null,
    wallets: readonly string[],
    data: EventData<K>,
  ): Promise<void>;
  /** The events recorded so far, in order. */
  readonly events: readonly RegistryEvent[];
}

/** Build the context of one action run. */
export function actionContext(
  tx: Tables,
  params: NetworkParams,
  settings: RegistrySettings,
  epoch: number,
  now: number,
): ActionContext {
  const events: RegistryEvent[] = [];
  return {
    tx,
    params,
    settings,
    epoch,
    now,
    events,
    async emit(kind, node, wallets, data) {
      events.push(
        await tx.events.append({
          epoch,
          createdAt: now,
          kind,
          node,
          wallets: [...wallets],
          data,
        } as Omit<RegistryEvent, "id">),
      );
    },
  };
}

/** Unix seconds of a context's time. */
export function nowSeconds(ctx: Pick<ActionContext, "now">): number {
  return Math.floor(ctx.now / 1000);
}

/** Estimated unix seconds when `epoch` begins, from the epoch in progress. */
export function epochTime(
  ctx: Pick<ActionContext, "now" | "epoch" | "params">,
  epoch: number,
): number {
  return nowSeconds(ctx) + (epoch - ctx.epoch) * ctx.params.epochSeconds;
}

/**
 * The settings an epoch's rules ran with, as its inputs document publishes
 * them (a re-execution runs with the same).
 */
export function epochSettingsOf(
  ctx: Pick<ActionContext, "params" | "settings">,
): EpochSettings {
  const v = ctx.settings.minimumNodeVersion;
  return {
    epochSeconds: ctx.params.epochSeconds,
    faucetLimit: ctx.settings.faucetLimit,
    reachabilityFailureThreshold: ctx.settings.reachabilityFailureThreshold,
    allowPrivateAddresses: ctx.settings.allowPrivateAddresses,
    minimumNodeVersion: v === null ? null : [v[0], v[1], v[2]],
  };
}
