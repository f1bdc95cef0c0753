/**
 * `deno task restore --from FILE --data-dir DIR --network NAME [--migrate]
 * [--replace]`: put a backup (from `deno task backup`) back as the
 * registry's database.
 *
 * It refuses, changing nothing,
 * - a file that is not a sound registry database (SQLite's integrity check);
 * - a backup of another network than `--network`;
 * - a backup with a newer schema than this version knows (restore it with
 *   the version that wrote it);
 * - a backup with an older schema, unless `--migrate`: then this version's
 *   migrations are applied to the restored copy (older versions cannot open
 *   it afterwards);
 * - a data directory that already has a database, unless `--replace`: then
 *   the old files are renamed `registry.db.replaced-<time>` (never deleted);
 *   never while a registry runs on it.
 *
 * The copy is written beside the database, checked, flushed and renamed
 * into place, so a failed restore leaves the directory as it was. Start the
 * registry on the directory afterwards; it needs the registry key
 * (`registry-key.json`) of the backed-up registry in the directory.
 *
 * Exit status: 0 restored, 1 refused or failed, 2 bad usage.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { PRESETS } from "../core/params.ts";
import {
  type BackupInfo,
  databaseInUse,
  inspectBackup,
  migrateFile,
} from "../store/backup.ts";
import { DB_FILE_NAME, formatBytes, UsageError } from "./common.ts";

const USAGE =
  `Usage: deno task restore --from FILE --data-dir DIR --network NAME [--migrate] [--replace]

Restores a backup (deno task backup) as DIR's database. The registry must
not be running on DIR.

  --from FILE      the backup
  --data-dir DIR   the registry's data directory (created if missing)
  --network NAME   mainnet, testnet or devnet: a backup of another network is refused
  --migrate        bring a backup of an older schema up to this version's
  --replace        set DIR's current database aside (renamed registry.db.replaced-<time>)
  -h, --help       show this text

The registry key (registry-key.json) is not in a backup: copy the backed-up
registry's key file into DIR before starting it.
`;

/** What a restore did. */
export interface RestoreResult {
  /** The backup as read. */
  info: BackupInfo;
  /** Migrations applied to the restored copy. */
  migrated: string[];
  /** Where the database that was there went, if one was. */
  replaced: string | null;
  /** Whether the data directory has a registry key. */
  hasKey: boolean;
}

/** A restore refused for a reason the operator must act on. */
export class RestoreRefused extends Error {}

/** Options of {@linkcode restore}. */
export interface RestoreOptions {
  from: string;
  dataDir: string;
  network: string;
  migrate?: boolean;
  replace?: boolean;
  /** Clock for the `replaced-` suffix; default `Date.now`. */
  now?: () => number;
}

