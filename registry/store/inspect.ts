/**
 * Whole-state reads for checks, not for serving: every row of the tables a
 * write can change, in a stable order, so a test or a fault suite can
 * compare the state before and after (a refused write must change nothing).
 *
 * @module
 */

import { sql } from "kysely";
import type { Db } from "./db.ts";

/** The rows of the state tables, in key order. */
export interface StateRows {
  wallets: unknown[];
  nodes: unknown[];
  stakes: unknown[];
  sequences: unknown[];
  lastEventId: number;
  latestList: string | null;
}

/** Whole-state reads. */
export class InspectStore {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  /** Every row a write can change, plus the newest event id and list hash. */
  async state(): Promise<StateRows> {
    const db = this.#db;
    const last = await db.selectFrom("events").select("id")
      .orderBy("id", "desc").limit(1).executeTakeFirst();
    const list = await db.selectFrom("lists").select("hash")
      .orderBy("epoch", "desc").limit(1).executeTakeFirst();
    return {
      wallets: await db.selectFrom("wallets").selectAll().orderBy("pubkey")
        .execute(),
      nodes: await db.selectFrom("nodes").selectAll().orderBy("pubkey")
        .execute(),
      stakes: await db.selectFrom("stakes").selectAll().orderBy("node")
        .orderBy("wallet").execute(),
      sequences: await db.selectFrom("sequences").selectAll()
        .orderBy("signer").execute(),
      lastEventId: last ? Number(last.id) : 0,
      latestList: list?.hash ?? null,
    };
  }

  /**
   * SQLite's `PRAGMA integrity_check`: `["ok"]` for a sound database file,
   * else the problems found (the crash fault suite runs it after `kill -9`).
   */
  async integrityCheck(): Promise<string[]> {
    const r = await sql<Record<string, unknown>>`PRAGMA integrity_check`
      .execute(this.#db);
    return r.rows.map((row) => String(Object.values(row)[0]));
  }

  /**
   * SQLite: bytes per table, its indexes counted with it (the `dbstat`
   * virtual table), for benchmarks.
   */
  async tableBytes(): Promise<Map<string, number>> {
    const owners = new Map<string, string>();
    const schema = await sql<{ name: string; tbl_name: string }>`
      SELECT name, tbl_name FROM sqlite_schema WHERE type IN ('table', 'index')
    `.execute(this.#db);
    for (const r of schema.rows) owners.set(r.name, r.tbl_name);
    const pages = await sql<{ name: string; bytes: number }>`
      SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name
    `.execute(this.#db);
    const out = new Map<string, number>();
    for (const r of pages.rows) {
      const table = owners.get(r.name) ?? r.name;
      out.set(table, (out.get(table) ?? 0) + Number(r.bytes));
    }
    return out;
  }

  /** The state snapshots kept: how many, and their encoded bytes in all. */
  async snapshotWindow(): Promise<{ count: number; bytes: number }> {
    const r = await this.#db.selectFrom("state_snapshots")
      .select((eb) => [
        eb.fn.countAll<number>().as("count"),
        sql<number>`COALESCE(SUM(LENGTH(encoded)), 0)`.as("bytes"),
      ]).executeTakeFirstOrThrow();
    return { count: Number(r.count), bytes: Number(r.bytes) };
  }

  /**
   * SQLite: bytes of the database's pages in use (page count less free
   * pages, times the page size), whatever the files' sizes: the data's own
   * growth, for benchmarks.
   */
  async usedBytes(): Promise<number> {
    const one = async (pragma: string) => {
      const r = await sql<Record<string, unknown>>`${sql.raw(pragma)}`
        .execute(this.#db);
      return Number(Object.values(r.rows[0] ?? {})[0] ?? 0);
    };
    const size = await one("PRAGMA page_size");
    return (await one("PRAGMA page_count") -
      await one("PRAGMA freelist_count")) *
      size;
  }
}
