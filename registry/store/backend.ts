/**
 * What differs between a database one process owns (SQLite) and one several
 * processes share (PostgreSQL): how a write transaction is serialised, how
 * a process hears that another one wrote, and the leader lease that lets
 * exactly one process run the epochs.
 *
 * @module
 */

import type { Kysely } from "kysely";
import type { Db } from "./db.ts";
import type { Dialect } from "./migrations.ts";
import type { Database } from "./schema.ts";

/**
 * The right to run the epochs (ticks, reachability rounds). On a shared
 * database exactly one process holds it at a time.
 */
export interface Lease {
  /** Whether it is still held, as far as this process knows. */
  readonly held: boolean;
  /** Resolves once the lease is lost (its connection failed) or released. */
  readonly lost: Promise<void>;
  /** Give the lease up (another process may take it). */
  release(): Promise<void>;
}

/** A write was fenced by a lease this process no longer holds. */
export class LeaseLostError extends Error {
  constructor() {
    super(
      "this process no longer holds the leader lease: the write is refused",
    );
    this.name = "LeaseLostError";
  }
}

/** A database as the store drives it. */
export interface Backend {
  /** Which SQL dialect it speaks. */
  readonly dialect: Dialect;
  /** Whether other processes may write to the same database. */
  readonly shared: boolean;
  /** The database, for reads. */
  readonly db: Kysely<Database>;
  /**
   * Run `work` in one transaction, serialised with every other write to
   * the database (from any process), committed if it resolves and rolled
   * back if it throws. With `fence`, the transaction first checks the lease
   * is still held and throws {@linkcode LeaseLostError} if not.
   */
  write<T>(work: (db: Db) => Promise<T>, fence?: Lease): Promise<T>;
  /**
   * Call `listener` when another process may have committed a write (and
   * after a lost connection to the notifications is restored). Returns a
   * function that stops it.
   */
  watch(listener: () => void): () => void;
  /** Take the leader lease if no other process holds it; null if one does. */
  tryLease(): Promise<Lease | null>;
  /** Close every connection (a lease held is released). */
  close(): Promise<void>;
}

/** A lease nobody else can want: the database is this process's alone. */
class LocalLease implements Lease {
  #held = true;
  readonly #lost = Promise.withResolvers<void>();
  get held(): boolean {
    return this.#held;
  }
  get lost(): Promise<void> {
    return this.#lost.promise;
  }
  release(): Promise<void> {
    this.#held = false;
    this.#lost.resolve();
    return Promise.resolve();
  }
}

/**
 * A database one process owns (SQLite, which the registry opens with an
 * exclusive lock): transactions need no cross-process serialisation, no
 * other process writes, and the lease is always this process's.
 */
export class LocalBackend implements Backend {
  readonly dialect: Dialect;
  readonly shared = false;
  readonly db: Kysely<Database>;

  constructor(db: Kysely<Database>, dialect: Dialect) {
    this.db = db;
    this.dialect = dialect;
  }

  write<T>(work: (db: Db) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(work);
  }

  watch(): () => void {
    return () => {};
  }

  tryLease(): Promise<Lease | null> {
    return Promise.resolve(new LocalLease());
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
