/**
 * A snapshot of every node the registry knows, taken over its paginated
 * `GET /v1/nodes`, with the indexes the explorer's pages need (by key, by
 * swarm, counts by status and version, total stake). The nodes table
 * searches, filters and sorts in memory over it: the registry's API filters
 * by status, operator, wallet and swarm only, and sorts by key.
 *
 * @module
 */

import type { NodeSummaryView } from "../../registry/client/types.ts";
import { LIVE_STATUSES } from "../format.ts";

/** A node as the explorer keeps it: the summary plus its proof time. */
export interface NodeEntry extends NodeSummaryView {
  /** Unix seconds of the latest uptime proof (registry clock), or null. */
  lastProofAt: number | null;
  /** `contributed` as a bigint, for sorting and sums. */
  stake: bigint;
}

/** Every node at one moment, indexed. */
export interface Snapshot {
  /** When it was taken, unix ms (explorer clock). */
  takenAt: number;
  /** The registry's clock then, unix seconds. */
  registryNow: number;
  /** The epoch in progress then. */
  epoch: number;
  /** Every node, by key ascending. */
  nodes: NodeEntry[];
  /** Nodes by key. */
  byKey: Map<string, NodeEntry>;
  /** Active nodes by swarm id (decimal string), ids ascending numerically. */
  swarms: Map<string, NodeEntry[]>;
  /** Node counts by status. */
  byStatus: Record<string, number>;
  /** Storage versions of live nodes with a proof, with counts, most common first. */
  versions: [string, number][];
  /** Sum of contributed stake of live nodes (awaiting, active, decommissioned), atomic units. */
  totalStaked: bigint;
  /** Minimum contribution by key, for nodes taking contributions. */
  open: Map<string, { minContribution: string; openSlots: number }>;
}

/** Build the indexes of a snapshot. */
export function buildSnapshot(
  nodes: NodeSummaryView[],
  options: {
    takenAt: number;
    registryNow: number;
    epoch: number;
    open?: { pubkey: string; minContribution: string; openSlots: number }[];
  },
): Snapshot {
  const entries: NodeEntry[] = nodes.map((n) => ({
    ...n,
    lastProofAt: n.lastProofAgeSeconds === null
      ? null
      : options.registryNow - n.lastProofAgeSeconds,
    stake: BigInt(n.contributed),
  }));
  entries.sort((
    a,
    b,
  ) => (a.pubkey < b.pubkey ? -1 : a.pubkey > b.pubkey ? 1 : 0));
  const byKey = new Map(entries.map((n) => [n.pubkey, n]));
  const swarmMap = new Map<string, NodeEntry[]>();
  const byStatus: Record<string, number> = {};
  const versions = new Map<string, number>();
  let totalStaked = 0n;
  for (const n of entries) {
    byStatus[n.status] = (byStatus[n.status] ?? 0) + 1;
    const live = LIVE_STATUSES.includes(n.status);
    if (live) totalStaked += n.stake;
    if (n.status === "active" && n.swarmId !== null) {
      let members = swarmMap.get(n.swarmId);
      if (!members) swarmMap.set(n.swarmId, members = []);
      members.push(n);
    }
    if (live && n.storageVersion) {
      versions.set(n.storageVersion, (versions.get(n.storageVersion) ?? 0) + 1);
    }
  }
  const swarms = new Map(
    [...swarmMap.entries()].sort((a, b) =>
      BigInt(a[0]) < BigInt(b[0]) ? -1 : BigInt(a[0]) > BigInt(b[0]) ? 1 : 0
    ),
  );
  return {
    takenAt: options.takenAt,
    registryNow: options.registryNow,
    epoch: options.epoch,
    nodes: entries,
    byKey,
    swarms,
    byStatus,
    versions: [...versions.entries()].sort((a, b) =>
      b[1] - a[1] || compareVersions(b[0], a[0])
    ),
    totalStaked,
    open: new Map(
      (options.open ?? []).map((o) => [o.pubkey, {
        minContribution: o.minContribution,
        openSlots: o.openSlots,
      }]),
    ),
  };
}

/** Compare dotted versions numerically: "2.10.0" > "2.9.1". */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number), pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The age of a node's latest proof now, seconds, or null without a proof. */
export function proofAge(n: NodeEntry, registryNow: number): number | null {
  return n.lastProofAt === null
    ? null
    : Math.max(0, registryNow - n.lastProofAt);
}
