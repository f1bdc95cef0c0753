/**
 * The registry service's configuration: command-line flags and `REGISTRY_*`
 * environment variables (flags win), validated strictly. Every mistake is a
 * {@linkcode ConfigError} whose message is meant for the operator as is
 * (`main.ts` prints `error: <message>` and exits with status 2).
 *
 * {@linkcode parseConfig} is pure. The settings themselves are listed once,
 * in `options.ts`; the genesis file is read by `genesis.ts`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  ATOMIC_PER_COIN,
  type NetworkName,
  type NetworkParams,
  networkParams,
  parseCoins,
  PRESETS,
} from "../core/params.ts";
import { fromHex } from "../core/bytes.ts";
import type { LogFormat, LogLevel } from "./log.ts";
import { isIpAddress, normalizeAddress } from "../http/client_address.ts";
import { parseRate, type Rate } from "../http/rate_limit.ts";
import { DEFAULTS, OPTIONS, PARSE_OPTIONS, PROGRAM, usage } from "./options.ts";

export {
  DEFAULTS,
  ENV_VARS,
  OPTIONS,
  optionsMarkdown,
  type OptionSpec,
  PROGRAM,
  usage,
} from "./options.ts";

/** A configuration mistake; the message is shown to the operator. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Where the registry key's passphrase comes from. */
export type PassphraseSource =
  /** Read from a file (first line, without its line ending). */
  | {
    kind: "file";
    path: string;
    from: "--passphrase-file" | "REGISTRY_PASSPHRASE_FILE";
  }
  /** Given in `REGISTRY_PASSPHRASE`. */
  | { kind: "env"; passphrase: string }
  /** Devnet only: generated once into `<data-dir>/registry-key.passphrase`. */
  | { kind: "generated" };

/** The validated configuration. */
export interface Config {
  /** Address to listen on. */
  host: string;
  /** TCP port; 0 picks a free one (logged once listening). */
  port: number;
  /** Directory of the database and the registry key. */
  dataDir: string;
  /** Serve HTTPS with these PEM files (re-read on SIGHUP); null: plain HTTP. */
  tls: { certFile: string; keyFile: string } | null;
  /**
   * A PostgreSQL URL: the database lives there (shared with other registry
   * processes), not in the data directory. Null: SQLite in the data directory.
   */
  databaseUrl: string | null;
  /** Network rules, with the epoch length applied. */
  params: NetworkParams;
  /** Registry key passphrase. */
  passphrase: PassphraseSource;
  /** Genesis allocations file, applied when the database is new. */
  genesisFile: string | null;
  /** Largest faucet request, atomic units. */
  faucetLimit: bigint;
  /** Log line format. */
  logFormat: LogFormat;
  /** Least severe level logged. */
  logLevel: LogLevel;
  /** Proofs from node software older than this are refused; null: any version. */
  minimumNodeVersion: [number, number, number] | null;
  /** Reachability prober settings. */
  probe: {
    /** Whether the registry tests nodes at all. */
    enabled: boolean;
    /** Tests in flight at once. */
    concurrency: number;
    /** Per-test timeout, milliseconds. */
    timeoutMs: number;
  };
  /** Connection and stream limits of the HTTP server. */
  http: {
    /** `node`: node:http with the limits below; `deno`: Deno.serve behind a reverse proxy (the connection limits unused). */
    server: "node" | "deno";
    /** A request's headers must be complete within this long, ms. */
    headerTimeoutMs: number;
    /** The whole request within this long, ms. */
    requestTimeoutMs: number;
    /** Idle keep-alive connections close after this long, ms. */
    keepAliveTimeoutMs: number;
    /** Connections at once. */
    maxConnections: number;
    /** Connections at once per client address. */
    maxConnectionsPerClient: number;
    /** Event streams at once. */
    maxStreams: number;
    /** Event streams at once per client address. */
    maxStreamsPerClient: number;
    /** Reverse proxies whose X-Forwarded-For is believed (normalised addresses). */
    trustedProxies: string[];
  };
  /** Witnesses whose co-signatures are attached, with their checkpoint URLs. */
  witnesses: { key: Uint8Array; url: string | null }[];
  /** Move to a new signing key at start-up. */
  rotateKey: boolean;
  /** What the database keeps. */
  retention: {
    /** Published lists kept. */
    lists: number;
    /** A list is stored in full at least every this many epochs. */
    listSnapshotEvery: number;
    /** Epochs of events kept; 0: all. */
    eventEpochs: number;
    /** Reachability tests kept per node. */
    reachabilityEvidence: number;
  };
  /** Rate limits; null is no limit. */
  rateLimits: {
    /** Signed writes per client address. */
    writes: Rate | null;
    /** Faucet payments per wallet. */
    faucetPerWallet: Rate | null;
    /** Faucet payments in all. */
    faucetGlobal: Rate | null;
  };
}

