/**
 * The registry service's entry point (`deno task start`): reads the
 * configuration, opens (and migrates) the database - SQLite in the data
 * directory, or the PostgreSQL server `--database-url` names - decrypts - or
 * on the first run generates - the registry signing key, serves the HTTP
 * API, closes an epoch every `epochSeconds` by the wall clock and tests node
 * reachability each epoch (on a shared PostgreSQL database, only while it
 * holds the leader lease: `runtime/cluster.ts`), and shuts down cleanly on
 * SIGINT/SIGTERM (a second signal exits at once).
 *
 * Exit status: 0 after a clean shutdown, 1 on a runtime failure, 2 on a bad
 * flag or value. See registry/README.md.
 *
 * @module
 */

import { bytesEqual, toHex } from "./core/bytes.ts";
import { formatCoins } from "./core/params.ts";
import { type AdminServer, serveAdmin } from "./http/admin.ts";
import { createApp, fastPathOf } from "./http/app.ts";
import { formatRate } from "./http/rate_limit.ts";
import { serveDeno } from "./http/deno_server.ts";
import { type HttpServer, serveHttp } from "./http/server.ts";
import { type GenesisAllocation, Registry } from "./registry.ts";
import {
  type Config,
  ConfigError,
  type Env,
  parseConfig,
} from "./runtime/config.ts";
import { loadGenesis } from "./runtime/genesis.ts";
import { Cluster } from "./runtime/cluster.ts";
import { Logger } from "./runtime/log.ts";
import {
  certificateFields,
  type CertificateInfo,
  loadTlsFiles,
  reloadOnSighup,
  TlsError,
  type TlsFiles,
} from "./runtime/tls.ts";
import {
  exists,
  joinPath,
  KEY_FILE,
  loadOrCreateSigningKey,
  prepareDataDir,
  refuseIfWritableByOthers,
  resolvePassphrase,
  SigningKeyError,
} from "./runtime/signing_key.ts";
import {
  openPostgresStore,
  openSqliteStore,
  redactUrl,
  type Store,
} from "./store/store.ts";
import meta from "./deno.json" with { type: "json" };

/** File name of the database in the data directory. */
export const DB_FILE = "registry.db";
/** The next signing key's keystore, while a rotation is in progress. */
export const NEXT_KEY_FILE = "registry-key.next.json";
/** How long shutdown waits for open HTTP connections (event streams) to finish. */
export const SHUTDOWN_GRACE_MS = 5000;

/** The service version (registry/deno.json). */
export const VERSION: string = meta.version;

const encoder = new TextEncoder();

function stderr(line: string): void {
  try {
    Deno.stderr.writeSync(encoder.encode(line + "\n"));
  } catch {
    // Nothing more we can do.
  }
}

/** A start-up failure: printed as `error: <message>`, exit status 1. */
class StartupError extends Error {}

function dbError(path: string, e: unknown, shared = false): string {
  const message = e instanceof Error ? e.message : String(e);
  return `cannot open the database ${path}: ${message}${
    !shared && /locked|busy/i.test(message)
      ? " (is another registry running on this data directory?)"
      : ""
  }`;
}

/**
 * Run the service until it is told to stop. Returns the exit status.
 *
 * @param args command-line arguments (without the program).
 * @param env environment lookup.
 */
