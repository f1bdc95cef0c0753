/**
 * Timestamped schema migrations, written with Kysely's schema builder so the
 * same code creates the tables on SQLite and PostgreSQL. Names sort in the
 * order they run; never edit a migration that has shipped - add one.
 *
 * @module
 */

import {
  type Kysely,
  type Migration,
  type MigrationProvider,
  Migrator,
  sql,
} from "kysely";

/** The SQL dialect, where the two differ (identity columns, column types). */
export type Dialect = "sqlite" | "postgres";

function migrations(dialect: Dialect): Record<string, Migration> {
  // deno-lint-ignore no-explicit-any
  type Db = Kysely<any>;
  const id = dialect === "sqlite" ? "integer" : "bigserial";
  // SQLite's `integer primary key autoincrement`; PostgreSQL's bigserial is
  // the sequence itself (Kysely would print MySQL's auto_increment there).
  // This was fixed in the shipped migration below because it could never
  // run on PostgreSQL: the SQL it runs on SQLite is unchanged.
  const serial = <C extends { primaryKey(): C; autoIncrement(): C }>(c: C) =>
    dialect === "sqlite" ? c.primaryKey().autoIncrement() : c.primaryKey();
  const blob = dialect === "sqlite" ? "blob" : "bytea";
  return {
    "2026-11-24T20-30_initial": {
      async up(db: Db) {
        await db.schema.createTable("meta")
          .addColumn("key", "text", (c) => c.primaryKey())
          .addColumn("value", "text", (c) => c.notNull())
          .execute();
        await db.schema.createTable("wallets")
          .addColumn("pubkey", "text", (c) => c.primaryKey())
          .addColumn("balance", "text", (c) => c.notNull())
          .addColumn("created_epoch", "bigint", (c) => c.notNull())
          .execute();
        await db.schema.createTable("ledger")
          .addColumn("id", id, serial)
          .addColumn("wallet", "text", (c) => c.notNull())
          .addColumn("delta", "text", (c) => c.notNull())
          .addColumn("kind", "text", (c) => c.notNull())
          .addColumn("node", "text")
          .addColumn("epoch", "bigint", (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("ledger_wallet").on("ledger")
          .column("wallet").execute();
        await db.schema.createTable("sequences")
          .addColumn("signer", "text", (c) => c.primaryKey())
          .addColumn("last_sequence", "bigint", (c) => c.notNull())
          .execute();
        await db.schema.createTable("nodes")
          .addColumn("pubkey", "text", (c) => c.primaryKey())
          .addColumn("operator", "text", (c) => c.notNull())
          .addColumn("fee_basis_points", "integer", (c) => c.notNull())
          .addColumn("requirement", "text", (c) => c.notNull())
          .addColumn("status", "text", (c) => c.notNull())
          .addColumn("registered_at", "bigint", (c) => c.notNull())
          .addColumn("status_since", "bigint", (c) => c.notNull())
          .addColumn("active_since", "bigint")
          .addColumn("credit_base", "integer", (c) => c.notNull())
          .addColumn("credit_at_decommission", "integer")
          .addColumn("last_proof_epoch", "bigint")
          .addColumn("unreachable", "integer", (c) => c.notNull())
          .addColumn("reachability_failures", "integer", (c) => c.notNull())
          .addColumn("unlock_at", "bigint")
          .addColumn("locked_until", "bigint")
          .addColumn("stakes_released_at", "bigint")
          .addColumn("decommission_count", "integer", (c) => c.notNull())
          .addColumn("last_reasons", "integer", (c) => c.notNull())
          .addColumn("swarm_id", "text", (c) => c.notNull())
          .addColumn("public_ip", "text")
          .addColumn("https_port", "integer")
          .addColumn("quic_port", "integer")
          .addColumn("node_version", "text")
          .addColumn("storage_version", "text")
          .addColumn("last_proof_at", "bigint")
          .execute();
        await db.schema.createIndex("nodes_status").on("nodes")
          .column("status").execute();
        await db.schema.createIndex("nodes_operator").on("nodes")
          .column("operator").execute();
        await db.schema.createIndex("nodes_swarm").on("nodes")
          .column("swarm_id").execute();
        await db.schema.createTable("stakes")
          .addColumn(
            "node",
            "text",
            (c) => c.notNull().references("nodes.pubkey").onDelete("cascade"),
          )
          .addColumn("wallet", "text", (c) => c.notNull())
          .addColumn("position", "integer", (c) => c.notNull())
          .addColumn("amount", "text", (c) => c.notNull())
          .addColumn("reserved", "text", (c) => c.notNull())
          .addColumn("since_epoch", "bigint", (c) => c.notNull())
          .addPrimaryKeyConstraint("stakes_pk", ["node", "wallet"])
          .execute();
        await db.schema.createIndex("stakes_wallet").on("stakes")
          .column("wallet").execute();
        await db.schema.createTable("state_changes")
          .addColumn("id", id, serial)
          .addColumn("node", "text", (c) => c.notNull())
          .addColumn("epoch", "bigint", (c) => c.notNull())
          .addColumn("from_status", "text")
          .addColumn("to_status", "text", (c) => c.notNull())
          .addColumn("reason", "text", (c) => c.notNull())
          .addColumn("reason_bits", "integer", (c) => c.notNull())
          .addColumn("credit", "integer", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("state_changes_node").on("state_changes")
          .columns(["node", "id"]).execute();
        await db.schema.createTable("reachability")
          .addColumn("id", id, serial)
          .addColumn("node", "text", (c) => c.notNull())
          .addColumn("epoch", "bigint", (c) => c.notNull())
          .addColumn("tested_at", "bigint", (c) => c.notNull())
          .addColumn("address", "text", (c) => c.notNull())
          .addColumn("ok", "integer", (c) => c.notNull())
          .addColumn("detail", "text", (c) => c.notNull())
          .addColumn("latency_ms", "integer")
          .execute();
        await db.schema.createIndex("reachability_node").on("reachability")
          .columns(["node", "id"]).execute();
        await db.schema.createTable("events")
          .addColumn("id", id, serial)
          .addColumn("epoch", "bigint", (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("kind", "text", (c) => c.notNull())
          .addColumn("node", "text")
          .addColumn("data", "text", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("events_node").on("events")
          .columns(["node", "id"]).execute();
        await db.schema.createIndex("events_kind").on("events")
          .columns(["kind", "id"]).execute();
        await db.schema.createTable("event_wallets")
          .addColumn("event_id", "bigint", (c) => c.notNull())
          .addColumn("wallet", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("event_wallets_pk", ["wallet", "event_id"])
          .execute();
        await db.schema.createTable("lists")
          .addColumn("epoch", "bigint", (c) => c.primaryKey())
          .addColumn("hash", "text", (c) => c.notNull().unique())
          .addColumn("prev_hash", "text", (c) => c.notNull())
          .addColumn("published_at", "bigint", (c) => c.notNull())
          .addColumn("node_count", "integer", (c) => c.notNull())
          .addColumn("encoded", sql.raw(blob), (c) => c.notNull())
          .execute();
      },
    },
    // When the registry received a node's last proof (unix seconds): what
    // upstream reports as `last_uptime_proof`, beside the proof's signed time.
    "2026-11-30T03-40_proof_received_at": {
      async up(db: Db) {
        await db.schema.alterTable("nodes")
          .addColumn("last_proof_received_at", "bigint").execute();
      },
    },
    // PostgreSQL only (nothing changes on SQLite): the exact column types,
    // see postgres_types.ts for the mapping the store applies at its edge.
    "2026-11-30T12-00_postgres_types": {
      async up(db: Db) {
        if (dialect !== "postgres") return;
        const key = (c: string) =>
          sql.raw(`alter column ${c} type bytea using decode(${c}, 'hex')`);
        const amount = (c: string) =>
          sql.raw(`alter column ${c} type numeric(20,0) using ${c}::numeric`);
        const ms = (c: string) =>
          sql.raw(
            `alter column ${c} type timestamptz using timestamptz 'epoch' + ${c} * interval '1 millisecond'`,
          );
        const s = (c: string) =>
          sql.raw(
            `alter column ${c} type timestamptz using timestamptz 'epoch' + ${c} * interval '1 second'`,
          );
        const flag = (c: string) =>
          sql.raw(
            `alter column ${c} type boolean using ${c} <> 0`,
          );
        const alter = (
          table: string,
          ...changes: ReturnType<typeof sql.raw>[]
        ) =>
          sql`alter table ${sql.table(table)} ${sql.join(changes)}`.execute(db);
        // The foreign key joins two columns whose type changes together.
        await sql`alter table stakes drop constraint stakes_node_fkey`
          .execute(db);
        await alter("wallets", key("pubkey"), amount("balance"));
        await alter(
          "ledger",
          key("wallet"),
          key("node"),
          amount("delta"),
          ms("created_at"),
        );
        await alter("sequences", key("signer"));
        await alter(
          "nodes",
          key("pubkey"),
          key("operator"),
          amount("requirement"),
          flag("unreachable"),
          amount("swarm_id"),
          s("last_proof_at"),
          s("last_proof_received_at"),
        );
        await alter(
          "stakes",
          key("node"),
          key("wallet"),
          amount("amount"),
          amount("reserved"),
        );
        await sql`alter table stakes add constraint stakes_node_fkey
          foreign key (node) references nodes (pubkey) on delete cascade`
          .execute(db);
        await alter("state_changes", key("node"));
        await alter("reachability", key("node"), s("tested_at"), flag("ok"));
        await alter(
          "events",
          key("node"),
          ms("created_at"),
          sql.raw("alter column data type json using data::json"),
        );
        await alter("event_wallets", key("wallet"));
        await alter("lists", key("hash"), key("prev_hash"), s("published_at"));
      },
    },
    // An event's wallets come back in the order they were given, on both
    // databases (without it the order was the query plan's), and are found
    // by event id without scanning the table.
    "2026-11-30T12-10_event_wallet_order": {
      async up(db: Db) {
        await db.schema.alterTable("event_wallets")
          .addColumn("position", "integer").execute();
        await db.schema.createIndex("event_wallets_event")
          .on("event_wallets").columns(["event_id", "position"]).execute();
      },
    },
    // Lists as snapshots plus record deltas (store/lists.ts): how each row
    // is stored (rows so far are full lists) and the served length; events
    // by epoch, for pruning them past their retention.
    "2026-11-30T13-30_list_deltas": {
      async up(db: Db) {
        await db.schema.alterTable("lists")
          .addColumn("storage", "text", (c) => c.notNull().defaultTo("full"))
          .execute();
        await db.schema.alterTable("lists").addColumn("size", "integer")
          .execute();
        await sql`update lists set size = length(encoded)`.execute(db);
        await db.schema.createIndex("events_epoch").on("events")
          .columns(["epoch", "id"]).execute();
      },
    },
    // Witnesses (list format v2): the inputs of the epoch in progress, each
    // closed epoch's inputs document, state snapshots, the co-signature
    // count of each list; and a witness's own decisions and proofs (a
    // witness keeps its replayed registry state in these same tables).
    "2026-12-02T10-00_witnesses": {
      async up(db: Db) {
        // Keys and hashes: text (hex) on SQLite, bytea on PostgreSQL, as
        // everywhere (postgres_types.ts maps them by column name).
        const key = sql.raw(dialect === "sqlite" ? "text" : "bytea");
        await db.schema.alterTable("lists")
          .addColumn("cosignatures", "integer", (c) => c.notNull().defaultTo(0))
          .execute();
        await db.schema.createTable("epoch_inputs")
          .addColumn("id", id, serial)
          .addColumn("epoch", "bigint", (c) => c.notNull())
          .addColumn("kind", "text", (c) => c.notNull())
          .addColumn("at_ms", "bigint", (c) => c.notNull())
          .addColumn("payload", sql.raw(blob), (c) => c.notNull())
          .execute();
        await db.schema.createIndex("epoch_inputs_epoch").on("epoch_inputs")
          .columns(["epoch", "id"]).execute();
        await db.schema.createTable("epoch_documents")
          .addColumn("epoch", "bigint", (c) => c.primaryKey())
          .addColumn("hash", key, (c) => c.notNull())
          .addColumn("encoded", sql.raw(blob), (c) => c.notNull())
          .execute();
        await db.schema.createTable("state_snapshots")
          .addColumn("epoch", "bigint", (c) => c.primaryKey())
          .addColumn("hash", key, (c) => c.notNull())
          .addColumn("encoded", sql.raw(blob), (c) => c.notNull())
          .execute();
        await db.schema.createTable("witness_decisions")
          .addColumn("epoch", "bigint", (c) => c.primaryKey())
          .addColumn("checkpoint_hash", "text", (c) => c.notNull())
          .addColumn("checkpoint", sql.raw(blob), (c) => c.notNull())
          .addColumn("cosigned_at", "bigint", (c) => c.notNull())
          .addColumn("signature", sql.raw(blob), (c) => c.notNull())
          .execute();
        await db.schema.createTable("witness_proofs")
          .addColumn("id", id, serial)
          .addColumn("epoch", "bigint", (c) => c.notNull())
          .addColumn("role", "text", (c) => c.notNull())
          .addColumn("signer", key, (c) => c.notNull())
          .addColumn("proof", "text", (c) => c.notNull())
          .addColumn("found_at", "bigint", (c) => c.notNull())
          .execute();
      },
    },
  };
}

/**
 * Bring a database's schema up to date. Throws, leaving the database as the
 * last successful migration left it, if a migration fails.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openSqlite } from "./sqlite.ts";
 * const db = openSqlite(":memory:");
 * const applied = await migrateToLatest(db, "sqlite");
 * assert.equal(applied[0], "2026-11-24T20-30_initial");
 * assert.equal(applied.at(-1), "2026-12-02T10-00_witnesses");
 * assert.deepEqual(await migrateToLatest(db, "sqlite"), []);
 * await db.destroy();
 * ```
 */
export async function migrateToLatest(
  // deno-lint-ignore no-explicit-any
  db: Kysely<any>,
  dialect: Dialect,
  options: {
    /**
     * PostgreSQL: the schema of the migration bookkeeping tables (the
     * session's `current_schema()`; Kysely would otherwise take another
     * schema's tables for its own).
     */
    schema?: string;
  } = {},
): Promise<string[]> {
  const provider: MigrationProvider = {
    getMigrations: () => Promise.resolve(migrations(dialect)),
  };
  const { error, results } = await new Migrator({
    db,
    provider,
    ...(options.schema === undefined
      ? {}
      : { migrationTableSchema: options.schema }),
  }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error");
    throw new Error(
      `database migration ${failed?.migrationName ?? ""} failed: ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    );
  }
  return (results ?? []).map((r) => r.migrationName);
}

/**
 * Bring a new SQLite database's schema up to the migration `name` and no
 * further: a database as an older version left it (the restore tests make
 * backups of an older schema with it).
 */
export async function migrateSqliteTo(
  // deno-lint-ignore no-explicit-any
  db: Kysely<any>,
  name: string,
): Promise<string[]> {
  const provider: MigrationProvider = {
    getMigrations: () => Promise.resolve(migrations("sqlite")),
  };
  const { error, results } = await new Migrator({ db, provider })
    .migrateTo(name);
  if (error) throw error;
  return (results ?? []).map((r) => r.migrationName);
}
