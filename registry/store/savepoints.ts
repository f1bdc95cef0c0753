/**
 * Savepoints inside a transaction: several writes share one transaction
 * (one commit, see `registry/group_commit.ts`) while each is rolled back
 * alone if it fails, as if it had been its own transaction.
 *
 * @module
 */

import { sql } from "kysely";
import type { Db } from "./db.ts";

/** The outcome of one unit of work run in a savepoint. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Savepoints on one transaction. */
export class SavepointStore {
  readonly #db: Db;
  #depth = 0;
  constructor(db: Db) {
    this.#db = db;
  }

  /**
   * Run `work` in a savepoint: kept if it resolves, rolled back (changing
   * nothing) if it throws. Must be called inside a transaction.
   */
  async run<T>(work: () => Promise<T>): Promise<Outcome<T>> {
    const name = sql.raw(`unit_${this.#depth++}`);
    try {
      await sql`savepoint ${name}`.execute(this.#db);
      try {
        const value = await work();
        await sql`release savepoint ${name}`.execute(this.#db);
        return { ok: true, value };
      } catch (error) {
        await sql`rollback to savepoint ${name}`.execute(this.#db);
        await sql`release savepoint ${name}`.execute(this.#db);
        return { ok: false, error };
      }
    } finally {
      this.#depth--;
    }
  }
}
