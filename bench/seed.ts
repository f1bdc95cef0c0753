/**
 * The node rows the benchmarks seed straight into a store: an active,
 * proving node as a registration and its proofs leave it, with a
 * distinct 10.x.y.z address per index. Not used by production code.
 *
 * @module
 */

import type { NetworkParams } from "../registry/core/params.ts";
import { type NodeRow, UNASSIGNED } from "../registry/store/nodes.ts";

/** What differs between the benchmarks' seeded nodes. */
export interface SeededNode {
  /** Hex. */
  pubkey: string;
  /** Hex. */
  operator: string;
  /** Registered, active and in its status since this epoch. */
  epoch: number;
  /** The epoch of its last proof (decides when it is due again). */
  lastProofEpoch: number;
  /** Unix seconds of its last proof (sent and received); 0: none yet. */
  lastProofAt: number;
}

/** An active node row: node `i` of a benchmark's network. */
export function seededNodeRow(
  i: number,
  node: SeededNode,
  params: NetworkParams,
): NodeRow {
  return {
    pubkey: node.pubkey,
    operator: node.operator,
    fee_basis_points: 0,
    requirement: params.stakingRequirement.toString(),
    status: "active",
    registered_at: node.epoch,
    status_since: node.epoch,
    active_since: node.epoch,
    credit_base: 0,
    credit_at_decommission: null,
    last_proof_epoch: node.lastProofEpoch,
    unreachable: 0,
    reachability_failures: 0,
    unlock_at: null,
    locked_until: null,
    stakes_released_at: null,
    decommission_count: 0,
    last_reasons: 0,
    swarm_id: UNASSIGNED,
    public_ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    https_port: 22021,
    quic_port: 22020,
    node_version: "11.0.0",
    storage_version: "2.10.0",
    last_proof_at: node.lastProofAt,
    last_proof_received_at: node.lastProofAt,
  };
}
