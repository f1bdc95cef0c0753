/**
 * The state commitment of the registry's rules (core `state.ts`): the rows
 * the rules read, as a canonical snapshot, and back. The tick computes it
 * after the epoch's rules ran and puts its hash in the list header; a
 * witness loads a snapshot to start from instead of replaying from genesis.
 *
 * @module
 */

import { compareBytes, fromHex, toHex } from "../core/bytes.ts";
import type { NodeStatus } from "../core/lifecycle.ts";
import {
  decodeStateSnapshot,
  encodeStateSnapshot,
  stateHash,
  type StateNode,
  type StateSnapshot,
} from "../core/state.ts";
import type { NodeTable, StakeTable } from "../store/schema.ts";
import type { StateRows } from "../store/state.ts";
import type { Tables } from "../store/store.ts";

const num = (v: number | null): number | null => v === null ? null : Number(v);

/** The canonical snapshot of the state rows. */
export function snapshotOf(
  rows: StateRows,
  network: number,
  epoch: number,
  prevListId: Uint8Array,
): StateSnapshot {
  const stakes = new Map<string, StakeTable[]>();
  for (const s of rows.stakes) {
    let list = stakes.get(s.node);
    if (!list) stakes.set(s.node, list = []);
    list.push(s);
  }
  const nodes = rows.nodes.map((n): StateNode => ({
    pubkey: fromHex(n.pubkey, 32),
    operator: fromHex(n.operator, 32),
    feeBasisPoints: Number(n.fee_basis_points),
    requirement: BigInt(n.requirement),
    status: n.status as NodeStatus,
    registeredAt: Number(n.registered_at),
    statusSince: Number(n.status_since),
    activeSince: num(n.active_since),
    creditBase: Number(n.credit_base),
    creditAtDecommission: num(n.credit_at_decommission),
    lastProofEpoch: num(n.last_proof_epoch),
    unreachable: Number(n.unreachable) !== 0,
    reachabilityFailures: Number(n.reachability_failures),
    unlockAt: num(n.unlock_at),
    lockedUntil: num(n.locked_until),
    stakesReleasedAt: num(n.stakes_released_at),
    decommissionCount: Number(n.decommission_count),
    lastReasons: Number(n.last_reasons),
    swarmId: BigInt(n.swarm_id),
    publicIp: n.public_ip,
    httpsPort: num(n.https_port),
    quicPort: num(n.quic_port),
    nodeVersion: n.node_version,
    storageVersion: n.storage_version,
    lastProofAt: num(n.last_proof_at),
    lastProofReceivedAt: num(n.last_proof_received_at),
    stakes: (stakes.get(n.pubkey) ?? [])
      .sort((a, b) => Number(a.position) - Number(b.position))
      .map((s) => ({
        wallet: fromHex(s.wallet, 32),
        amount: BigInt(s.amount),
        reserved: BigInt(s.reserved),
        sinceEpoch: Number(s.since_epoch),
      })),
  })).sort((a, b) => compareBytes(a.pubkey, b.pubkey));
  return {
    network,
    epoch: BigInt(epoch),
    prevListId,
    nodes,
    wallets: rows.wallets.map((w) => ({
      pubkey: fromHex(w.pubkey, 32),
      balance: BigInt(w.balance),
      createdEpoch: Number(w.created_epoch),
    })).sort((a, b) => compareBytes(a.pubkey, b.pubkey)),
    sequences: rows.sequences.map((q) => ({
      signer: fromHex(q.signer, 32),
      lastSequence: Number(q.last_sequence),
    })).sort((a, b) => compareBytes(a.signer, b.signer)),
  };
}

/** The state rows of a snapshot. */
export function rowsOf(snapshot: StateSnapshot): StateRows {
  const nodes: NodeTable[] = [];
  const stakes: StakeTable[] = [];
  for (const n of snapshot.nodes) {
    const pubkey = toHex(n.pubkey);
    nodes.push({
      pubkey,
      operator: toHex(n.operator),
      fee_basis_points: n.feeBasisPoints,
      requirement: n.requirement.toString(),
      status: n.status,
      registered_at: n.registeredAt,
      status_since: n.statusSince,
      active_since: n.activeSince,
      credit_base: n.creditBase,
      credit_at_decommission: n.creditAtDecommission,
      last_proof_epoch: n.lastProofEpoch,
      unreachable: n.unreachable ? 1 : 0,
      reachability_failures: n.reachabilityFailures,
      unlock_at: n.unlockAt,
      locked_until: n.lockedUntil,
      stakes_released_at: n.stakesReleasedAt,
      decommission_count: n.decommissionCount,
      last_reasons: n.lastReasons,
      swarm_id: n.swarmId.toString(),
      public_ip: n.publicIp,
      https_port: n.httpsPort,
      quic_port: n.quicPort,
      node_version: n.nodeVersion,
      storage_version: n.storageVersion,
      last_proof_at: n.lastProofAt,
      last_proof_received_at: n.lastProofReceivedAt,
    });
    n.stakes.forEach((s, position) =>
      stakes.push({
        node: pubkey,
        wallet: toHex(s.wallet),
        position,
        amount: s.amount.toString(),
        reserved: s.reserved.toString(),
        since_epoch: s.sinceEpoch,
      })
    );
  }
  return {
    nodes,
    stakes,
    wallets: snapshot.wallets.map((w) => ({
      pubkey: toHex(w.pubkey),
      balance: w.balance.toString(),
      created_epoch: w.createdEpoch,
    })),
    sequences: snapshot.sequences.map((q) => ({
      signer: toHex(q.signer),
      last_sequence: q.lastSequence,
    })),
  };
}

/** The encoded snapshot of the state now, and its hash. */
export async function commitState(
  tx: Tables,
  network: number,
  epoch: number,
  prevListId: Uint8Array,
): Promise<{ bytes: Uint8Array; hash: Uint8Array }> {
  const bytes = encodeStateSnapshot(
    snapshotOf(await tx.state.read(), network, epoch, prevListId),
  );
  return { bytes, hash: stateHash(bytes) };
}

/**
 * Load an encoded snapshot into an empty database; returns it decoded.
 * Throws when the database already holds state.
 */
export async function loadSnapshot(
  tx: Tables,
  bytes: Uint8Array,
  network: number,
): Promise<StateSnapshot> {
  const snapshot = decodeStateSnapshot(bytes, network);
  if (!(await tx.state.isEmpty())) {
    throw new Error("a snapshot is loaded only into an empty database");
  }
  await tx.state.load(rowsOf(snapshot));
  return snapshot;
}