export async function main(args: string[], env: Env): Promise<number> {
  let config: Config;
  try {
    const command = parseConfig(args, env, VERSION);
    if (command.kind === "help" || command.kind === "version") {
      console.log(command.text.trimEnd());
      return 0;
    }
    config = command.config;
  } catch (e) {
    if (e instanceof ConfigError) {
      stderr(`error: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const log = new Logger({ format: config.logFormat, level: config.logLevel });
  try {
    return await run(config, log);
  } catch (e) {
    if (e instanceof ConfigError) {
      log.error("bad configuration", { error: e.message });
      stderr(`error: ${e.message}`);
      return 2;
    }
    const message = e instanceof Error ? e.message : String(e);
    const startup = e instanceof StartupError ||
      e instanceof SigningKeyError || e instanceof TlsError;
    log.error(startup ? "start-up failed" : "fatal error", { error: message });
    stderr(`error: ${message}`);
    return 1;
  }
}

async function run(config: Config, log: Logger): Promise<number> {
  const { params } = config;
  log.info("starting", {
    version: VERSION,
    network: params.name,
    dataDir: config.dataDir,
    epochSeconds: params.epochSeconds,
  });
  const genesis: GenesisAllocation[] = config.genesisFile
    ? await loadGenesis(config.genesisFile)
    : [];
  // Read (and checked) before anything is created: a bad file stops the start.
  const tls: TlsFiles | null = config.tls
    ? await loadTlsFiles(config.tls.certFile, config.tls.keyFile)
    : null;
  let certificate: CertificateInfo | null = tls?.info ?? null;
  // Created 0700 if missing; refused if others may write it.
  await prepareDataDir(config.dataDir, log);
  // SQLite: the file in the data directory, opened once the key is there
  // (a start that fails on the key leaves no database behind). PostgreSQL:
  // the server says whether the database is new, so it is opened first.
  const shared = config.databaseUrl !== null;
  const dbPath = config.databaseUrl === null
    ? joinPath(config.dataDir, DB_FILE)
    : redactUrl(config.databaseUrl);
  let store: Store | null = null;
  let dbIsNew: boolean;
  if (config.databaseUrl === null) {
    dbIsNew = !(await exists(dbPath));
    for (const f of ["", "-wal", "-shm"]) {
      if (await exists(dbPath + f)) {
        await refuseIfWritableByOthers(dbPath + f, "the database file");
      }
    }
  } else {
    try {
      store = await openPostgresStore(config.databaseUrl);
      dbIsNew = (await store.read.meta.network()) === undefined;
    } catch (e) {
      await store?.close().catch(() => {});
      throw new StartupError(dbError(dbPath, e, true));
    }
  }
  const closeStore = () => store?.close().catch(() => {});

  let key: Awaited<ReturnType<typeof loadOrCreateSigningKey>>;
  let passphrase: string;
  try {
    passphrase = await resolvePassphrase(
      config.passphrase,
      config.dataDir,
      log,
    );
    key = await loadOrCreateSigningKey({
      dataDir: config.dataDir,
      passphrase,
      // A database whose lists clients already pin must not get a new key
      // silently; devnet is disposable.
      create: dbIsNew || params.name === "devnet",
      refuseReason: shared
        ? `the database ${dbPath} exists, so its lists were signed with a key clients pin; copy the key file (and its passphrase) from another registry process of this database`
        : `${dbPath} exists, so its lists were signed with a key clients pin; restore the key file (or start a new data directory)`,
      description: `snode-registry ${params.name} signing key`,
      log,
    });
  } catch (e) {
    await closeStore();
    throw e;
  }
  if (key.created) {
    log.info("generated the registry signing key", {
      path: key.path,
      registryKey: toHex(key.publicKey),
    });
    if (!dbIsNew) {
      log.warn(
        "the database already existed: lists from now on are signed with a new key",
        { registryKey: toHex(key.publicKey) },
      );
    }
  }
  // A key rotation: the next key, generated when asked for, or found from a
  // rotation a restart interrupted.
  const nextPath = joinPath(config.dataDir, NEXT_KEY_FILE);
  let next: Awaited<ReturnType<typeof loadOrCreateSigningKey>> | undefined;
  try {
    next = config.rotateKey || await exists(nextPath)
      ? await loadOrCreateSigningKey({
        dataDir: config.dataDir,
        passphrase,
        file: NEXT_KEY_FILE,
        create: config.rotateKey,
        description: `snode-registry ${params.name} signing key (next)`,
        log,
      })
      : undefined;
  } catch (e) {
    await closeStore();
    throw e;
  }
  if (next?.created) {
    log.info("generated the next registry signing key", {
      path: next.path,
      registryKey: toHex(next.publicKey),
    });
  }

  if (store === null) {
    try {
      store = await openSqliteStore(dbPath, { exclusive: true });
    } catch (e) {
      throw new StartupError(dbError(dbPath, e));
    }
  }
  let registry: Registry;
  try {
    registry = await Registry.open({
      store,
      params,
      signingKeys: [key.secretKey],
      clock: Date.now,
      genesis,
      faucetLimit: config.faucetLimit,
      minimumNodeVersion: config.minimumNodeVersion,
      witnesses: config.witnesses,
      ...(next ? { nextKey: next.secretKey } : {}),
      listRetention: config.retention.lists,
      listSnapshotEvery: config.retention.listSnapshotEvery,
      eventRetention: config.retention.eventEpochs,
      reachabilityEvidence: config.retention.reachabilityEvidence,
    });
  } catch (e) {
    await store.close().catch(() => {});
    throw new StartupError(dbError(dbPath, e, shared));
  }
  // Once a list has announced the new key and it signs, the key files move:
  // registry-key.json is the new key, the old one is kept, retired.
  const finishRotation = async (epoch: number) => {
    const retired = joinPath(
      config.dataDir,
      `registry-key.retired-${epoch}.json`,
    );
    await Deno.rename(joinPath(config.dataDir, KEY_FILE), retired);
    await Deno.rename(nextPath, joinPath(config.dataDir, KEY_FILE));
    log.info("rotated the registry signing key", {
      epoch,
      registryKey: toHex(registry.publicKeys[0]!),
      retired,
    });
  };
  registry.onKeyRotated((r) => {
    finishRotation(r.epoch).catch((e) =>
      log.error("cannot move the registry key files after a rotation", {
        error: e,
      })
    );
  });
  if (next !== undefined) {
    if (bytesEqual(registry.publicKeys[0]!, next.publicKey)) {
      const last = (await store.read.epochs.rotations()).at(-1);
      await finishRotation(last?.epoch ?? registry.epoch);
    } else if (registry.pendingKey === undefined) {
      if (config.rotateKey) {
        await registry.rotateKey(next.secretKey);
        log.info("announcing a new registry signing key in the next list", {
          registryKey: toHex(key.publicKey),
          nextKey: toHex(next.publicKey),
        });
      } else {
        log.warn(
          `${NEXT_KEY_FILE} exists but no key rotation is in progress: start with --rotate-key on to move to it, or remove it`,
          { path: nextPath },
        );
      }
    }
  }
  // Of several processes starting on a new shared database, the first to
  // initialise it created it.
  if (shared ? registry.created : dbIsNew) {
    log.info("created the database", {
      path: dbPath,
      genesisAllocations: genesis.length,
      genesisCoins: formatCoins(genesis.reduce((s, g) => s + g.amount, 0n)),
    });
  } else if (config.genesisFile) {
    log.warn("the database already exists: the genesis file is ignored", {
      genesis: config.genesisFile,
    });
  }

  const epochs = new Cluster(registry, { probe: config.probe, log });
  const closeStreams = new AbortController();
  const app = createApp(registry, {
    log: (message, error) => log.error(message, { error }),
    version: VERSION,
    maxStreams: config.http.maxStreams,
    maxStreamsPerClient: config.http.maxStreamsPerClient,
    closeStreams: closeStreams.signal,
    rateLimits: config.rateLimits,
    trustedProxies: config.http.trustedProxies,
    runtime: {
      epochLag: () => epochs.lag(),
      tickFailures: () => epochs.tickFailures,
      tlsNotAfter: () => certificate?.notAfter ?? null,
    },
  });

  // ---------------------------------------------------------------- server
  const registryKey = toHex(registry.publicKeys[0]!);
  let server: HttpServer;
  try {
    const onError = (message: string, error: unknown) =>
      log.error(message, { error });
    server = config.http.server === "deno"
      ? await serveDeno(app.fetch, {
        hostname: config.host,
        port: config.port,
        onError,
        fast: fastPathOf(app).fetch,
      })
      : await serveHttp(app.fetch, {
        hostname: config.host,
        port: config.port,
        headerTimeoutMs: config.http.headerTimeoutMs,
        requestTimeoutMs: config.http.requestTimeoutMs,
        keepAliveTimeoutMs: config.http.keepAliveTimeoutMs,
        maxConnections: config.http.maxConnections,
        maxConnectionsPerClient: config.http.maxConnectionsPerClient,
        trustedProxies: new Set(config.http.trustedProxies),
        onError,
        fast: fastPathOf(app).node,
        ...(tls ? { tls: { cert: tls.cert, key: tls.key } } : {}),
      });
  } catch (e) {
    await store.close().catch(() => {});
    throw new StartupError(
      `cannot listen on ${config.host}:${config.port}: ${(e as Error).message}`,
    );
  }
  // The admin socket (backups of an SQLite store; PostgreSQL is backed up
  // with pg_dump): in the data directory, for its owner only.
  let admin: AdminServer | null = null;
  try {
    if (store.dialect === "sqlite") {
      admin = await serveAdmin({ dataDir: config.dataDir, store, log });
    }
  } catch (e) {
    await server.shutdown(0);
    await store.close().catch(() => {});
    throw new StartupError(
      `cannot open the admin socket: ${(e as Error).message}`,
    );
  }
  {
    const { hostname, port } = server.addr;
    log.info("listening", {
      network: params.name,
      host: hostname,
      port,
      url: `${server.scheme}://${
        hostname.includes(":") ? `[${hostname}]` : hostname
      }:${port}`,
      dataDir: config.dataDir,
      ...(admin ? { adminSocket: admin.path } : {}),
      registryKey,
      epoch: registry.epoch,
      epochSeconds: params.epochSeconds,
      probe: config.probe.enabled,
      ...(certificate ? { tls: certificateFields(certificate) } : {}),
      httpServer: config.http.server,
      limits: {
        ...(config.http.server === "node"
          ? {
            headerTimeoutMs: config.http.headerTimeoutMs,
            requestTimeoutMs: config.http.requestTimeoutMs,
            keepAliveTimeoutMs: config.http.keepAliveTimeoutMs,
            maxConnections: config.http.maxConnections,
            maxConnectionsPerClient: config.http.maxConnectionsPerClient,
          }
          : {}),
        maxStreams: config.http.maxStreams,
        maxStreamsPerClient: config.http.maxStreamsPerClient,
        writeRate: formatRate(config.rateLimits.writes),
        faucetRate: formatRate(config.rateLimits.faucetPerWallet),
        faucetGlobalRate: formatRate(config.rateLimits.faucetGlobal),
      },
    });
  }
  if (
    config.http.server === "deno" &&
    !/^(127\.|::1$|localhost$|\[::1\]$)/.test(config.host)
  ) {
    log.warn(
      "--http-server deno has no header or request timeouts and no connection caps: serve it only behind a reverse proxy that enforces them",
      { host: config.host },
    );
  }
  epochs.start();
  const stopTlsReload = reloadOnSighup(
    config.tls,
    server,
    log,
    (info) => certificate = info,
  );

  // -------------------------------------------------------------- shutdown
  const { promise: stopRequested, resolve: requestStop } = Promise
    .withResolvers<string>();
  let signalled = false;
  const onSignal = (signal: Deno.Signal) => () => {
    if (signalled) {
      log.warn("second signal: exiting now", { signal });
      Deno.exit(signal === "SIGINT" ? 130 : 143);
    }
    signalled = true;
    requestStop(signal);
  };
  const handlers: [Deno.Signal, () => void][] = [];
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    const handler = onSignal(signal);
    try {
      Deno.addSignalListener(signal, handler);
      handlers.push([signal, handler]);
    } catch {
      // SIGTERM cannot be listened for on Windows.
    }
  }
  const onRejection = (e: PromiseRejectionEvent) => {
    e.preventDefault();
    log.error("unhandled rejection", { error: e.reason });
  };
  globalThis.addEventListener("unhandledrejection", onRejection);

  const signal = await stopRequested;
  log.info("shutting down", { signal, epoch: registry.epoch });
  stopTlsReload();
  await epochs.stop();
  // Event streams never finish by themselves: end them so clients reconnect
  // (elsewhere) and the server can close.
  closeStreams.abort();
  const closed = await server.shutdown(SHUTDOWN_GRACE_MS);
  if (!closed) {
    log.warn("connections still open after the grace period; closing anyway", {
      graceMs: SHUTDOWN_GRACE_MS,
    });
  }
  await admin?.close();
  // Let in-flight writes (and a tick in progress) commit before closing.
  await registry.drain();
  await store.close();
  for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
  globalThis.removeEventListener("unhandledrejection", onRejection);
  log.info("stopped", { epoch: registry.epoch, signal });
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args, (name) => Deno.env.get(name)));
}