/** Restore (see the module doc). */
export async function restore(options: RestoreOptions): Promise<RestoreResult> {
  const { from, dataDir, network } = options;
  let info: BackupInfo;
  try {
    info = await inspectBackup(from);
  } catch (e) {
    throw new RestoreRefused(`cannot read ${from}: ${(e as Error).message}`);
  }
  if (info.integrity.join() !== "ok") {
    throw new RestoreRefused(
      `${from} fails SQLite's integrity check (${
        info.integrity.slice(0, 3).join("; ")
      }): not restoring it`,
    );
  }
  if (info.network !== network) {
    throw new RestoreRefused(
      `${from} is a backup of the ${
        info.network ?? "uninitialised"
      } registry, not ${network}: not restoring it`,
    );
  }
  if (info.unknownMigrations.length > 0) {
    throw new RestoreRefused(
      `${from} has a newer schema than this version (${
        info.unknownMigrations.join(", ")
      }): restore it with the registry version that wrote it, or a later one`,
    );
  }
  if (info.missingMigrations.length > 0 && !options.migrate) {
    throw new RestoreRefused(
      `${from} has an older schema (it lacks ${
        info.missingMigrations.join(", ")
      }): pass --migrate to bring it up to this version's as it is restored (older versions cannot open it afterwards)`,
    );
  }

  await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
  const st = await Deno.stat(dataDir);
  if (st.mode !== null && (st.mode & 0o022) !== 0) {
    throw new RestoreRefused(
      `the data directory ${dataDir} is writable by other users (mode 0${
        (st.mode & 0o777).toString(8)
      }): run chmod 700 ${dataDir}`,
    );
  }
  const target = `${dataDir}/${DB_FILE_NAME}`;
  let replaced: string | null = null;
  if (await exists(target)) {
    if (databaseInUse(target)) {
      throw new RestoreRefused(
        `a registry is running on ${dataDir}: stop it first`,
      );
    }
    if (!options.replace) {
      throw new RestoreRefused(
        `${dataDir} already has a database: pass --replace to set it aside (it is renamed, not deleted)`,
      );
    }
  }

  const restoring = `${target}.restoring`;
  await Deno.remove(restoring).catch(() => {});
  try {
    await Deno.copyFile(from, restoring);
    await Deno.chmod(restoring, 0o600);
    const migrated = options.migrate ? await migrateFile(restoring) : [];
    const after = await inspectBackup(restoring);
    if (after.integrity.join() !== "ok" || after.missingMigrations.length > 0) {
      throw new Error(
        `the restored copy does not check out: ${after.integrity.join("; ")}`,
      );
    }
    const f = await Deno.open(restoring, { read: true, write: true });
    try {
      await f.sync();
    } finally {
      f.close();
    }
    if (await exists(target)) {
      const stamp = new Date((options.now ?? Date.now)()).toISOString()
        .replace(/[:.]/g, "-");
      replaced = `${target}.replaced-${stamp}`;
      for (const suffix of ["", "-wal", "-shm"]) {
        if (await exists(target + suffix)) {
          await Deno.rename(target + suffix, replaced + suffix);
        }
      }
    }
    await Deno.rename(restoring, target);
    await syncDir(dataDir);
    return {
      info,
      migrated,
      replaced,
      hasKey: await exists(`${dataDir}/registry-key.json`),
    };
  } finally {
    for (const suffix of ["", "-wal", "-shm", "-journal"]) {
      await Deno.remove(restoring + suffix).catch(() => {});
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

async function syncDir(dir: string): Promise<void> {
  try {
    const d = await Deno.open(dir, { read: true });
    try {
      await d.sync();
    } finally {
      d.close();
    }
  } catch {
    // Not every platform lets a directory be opened.
  }
}

/** Run the command. Returns the exit status. */
export async function main(args: string[]): Promise<number> {
  let options: RestoreOptions;
  try {
    const { values } = parseArgs({
      args,
      options: {
        from: { type: "string" },
        "data-dir": { type: "string" },
        network: { type: "string" },
        migrate: { type: "boolean" },
        replace: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      console.log(USAGE.trimEnd());
      return 0;
    }
    for (const k of ["from", "data-dir", "network"] as const) {
      if (!values[k]) throw new UsageError(`--${k} is required`);
    }
    if (!Object.hasOwn(PRESETS, values.network!)) {
      throw new UsageError(
        `--network: unknown network "${values.network}" (expected mainnet, testnet or devnet)`,
      );
    }
    options = {
      from: values.from!,
      dataDir: values["data-dir"]!,
      network: values.network!,
      migrate: values.migrate ?? false,
      replace: values.replace ?? false,
    };
  } catch (e) {
    console.error(`error: ${(e as Error).message.split("\n")[0]} (see --help)`);
    return 2;
  }
  try {
    const r = await restore(options);
    const i = r.info;
    console.log(
      `restore: ${options.from} is now ${options.dataDir}/${DB_FILE_NAME} (${
        formatBytes(i.bytes)
      })`,
    );
    console.log(
      `  network ${i.network}, epoch ${i.epoch}, latest list ${i.latestListEpoch}, last event ${i.lastEventId}`,
    );
    if (r.migrated.length > 0) {
      console.log(`  migrated: ${r.migrated.join(", ")}`);
    }
    if (r.replaced) console.log(`  the previous database is now ${r.replaced}`);
    if (!r.hasKey) {
      console.log(
        `  note: ${options.dataDir} has no registry-key.json: copy the backed-up registry's key file there before starting it (mainnet and testnet refuse to start without it)`,
      );
    }
    return 0;
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
