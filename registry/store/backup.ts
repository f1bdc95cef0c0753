/**
 * Backups of the SQLite store, and what a restore checks first.
 *
 * A running registry holds its database file in SQLite's exclusive locking
 * mode, so no other process can read it: the copy is made inside the
 * registry process, by SQLite's online backup API on the store's own
 * connection ({@linkcode MaintenanceStore.backupTo}). The store has one
 * connection, which a write transaction holds until it commits; the backup
 * holds it too, copying every page in one step, so it starts between two
 * transactions and is a consistent snapshot of every write committed
 * before it - every acknowledged write - and of none after. Writes wait
 * while it runs (`deno task backup` reports how long).
 *
 * (Not `VACUUM INTO`: it attaches a database, which Deno's `node:sqlite`
 * forbids to a process without `--allow-all`, and the registry runs with
 * less.)
 *
 * A backup is an ordinary SQLite database file.
 * {@linkcode inspectBackup} reads one without changing it: its integrity,
 * network, epoch, newest event and schema version (the migrations applied),
 * compared with the migrations this code knows.
 *
 * PostgreSQL is backed up with `pg_dump` (see registry/README.md).
 *
 * @module
 */

import { backup as sqliteBackup, DatabaseSync } from "node:sqlite";
import { type Kysely, sql } from "kysely";
import type { Db } from "./db.ts";
import { migrateToLatest } from "./migrations.ts";
import { openSqlite, sqliteHandleOf } from "./sqlite.ts";

