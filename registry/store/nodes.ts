/**
 * The `nodes` and `stakes` tables: every registered node with its lifecycle
 * state, swarm and last proof, and each contributor's stake in it. Rows
 * convert to core's types here ({@linkcode lifecycleOf}, {@linkcode stakesOf})
 * so the rest of the registry thinks in `NodeLifecycle` and `NodeStakes`,
 * not in columns.
 *
 * @module
 */

import { fromHex, toHex } from "../core/bytes.ts";
import type { NodeLifecycle, NodeStatus } from "../core/lifecycle.ts";
import type { NodeStakes, Stake } from "../core/staking.ts";
import { UNASSIGNED_SWARM_ID } from "../core/swarm.ts";
import { RegistryError } from "../api/errors.ts";
import type { Db } from "./db.ts";
import type { NodeTable, StakeTable } from "./schema.ts";

/** A node row as selected. */
export type NodeRow = NodeTable;
/** A stake row as selected. */
export type StakeRow = StakeTable;

/** `swarm_id` of a node in no swarm. */
export const UNASSIGNED: string = UNASSIGNED_SWARM_ID.toString();

/** Statuses of nodes still in the network (they send proofs, appear in lists). */
export const LIVE_STATUSES = ["active", "decommissioned"] as const;

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
export type LifecycleColumns = Pick<
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
>;

