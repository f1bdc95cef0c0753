/**
 * Changes to a node that several actions share: activation when funded,
 * status changes from the lifecycle (decommission, recommission,
 * deregistration, exit) with their events and history, and releasing
 * stakes back to the wallets.
 *
 * @module
 */

import { toHex } from "../core/bytes.ts";
import {
  creditAt,
  describeReasons,
  nextState,
  type NodeLifecycle,
  reasonNames,
} from "../core/lifecycle.ts";
import { fundingState, type NodeStakes } from "../core/staking.ts";
import {
  lifecycleColumns,
  type NodeRow,
  stakesOf,
  UNASSIGNED,
} from "../store/nodes.ts";
import { type ActionContext, epochTime } from "./context.ts";
import { credit } from "./ledger.ts";

/** The wallets of a node's stakes, hex. */
export function walletsOf(stakes: NodeStakes): string[] {
  return stakes.stakes.map((s) => toHex(s.wallet));
}

/** A node's row and stakes; `unknown_node` when it is not registered. */
export async function loadNode(
  ctx: ActionContext,
  node: string,
): Promise<{ row: NodeRow; stakes: NodeStakes }> {
  const row = await ctx.tx.nodes.get(node);
  return { row, stakes: stakesOf(row, await ctx.tx.nodes.stakes(node)) };
}

/** Record a status change in the node's history. */
export async function recordStateChange(
  ctx: ActionContext,
  node: string,
  from: string | null,
  after: NodeLifecycle,
  reason: string,
  reasonBits: number,
): Promise<void> {
  await ctx.tx.history.append({
    node,
    epoch: after.statusSince,
    from,
    to: after.status,
    reason,
    reasonBits,
    credit: creditAt(after, after.statusSince, ctx.params),
  });
}

/** A node became fully funded: it is active from this epoch. */
export async function activate(
  ctx: ActionContext,
  node: string,
  before: NodeLifecycle,
  stakes: NodeStakes,
): Promise<NodeLifecycle> {
  const after = nextState(before, { kind: "funded" }, ctx.epoch, ctx.params);
  await ctx.tx.nodes.update(node, lifecycleColumns(after));
  const wallets = walletsOf(stakes);
  await ctx.emit("funded", node, wallets, {
    contributed: fundingState(ctx.params, stakes).contributed.toString(),
    contributors: stakes.stakes.length,
  });
  await ctx.emit("active", node, wallets, {
    credit: creditAt(after, ctx.epoch, ctx.params),
  });
  await recordStateChange(ctx, node, before.status, after, "fully funded", 0);
  return after;
}

/** Give every stake of a node back to its wallet. */
export async function releaseStakes(
  ctx: ActionContext,
  node: string,
  stakes: NodeStakes,
  kind: "unstake" | "cancel_refund",
): Promise<void> {
  for (const s of stakes.stakes) {
    if (s.amount > 0n) {
      await credit(ctx, toHex(s.wallet), s.amount, kind, node);
    }
  }
  await ctx.tx.nodes.update(node, { stakes_released_at: ctx.epoch });
}

/**
 * Store a status change the lifecycle decided at a tick, with its events.
 * A node leaving `active` leaves its swarm; a recommissioned node rejoins
 * as new (network.md §2: it sits in the unassigned bucket).
 */
export async function applyTransition(
  ctx: ActionContext,
  row: NodeRow,
  before: NodeLifecycle,
  after: NodeLifecycle,
): Promise<void> {
  const node = row.pubkey;
  const stakes = stakesOf(row, await ctx.tx.nodes.stakes(node));
  const wallets = walletsOf(stakes);
  const leavesSwarm = after.status !== "active" || before.status !== "active";
  await ctx.tx.nodes.update(node, {
    ...lifecycleColumns(after),
    ...(leavesSwarm ? { swarm_id: UNASSIGNED } : {}),
  });
  const reasons = describeReasons(after.lastReasons);
  switch (after.status) {
    case "decommissioned": {
      const credit = after.creditAtDecommission ?? 0;
      await recordStateChange(
        ctx,
        node,
        before.status,
        after,
        reasons,
        after.lastReasons,
      );
      await ctx.emit("decommissioned", node, wallets, {
        reasons: reasonNames(after.lastReasons),
        reasonBits: after.lastReasons,
        credit,
        deregisterAt: ctx.epoch + credit,
        deregisterAtTime: epochTime(ctx, ctx.epoch + credit),
      });
      break;
    }
    case "active":
      await recordStateChange(
        ctx,
        node,
        before.status,
        after,
        "proving and reachable again",
        0,
      );
      await ctx.emit("recommissioned", node, wallets, {
        credit: after.creditBase,
        downEpochs: ctx.epoch - before.statusSince,
      });
      break;
    case "deregistered":
      await recordStateChange(
        ctx,
        node,
        before.status,
        after,
        reasons,
        after.lastReasons,
      );
      await ctx.emit("deregistered", node, wallets, {
        reasons: reasonNames(after.lastReasons),
        reasonBits: after.lastReasons,
        lockedUntil: after.lockedUntil,
        lockedUntilTime: after.lockedUntil === null
          ? null
          : epochTime(ctx, after.lockedUntil),
      });
      break;
    case "exited":
      await releaseStakes(ctx, node, stakes, "unstake");
      await recordStateChange(
        ctx,
        node,
        before.status,
        after,
        "unlock took effect",
        0,
      );
      await ctx.emit("unlock_effective", node, wallets, { epoch: ctx.epoch });
      await ctx.emit("exited", node, wallets, {
        reason: "unlock took effect",
      });
      break;
    default:
      break;
  }
}
