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

/** The SQL dialect, where the two differ (identity columns, binary type). */
export type Dialect = "sqlite" | "postgres";

function migrations(dialect: Dialect): Record<string, Migration> {
  // deno-lint-ignore no-explicit-any
  type Db = Kysely<any>;
  const id = dialect === "sqlite" ? "integer" : "bigserial";
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
          .addColumn("id", id, (c) => c.primaryKey().autoIncrement())
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
          .addColumn("id", id, (c) => c.primaryKey().autoIncrement())
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
          .addColumn("id", id, (c) => c.primaryKey().autoIncrement())
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
          .addColumn("id", id, (c) => c.primaryKey().autoIncrement())
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
        await db.schema.createIndex("event_wallets_event").on("event_wallets")
          .column("event_id").execute();
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
 * assert.deepEqual(await migrateToLatest(db, "sqlite"), []);
 * await db.destroy();
 * ```
 */
export async function migrateToLatest(
  // deno-lint-ignore no-explicit-any
  db: Kysely<any>,
  dialect: Dialect,
): Promise<string[]> {
  const provider: MigrationProvider = {
    getMigrations: () => Promise.resolve(migrations(dialect)),
  };
  const { error, results } = await new Migrator({ db, provider })
    .migrateToLatest();
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
