import assert from "node:assert/strict";
import { sql } from "kysely";
import { restore, RestoreRefused } from "../ops/restore.ts";
import {
  backupFile,
  databaseInUse,
  inspectBackup,
  knownMigrations,
} from "./backup.ts";
import { migrateSqliteTo } from "./migrations.ts";
import { openSqlite } from "./sqlite.ts";
import { openSqliteStore } from "./store.ts";

/** A registry database file of `network`, optionally made older or newer. */
async function database(
  path: string,
  network: string,
  schema: "current" | "older" | "newer" = "current",
): Promise<void> {
  if (schema === "older") {
    // As the previous version left it: every migration but the last.
    const db = openSqlite(path);
    try {
      await migrateSqliteTo(db, (await knownMigrations()).at(-2)!);
      await sql`INSERT INTO meta (key, value) VALUES ('network', ${network}),
        ('epoch', '0')`.execute(db);
    } finally {
      await db.destroy();
    }
    return;
  }
  const store = await openSqliteStore(path);
  await store.transaction((tx) => tx.meta.initialise(network));
  await store.close();
  if (schema === "newer") {
    const db = openSqlite(path);
    try {
      await sql`INSERT INTO kysely_migration (name, timestamp)
        VALUES ('2099-01-01T00-00_from_the_future', '2099-01-01T00:00:00.000Z')`
        .execute(db);
    } finally {
      await db.destroy();
    }
  }
}

Deno.test("backup files: inspection reads network, schema and integrity without changing the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await database(`${dir}/live.db`, "testnet");
    await backupFile(`${dir}/live.db`, `${dir}/copy.db`);
    const before = await Deno.readFile(`${dir}/copy.db`);
    const info = await inspectBackup(`${dir}/copy.db`);
    assert.deepEqual(info.integrity, ["ok"]);
    assert.equal(info.network, "testnet");
    assert.deepEqual(info.migrations, await knownMigrations());
    assert.deepEqual(info.missingMigrations, []);
    assert.deepEqual(info.unknownMigrations, []);
    assert.deepEqual(await Deno.readFile(`${dir}/copy.db`), before);
    // One self-contained file: reading it left nothing beside it.
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assert.deepEqual(names.filter((n) => n.startsWith("copy")), ["copy.db"]);
    await Deno.writeTextFile(`${dir}/junk.db`, "not a database at all, no");
    await assert.rejects(inspectBackup(`${dir}/junk.db`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("restore refuses a newer schema always and an older one without --migrate; --migrate brings it up to date", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await database(`${dir}/older.db`, "devnet", "older");
    await database(`${dir}/newer.db`, "devnet", "newer");
    const last = (await knownMigrations()).at(-1)!;
    assert.deepEqual(
      (await inspectBackup(`${dir}/older.db`)).missingMigrations,
      [last],
    );

    await assert.rejects(
      restore({
        from: `${dir}/older.db`,
        dataDir: `${dir}/a`,
        network: "devnet",
      }),
      (e) =>
        e instanceof RestoreRefused &&
        e.message.includes(
          `has an older schema (it lacks ${last}): pass --migrate`,
        ),
    );
    await assert.rejects(Deno.stat(`${dir}/a/registry.db`));
    await assert.rejects(
      restore({
        from: `${dir}/newer.db`,
        dataDir: `${dir}/b`,
        network: "devnet",
        migrate: true,
      }),
      (e) =>
        e instanceof RestoreRefused &&
        /has a newer schema than this version \(2099-01-01T00-00_from_the_future\)/
          .test(e.message),
    );

    const r = await restore({
      from: `${dir}/older.db`,
      dataDir: `${dir}/a`,
      network: "devnet",
      migrate: true,
    });
    assert.deepEqual(r.migrated, [last]);
    const after = await inspectBackup(`${dir}/a/registry.db`);
    assert.deepEqual(after.missingMigrations, []);
    assert.deepEqual(after.integrity, ["ok"]);
    // The backup itself is untouched.
    assert.deepEqual(
      (await inspectBackup(`${dir}/older.db`)).missingMigrations,
      [last],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("restore --replace sets the current database aside, never while a registry holds it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await database(`${dir}/backup.db`, "devnet");
    await Deno.mkdir(`${dir}/data`, { mode: 0o700 });
    await database(`${dir}/data/registry.db`, "devnet");
    const held = await openSqliteStore(`${dir}/data/registry.db`, {
      exclusive: true,
    });
    // A write takes the exclusive lock, as a registry's first write does.
    await held.transaction((tx) => tx.meta.setEpoch(0));
    try {
      assert(databaseInUse(`${dir}/data/registry.db`));
      await assert.rejects(
        restore({
          from: `${dir}/backup.db`,
          dataDir: `${dir}/data`,
          network: "devnet",
          replace: true,
        }),
        /a registry is running on .*: stop it first/,
      );
    } finally {
      await held.close();
    }
    assert(!databaseInUse(`${dir}/data/registry.db`));
    const r = await restore({
      from: `${dir}/backup.db`,
      dataDir: `${dir}/data`,
      network: "devnet",
      replace: true,
      now: () => Date.UTC(2026, 10, 30, 12, 0, 0),
    });
    assert.equal(
      r.replaced,
      `${dir}/data/registry.db.replaced-2026-11-30T12-00-00-000Z`,
    );
    assert.equal(
      (await inspectBackup(r.replaced!)).network,
      "devnet",
      "the old database is kept, intact",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
