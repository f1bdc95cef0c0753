/**
 * The `reachability` table: evidence of the registry's reachability tests,
 * the latest few per node.
 *
 * @module
 */

import type { Db } from "./db.ts";

/** One test as kept. */
export interface ReachabilityTest {
  node: string;
  epoch: number;
  /** Unix seconds. */
  testedAt: number;
  /** `ip:port` tried. */
  address: string;
  ok: boolean;
  detail: string;
  latencyMs: number | null;
}

/** Reachability evidence. */
export class ReachabilityStore {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  /** Keep a test's result, and only the newest `keep` of the node's. */
  async append(t: ReachabilityTest, keep: number): Promise<void> {
    await this.#db.insertInto("reachability").values({
      node: t.node,
      epoch: t.epoch,
      tested_at: t.testedAt,
      address: t.address,
      ok: t.ok ? 1 : 0,
      detail: t.detail,
      latency_ms: t.latencyMs,
    }).execute();
    const oldest = await this.#db.selectFrom("reachability").select("id")
      .where("node", "=", t.node).orderBy("id", "desc").offset(keep)
      .limit(1).executeTakeFirst();
    if (oldest) {
      await this.#db.deleteFrom("reachability").where("node", "=", t.node)
        .where("id", "<=", oldest.id).execute();
    }
  }

  /** A node's newest tests, newest first. */
  async recent(node: string, limit: number): Promise<ReachabilityTest[]> {
    const rows = await this.#db.selectFrom("reachability").selectAll()
      .where("node", "=", node).orderBy("id", "desc").limit(limit).execute();
    return rows.map((t) => ({
      node: t.node,
      epoch: Number(t.epoch),
      testedAt: Number(t.tested_at),
      address: t.address,
      ok: Number(t.ok) === 1,
      detail: t.detail,
      latencyMs: t.latency_ms === null ? null : Number(t.latency_ms),
    }));
  }

  /** Each tested node's latest test: epoch and address. */
  async latestPerNode(): Promise<
    Map<string, { epoch: number; address: string }>
  > {
    const latestIds = await this.#db.selectFrom("reachability")
      .select((eb) => ["node", eb.fn.max("id").as("id")])
      .groupBy("node")
      .execute();
    const ids = latestIds.map((r) => Number(r.id));
    const latest = new Map<string, { epoch: number; address: string }>();
    // Chunked to stay well below SQLite's bound-parameter limit.
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await this.#db.selectFrom("reachability")
        .select(["node", "epoch", "address"])
        .where("id", "in", ids.slice(i, i + 500)).execute();
      for (const r of rows) {
        latest.set(r.node, { epoch: Number(r.epoch), address: r.address });
      }
    }
    return latest;
  }
}
