/**
 * PostgreSQL through Kysely's Postgres dialect and `pg`, for several
 * registry processes on one database:
 *
 * - **Writes** run at READ COMMITTED and first take a transaction-level
 *   advisory lock (`pg_advisory_xact_lock`), so writes from every process
 *   are serialised: replay protection, the ledger and the epoch see
 *   everything committed before them, and event ids (taken from a sequence
 *   while the lock is held) are in commit order - a process reading
 *   `id > last` never skips an event committed later with a lower id. A
 *   write that still fails with a serialization failure or a deadlock
 *   (SQLSTATE 40001, 40P01) is retried, at most {@linkcode WRITE_ATTEMPTS}
 *   times.
 * - **Notifications**: each write sends `NOTIFY snode_registry` (delivered
 *   at commit); {@linkcode PostgresBackend.watch} listens on its own
 *   connection and reconnects when it drops.
 * - **The leader lease** is a session-level advisory lock
 *   (`pg_try_advisory_lock`) on a dedicated connection. It is lost when that
 *   connection ends - a killed process's connection is closed by the
 *   operating system and PostgreSQL releases its locks - or stops
 *   answering. A write fenced by the lease checks `pg_locks` under the
 *   write lock, so a process that lost it cannot publish a list.
 *
 * @module
 */

import pg from "pg";
import { Kysely, PostgresDialect, sql } from "kysely";
import { type Backend, type Lease, LeaseLostError } from "./backend.ts";
import type { Db } from "./db.ts";
import type { Database } from "./schema.ts";
import { PG_TYPES, PostgresTypesPlugin } from "./postgres_types.ts";

/** First key of the registry's advisory locks ("SNRG"). */
const LOCK_SPACE = 0x534e5247;
/** Second key: the write lock (transaction-level). */
const WRITE_LOCK = 1;
/** Second key: the leader lease (session-level). */
const LEADER_LOCK = 2;
/** Second key: schema changes (migrations, dropping a test schema). */
const SCHEMA_LOCK = 3;
/** The channel writes notify. */
const CHANNEL = "snode_registry";

// A write's first and last round trips: several statements in one simple
// query each (no parameters), begin with the lock, notify with the commit.
const BEGIN = sql.raw(
  `start transaction isolation level read committed; select pg_advisory_xact_lock(${LOCK_SPACE}, ${WRITE_LOCK})`,
);
const COMMIT = sql.raw(`select pg_notify('${CHANNEL}', ''); commit`);
const ROLLBACK = sql.raw("rollback");

/** How many times a write is tried when it fails with 40001 or 40P01. */
export const WRITE_ATTEMPTS = 5;

/** Options of {@linkcode PostgresBackend}. */
export interface PostgresOptions {
  /** Connections in the pool. Default 10. */
  poolSize?: number;
  /** How often the lease's connection is checked, ms. Default 2,000. */
  leaseCheckMs?: number;
}

/** Whether a string is a PostgreSQL connection URL. */
export function isPostgresUrl(text: string): boolean {
  return /^postgres(ql)?:\/\//i.test(text);
}

/** The URL without its password, for logs and messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
  }
}

/** Connection settings, with `options` from the URL kept beside ours. */
function clientConfig(url: string, options: string[] = []): pg.ClientConfig {
  let connectionString = url;
  const all = [
    // A process stalled inside a transaction holds the write lock: the
    // server ends such a session after a minute.
    "-c idle_in_transaction_session_timeout=60000",
    ...options,
  ];
  try {
    const u = new URL(url);
    const fromUrl = u.searchParams.get("options");
    if (fromUrl !== null) {
      all.push(fromUrl);
      u.searchParams.delete("options");
      connectionString = u.toString();
    }
  } catch {
    // pg reports a malformed URL when it connects.
  }
  return {
    connectionString,
    types: PG_TYPES,
    application_name: "snode-registry",
    keepAlive: true,
    connectionTimeoutMillis: 10_000,
    options: all.join(" "),
  };
}

