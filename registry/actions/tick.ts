/**
 * Close the epoch in progress, in one transaction: release stakes whose
 * deregistration lock ended, tick every live node's lifecycle (unlocks,
 * decommissions, deregistrations, recommissions), recompute swarms seeded
 * from the previous list's identity, commit to the state and to the
 * epoch's inputs, publish this epoch's list, and move to the next epoch.
 *
 * Everything here reads time only from `ctx.now` and randomness only from
 * the previous list's identity, so the same inputs on the same state give
 * the same list byte for byte (what witnesses check).
 *
 * @module
 */

import { fromHex, toHex } from "../core/bytes.ts";
import {
  decodeKeyRotationPayload,
  encodeEpochInputs,
  epochInputsHash,
  type InputEntry,
} from "../core/inputs.ts";
import { nextState } from "../core/lifecycle.ts";
import { EXTENSION_TYPES, type ListExtension } from "../core/nodelist.ts";
import { swarmSeedFromHash } from "../core/swarm.ts";
import {
  lifecycleOf,
  LIVE_STATUSES,
  type NodeRow,
  stakesOf,
} from "../store/nodes.ts";
import { assignSwarms } from "./assign_swarms.ts";
import { type ActionContext, epochSettingsOf } from "./context.ts";
import { applyTransition, releaseStakes, walletsOf } from "./node_changes.ts";
import { type PublishedList, publishList } from "./publish_list.ts";
import { commitState } from "./state_commitment.ts";

/** Summary of one tick. */
export interface TickSummary extends PublishedList {
  /** Status changes this tick, by new status. */
  changes: Record<string, number>;
  /** Hex hash of the epoch's inputs document. */
  inputsHash: string;
  /** Hex state commitment after the tick. */
  stateHash: string;
  /** The key rotation this list announced (hex keys), if any. */
  rotation?: { oldKey: string; newKey: string };
}

const ZERO_HASH = new Uint8Array(32);

/** Close the epoch. */
export async function tick(ctx: ActionContext): Promise<TickSummary> {
  const changes: Record<string, number> = {};
  await releaseDeregistered(ctx);
  // The live nodes are read once: rows that change below are read again,
  // and swarm moves are applied to the rows as they are stored.
  const rows = await ctx.tx.nodes.withStatus(LIVE_STATUSES);
  const changed: string[] = [];
  for (const row of rows) {
    const before = lifecycleOf(row);
    const after = nextState(before, { kind: "tick" }, ctx.epoch, ctx.params);
    if (after.status === before.status) continue;
    changes[after.status] = (changes[after.status] ?? 0) + 1;
    await applyTransition(ctx, row, before, after);
    changed.push(row.pubkey);
  }
  const live = changed.length === 0
    ? rows
    : await refreshed(ctx, rows, changed);
  const prev = await ctx.tx.lists.latest();
  const prevHash = prev ? fromHex(prev.hash, 32) : ZERO_HASH;
  const seed = swarmSeedFromHash(prevHash);
  await assignSwarms(ctx, seed, live);

  const state = await commitState(ctx.tx, ctx.params.id, ctx.epoch, prevHash);
  const inputs = await closeInputs(ctx);
  const extensions: ListExtension[] = [];
  const pending = await ctx.tx.epochs.pendingRotation();
  let rotation: TickSummary["rotation"];
  if (pending !== undefined) {
    const r = decodeKeyRotationPayload(pending);
    extensions.push({ type: EXTENSION_TYPES.keyRotation, rotation: r });
    rotation = { oldKey: toHex(r.oldKey), newKey: toHex(r.newKey) };
    await ctx.tx.epochs.setPendingRotation(undefined);
    await ctx.tx.epochs.recordRotation({ epoch: ctx.epoch, ...rotation });
    // A shared database pins the key its processes sign with: the new one
    // from the next list on.
    const pinned = await ctx.tx.meta.registryKeys();
    if (pinned !== undefined) {
      await ctx.tx.meta.setRegistryKeys(
        pinned.split(",").map((k) =>
          k === rotation!.oldKey ? rotation!.newKey : k
        )
          .join(","),
      );
    }
  }
  const published = await publishList(ctx, prevHash, seed, {
    inputsHash: inputs,
    stateHash: state.hash,
    extensions,
  }, live);
  await ctx.tx.epochs.insertSnapshot({
    epoch: ctx.epoch,
    hash: toHex(state.hash),
    bytes: state.bytes,
  });
  await ctx.tx.epochs.pruneSnapshotsThrough(
    ctx.epoch - ctx.settings.snapshotRetention,
  );
  await ctx.tx.meta.setEpoch(ctx.epoch + 1);
  return {
    ...published,
    changes,
    inputsHash: toHex(inputs),
    stateHash: toHex(state.hash),
    ...(rotation ? { rotation } : {}),
  };
}

/**
 * Close the epoch's inputs: the entries recorded while it was in progress
 * and this tick, chained to the previous epoch's document. Stores the
 * document and returns its hash.
 */
async function closeInputs(ctx: ActionContext): Promise<Uint8Array> {
  const epochs = ctx.tx.epochs;
  const recorded = await epochs.inputs(ctx.epoch);
  const entries: InputEntry[] = [
    ...recorded.map((r) => ({
      kind: r.kind,
      atMs: r.atMs,
      payload: r.payload,
    })),
    { kind: "tick", atMs: ctx.now, payload: new Uint8Array() },
  ];
  const previous = await epochs.latestDocument();
  const bytes = encodeEpochInputs({
    network: ctx.params.id,
    epoch: BigInt(ctx.epoch),
    prevHash: previous && previous.epoch === ctx.epoch - 1
      ? fromHex(previous.hash, 32)
      : ZERO_HASH,
    settings: epochSettingsOf(ctx),
    entries,
  });
  const hash = epochInputsHash(bytes);
  await epochs.insertDocument({ epoch: ctx.epoch, hash: toHex(hash), bytes });
  await epochs.dropInputsThrough(ctx.epoch);
  await epochs.pruneDocumentsThrough(ctx.epoch - ctx.settings.listRetention);
  return hash;
}

/** The live rows after some of them changed: those read again, the ones no longer live dropped. */
async function refreshed(
  ctx: ActionContext,
  rows: readonly NodeRow[],
  changed: readonly string[],
): Promise<NodeRow[]> {
  const fresh = new Map(
    (await ctx.tx.nodes.many(changed)).map((r) => [r.pubkey, r]),
  );
  const live: readonly string[] = LIVE_STATUSES;
  const out: NodeRow[] = [];
  for (const row of rows) {
    const r = fresh.get(row.pubkey) ?? row;
    if (live.includes(r.status)) out.push(r);
  }
  return out;
}

/** Give back the stakes of deregistered nodes whose lock has ended. */
async function releaseDeregistered(ctx: ActionContext): Promise<void> {
  for (const row of await ctx.tx.nodes.releaseDue(ctx.epoch)) {
    const stakes = stakesOf(row, await ctx.tx.nodes.stakes(row.pubkey));
    await releaseStakes(ctx, row.pubkey, stakes, "unstake");
    await ctx.emit("stake_released", row.pubkey, walletsOf(stakes), {
      reason: "deregistration lock ended",
    });
  }
}
