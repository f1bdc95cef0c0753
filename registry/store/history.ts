/**
 * The `state_changes` table: every status change of every node, with the
 * reason and the credit at that moment (the node page's timeline).
 *
 * @module
 */

import type { Db } from "./db.ts";

/** One status change. */
export interface StateChange {
  node: string;
  epoch: number;
  from: string | null;
  to: string;
  /** In words, e.g. "no valid uptime proof". */
  reason: string;
  /** Reason bits (network.md §4), 0 when not a failure. */
  reasonBits: number;
  /** Credit at that moment, epochs. */
  credit: number;
}

/** Status history of nodes. */
export class HistoryStore {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  /** Record a status change. */
  async append(c: StateChange): Promise<void> {
    await this.#db.insertInto("state_changes").values({
      node: c.node,
      epoch: c.epoch,
      from_status: c.from,
      to_status: c.to,
      reason: c.reason,
      reason_bits: c.reasonBits,
      credit: c.credit,
    }).execute();
  }

  /** A node's changes, oldest first. */
  async of(node: string): Promise<StateChange[]> {
    const rows = await this.#db.selectFrom("state_changes").selectAll()
      .where("node", "=", node).orderBy("id", "asc").execute();
    return rows.map((h) => ({
      node: h.node,
      epoch: Number(h.epoch),
      from: h.from_status,
      to: h.to_status,
      reason: h.reason,
      reasonBits: Number(h.reason_bits),
      credit: Number(h.credit),
    }));
  }
}
