/**
 * Ask for a node's stakes to unlock (network.md §6: effective after the
 * unlock delay; small contributors wait out their minimum lock). The
 * operator of a node nobody completed withdraws it instead: every stake is
 * refunded and the node exits.
 *
 * @module
 */

import { RegistryError } from "../api/errors.ts";
import { fromHex, toHex } from "../core/bytes.ts";
import { nextState, type NodeStatus } from "../core/lifecycle.ts";
import type { UnlockRequest } from "../core/messages.ts";
import { checkUnlock } from "../core/staking.ts";
import { lifecycleColumns, lifecycleOf } from "../store/nodes.ts";
import { type ActionContext, epochTime } from "./context.ts";
import {
  loadNode,
  recordStateChange,
  releaseStakes,
  walletsOf,
} from "./node_changes.ts";

/** Apply a verified unlock request; returns the node's status. */
export async function unlock(
  ctx: ActionContext,
  body: UnlockRequest,
): Promise<NodeStatus> {
  const node = toHex(body.nodePubkey);
  const wallet = toHex(body.wallet);
  const { row, stakes } = await loadNode(ctx, node);
  const before = lifecycleOf(row);
  const wallets = walletsOf(stakes);
  if (row.status === "awaiting_contributions" && wallet === row.operator) {
    // The operator withdraws a registration nobody completed: refund all.
    const after = nextState(
      before,
      { kind: "cancelled" },
      ctx.epoch,
      ctx.params,
    );
    await releaseStakes(ctx, node, stakes, "cancel_refund");
    await ctx.tx.nodes.update(node, lifecycleColumns(after));
    const reason = "registration cancelled by the operator";
    await recordStateChange(ctx, node, before.status, after, reason, 0);
    await ctx.emit("exited", node, wallets, { reason });
    return after.status;
  }
  if (
    row.status !== "active" && row.status !== "decommissioned" &&
    row.status !== "awaiting_contributions"
  ) {
    throw new RegistryError(
      "node_not_live",
      `node ${node} is ${row.status} and has nothing to unlock`,
    );
  }
  // An awaiting node reaches checkUnlock only for a contributor, who is told
  // it is not funded yet and only the operator can cancel.
  const unlockAt = checkUnlock(
    ctx.params,
    stakes,
    fromHex(wallet),
    ctx.epoch,
    before.unlockAt,
  );
  const after = nextState(
    before,
    { kind: "unlock_requested", unlockAt },
    ctx.epoch,
    ctx.params,
  );
  await ctx.tx.nodes.update(node, lifecycleColumns(after));
  await ctx.emit("unlock_requested", node, wallets, {
    wallet,
    unlockAt,
    unlockAtTime: epochTime(ctx, unlockAt),
  });
  return after.status;
}
