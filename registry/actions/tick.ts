/**
 * Close the epoch in progress, in one transaction: release stakes whose
 * deregistration lock ended, tick every live node's lifecycle (unlocks,
 * decommissions, deregistrations, recommissions), recompute swarms seeded
 * from the previous list's hash, publish this epoch's list, and move to the
 * next epoch.
 *
 * @module
 */

import { fromHex } from "../core/bytes.ts";
import { nextState } from "../core/lifecycle.ts";
import { swarmSeedFromHash } from "../core/swarm.ts";
import {
  lifecycleOf,
  LIVE_STATUSES,
  type NodeRow,
  stakesOf,
} from "../store/nodes.ts";
import { assignSwarms } from "./assign_swarms.ts";
import type { ActionContext } from "./context.ts";
import { applyTransition, releaseStakes, walletsOf } from "./node_changes.ts";
import { type PublishedList, publishList } from "./publish_list.ts";

/** Summary of one tick. */
export interface TickSummary extends PublishedList {
  /** Status changes this tick, by new status. */
  changes: Record<string, number>;
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
  const published = await publishList(ctx, prevHash, seed, live);
  await ctx.tx.meta.setEpoch(ctx.epoch + 1);
  return { ...published, changes };
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
