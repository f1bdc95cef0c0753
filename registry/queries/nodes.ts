/**
 * Nodes as the API shows them: a filtered, paged table; one node in full
 * (funding, stakes, credit, proof, reachability evidence, history, swarm
 * mates and a plain "what happens next"); nodes open for contributions.
 * Epochs come with estimated unix times so people need not do the
 * arithmetic.
 *
 * @module
 */

import type {
  NodeDetailView,
  NodeFilter,
  NodePageView,
  NodeStatusName,
  NodeSummaryView,
  OpenNodeView,
} from "../api/views.ts";
import { fromHex, toHex } from "../core/bytes.ts";
import { x25519FromEd25519 } from "../core/keys.ts";
import {
  creditAt,
  failingReasons,
  outlook,
  reasonNames,
} from "../core/lifecycle.ts";
import { fundingState } from "../core/staking.ts";
import {
  lifecycleOf,
  type NodeRow,
  type StakeRow,
  stakesOf,
  UNASSIGNED,
} from "../store/nodes.ts";
import type { RegistryReader } from "./context.ts";

/** Evidence kept per node and shown on its page. */
const REACHABILITY_SHOWN = 10;

/** One line of the node table. */
export function nodeSummary(
  r: RegistryReader,
  row: NodeRow,
  stakeRows: readonly StakeRow[],
): NodeSummaryView {
  const life = lifecycleOf(row);
  const stakes = stakesOf(row, stakeRows);
  return {
    pubkey: row.pubkey,
    status: row.status as NodeStatusName,
    operator: row.operator,
    swarmId: row.swarm_id === UNASSIGNED ? null : row.swarm_id,
    requirement: row.requirement,
    contributed: fundingState(r.params, stakes).contributed.toString(),
    feeBasisPoints: Number(row.fee_basis_points),
    contributors: stakes.stakes.length,
    credit: creditAt(life, r.epoch, r.params),
    publicIp: row.public_ip,
    storageVersion: row.storage_version,
    lastProofAgeSeconds: row.last_proof_at === null
      ? null
      : Math.max(0, r.nowSeconds() - Number(row.last_proof_at)),
    unlockAt: life.unlockAt,
  };
}

/** Nodes, filtered, ordered by key, paginated by cursor (the last key seen). */
export async function nodePage(
  r: RegistryReader,
  filter: NodeFilter = {},
): Promise<NodePageView> {
  const limit = Math.max(1, Math.min(filter.limit ?? 100, 500));
  const { rows, total } = await r.store.read.nodes.page({
    ...filter,
    limit: limit + 1,
  });
  const page = rows.slice(0, limit);
  const stakes = await r.store.read.nodes.stakesOfMany(
    page.map((n) => n.pubkey),
  );
  return {
    nodes: page.map((row) => nodeSummary(r, row, stakes.get(row.pubkey) ?? [])),
    next: rows.length > limit ? page.at(-1)!.pubkey : null,
    total,
  };
}

/** One node in full; `unknown_node` when it is not registered. */
export async function nodeDetail(
  r: RegistryReader,
  pubkey: string,
): Promise<NodeDetailView> {
  const read = r.store.read;
  const row = await read.nodes.get(pubkey);
  const stakeRows = await read.nodes.stakes(pubkey);
  const p = r.params;
  const epoch = r.epoch;
  const life = lifecycleOf(row);
  const stakes = stakesOf(row, stakeRows);
  const funding = fundingState(p, stakes);
  const tests = await read.reachability.recent(pubkey, REACHABILITY_SHOWN);
  const history = await read.history.of(pubkey);
  const mates = row.status === "active" && row.swarm_id !== UNASSIGNED
    ? await read.nodes.swarmMates(pubkey, row.swarm_id)
    : [];
  const o = outlook(life, epoch, p);
  const proofEpoch = life.lastProofEpoch;
  return {
    ...nodeSummary(r, row, stakeRows),
    x25519: toHex(x25519FromEd25519(fromHex(pubkey, 32))),
    registeredAt: life.registeredAt,
    statusSince: life.statusSince,
    funding: {
      funded: funding.funded,
      remaining: funding.remaining.toString(),
      openSlots: funding.openSlots,
      minContribution: funding.minContribution.toString(),
      maxContribution: funding.maxContribution.toString(),
      reservedOutstanding: funding.reservedOutstanding.toString(),
    },
    stakes: stakes.stakes.map((s, i) => ({
      wallet: toHex(s.wallet),
      amount: s.amount.toString(),
      reserved: s.reserved.toString(),
      sinceEpoch: s.sinceEpoch,
      operator: i === 0,
    })),
    creditMax: p.maxCredit,
    failing: life.status === "active" || life.status === "decommissioned"
      ? reasonNames(failingReasons(life, epoch, p))
      : [],
    decommissionCount: life.decommissionCount,
    lastDecommissionReasons: reasonNames(life.lastReasons),
    proof: proofEpoch !== null && row.public_ip !== null
      ? {
        publicIp: row.public_ip,
        httpsPort: Number(row.https_port),
        quicPort: Number(row.quic_port),
        nodeVersion: row.node_version ?? "",
        storageVersion: row.storage_version ?? "",
        epoch: proofEpoch,
        timestamp: Number(row.last_proof_at),
        ageSeconds: Math.max(0, r.nowSeconds() - Number(row.last_proof_at)),
        expiresAtEpoch: proofEpoch + p.proofValidityEpochs + 1,
      }
      : null,
    unlock: life.unlockAt !== null
      ? { unlockAt: life.unlockAt, unlockAtTime: r.epochTime(life.unlockAt) }
      : null,
    lockedUntil: life.lockedUntil !== null && row.stakes_released_at === null
      ? { epoch: life.lockedUntil, time: r.epochTime(life.lockedUntil) }
      : null,
    reachability: {
      unreachable: life.unreachable,
      consecutiveFailures: Number(row.reachability_failures),
      tests: tests.map((t) => ({
        epoch: t.epoch,
        testedAt: t.testedAt,
        address: t.address,
        ok: t.ok,
        detail: t.detail,
        latencyMs: t.latencyMs,
      })),
    },
    swarmMates: mates,
    history: history.map((h) => ({
      epoch: h.epoch,
      from: h.from as NodeStatusName | null,
      to: h.to as NodeStatusName,
      reason: h.reason,
      credit: h.credit,
    })),
    outlook: {
      next: o.next,
      atEpoch: o.atEpoch,
      atTime: o.atEpoch === null ? null : r.epochTime(o.atEpoch),
      credit: o.credit,
      text: o.text,
    },
  };
}

/** Nodes still taking contributions, with their minimum contribution and fee. */
export async function openNodes(r: RegistryReader): Promise<OpenNodeView[]> {
  const read = r.store.read;
  const { rows } = await read.nodes.page({
    status: "awaiting_contributions",
    limit: 500,
  });
  const stakes = await read.nodes.stakesOfMany(rows.map((n) => n.pubkey));
  return rows.map((row) => {
    const s = stakes.get(row.pubkey) ?? [];
    const f = fundingState(r.params, stakesOf(row, s));
    return {
      ...nodeSummary(r, row, s),
      minContribution: f.minContribution.toString(),
      maxContribution: f.maxContribution.toString(),
      openSlots: f.openSlots,
    };
  }).filter((n) => n.openSlots > 0);
}