/** Database-wide operations: size, online backup. */
export class MaintenanceStore {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  /** Which database this is, from Kysely's adapter. */
  #dialect(): "sqlite" | "postgres" {
    const adapter = this.#db.getExecutor().adapter.constructor.name;
    return /postgres/i.test(adapter) ? "postgres" : "sqlite";
  }

  /**
   * The database's size in bytes: SQLite's pages in use and free (the WAL
   * not counted), PostgreSQL's `pg_database_size`.
   */
  async sizeBytes(): Promise<number> {
    if (this.#dialect() === "postgres") {
      const r = await sql<{ size: string | number }>`
        select pg_database_size(current_database()) as size`.execute(this.#db);
      return Number(r.rows[0]?.size ?? 0);
    }
    const count = await sql<{ page_count: number }>`PRAGMA page_count`
      .execute(this.#db);
    const size = await sql<{ page_size: number }>`PRAGMA page_size`
      .execute(this.#db);
    return Number(count.rows[0]?.page_count ?? 0) *
      Number(size.rows[0]?.page_size ?? 0);
  }

  /**
   * Write a consistent copy of the database to `path` (a new file) with
   * SQLite's online backup API, holding the store's connection meanwhile so
   * no transaction is half-way. SQLite only; call it on the store's `read`
   * tables, not inside a transaction.
   */
  async backupTo(path: string): Promise<void> {
    const raw = sqliteHandleOf(this.#db);
    if (this.#dialect() === "postgres" || raw === undefined) {
      throw new Error(
        "only an SQLite store is backed up by the registry (PostgreSQL: pg_dump)",
      );
    }
    await (this.#db as Kysely<unknown>).connection().execute(async () => {
      // rate -1: every page in one step, so the copy is one snapshot.
      await sqliteBackup(raw, path, { rate: -1 });
    });
    selfContained(path);
  }
}

/** What a backup file holds, read without changing it. */
export interface BackupInfo {
  /** `PRAGMA integrity_check`: `["ok"]` for a sound file. */
  integrity: string[];
  /** The network it belongs to; undefined if it was never initialised. */
  network: string | undefined;
  /** The epoch in progress when it was taken. */
  epoch: number;
  /** The newest event's id (every write records at least one event). */
  lastEventId: number;
  /** The latest list's epoch; -1 without any. */
  latestListEpoch: number;
  /** Migrations applied to it, in order. */
  migrations: string[];
  /** Of those, the ones this code does not know (a newer schema). */
  unknownMigrations: string[];
  /** Migrations this code has that it lacks (an older schema). */
  missingMigrations: string[];
  /** File size, bytes. */
  bytes: number;
}

/** The names of every migration this code has, in order. */
export async function knownMigrations(): Promise<string[]> {
  const db: Kysely<unknown> = openSqlite(":memory:");
  try {
    return await migrateToLatest(db, "sqlite");
  } finally {
    await db.destroy();
  }
}

/**
 * Read a backup (any SQLite file of the registry's) without changing it.
 * Throws if it is not an SQLite database.
 */
export async function inspectBackup(path: string): Promise<BackupInfo> {
  const bytes = (await Deno.stat(path)).size;
  const known = await knownMigrations();
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const one = <T>(query: string): T | undefined =>
      db.prepare(query).get() as T | undefined;
    const integrity = (db.prepare("PRAGMA integrity_check").all() as Record<
      string,
      unknown
    >[]).map((r) => String(Object.values(r)[0]));
    const tables = new Set(
      (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .all() as { name: string }[]).map((r) => r.name),
    );
    if (!tables.has("kysely_migration") || !tables.has("meta")) {
      throw new Error(`${path} is not a registry database (no schema)`);
    }
    const migrations = (db.prepare(
      "SELECT name FROM kysely_migration ORDER BY name",
    ).all() as { name: string }[]).map((r) => r.name);
    const meta = (key: string) =>
      one<{ value: string }>(
        `SELECT value FROM meta WHERE key = '${key}'`,
      )?.value;
    const last = one<{ id: number }>("SELECT max(id) AS id FROM events");
    const list = one<{ epoch: number }>(
      "SELECT max(epoch) AS epoch FROM lists",
    );
    return {
      integrity,
      network: meta("network"),
      epoch: Number(meta("epoch") ?? 0),
      lastEventId: Number(last?.id ?? 0),
      latestListEpoch: list?.epoch === null || list?.epoch === undefined
        ? -1
        : Number(list.epoch),
      migrations,
      unknownMigrations: migrations.filter((m) => !known.includes(m)),
      missingMigrations: known.filter((m) => !migrations.includes(m)),
      bytes,
    };
  } catch (e) {
    if (
      e instanceof Error && /not a database|file is encrypted/i.test(e.message)
    ) {
      throw new Error(`${path} is not an SQLite database`, { cause: e });
    }
    throw e;
  } finally {
    db.close();
  }
}

/**
 * Copy the database file at `source` (not in use by a registry) into a new
 * backup file, without migrating or otherwise changing it. Throws
 * "database is locked" while a registry holds it.
 */
export async function backupFile(
  source: string,
  target: string,
): Promise<void> {
  // Not read-only: after a crash the write-ahead log may need recovering.
  const db = new DatabaseSync(source);
  try {
    db.exec("PRAGMA busy_timeout = 0");
    // Fails at once ("database is locked") if a registry holds the file.
    db.exec("BEGIN IMMEDIATE");
    db.exec("ROLLBACK");
    await sqliteBackup(db, target, { rate: -1 });
  } finally {
    db.close();
  }
  selfContained(target);
}

/**
 * Make a copy one self-contained file: rollback-journal mode instead of the
 * registry's write-ahead log, so reading it creates no `-wal`/`-shm` files
 * beside it (the registry switches it back to WAL when it opens it).
 */
function selfContained(path: string): void {
  const db = new DatabaseSync(path);
  try {
    db.exec("PRAGMA journal_mode = DELETE");
  } finally {
    db.close();
  }
}

/**
 * Apply this code's migrations to a backup file (a copy being restored).
 * Returns the migrations applied.
 */
export async function migrateFile(path: string): Promise<string[]> {
  const db: Kysely<unknown> = openSqlite(path);
  try {
    return await migrateToLatest(db, "sqlite");
  } finally {
    await db.destroy();
    selfContained(path);
  }
}

/**
 * Whether a process holds the database file at `path` (a running registry
 * keeps it locked): true when a write lock cannot be had at once.
 */
export function databaseInUse(path: string): boolean {
  const db = new DatabaseSync(path);
  try {
    db.exec("PRAGMA busy_timeout = 0");
    db.exec("BEGIN EXCLUSIVE");
    db.exec("ROLLBACK");
    return false;
  } catch (e) {
    if (/locked|busy/i.test((e as Error).message)) return true;
    throw e;
  } finally {
    db.close();
  }
}
