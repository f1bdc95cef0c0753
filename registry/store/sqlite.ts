/**
 * A Kysely dialect over Deno's built-in `node:sqlite`: a thin adapter that
 * gives `DatabaseSync` the better-sqlite3 shape Kysely's `SqliteDialect`
 * expects. The file is opened in WAL mode with foreign keys on and a busy
 * timeout, so readers never block the writer.
 *
 * @module
 */

import {
  DatabaseSync,
  type SQLInputValue,
  type StatementSync,
} from "node:sqlite";
import { Kysely, SqliteDialect } from "kysely";
import type { SqliteDatabase, SqliteStatement } from "kysely";

/** Convert what Kysely passes as parameters into values node:sqlite binds. */
function bindable(params: ReadonlyArray<unknown>): SQLInputValue[] {
  return params.map((p) => {
    if (typeof p === "boolean") return p ? 1 : 0;
    if (p === undefined) return null;
    if (p instanceof Date) return p.toISOString();
    return p as SQLInputValue;
  });
}

class NodeSqliteStatement implements SqliteStatement {
  readonly #stmt: StatementSync;
  readonly reader: boolean;

  constructor(stmt: StatementSync) {
    this.#stmt = stmt;
    // better-sqlite3's `reader`: whether the statement returns rows.
    this.reader = stmt.columns().length > 0;
  }

  all(parameters: ReadonlyArray<unknown>): unknown[] {
    return this.#stmt.all(...bindable(parameters));
  }

  run(parameters: ReadonlyArray<unknown>) {
    const { changes, lastInsertRowid } = this.#stmt.run(
      ...bindable(parameters),
    );
    return { changes, lastInsertRowid };
  }

  iterate(parameters: ReadonlyArray<unknown>): IterableIterator<unknown> {
    return this.#stmt.iterate(...bindable(parameters)) as IterableIterator<
      unknown
    >;
  }
}

/** Prepared statements kept per connection; the registry's queries are few. */
const STATEMENT_CACHE_SIZE = 256;

class NodeSqliteDatabase implements SqliteDatabase {
  readonly #db: DatabaseSync;
  // Preparing a statement costs as much as running a small one: keep them.
  // Safe because node:sqlite runs each statement to completion synchronously
  // (Kysely's streaming `iterate` is not used by the registry).
  readonly #statements = new Map<string, NodeSqliteStatement>();
  constructor(db: DatabaseSync) {
    this.#db = db;
  }
  prepare(sql: string): SqliteStatement {
    let stmt = this.#statements.get(sql);
    if (stmt === undefined) {
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) {
        this.#statements.clear();
      }
      stmt = new NodeSqliteStatement(this.#db.prepare(sql));
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }
  close(): void {
    this.#statements.clear();
    if (this.#db.isOpen) this.#db.close();
  }
}

/** The `node:sqlite` handle under each Kysely instance {@linkcode openSqlite} made. */
const handles = new WeakMap<object, DatabaseSync>();

/**
 * The `node:sqlite` connection under a Kysely instance made by
 * {@linkcode openSqlite} (for what Kysely cannot do: the online backup);
 * undefined for any other.
 */
export function sqliteHandleOf(db: object): DatabaseSync | undefined {
  return handles.get(db);
}

/**
 * Open (creating if needed) an SQLite file, or `":memory:"`, as a Kysely
 * instance. `Kysely.destroy()` closes the file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sql } from "kysely";
 * const db = openSqlite<Record<string, never>>(":memory:");
 * const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db);
 * assert.equal(rows[0]!.one, 1);
 * await db.destroy();
 * ```
 */
export function openSqlite<DB>(path: string): Kysely<DB> {
  const raw = new DatabaseSync(path);
  if (path !== ":memory:") raw.exec("PRAGMA journal_mode = WAL");
  raw.exec("PRAGMA foreign_keys = ON");
  raw.exec("PRAGMA busy_timeout = 5000");
  raw.exec("PRAGMA synchronous = NORMAL");
  const db = new Kysely<DB>({
    dialect: new SqliteDialect({ database: new NodeSqliteDatabase(raw) }),
  });
  handles.set(db, raw);
  return db;
}
