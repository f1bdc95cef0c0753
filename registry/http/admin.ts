/**
 * The admin socket: a Unix socket in the data directory (`admin.sock`, mode
 * 0600) through which the registry's own operator - whoever may open the
 * data directory, i.e. the registry's user or root - asks the running
 * registry for what only it can do. Nothing on it is reachable over the
 * network, so it needs no token: the file's permissions are the guard.
 *
 * `POST /v1/backup`: the registry copies its database with SQLite's backup
 * API (a consistent snapshot; writes wait while it runs) into a temporary file
 * in the data directory, streams it as the response and deletes it. Headers
 * say how long writes waited (`x-backup-paused-ms`). `deno task backup` is
 * the client.
 *
 * @module
 */

import type { Store } from "../store/store.ts";

/** File name of the admin socket in the data directory. */
export const ADMIN_SOCKET = "admin.sock";

/** Temporary backup files in the data directory. */
const PARTIAL = /^backup-[0-9a-f-]+\.partial$/;

/** Options of {@linkcode serveAdmin}. */
export interface AdminOptions {
  /** The data directory: the socket and temporary copies go there. */
  dataDir: string;
  /** The store to back up. */
  store: Store;
  /** Where to log what it does. */
  log: {
    info(msg: string, fields?: Record<string, unknown>): void;
    error(msg: string, fields?: Record<string, unknown>): void;
  };
}

/** A running admin socket. */
export interface AdminServer {
  /** The socket's path. */
  readonly path: string;
  /** Stop serving and remove the socket. */
  close(): Promise<void>;
}

/**
 * Listen on `<dataDir>/admin.sock`. A socket left by a registry that was
 * killed is replaced, as are its temporary copies (the caller holds the
 * database's exclusive lock, so no other registry uses this directory).
 */
export async function serveAdmin(options: AdminOptions): Promise<AdminServer> {
  const { dataDir, store, log } = options;
  const path = `${dataDir}/${ADMIN_SOCKET}`;
  try {
    const st = await Deno.lstat(path);
    if (!st.isSocket) {
      throw new Error(
        `${path} exists and is not a socket: remove it (the registry's admin socket goes there)`,
      );
    }
    await Deno.remove(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  for await (const e of Deno.readDir(dataDir)) {
    if (e.isFile && PARTIAL.test(e.name)) {
      await Deno.remove(`${dataDir}/${e.name}`).catch(() => {});
    }
  }

  // One backup at a time: each holds the database while it copies.
  let queue: Promise<unknown> = Promise.resolve();
  const backup = async (): Promise<Response> => {
    const tmp = `${dataDir}/backup-${crypto.randomUUID()}.partial`;
    const started = performance.now();
    try {
      await store.read.maintenance.backupTo(tmp);
    } catch (e) {
      await Deno.remove(tmp).catch(() => {});
      throw e;
    }
    const pausedMs = Math.round(performance.now() - started);
    const file = await Deno.open(tmp, { read: true });
    const { size } = await file.stat();
    log.info("backup taken", { bytes: size, pausedMs });
    let removed = false;
    const cleanup = () => {
      if (removed) return;
      removed = true;
      Deno.remove(tmp).catch(() => {});
    };
    // The copy is deleted once sent (or once the client goes away).
    const body = file.readable.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        flush: cleanup,
        cancel: cleanup,
      }),
    );
    return new Response(body, {
      headers: {
        "content-type": "application/vnd.sqlite3",
        "content-length": String(size),
        "x-backup-paused-ms": String(pausedMs),
      },
    });
  };

  const ac = new AbortController();
  const server = Deno.serve({
    path,
    signal: ac.signal,
    onListen: () => {},
    onError: (e) => {
      log.error("admin request failed", { error: e });
      return Response.json({ error: String((e as Error).message ?? e) }, {
        status: 500,
      });
    },
  }, (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/v1/backup") {
      if (req.method !== "POST") {
        return Response.json({ error: "POST /v1/backup" }, {
          status: 405,
          headers: { allow: "POST" },
        });
      }
      const run = queue.then(backup, backup);
      queue = run.catch(() => {});
      return run;
    }
    return Response.json({ error: `no route ${req.method} ${url.pathname}` }, {
      status: 404,
    });
  });
  await Deno.chmod(path, 0o600);
  return {
    path,
    async close() {
      ac.abort();
      // A backup still being sent gets a few seconds, not forever.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        server.finished,
        new Promise((r) => timer = setTimeout(r, 5000)),
      ]);
      clearTimeout(timer);
      await Deno.remove(path).catch(() => {});
    },
  };
}
