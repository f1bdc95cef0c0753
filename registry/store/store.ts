/**
 * The store: the registry's one door to its database. It opens and
 * migrates the database and hands out the table modules, either over the
 * whole database (reads) or inside a transaction (writes: everything a
 * write or a tick changes commits together or not at all).
 *
 * Only `store/` speaks SQL; the rest of the registry calls these methods.
 *
 * @module
 */

import { type Kysely, sql } from "kysely";
import type { Db } from "./db.ts";
import { EventStore } from "./events.ts";
import { HistoryStore } from "./history.ts";
import { InspectStore } from "./inspect.ts";
import { ListStore } from "./lists.ts";
import { MetaStore } from "./meta.ts";
import { type Dialect, migrateToLatest } from "./migrations.ts";
import { NodeStore } from "./nodes.ts";
import { ReachabilityStore } from "./reachability.ts";
import { SavepointStore } from "./savepoints.ts";
import type { Database } from "./schema.ts";
import { SequenceStore } from "./sequences.ts";
import { openSqlite } from "./sqlite.ts";
import { WalletStore } from "./wallets.ts";

/** The table modules over one handle (the database, or a transaction). */
export interface Tables {
  meta: MetaStore;
  wallets: WalletStore;
  sequences: SequenceStore;
  nodes: NodeStore;
  history: HistoryStore;
  reachability: ReachabilityStore;
  events: EventStore;
  lists: ListStore;
  inspect: InspectStore;
  /** Savepoints (inside a transaction). */
  savepoints: SavepointStore;
}

function tablesOf(db: Db): Tables {
  return {
    meta: new MetaStore(db),
    wallets: new WalletStore(db),
    sequences: new SequenceStore(db),
    nodes: new NodeStore(db),
    history: new HistoryStore(db),
    reachability: new ReachabilityStore(db),
    events: new EventStore(db),
    lists: new ListStore(db),
    inspect: new InspectStore(db),
    savepoints: new SavepointStore(db),
  };
}

/** An open, migrated database. */
export class Store {
  /** Which SQL dialect the database speaks. */
  readonly dialect: Dialect;
  /** Table modules over the whole database, for reads. */
  readonly read: Tables;
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>, dialect: Dialect) {
    this.#db = db;
    this.dialect = dialect;
    this.read = tablesOf(db);
  }

  /**
   * Run `work` in one transaction: it commits if `work` resolves and rolls
   * back (changing nothing) if it throws.
   */
  transaction<T>(work: (tx: Tables) => Promise<T>): Promise<T> {
    return this.#db.transaction().execute((trx) => work(tablesOf(trx)));
  }

  /** Close the database. */
  async close(): Promise<void> {
    await this.#db.destroy();
  }
}

/** How to open a store. */
export interface OpenStoreOptions {
  /**
   * Hold an exclusive lock on the SQLite file for as long as the store is
   * open, so a second registry on the same data directory fails to start
   * ("database is locked") instead of interleaving writes.
   */
  exclusive?: boolean;
}

/**
 * Open (creating if needed) an SQLite database file, or `":memory:"`, and
 * bring its schema up to date.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const store = await openSqliteStore(":memory:");
 * await store.transaction((tx) => tx.meta.initialise("devnet"));
 * assert.equal(await store.read.meta.network(), "devnet");
 * assert.equal(await store.read.meta.epoch(), 0);
 * await store.close();
 * ```
 */
export async function openSqliteStore(
  path: string,
  options: OpenStoreOptions = {},
): Promise<Store> {
  const db = openSqlite<Database>(path);
  try {
    if (options.exclusive) {
      await sql`PRAGMA locking_mode = EXCLUSIVE`.execute(db);
    }
    await migrateToLatest(db, "sqlite");
  } catch (e) {
    await db.destroy().catch(() => {});
    throw e;
  }
  return new Store(db, "sqlite");
}
