/**
 * The store: the registry's one door to its database. It opens and
 * migrates the database and hands out the table modules, either over the
 * whole database (reads) or inside a transaction (writes: everything a
 * write or a tick changes commits together or not at all).
 *
 * Only `store/` speaks SQL; the rest of the registry calls these methods.
 * The database is SQLite (a file one process owns) or PostgreSQL (a
 * server several registry processes share, see `postgres.ts`); the values
 * the table modules hand out are the same on both (`postgres_types.ts`).
 *
 * @module
 */

import { sql } from "kysely";
import { MaintenanceStore } from "./backup.ts";
import { type Backend, type Lease, LocalBackend } from "./backend.ts";
import type { Db } from "./db.ts";
import { EpochStore } from "./epochs.ts";
import { EventStore } from "./events.ts";
import { HistoryStore } from "./history.ts";
import { InspectStore } from "./inspect.ts";
import { ListStore } from "./lists.ts";
import { MetaStore } from "./meta.ts";
import { type Dialect, migrateToLatest } from "./migrations.ts";
import { NodeStore } from "./nodes.ts";
import { isPostgresUrl, PostgresBackend } from "./postgres.ts";
import { ReachabilityStore } from "./reachability.ts";
import { SavepointStore } from "./savepoints.ts";
import type { Database } from "./schema.ts";
import { SequenceStore } from "./sequences.ts";
import { openSqlite } from "./sqlite.ts";
import { StateStore } from "./state.ts";
import { WalletStore } from "./wallets.ts";
import { WitnessStore } from "./witness.ts";

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
  maintenance: MaintenanceStore;
  epochs: EpochStore;
  state: StateStore;
  witness: WitnessStore;
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
    maintenance: new MaintenanceStore(db),
    epochs: new EpochStore(db),
    state: new StateStore(db),
    witness: new WitnessStore(db),
  };
}

/** Options of {@linkcode Store.transaction}. */
export interface TransactionOptions {
  /**
   * Commit only while this lease is held (checked inside the transaction,
   * under the write lock): a process that lost the leader lease cannot
   * close an epoch. Throws {@linkcode LeaseLostError} otherwise.
   */
  fence?: Lease;
}

/** An open, migrated database. */
export class Store {
  /** Which SQL dialect the database speaks. */
  readonly dialect: Dialect;
  /**
   * Whether other processes may write to the database too (PostgreSQL):
   * then they announce their writes ({@linkcode Store.watch}) and one of
   * them at a time holds the leader lease ({@linkcode Store.tryLease}).
   */
  readonly shared: boolean;
  /** Table modules over the whole database, for reads. */
  readonly read: Tables;
  readonly #backend: Backend;

  constructor(backend: Backend) {
    this.#backend = backend;
    this.dialect = backend.dialect;
    this.shared = backend.shared;
    this.read = tablesOf(backend.db);
  }

  /**
   * Run `work` in one transaction: it commits if `work` resolves and rolls
   * back (changing nothing) if it throws. Transactions are serialised with
   * every other write to the database, from this process or another; on
   * PostgreSQL one that fails with a serialization failure or a deadlock is
   * run again (so `work` must not have effects outside the transaction
   * that a second run would repeat).
   */
  transaction<T>(
    work: (tx: Tables) => Promise<T>,
    options: TransactionOptions = {},
  ): Promise<T> {
    return this.#backend.write((trx) => work(tablesOf(trx)), options.fence);
  }

  /**
   * Call `listener` whenever another process may have written (never on
   * SQLite). Returns a function that stops it.
   */
  watch(listener: () => void): () => void {
    return this.#backend.watch(listener);
  }

  /**
   * Take the leader lease, or null while another process holds it. On
   * SQLite the database is this process's alone: the lease is always given.
   */
  tryLease(): Promise<Lease | null> {
    return this.#backend.tryLease();
  }

  /** Close the database (a lease still held is released). */
  async close(): Promise<void> {
    await this.#backend.close();
  }
}

/** How to open a store. */
export interface OpenStoreOptions {
  /**
   * SQLite: hold an exclusive lock on the file for as long as the store is
   * open, so a second registry on the same data directory fails to start
   * ("database is locked") instead of interleaving writes. (PostgreSQL is
   * made to be shared.)
   */
  exclusive?: boolean;
  /** PostgreSQL: connections in the pool. Default 10. */
  poolSize?: number;
  /**
   * Sync every commit to disk before it returns (`synchronous = FULL`), so
   * a commit survives a power cut, not only a crash: what a witness needs,
   * whose decision must be durable before its signature leaves.
   */
  durable?: boolean;
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
    if (options.durable) await sql`PRAGMA synchronous = FULL`.execute(db);
    await migrateToLatest(db, "sqlite");
  } catch (e) {
    await db.destroy().catch(() => {});
    throw e;
  }
  return new Store(new LocalBackend(db, "sqlite"));
}

/**
 * Connect to a PostgreSQL database (`postgres://user:password@host:port/db`)
 * and bring its schema up to date. Several processes may open the same
 * database at once: they migrate one at a time, under an advisory lock.
 */
export async function openPostgresStore(
  url: string,
  options: OpenStoreOptions = {},
): Promise<Store> {
  const backend = new PostgresBackend(
    url,
    options.poolSize === undefined ? {} : { poolSize: options.poolSize },
  );
  try {
    await backend.withSchemaLock(async () => {
      const { rows } = await sql<{ schema: string }>`
        select current_schema() as schema`.execute(backend.db);
      await migrateToLatest(backend.db, "postgres", {
        schema: rows[0]!.schema,
      });
    });
  } catch (e) {
    await backend.close().catch(() => {});
    throw e;
  }
  return new Store(backend);
}

/**
 * Open the database a location names: a `postgres://` (or `postgresql://`)
 * URL, else an SQLite file path (or `":memory:"`).
 */
export function openStore(
  location: string,
  options: OpenStoreOptions = {},
): Promise<Store> {
  return isPostgresUrl(location)
    ? openPostgresStore(location, options)
    : openSqliteStore(location, options);
}

export { LeaseLostError } from "./backend.ts";
export type { Lease } from "./backend.ts";
export {
  createDatabase,
  createSchema,
  dropDatabase,
  dropSchema,
  isPostgresUrl,
  redactUrl,
} from "./postgres.ts";
