/**
 * Contribute to a node awaiting contributions (network.md §6: minimum
 * contribution, open slots, reservations). The wallet is debited; the node
 * becomes active when the contribution completes its stake.
 *
 * @module
 */

import { RegistryError } from "../api/errors.ts";
import { toHex } from "../core/bytes.ts";
import type { NodeStatus } from "../core/lifecycle.ts";
import type { Contribute } from "../core/messages.ts";
import { applyContribution, fundingState } from "../core/staking.ts";
import { lifecycleOf, stakeRows } from "../store/nodes.ts";
import type { ActionContext } from "./context.ts";
import { debit } from "./ledger.ts";
import { activate, loadNode, walletsOf } from "./node_changes.ts";

/** Apply a verified contribution; returns the node's status. */
export async function contribute(
  ctx: ActionContext,
  body: Contribute,
): Promise<NodeStatus> {
  const node = toHex(body.nodePubkey);
  const { row, stakes } = await loadNode(ctx, node);
  if (row.status !== "awaiting_contributions") {
    throw new RegistryError(
      "node_not_live",
      `node ${node} is ${
        row.status.replace("_", " ")
      } and takes no contributions`,
    );
  }
  const after = applyContribution(
    ctx.params,
    stakes,
    body.wallet,
    body.amount,
    ctx.epoch,
  );
  const wallet = toHex(body.wallet);
  await debit(ctx, wallet, body.amount, "stake", node);
  await ctx.tx.nodes.replaceStakes(node, stakeRows(node, after));
  await ctx.emit("contribution", node, walletsOf(after), {
    wallet,
    amount: body.amount.toString(),
    contributed: fundingState(ctx.params, after).contributed.toString(),
  });
  let lifecycle = lifecycleOf(row);
  if (fundingState(ctx.params, after).funded) {
    lifecycle = await activate(ctx, node, lifecycle, after);
  }
  return lifecycle.status;
}
