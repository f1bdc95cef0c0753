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
import { lifecycleOf, LIVE_STATUSES, stakesOf } from "../store/nodes.ts";
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
  for (const row of await ctx.tx.nodes.withStatus(LIVE_STATUSES)) {
    const before = lifecycleOf(row);
    const after = nextState(before, { kind: "tick" }, ctx.epoch, ctx.params);
    if (after.status === before.status) continue;
    changes[after.status] = (changes[after.status] ?? 0) + 1;
    await applyTransition(ctx, row, before, after);
  }
  const prev = await ctx.tx.lists.latest();
  const prevHash = prev ? fromHex(prev.hash, 32) : ZERO_HASH;
  const seed = swarmSeedFromHash(prevHash);
  await assignSwarms(ctx, seed);
  const published = await publishList(ctx, prevHash, seed);
  await ctx.tx.meta.setEpoch(ctx.epoch + 1);
  return { ...published, changes };
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