/** A lifecycle as node-row columns. */
export function lifecycleColumns(l: NodeLifecycle): LifecycleColumns {
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
  row: Pick<NodeRow, "requirement" | "fee_basis_points">,
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

/** `"1.2.3"` -> `[1, 2, 3]`; absent or malformed -> `[0, 0, 0]`. */
export function versionTriple(text: string | null): [number, number, number] {
  const parts = (text ?? "").split(".").map(Number);
  if (parts.length !== 3 || parts.some((n) => !Number.isInteger(n))) {
    return [0, 0, 0];
  }
  return [parts[0]!, parts[1]!, parts[2]!];
}

function numOrNull(v: number | null): number | null {
  return v === null ? null : Number(v);
}

/** Filters of {@linkcode NodeStore.page}. */
export interface NodePageQuery {
  status?: string;
  operator?: string;
  wallet?: string;
  swarm?: string;
  /** Keys greater than this. */
  after?: string;
  limit: number;
}

/** A node's stake as a wallet sees it. */
export interface WalletStakeRow {
  node: string;
  amount: string;
  reserved: string;
  since_epoch: number;
  status: string;
  operator: string;
  unlock_at: number | null;
  locked_until: number | null;
  stakes_released_at: number | null;
}

/** A node with an address to test (the prober's view). */
export interface AddressedNode {
  pubkey: string;
  public_ip: string;
  https_port: number;
  unreachable: number;
  reachability_failures: number;
}

/** Nodes and their stakes. */
export class NodeStore {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  /** A node, undefined when the key is not registered. */
  async find(pubkey: string): Promise<NodeRow | undefined> {
    return await this.#db.selectFrom("nodes").selectAll()
      .where("pubkey", "=", pubkey).executeTakeFirst();
  }

  /** A node; `unknown_node` when the key is not registered. */
  async get(pubkey: string): Promise<NodeRow> {
    const row = await this.find(pubkey);
    if (!row) {
      throw new RegistryError(
        "unknown_node",
        `no node ${pubkey} is registered`,
      );
    }
    return row;
  }

  /** Add a node with its stakes. */
  async insert(row: NodeRow, stakes: readonly StakeRow[]): Promise<void> {
    await this.#db.insertInto("nodes").values(row).execute();
    if (stakes.length > 0) {
      await this.#db.insertInto("stakes").values([...stakes]).execute();
    }
  }

  /** Change some columns of a node. */
  async update(pubkey: string, patch: Partial<NodeRow>): Promise<void> {
    await this.#db.updateTable("nodes").set(patch)
      .where("pubkey", "=", pubkey).execute();
  }

  /** Remove a node and its stakes (a retired key registering again). */
  async remove(pubkey: string): Promise<void> {
    await this.#db.deleteFrom("stakes").where("node", "=", pubkey).execute();
    await this.#db.deleteFrom("nodes").where("pubkey", "=", pubkey).execute();
  }

  /** A node's stake rows. */
  async stakes(pubkey: string): Promise<StakeRow[]> {
    return await this.#db.selectFrom("stakes").selectAll()
      .where("node", "=", pubkey).execute();
  }

  /** Stake rows of many nodes, by node. */
  async stakesOfMany(
    nodes: readonly string[],
  ): Promise<Map<string, StakeRow[]>> {
    const out = new Map<string, StakeRow[]>();
    // Chunked to stay well below SQLite's bound-parameter limit.
    for (let i = 0; i < nodes.length; i += 500) {
      const rows = await this.#db.selectFrom("stakes").selectAll()
        .where("node", "in", nodes.slice(i, i + 500)).execute();
      for (const s of rows) {
        let list = out.get(s.node);
        if (!list) out.set(s.node, list = []);
        list.push(s);
      }
    }
    return out;
  }

  /** Stake rows of every node in one of `statuses`, by node. */
  async stakesByStatus(
    statuses: readonly string[],
  ): Promise<Map<string, StakeRow[]>> {
    const rows = await this.#db.selectFrom("stakes")
      .innerJoin("nodes", "nodes.pubkey", "stakes.node")
      .select([
        "stakes.node",
        "stakes.wallet",
        "stakes.position",
        "stakes.amount",
        "stakes.reserved",
        "stakes.since_epoch",
      ])
      .where("nodes.status", "in", [...statuses]).execute();
    const out = new Map<string, StakeRow[]>();
    for (const s of rows) {
      let list = out.get(s.node);
      if (!list) out.set(s.node, list = []);
      list.push(s);
    }
    return out;
  }

  /** Replace a node's stakes. */
  async replaceStakes(
    pubkey: string,
    stakes: readonly StakeRow[],
  ): Promise<void> {
    await this.#db.deleteFrom("stakes").where("node", "=", pubkey).execute();
    if (stakes.length > 0) {
      await this.#db.insertInto("stakes").values([...stakes]).execute();
    }
  }

  /** Every node in one of `statuses`, by key. */
  async withStatus(statuses: readonly string[]): Promise<NodeRow[]> {
    return await this.#db.selectFrom("nodes").selectAll()
      .where("status", "in", [...statuses]).orderBy("pubkey").execute();
  }

  /** Deregistered nodes whose stake lock ended by `epoch` and are not released yet. */
  async releaseDue(epoch: number): Promise<NodeRow[]> {
    return await this.#db.selectFrom("nodes").selectAll()
      .where("status", "=", "deregistered")
      .where("stakes_released_at", "is", null)
      .where("locked_until", "<=", epoch).orderBy("pubkey").execute();
  }

  /** Active nodes and their swarm (UNASSIGNED when none), by key. */
  async activeSwarms(): Promise<{ pubkey: string; swarm_id: string }[]> {
    return await this.#db.selectFrom("nodes").select(["pubkey", "swarm_id"])
      .where("status", "=", "active").orderBy("pubkey").execute();
  }

  /** Nodes by status. */
  async countByStatus(): Promise<Record<string, number>> {
    const rows = await this.#db.selectFrom("nodes").select(["status"])
      .select((eb) => eb.fn.countAll<number>().as("n")).groupBy("status")
      .execute();
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  /** Number of swarms of active nodes. */
  async swarmCount(): Promise<number> {
    const rows = await this.#db.selectFrom("nodes").select("swarm_id")
      .distinct().where("status", "=", "active")
      .where("swarm_id", "!=", UNASSIGNED).execute();
    return rows.length;
  }

  /** A page of nodes by key, and how many match in all. */
  async page(q: NodePageQuery): Promise<{ rows: NodeRow[]; total: number }> {
    let query = this.#db.selectFrom("nodes").selectAll("nodes");
    if (q.status) query = query.where("nodes.status", "=", q.status);
    if (q.operator) query = query.where("nodes.operator", "=", q.operator);
    if (q.swarm) query = query.where("nodes.swarm_id", "=", q.swarm);
    if (q.wallet) {
      const wallet = q.wallet;
      query = query.where((eb) =>
        eb.exists(
          eb.selectFrom("stakes").select("stakes.node")
            .whereRef("stakes.node", "=", "nodes.pubkey")
            .where("stakes.wallet", "=", wallet),
        )
      );
    }
    const total = Number(
      (await query.clearSelect()
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow()).n,
    );
    if (q.after) query = query.where("nodes.pubkey", ">", q.after);
    const rows = await query.orderBy("nodes.pubkey").limit(q.limit).execute();
    return { rows, total };
  }

  /** Active members of a swarm other than `pubkey`, by key. */
  async swarmMates(pubkey: string, swarmId: string): Promise<string[]> {
    const rows = await this.#db.selectFrom("nodes").select("pubkey")
      .where("swarm_id", "=", swarmId).where("status", "=", "active")
      .where("pubkey", "!=", pubkey).orderBy("pubkey").execute();
    return rows.map((r) => r.pubkey);
  }

  /** Rows of these nodes, by key. */
  async many(pubkeys: readonly string[]): Promise<NodeRow[]> {
    const out: NodeRow[] = [];
    for (let i = 0; i < pubkeys.length; i += 500) {
      out.push(
        ...await this.#db.selectFrom("nodes").selectAll()
          .where("pubkey", "in", pubkeys.slice(i, i + 500)).execute(),
      );
    }
    return out.sort((a, b) => a.pubkey < b.pubkey ? -1 : 1);
  }

  /** Every stake a wallet has or had, with its node's state, by node. */
  async walletStakes(wallet: string): Promise<WalletStakeRow[]> {
    return await this.#db.selectFrom("stakes")
      .innerJoin("nodes", "nodes.pubkey", "stakes.node")
      .select([
        "stakes.node",
        "stakes.amount",
        "stakes.reserved",
        "stakes.since_epoch",
        "nodes.status",
        "nodes.operator",
        "nodes.unlock_at",
        "nodes.locked_until",
        "nodes.stakes_released_at",
      ])
      .where("stakes.wallet", "=", wallet).orderBy("stakes.node").execute();
  }

  /** Live nodes with an address from an uptime proof, by key. */
  async addressed(): Promise<AddressedNode[]> {
    const rows = await this.#db.selectFrom("nodes")
      .select([
        "pubkey",
        "public_ip",
        "https_port",
        "unreachable",
        "reachability_failures",
      ])
      .where("status", "in", [...LIVE_STATUSES])
      .where("public_ip", "is not", null)
      .where("https_port", "is not", null)
      .orderBy("pubkey")
      .execute();
    return rows as AddressedNode[];
  }
}