/** What the command line asks for. */
export type Command =
  | { kind: "run"; config: Config }
  | { kind: "help"; text: string }
  | { kind: "version"; text: string };

/** Environment lookup, e.g. `(k) => Deno.env.get(k)`. */
export type Env = (name: string) => string | undefined;

function flagName(name: string): string {
  return `--${name}`;
}

/**
 * Parse the command line and environment.
 *
 * @throws {ConfigError} for an unknown flag, a missing or bad value, or a
 * combination that cannot work (e.g. mainnet without a passphrase source).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const env = (k: string) => ({ REGISTRY_PORT: "9000" } as Record<string, string>)[k];
 * const cmd = parseConfig(["--port", "9001"], env);
 * assert(cmd.kind === "run");
 * assert.equal(cmd.config.port, 9001);
 * assert.throws(() => parseConfig(["--port", "http"], env), ConfigError);
 * ```
 */
export function parseConfig(
  args: string[],
  env: Env,
  version = "0.0.0",
): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: PARSE_OPTIONS,
      strict: true,
      allowPositionals: false,
      tokens: true,
    });
  } catch (e) {
    throw new ConfigError(argsMessage(e));
  }
  const seen = new Set<string>();
  for (const t of parsed.tokens ?? []) {
    if (t.kind !== "option") continue;
    if (seen.has(t.name)) {
      throw new ConfigError(`${flagName(t.name)} is given more than once`);
    }
    seen.add(t.name);
  }
  const flags = parsed.values as Partial<Record<string, string | boolean>>;
  if (flags.help) return { kind: "help", text: usage() };
  if (flags.version) {
    return { kind: "version", text: `${PROGRAM} ${version}` };
  }

  /** A setting's raw text and where it came from, for error messages. */
  const get = (flag: string): { value: string; source: string } | null => {
    const spec = OPTIONS.find((o) => o.flag === flag)!;
    const f = flags[flag];
    if (typeof f === "string") return { value: f, source: flagName(flag) };
    const e = env(spec.env);
    if (e !== undefined && e !== "") return { value: e, source: spec.env };
    return null;
  };

  const host = get("host");
  if (host && (host.value.trim() === "" || /\s/.test(host.value))) {
    throw new ConfigError(
      `${host.source}: "${host.value}" is not a host name or address`,
    );
  }

  const port = get("port");
  const portNumber = port
    ? integer(port.value, port.source, 0, 65535, "a TCP port")
    : DEFAULTS.port;

  const dataDir = get("data-dir");
  if (dataDir && dataDir.value.trim() === "") {
    throw new ConfigError(`${dataDir.source} must not be empty`);
  }

  const tls = tlsFiles(get("tls-cert"), get("tls-key"));
  const databaseUrl = get("database-url");
  if (databaseUrl && !isPostgresUrl(databaseUrl.value)) {
    throw new ConfigError(
      `${databaseUrl.source}: "${
        redactPassword(databaseUrl.value)
      }" is not a PostgreSQL URL (postgres://user:password@host:port/database)`,
    );
  }

  const network = get("network");
  const name = network?.value ?? DEFAULTS.network;
  if (!Object.hasOwn(PRESETS, name)) {
    throw new ConfigError(
      `${
        network!.source
      }: unknown network "${name}" (expected mainnet, testnet or devnet)`,
    );
  }
  const epoch = get("epoch-seconds");
  const params = networkParams(
    name,
    epoch
      ? {
        epochSeconds: integer(
          epoch.value,
          epoch.source,
          1,
          3600,
          "an epoch length in seconds",
        ),
      }
      : {},
  );

  const passphrase = passphraseSource(flags, env, params.name);

  const genesis = get("genesis");
  if (genesis && genesis.value.trim() === "") {
    throw new ConfigError(`${genesis.source} must not be empty`);
  }

  const faucet = get("faucet-limit");
  let faucetLimit = DEFAULTS.faucetLimitCoins * ATOMIC_PER_COIN;
  if (faucet) {
    try {
      faucetLimit = parseCoins(faucet.value);
    } catch (e) {
      throw new ConfigError(`${faucet.source}: ${(e as Error).message}`);
    }
    if (faucetLimit === 0n) {
      throw new ConfigError(
        `${faucet.source}: the faucet limit must be more than 0 coins`,
      );
    }
  }

  const minVersion = get("min-node-version");
  let minimumNodeVersion: [number, number, number] | null = null;
  if (minVersion) {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(minVersion.value);
    const triple = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [];
    if (!m || triple.some((n) => n > 255)) {
      throw new ConfigError(
        `${minVersion.source}: "${minVersion.value}" is not a version X.Y.Z (each part 0 to 255)`,
      );
    }
    minimumNodeVersion = triple as [number, number, number];
  }

  const logFormat = oneOf(
    get("log-format"),
    ["json", "text", "journal"] as const,
    DEFAULTS.logFormat,
  );
  const logLevel = oneOf(
    get("log-level"),
    ["debug", "info", "warn", "error"] as const,
    DEFAULTS.logLevel,
  );
  const probe = oneOf(get("probe"), ["on", "off"] as const, "on");
  const concurrency = get("probe-concurrency");
  const timeout = get("probe-timeout-ms");
  const int = (
    flag: string,
    fallback: number,
    min: number,
    max: number,
    what: string,
  ): number => {
    const v = get(flag);
    return v ? integer(v.value, v.source, min, max, what) : fallback;
  };
  const ms = "a time in milliseconds";
  const headerTimeoutMs = int(
    "header-timeout-ms",
    DEFAULTS.headerTimeoutMs,
    1000,
    60_000,
    ms,
  );
  const requestTimeout = get("request-timeout-ms");
  const requestTimeoutMs = int(
    "request-timeout-ms",
    Math.max(DEFAULTS.requestTimeoutMs, headerTimeoutMs),
    1000,
    120_000,
    ms,
  );
  if (requestTimeoutMs < headerTimeoutMs) {
    throw new ConfigError(
      `${
        requestTimeout!.source
      }: ${requestTimeoutMs} is shorter than the header timeout (${headerTimeoutMs} ms)`,
    );
  }
  const httpServer = oneOf(
    get("http-server"),
    ["node", "deno"] as const,
    "node",
  );
  if (httpServer === "deno") {
    // Deno.serve has neither TLS reloading nor these limits: refuse rather
    // than run without what was asked for.
    if (tls) {
      throw new ConfigError(
        `${
          get("http-server")!.source
        } deno serves plain HTTP behind a reverse proxy that terminates TLS; to serve HTTPS directly use --http-server node (the default)`,
      );
    }
    for (
      const flag of [
        "header-timeout-ms",
        "request-timeout-ms",
        "keep-alive-timeout-ms",
        "max-connections",
        "max-connections-per-client",
      ]
    ) {
      const v = get(flag);
      if (v) {
        throw new ConfigError(
          `${v.source} is enforced by --http-server node only; with deno the reverse proxy in front sets it`,
        );
      }
    }
  }
  const rate = (flag: string, fallback: string): Rate | null => {
    const v = get(flag);
    try {
      return parseRate(v?.value ?? fallback);
    } catch (e) {
      throw new ConfigError(`${v!.source}: ${(e as Error).message}`);
    }
  };
  const proxies = get("trusted-proxies");
  const trustedProxies = (proxies?.value ?? "").split(",").map((a) => a.trim())
    .filter((a) => a !== "").map((a) => {
      if (!isIpAddress(a)) {
        throw new ConfigError(
          `${
            proxies!.source
          }: "${a}" is not an IP address (list the proxies' addresses, comma-separated)`,
        );
      }
      return normalizeAddress(a);
    });

  const witnessOption = get("witnesses");
  const witnesses = (witnessOption?.value ?? "").split(",").map((w) => w.trim())
    .filter((w) => w !== "").map((w) => {
      const at = w.indexOf("@");
      const hex = at < 0 ? w : w.slice(0, at);
      const url = at < 0 ? null : w.slice(at + 1);
      if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
        throw new ConfigError(
          `${
            witnessOption!.source
          }: "${hex}" is not a witness public key (64 hex digits)`,
        );
      }
      if (url !== null && !/^https?:\/\/[^\s,]+$/.test(url)) {
        throw new ConfigError(
          `${witnessOption!.source}: "${url}" is not an http(s) URL`,
        );
      }
      return {
        key: fromHex(hex.toLowerCase(), 32),
        url: url === null ? null : url.replace(/\/+$/, ""),
      };
    });
  const rotateKey = oneOf(get("rotate-key"), ["on", "off"], "off") === "on";

  return {
    kind: "run",
    config: {
      witnesses,
      rotateKey,
      host: host?.value ?? DEFAULTS.host,
      port: portNumber,
      dataDir: dataDir?.value ?? DEFAULTS.dataDir,
      tls,
      databaseUrl: databaseUrl?.value ?? null,
      params,
      passphrase,
      genesisFile: genesis?.value ?? null,
      faucetLimit,
      minimumNodeVersion,
      logFormat,
      logLevel,
      probe: {
        enabled: probe === "on",
        concurrency: concurrency
          ? integer(
            concurrency.value,
            concurrency.source,
            1,
            256,
            "a number of tests",
          )
          : DEFAULTS.probeConcurrency,
        timeoutMs: timeout
          ? integer(
            timeout.value,
            timeout.source,
            100,
            60_000,
            "a timeout in milliseconds",
          )
          : DEFAULTS.probeTimeoutMs,
      },
      http: {
        server: httpServer,
        headerTimeoutMs,
        requestTimeoutMs,
        keepAliveTimeoutMs: int(
          "keep-alive-timeout-ms",
          DEFAULTS.keepAliveTimeoutMs,
          100,
          120_000,
          ms,
        ),
        maxConnections: int(
          "max-connections",
          DEFAULTS.maxConnections,
          1,
          100_000,
          "a number of connections",
        ),
        maxConnectionsPerClient: int(
          "max-connections-per-client",
          DEFAULTS.maxConnectionsPerClient,
          1,
          100_000,
          "a number of connections",
        ),
        maxStreams: int(
          "max-streams",
          DEFAULTS.maxStreams,
          1,
          100_000,
          "a number of event streams",
        ),
        maxStreamsPerClient: int(
          "max-streams-per-client",
          DEFAULTS.maxStreamsPerClient,
          1,
          100_000,
          "a number of event streams",
        ),
        trustedProxies,
      },
      retention: {
        lists: int(
          "list-retention",
          DEFAULTS.listRetention,
          1,
          1_000_000,
          "a number of lists",
        ),
        listSnapshotEvery: int(
          "list-snapshot-every",
          DEFAULTS.listSnapshotEvery,
          1,
          10_000,
          "a number of epochs",
        ),
        eventEpochs: int(
          "event-retention",
          DEFAULTS.eventRetention,
          0,
          100_000_000,
          "a number of epochs",
        ),
        reachabilityEvidence: int(
          "reachability-evidence",
          DEFAULTS.reachabilityEvidence,
          1,
          1000,
          "a number of tests",
        ),
      },
      rateLimits: {
        writes: rate("write-rate", DEFAULTS.writeRate),
        faucetPerWallet: rate("faucet-rate", DEFAULTS.faucetRate),
        faucetGlobal: rate("faucet-global-rate", DEFAULTS.faucetGlobalRate),
      },
    },
  };
}

