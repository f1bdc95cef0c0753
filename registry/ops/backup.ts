/**
 * `deno task backup --out FILE [--data-dir DIR]`: an online, consistent
 * backup of the registry's SQLite database.
 *
 * While the registry runs, its database is locked to every other process,
 * so the backup asks the registry itself through its admin socket
 * (`<data-dir>/admin.sock`, see `http/admin.ts`): it copies the database
 * between two writes and streams the copy back. When no
 * registry runs on the directory (no socket, or one left by a killed
 * process), the file is copied directly the same way. Either way the copy
 * is written to `FILE.partial`, checked (integrity, network, schema),
 * flushed to disk and only then renamed to `FILE` (mode 0600).
 *
 * The registry key (`registry-key.json`) and its passphrase are not in the
 * backup: back them up once, separately (they do not change).
 *
 * Exit status: 0 done, 1 failed, 2 bad usage.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ADMIN_SOCKET } from "../http/admin.ts";
import { backupFile, type BackupInfo, inspectBackup } from "../store/backup.ts";
import { DB_FILE_NAME, formatBytes, UsageError } from "./common.ts";

const USAGE = `Usage: deno task backup --out FILE [--data-dir DIR]

Writes a consistent copy of the registry's database (SQLite) to FILE, while
the registry runs (through <data-dir>/admin.sock) or not. FILE must not exist.

  --out FILE       where to write the backup
  --data-dir DIR   the registry's data directory (default: REGISTRY_DATA_DIR or ./data)
  -h, --help       show this text

The registry key (registry-key.json) and its passphrase are not included:
back them up separately. PostgreSQL: use pg_dump (registry/README.md).
`;

/** How the copy was made. */
export interface BackupResult {
  /** The backup file. */
  path: string;
  /** What it holds. */
  info: BackupInfo;
  /** `online`: by the running registry; `offline`: from the file. */
  mode: "online" | "offline";
  /** Online: how long the registry's writes waited for the copy, ms. */
  pausedMs: number | null;
}

/**
 * Back up the database of `dataDir` to `out` (see the module doc).
 */
export async function backup(
  dataDir: string,
  out: string,
): Promise<BackupResult> {
  if (await exists(out)) {
    throw new Error(
      `${out} exists: choose a new file (backups are never overwritten)`,
    );
  }
  const partial = `${out}.partial`;
  await Deno.remove(partial).catch(() => {});
  const socket = `${dataDir}/${ADMIN_SOCKET}`;
  let mode: BackupResult["mode"] = "offline";
  let pausedMs: number | null = null;
  try {
    if (await exists(socket)) {
      pausedMs = await fetchBackup(socket, partial);
      if (pausedMs !== null) mode = "online";
    }
    if (mode === "offline") {
      const db = `${dataDir}/${DB_FILE_NAME}`;
      if (!(await exists(db))) {
        throw new Error(`no database at ${db} (is --data-dir right?)`);
      }
      try {
        await backupFile(db, partial);
      } catch (e) {
        const message = (e as Error).message;
        throw new Error(
          /locked|busy/i.test(message)
            ? `${db} is in use by a registry whose admin socket ${socket} does not answer; is it an older version? (stop it, or upgrade it)`
            : `cannot copy ${db}: ${message}`,
          { cause: e },
        );
      }
    }
    const info = await inspectBackup(partial);
    if (info.integrity.join() !== "ok") {
      throw new Error(
        `the copy fails SQLite's integrity check: ${
          info.integrity.slice(0, 5).join("; ")
        }`,
      );
    }
    if (info.network === undefined) {
      throw new Error(
        "the database was never initialised (no network recorded)",
      );
    }
    await Deno.chmod(partial, 0o600);
    const f = await Deno.open(partial, { read: true, write: true });
    try {
      await f.sync();
    } finally {
      f.close();
    }
    await Deno.rename(partial, out);
    await syncDir(out);
    return { path: out, info, mode, pausedMs };
  } catch (e) {
    await Deno.remove(partial).catch(() => {});
    throw e;
  }
}

/**
 * Ask the registry on `socket` for a backup and write it to `path`. Returns
 * how long its writes paused, or null when nothing answers on the socket
 * (left by a registry that was killed).
 */
async function fetchBackup(
  socket: string,
  path: string,
): Promise<number | null> {
  const client = Deno.createHttpClient({
    proxy: { transport: "unix", path: socket },
  });
  try {
    let res: Response;
    try {
      res = await fetch("http://registry/v1/backup", {
        method: "POST",
        client,
      });
    } catch (e) {
      const cause = (e as Error & { cause?: Error }).cause?.message ?? "";
      if (
        /refused|not found|No such file/i.test(
          `${(e as Error).message} ${cause}`,
        )
      ) {
        return null;
      }
      throw new Error(
        `the registry's admin socket ${socket}: ${
          (e as Error).message
        } ${cause}`,
        { cause: e },
      );
    }
    if (!res.ok) {
      const text = await res.text();
      throw new Error(
        `the registry refused the backup (HTTP ${res.status}): ${text}`,
      );
    }
    const file = await Deno.open(path, {
      write: true,
      createNew: true,
      mode: 0o600,
    });
    await res.body!.pipeTo(file.writable);
    const expected = Number(res.headers.get("content-length"));
    const got = (await Deno.stat(path)).size;
    if (Number.isFinite(expected) && got !== expected) {
      throw new Error(
        `the backup stream ended early (${got} of ${expected} bytes)`,
      );
    }
    return Number(res.headers.get("x-backup-paused-ms") ?? 0);
  } finally {
    client.close();
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

/** fsync the directory holding `path`, so the rename survives a crash. */
async function syncDir(path: string): Promise<void> {
  const dir = path.includes("/")
    ? path.slice(0, path.lastIndexOf("/")) || "/"
    : ".";
  try {
    const d = await Deno.open(dir, { read: true });
    try {
      await d.sync();
    } finally {
      d.close();
    }
  } catch {
    // Not every platform lets a directory be opened; the data is synced.
  }
}

/** Run the command. Returns the exit status. */
export async function main(
  args: string[],
  env: (name: string) => string | undefined,
): Promise<number> {
  let out: string;
  let dataDir: string;
  try {
    const { values } = parseArgs({
      args,
      options: {
        out: { type: "string" },
        "data-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      console.log(USAGE.trimEnd());
      return 0;
    }
    if (!values.out) throw new UsageError("--out FILE is required");
    out = values.out;
    dataDir = values["data-dir"] || env("REGISTRY_DATA_DIR") || "./data";
  } catch (e) {
    console.error(`error: ${(e as Error).message.split("\n")[0]} (see --help)`);
    return 2;
  }
  try {
    const r = await backup(dataDir, out);
    const i = r.info;
    console.log(`backup: wrote ${r.path} (${formatBytes(i.bytes)})`);
    console.log(
      `  network ${i.network}, epoch ${i.epoch}, latest list ${i.latestListEpoch}, last event ${i.lastEventId}`,
    );
    console.log(
      `  schema ${
        i.migrations.at(-1) ?? "none"
      } (${i.migrations.length} migrations)`,
    );
    console.log(
      r.mode === "online"
        ? `  taken by the running registry (${dataDir}/${ADMIN_SOCKET}); its writes waited ${r.pausedMs} ms`
        : `  copied from ${dataDir}/${DB_FILE_NAME} (no registry running on it)`,
    );
    return 0;
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args, (k) => Deno.env.get(k)));
}