function sqlState(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A PostgreSQL database shared by several registry processes. */
export class PostgresBackend implements Backend {
  readonly dialect = "postgres" as const;
  readonly shared = true;
  readonly db: Kysely<Database>;
  readonly #url: string;
  readonly #options: PostgresOptions;
  readonly #pool: pg.Pool;
  readonly #leases = new Set<PostgresLease>();
  readonly #listeners = new Set<() => void>();
  #listener: pg.Client | null = null;
  #reconnect: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(url: string, options: PostgresOptions = {}) {
    this.#url = url;
    this.#options = options;
    this.#pool = new pg.Pool({
      ...clientConfig(url),
      max: options.poolSize ?? 10,
      idleTimeoutMillis: 30_000,
    });
    // An idle connection that fails (server restart) is dropped by the
    // pool; without a listener the error would end the process.
    this.#pool.on("error", () => {});
    this.db = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: this.#pool }),
      plugins: [new PostgresTypesPlugin()],
    });
  }

  async write<T>(
    work: (db: Db) => Promise<T>,
    fence?: Lease,
  ): Promise<T> {
    for (let attempt = 1;; attempt++) {
      try {
        return await this.db.connection().execute(async (conn) => {
          try {
            await BEGIN.execute(conn);
            if (fence !== undefined) await checkFence(conn, fence);
            const result = await work(conn);
            await COMMIT.execute(conn);
            return result;
          } catch (e) {
            await ROLLBACK.execute(conn).catch(() => {});
            throw e;
          }
        });
      } catch (e) {
        const state = sqlState(e);
        if (
          attempt < WRITE_ATTEMPTS && (state === "40001" || state === "40P01")
        ) {
          await delay(Math.random() * 20 * attempt);
          continue;
        }
        throw e;
      }
    }
  }

  watch(listener: () => void): () => void {
    this.#listeners.add(listener);
    if (this.#listener === null && this.#reconnect === undefined) {
      this.#listen();
    }
    return () => {
      this.#listeners.delete(listener);
    };
  }

  #notify(): void {
    for (const l of this.#listeners) {
      try {
        l();
      } catch {
        // A broken listener must not stop the others.
      }
    }
  }

  async #listen(): Promise<void> {
    if (this.#closed) return;
    const client = new pg.Client(clientConfig(this.#url));
    const retry = () => {
      if (this.#listener === client) this.#listener = null;
      client.end().catch(() => {});
      if (this.#closed || this.#reconnect !== undefined) return;
      this.#reconnect = setTimeout(() => {
        this.#reconnect = undefined;
        this.#listen();
      }, 1000);
    };
    client.on("error", retry);
    client.on("end", retry);
    client.on("notification", () => this.#notify());
    try {
      await client.connect();
      await client.query(`listen ${CHANNEL}`);
    } catch {
      retry();
      return;
    }
    if (this.#closed) {
      await client.end().catch(() => {});
      return;
    }
    this.#listener = client;
    // Writes made while no one listened are caught up now.
    this.#notify();
  }

  /**
   * Run `work` (a migration) while holding the schema lock, so processes
   * starting together migrate one after another (Kysely's own lock comes
   * only after it has created its bookkeeping tables, which races), and no
   * schema disappears under Kysely's look at every schema's tables.
   */
  async withSchemaLock<T>(work: () => Promise<T>): Promise<T> {
    const client = new pg.Client(clientConfig(this.#url));
    client.on("error", () => {});
    await client.connect();
    try {
      await client.query("select pg_advisory_lock($1, $2)", [
        LOCK_SPACE,
        SCHEMA_LOCK,
      ]);
      return await work();
    } finally {
      // Ending the session releases the lock.
      await client.end().catch(() => {});
    }
  }

  async tryLease(): Promise<Lease | null> {
    // The server notices a vanished peer (no RST, e.g. a cut network)
    // after about 20 s instead of hours, and frees the lease.
    const client = new pg.Client(clientConfig(this.#url, [
      "-c tcp_keepalives_idle=5",
      "-c tcp_keepalives_interval=5",
      "-c tcp_keepalives_count=3",
    ]));
    client.on("error", () => {});
    await client.connect();
    try {
      const { rows } = await client.query<{ ok: boolean; pid: number }>(
        "select pg_try_advisory_lock($1, $2) as ok, pg_backend_pid() as pid",
        [LOCK_SPACE, LEADER_LOCK],
      );
      if (!rows[0]?.ok) {
        await client.end();
        return null;
      }
      const lease = new PostgresLease(
        client,
        rows[0].pid,
        this.#options.leaseCheckMs ?? 2000,
        () => this.#leases.delete(lease),
      );
      this.#leases.add(lease);
      return lease;
    } catch (e) {
      await client.end().catch(() => {});
      throw e;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#reconnect);
    this.#listeners.clear();
    for (const lease of [...this.#leases]) await lease.release();
    const listener = this.#listener;
    this.#listener = null;
    await listener?.end().catch(() => {});
    await this.db.destroy();
  }
}

async function checkFence(trx: Db, lease: Lease): Promise<void> {
  if (!(lease instanceof PostgresLease) || !lease.held) {
    throw new LeaseLostError();
  }
  // The lease's own session still holds the lock: then no other process
  // can hold it, and whoever takes it next waits for this write's lock.
  const { rows } = await sql<{ n: number }>`
    select count(*) as n from pg_locks
    where locktype = 'advisory' and granted and pid = ${lease.pid}
      and database = (select oid from pg_database where datname = current_database())
      and classid = ${LOCK_SPACE} and objid = ${LEADER_LOCK} and objsubid = 2`
    .execute(trx);
  if (Number(rows[0]?.n ?? 0) !== 1) {
    lease.markLost();
    throw new LeaseLostError();
  }
}

/** The leader lease: a session advisory lock on its own connection. */
class PostgresLease implements Lease {
  /** The backend process id of the lease's session. */
  readonly pid: number;
  readonly #client: pg.Client;
  readonly #lost = Promise.withResolvers<void>();
  readonly #onLost: () => void;
  readonly #check: ReturnType<typeof setInterval>;
  #held = true;
  #checking = false;

  constructor(
    client: pg.Client,
    pid: number,
    checkMs: number,
    onLost: () => void,
  ) {
    this.#client = client;
    this.pid = pid;
    this.#onLost = onLost;
    client.on("error", () => this.#lose());
    client.on("end", () => this.#lose());
    // A connection that stops answering is as good as lost: give the
    // lease up (closing it frees the lock for another process).
    this.#check = setInterval(() => {
      if (this.#checking) {
        this.#lose();
        return;
      }
      this.#checking = true;
      client.query("select 1").then(
        () => this.#checking = false,
        () => this.#lose(),
      );
    }, checkMs);
  }

  get held(): boolean {
    return this.#held;
  }

  get lost(): Promise<void> {
    return this.#lost.promise;
  }

  /** The lease is gone (a fenced write found it not held): let go. */
  markLost(): void {
    this.#lose();
  }

  #lose(): void {
    if (!this.#held) return;
    this.#held = false;
    clearInterval(this.#check);
    this.#onLost();
    this.#lost.resolve();
    this.#client.end().catch(() => {});
  }

  async release(): Promise<void> {
    if (!this.#held) return;
    try {
      await this.#client.query("select pg_advisory_unlock($1, $2)", [
        LOCK_SPACE,
        LEADER_LOCK,
      ]);
    } catch {
      // Ending the session frees it anyway.
    }
    this.#lose();
  }
}

/** Run one statement on a connection of its own. */
async function once(
  url: string,
  statement: string,
  options: { schemaLock?: boolean } = {},
): Promise<void> {
  const client = new pg.Client(clientConfig(url));
  client.on("error", () => {});
  await client.connect();
  try {
    if (options.schemaLock) {
      await client.query("select pg_advisory_lock($1, $2)", [
        LOCK_SPACE,
        SCHEMA_LOCK,
      ]);
    }
    await client.query(statement);
  } finally {
    await client.end().catch(() => {});
  }
}

function identifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new RangeError(`"${name}" is not a plain lower-case SQL name`);
  }
  return name;
}

/**
 * Create a schema on the server of `url` and return a URL whose sessions
 * use it (`search_path`): a fresh, empty database for a test, far cheaper
 * than a new database.
 */
export async function createSchema(url: string, name: string): Promise<string> {
  await once(url, `create schema ${identifier(name)}`);
  const u = new URL(url);
  u.searchParams.set("options", `-c search_path=${name}`);
  return u.toString();
}

/** Drop a schema made by {@linkcode createSchema}, with everything in it. */
export async function dropSchema(url: string, name: string): Promise<void> {
  await once(url, `drop schema if exists ${identifier(name)} cascade`, {
    schemaLock: true,
  });
}

/**
 * Create a database on the server of `url` (whose own database is used to
 * connect) and return its URL.
 */
export async function createDatabase(
  url: string,
  name: string,
): Promise<string> {
  await once(url, `create database ${identifier(name)}`);
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Drop a database, ending its sessions (PostgreSQL 13 or newer). */
export async function dropDatabase(url: string, name: string): Promise<void> {
  await once(url, `drop database if exists ${identifier(name)} with (force)`);
}