type Setting = { value: string; source: string } | null;

/** The TLS files: both or neither. */
function tlsFiles(
  cert: Setting,
  key: Setting,
): { certFile: string; keyFile: string } | null {
  for (const s of [cert, key]) {
    if (s && s.value.trim() === "") {
      throw new ConfigError(`${s.source} must not be empty`);
    }
  }
  if (cert && key) return { certFile: cert.value, keyFile: key.value };
  if (cert) {
    throw new ConfigError(
      `${cert.source} needs the certificate's private key too: --tls-key FILE or REGISTRY_TLS_KEY`,
    );
  }
  if (key) {
    throw new ConfigError(
      `${key.source} needs the certificate too: --tls-cert FILE or REGISTRY_TLS_CERT`,
    );
  }
  return null;
}

/** Whether `text` is a `postgres://` or `postgresql://` URL with a host. */
function isPostgresUrl(text: string): boolean {
  if (!/^postgres(ql)?:\/\/[^/?#\s]/i.test(text)) return false;
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
}

/** A URL as an error message may show it: without its password. */
function redactPassword(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:@/]*):[^@/]*@/i, "$1:***@");
}

function passphraseSource(
  flags: Partial<Record<string, string | boolean>>,
  env: Env,
  network: NetworkName,
): PassphraseSource {
  const flag = flags["passphrase-file"];
  if (typeof flag === "string") {
    if (flag.trim() === "") {
      throw new ConfigError("--passphrase-file must not be empty");
    }
    return { kind: "file", path: flag, from: "--passphrase-file" };
  }
  const file = env("REGISTRY_PASSPHRASE_FILE");
  const value = env("REGISTRY_PASSPHRASE");
  const hasFile = file !== undefined && file !== "";
  const hasValue = value !== undefined && value !== "";
  if (hasFile && hasValue) {
    throw new ConfigError(
      "both REGISTRY_PASSPHRASE and REGISTRY_PASSPHRASE_FILE are set; set only one (or pass --passphrase-file)",
    );
  }
  if (hasFile) {
    return { kind: "file", path: file, from: "REGISTRY_PASSPHRASE_FILE" };
  }
  if (hasValue) return { kind: "env", passphrase: value };
  if (network !== "devnet") {
    throw new ConfigError(
      `${network} needs a passphrase for the registry key: pass --passphrase-file PATH or set REGISTRY_PASSPHRASE_FILE or REGISTRY_PASSPHRASE (only devnet generates one)`,
    );
  }
  return { kind: "generated" };
}

