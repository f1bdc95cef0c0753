/**
 * Register a node: the node key and the operator's wallet both signed the
 * registration (network.md §6). The operator's stake is debited; the node
 * awaits contributions, or is active at once when the registration funds it.
 * A retired key (exited, or deregistered with its stakes released) may
 * register again; its history stays in the events.
 *
 * @module
 */

import type { RegisterNode } from "../core/messages.ts";
import { RegistryError } from "../api/errors.ts";
import { toHex } from "../core/bytes.ts";
import { newLifecycle } from "../core/lifecycle.ts";
import { fundingState, stakesFromRegistration } from "../core/staking.ts";
import type { NodeStatus } from "../core/lifecycle.ts";
import { lifecycleColumns, stakeRows, UNASSIGNED } from "../store/nodes.ts";
import type { ActionContext } from "./context.ts";
import { debit } from "./ledger.ts";
import { activate, recordStateChange, walletsOf } from "./node_changes.ts";

/** Apply a verified registration; returns the node's status. */
export async function registerNode(
  ctx: ActionContext,
  body: RegisterNode,
): Promise<NodeStatus> {
  const node = toHex(body.nodePubkey);
  const existing = await ctx.tx.nodes.find(node);
  if (existing) {
    const retired = existing.status === "exited" ||
      (existing.status === "deregistered" &&
        existing.stakes_released_at !== null);
    if (!retired) {
      throw new RegistryError(
        "node_already_registered",
        `node ${node} is already registered (${
          existing.status.replace("_", " ")
        })`,
      );
    }
    await ctx.tx.nodes.remove(node);
  }
  const stakes = stakesFromRegistration(ctx.params, body, ctx.epoch);
  const operator = toHex(body.operator);
  await debit(ctx, operator, body.operatorStake, "stake", node);
  let lifecycle = newLifecycle(ctx.epoch);
  await ctx.tx.nodes.insert({
    pubkey: node,
    operator,
    fee_basis_points: body.feeBasisPoints,
    requirement: stakes.requirement.toString(),
    ...lifecycleColumns(lifecycle),
    reachability_failures: 0,
    stakes_released_at: null,
    swarm_id: UNASSIGNED,
    public_ip: null,
    https_port: null,
    quic_port: null,
    node_version: null,
    storage_version: null,
    last_proof_at: null,
    last_proof_received_at: null,
  }, stakeRows(node, stakes));
  await ctx.emit("registered", node, walletsOf(stakes), {
    operator,
    operatorStake: body.operatorStake.toString(),
    feeBasisPoints: body.feeBasisPoints,
    reserved: body.reserved.map((r) => ({
      wallet: toHex(r.wallet),
      amount: r.amount.toString(),
    })),
  });
  await recordStateChange(ctx, node, null, lifecycle, "registered", 0);
  if (fundingState(ctx.params, stakes).funded) {
    lifecycle = await activate(ctx, node, lifecycle, stakes);
  }
  return lifecycle.status;
}
