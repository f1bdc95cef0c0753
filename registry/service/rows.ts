/**
 * Conversions between database rows and core's types. Kept in one place so
 * the rest of the service thinks in core's terms (`NodeLifecycle`,
 * `NodeStakes`), never in columns.
 *
 * @module
 */

import { fromHex, toHex } from "../core/bytes.ts";
import type { NodeLifecycle, NodeStatus } from "../core/lifecycle.ts";
import type { NodeStakes, Stake } from "../core/staking.ts";
import type { NodeTable, StakeTable } from "../db/schema.ts";

/** A node row as selected. */
export type NodeRow = NodeTable;
/** A stake row as selected. */
export type StakeRow = StakeTable;

/** The lifecycle part of a node row. */
export function lifecycleOf(row: NodeRow): NodeLifecycle {
  return {
    status: row.status as NodeStatus,
    registeredAt: Number(row.registered_at),
    statusSince: Number(row.status_since),
    activeSince: numOrNull(row.active_since),
    creditBase: Number(row.credit_base),
    creditAtDecommission: numOrNull(row.credit_at_decommission),
    lastProofEpoch: numOrNull(row.last_proof_epoch),
    unreachable: Number(row.unreachable) !== 0,
    unlockAt: numOrNull(row.unlock_at),
    lockedUntil: numOrNull(row.locked_until),
    decommissionCount: Number(row.decommission_count),
    lastReasons: Number(row.last_reasons),
  };
}

/** The columns of a node row that hold its lifecycle. */
export function lifecycleColumns(l: NodeLifecycle): Pick<
  NodeRow,
  | "status"
  | "registered_at"
  | "status_since"
  | "active_since"
  | "credit_base"
  | "credit_at_decommission"
  | "last_proof_epoch"
  | "unreachable"
  | "unlock_at"
  | "locked_until"
  | "decommission_count"
  | "last_reasons"
> {
  return {
    status: l.status,
    registered_at: l.registeredAt,
    status_since: l.statusSince,
    active_since: l.activeSince,
    credit_base: l.creditBase,
    credit_at_decommission: l.creditAtDecommission,
    last_proof_epoch: l.lastProofEpoch,
    unreachable: l.unreachable ? 1 : 0,
    unlock_at: l.unlockAt,
    locked_until: l.lockedUntil,
    decommission_count: l.decommissionCount,
    last_reasons: l.lastReasons,
  };
}

/** A node's stakes from its row and stake rows (any order). */
export function stakesOf(
  row: NodeRow,
  stakes: readonly StakeRow[],
): NodeStakes {
  const ordered = [...stakes].sort((a, b) => a.position - b.position);
  return {
    requirement: BigInt(row.requirement),
    feeBasisPoints: Number(row.fee_basis_points),
    stakes: ordered.map((s): Stake => ({
      wallet: fromHex(s.wallet),
      amount: BigInt(s.amount),
      reserved: BigInt(s.reserved),
      sinceEpoch: Number(s.since_epoch),
    })),
  };
}

/** Stake rows for a node's stakes. */
export function stakeRows(node: string, stakes: NodeStakes): StakeRow[] {
  return stakes.stakes.map((s, position) => ({
    node,
    wallet: toHex(s.wallet),
    position,
    amount: s.amount.toString(),
    reserved: s.reserved.toString(),
    since_epoch: s.sinceEpoch,
  }));
}

function numOrNull(v: number | null): number | null {
  return v === null ? null : Number(v);
}

/** `"1.2.3"` -> `[1, 2, 3]`; absent or malformed -> `[0, 0, 0]`. */
export function versionTriple(text: string | null): [number, number, number] {
  const parts = (text ?? "").split(".").map(Number);
  if (parts.length !== 3 || parts.some((n) => !Number.isInteger(n))) {
    return [0, 0, 0];
  }
  return [parts[0]!, parts[1]!, parts[2]!];
}