function integer(
  text: string,
  source: string,
  min: number,
  max: number,
  what: string,
): number {
  if (!/^\d{1,9}$/.test(text)) {
    throw new ConfigError(
      `${source}: "${text}" is not ${what} (a whole number from ${min} to ${max})`,
    );
  }
  const n = Number(text);
  if (n < min || n > max) {
    throw new ConfigError(
      `${source}: ${n} is out of range (${what}: ${min} to ${max})`,
    );
  }
  return n;
}

function oneOf<T extends string>(
  setting: { value: string; source: string } | null,
  allowed: readonly T[],
  fallback: T,
): T {
  if (!setting) return fallback;
  if ((allowed as readonly string[]).includes(setting.value)) {
    return setting.value as T;
  }
  throw new ConfigError(
    `${setting.source}: "${setting.value}" is not one of ${allowed.join(", ")}`,
  );
}

function argsMessage(e: unknown): string {
  const code = (e as { code?: string }).code;
  const message = (e as Error).message ?? String(e);
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION": {
      const m = /'([^']+)'/.exec(message);
      return `unknown option ${m ? m[1] : ""} (see --help)`;
    }
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL": {
      const m = /'([^']+)'/.exec(message);
      return `unexpected argument ${
        m ? `"${m[1]}"` : ""
      }: this command takes only options (see --help)`;
    }
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE": {
      const m = /'(?:-\w, )?(--?[\w-]+)/.exec(message);
      const flag = m ? m[1] : "an option";
      if (message.includes("argument missing")) return `${flag} needs a value`;
      if (message.includes("ambiguous")) {
        return `${flag} needs a value (to pass one starting with "-", write ${flag}=VALUE)`;
      }
      if (message.includes("does not take an argument")) {
        return `${flag} takes no value`;
      }
      return message.split("\n")[0]!;
    }
    default:
      return message.split("\n")[0]!;
  }
}
