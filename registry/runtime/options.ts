/**
 * The registry's settings, listed once: each option's flag, environment
 * variable, value, default and meaning. The parser (`config.ts`), `--help`,
 * the README's options table and the `start` task's `--allow-env` list all
 * come from this table (`config_docs_test.ts` checks the last two).
 *
 * @module
 */

import { PRESETS } from "../core/params.ts";
import type { NetworkName } from "../core/params.ts";
import type { LogFormat, LogLevel } from "./log.ts";

/** The program's name and version, for `--version`. */
export const PROGRAM = "snode-registry";

/**
 * One setting of the registry: its flag, its environment variable, how its
 * value is written, its default and what it means. The table below is the
 * one place settings are listed: the parser, `--help`, the README's options
 * table and the `start` task's `--allow-env` list all come from it (tests
 * check the last two).
 */
export interface OptionSpec {
  /** Flag name without dashes; null for an environment-only setting. */
  flag: string | null;
  /** Environment variable. */
  env: string;
  /** Placeholder of the value in help, e.g. `PORT`. */
  value: string;
  /** The default, as help shows it. */
  default: string;
  /** What it means. */
  help: string;
}

const p = PRESETS;

/** Every setting, in the order help lists them. */
export const OPTIONS: readonly OptionSpec[] = [
  {
    flag: "host",
    env: "REGISTRY_HOST",
    value: "HOST",
    default: "127.0.0.1",
    help: "address to listen on (`0.0.0.0` for every interface)",
  },
  {
    flag: "port",
    env: "REGISTRY_PORT",
    value: "PORT",
    default: "8080",
    help: "TCP port; `0` picks a free one (logged in the `listening` line)",
  },
  {
    flag: "data-dir",
    env: "REGISTRY_DATA_DIR",
    value: "DIR",
    default: "./data",
    help: "database and key directory, created if missing",
  },
  {
    flag: "database-url",
    env: "DATABASE_URL",
    value: "URL",
    default: "none",
    help:
      "`postgres://user:pw@host/db`: keep the database there (see PostgreSQL); none: SQLite",
  },
  {
    flag: "network",
    env: "REGISTRY_NETWORK",
    value: "NAME",
    default: "devnet",
    help: "`mainnet`, `testnet` or `devnet`: the rules of `core/params.ts`",
  },
  {
    flag: "epoch-seconds",
    env: "REGISTRY_EPOCH_SECONDS",
    value: "N",
    default:
      `the network's (${p.mainnet.epochSeconds}, ${p.testnet.epochSeconds}, ${p.devnet.epochSeconds})`,
    help:
      "epoch length, 1 to 3600 s; the rules stay in epochs, only wall time per epoch changes",
  },
  {
    flag: "passphrase-file",
    env: "REGISTRY_PASSPHRASE_FILE",
    value: "PATH",
    default: "none",
    help:
      "file whose first line is the key's passphrase (at least 8 characters)",
  },
  {
    flag: null,
    env: "REGISTRY_PASSPHRASE",
    value: "",
    default: "none",
    help:
      "the passphrase itself (no flag: command lines are visible to other users)",
  },
  {
    flag: "genesis",
    env: "REGISTRY_GENESIS",
    value: "FILE",
    default: "none",
    help: "genesis allocations, credited only when the database is new",
  },
  {
    flag: "faucet-limit",
    env: "REGISTRY_FAUCET_LIMIT",
    value: "COINS",
    default: "1000",
    help: "largest faucet request (the faucet runs on devnet only)",
  },
  {
    flag: "min-node-version",
    env: "REGISTRY_MIN_NODE_VERSION",
    value: "X.Y.Z",
    default: "none",
    help:
      "refuse uptime proofs from node software older than this (`outdated_version`); published in `/v1/info`",
  },
  {
    flag: "log-format",
    env: "REGISTRY_LOG_FORMAT",
    value: "FORMAT",
    default: "json",
    help:
      "`json` (one object per line), `text`, or `journal`: JSON behind a syslog priority prefix (`<3>` error ... `<7>` debug) that systemd's journal turns into the entry's priority",
  },
  {
    flag: "log-level",
    env: "REGISTRY_LOG_LEVEL",
    value: "LEVEL",
    default: "info",
    help: "`debug`, `info`, `warn` or `error`",
  },
  {
    flag: "probe",
    env: "REGISTRY_PROBE",
    value: "on|off",
    default: "on",
    help: "test node reachability each epoch",
  },
  {
    flag: "probe-concurrency",
    env: "REGISTRY_PROBE_CONCURRENCY",
    value: "N",
    default: "16",
    help: "reachability tests in flight at once, 1 to 256",
  },
  {
    flag: "probe-timeout-ms",
    env: "REGISTRY_PROBE_TIMEOUT_MS",
    value: "MS",
    default: "5000",
    help: "per-test timeout (connect, answer and body), 100 to 60000",
  },
  {
    flag: "http-server",
    env: "REGISTRY_HTTP_SERVER",
    value: "node|deno",
    default: "node",
    help:
      "`node`: `node:http` with the slow-client limits below (timeouts, connection caps), for facing the internet; `deno`: `Deno.serve`, about 1.4 to 1.6 times the requests per second on cached lists but none of those limits, only behind a reverse proxy that enforces them (plain HTTP: not with `--tls-cert`, nor with the five limits below)",
  },
  {
    flag: "header-timeout-ms",
    env: "REGISTRY_HEADER_TIMEOUT_MS",
    value: "MS",
    default: "10000",
    help:
      "a request's line and headers must arrive within this long after it starts (the connection opens, or the previous response ends), else `408 request_timeout` and the connection is closed; 1000 to 60000",
  },
  {
    flag: "request-timeout-ms",
    env: "REGISTRY_REQUEST_TIMEOUT_MS",
    value: "MS",
    default: "20000",
    help:
      "the whole request, body included, must arrive within this long after its first byte, else `408`; 1000 to 120000, at least the header timeout (so a connection that never completes a request is closed at most header + request timeout, 30 s, after it opens)",
  },
  {
    flag: "keep-alive-timeout-ms",
    env: "REGISTRY_KEEP_ALIVE_TIMEOUT_MS",
    value: "MS",
    default: "5000",
    help:
      "an idle keep-alive connection is closed after this long; 100 to 120000",
  },
  {
    flag: "max-connections",
    env: "REGISTRY_MAX_CONNECTIONS",
    value: "N",
    default: "1000",
    help:
      "connections open at once; at the cap a new one closes the oldest idle one (no request in progress), or is answered `503 server_busy`; 1 to 100000",
  },
  {
    flag: "max-connections-per-client",
    env: "REGISTRY_MAX_CONNECTIONS_PER_CLIENT",
    value: "N",
    default: "100",
    help:
      "the same per client address (IPv6: per /64; trusted proxies are exempt), else `429 too_many_connections`; 1 to 100000",
  },
  {
    flag: "max-streams",
    env: "REGISTRY_MAX_STREAMS",
    value: "N",
    default: "256",
    help:
      "event streams (`/v1/events`) open at once, else `503 server_busy` with `Retry-After`; 1 to 100000",
  },
  {
    flag: "max-streams-per-client",
    env: "REGISTRY_MAX_STREAMS_PER_CLIENT",
    value: "N",
    default: "8",
    help:
      "event streams per client address, else `429 too_many_streams` with `Retry-After`; 1 to 100000",
  },
  {
    flag: "write-rate",
    env: "REGISTRY_WRITE_RATE",
    value: "N/PERIOD",
    default: "100/10s",
    help:
      "signed writes per client address: N at once, N more per PERIOD (`s`, `m`, `h`, e.g. `3/1m`), else `429 rate_limited` with `Retry-After`; `off`: no limit",
  },
  {
    flag: "faucet-rate",
    env: "REGISTRY_FAUCET_RATE",
    value: "N/PERIOD",
    default: "3/1m",
    help: "faucet payments per wallet, the same way",
  },
  {
    flag: "faucet-global-rate",
    env: "REGISTRY_FAUCET_GLOBAL_RATE",
    value: "N/PERIOD",
    default: "60/1m",
    help: "faucet payments in all, the same way",
  },
  {
    flag: "list-retention",
    env: "REGISTRY_LIST_RETENTION",
    value: "N",
    default: "2160",
    help:
      "published lists kept (2,160 = 72 h of 2-minute epochs), each served byte for byte; older ones are deleted and diffs from them answer `diff_unavailable`; 1 to 1000000",
  },
  {
    flag: "list-snapshot-every",
    env: "REGISTRY_LIST_SNAPSHOT_EVERY",
    value: "K",
    default: "32",
    help:
      "a kept list is stored in full at least every K epochs, the others as the records that changed since the list before (reading one applies at most K - 1 of them); `1` stores every list in full; 1 to 10000",
  },
  {
    flag: "event-retention",
    env: "REGISTRY_EVENT_RETENTION",
    value: "N",
    default: "21600",
    help:
      "epochs of events kept (21,600 = 30 days of 2-minute epochs); older events are deleted, so `/v1/events` and event streams no longer replay them; `0` keeps every event",
  },
  {
    flag: "reachability-evidence",
    env: "REGISTRY_REACHABILITY_EVIDENCE",
    value: "N",
    default: "10",
    help:
      "reachability tests kept per node as evidence (`GET /v1/nodes/{pubkey}`); 1 to 1000",
  },
  {
    flag: "trusted-proxies",
    env: "REGISTRY_TRUSTED_PROXIES",
    value: "ADDRS",
    default: "none",
    help:
      "comma-separated IP addresses of reverse proxies whose `X-Forwarded-For` names the client for per-client limits; by default the socket's peer is the client and the header is ignored",
  },
  {
    flag: "tls-cert",
    env: "REGISTRY_TLS_CERT",
    value: "FILE",
    default: "none",
    help:
      "serve HTTPS with this PEM certificate (chain); needs `--tls-key`; re-read with the key on SIGHUP without dropping connections",
  },
  {
    flag: "tls-key",
    env: "REGISTRY_TLS_KEY",
    value: "FILE",
    default: "none",
    help: "the certificate's PEM private key",
  },
  {
    flag: "witnesses",
    env: "REGISTRY_WITNESSES",
    value: "KEY[@URL],...",
    default: "none",
    help:
      "comma-separated witness public keys (64 hex) whose co-signatures are attached to the lists, each optionally with `@` and the URL it serves its checkpoints at (published in `/v1/info`)",
  },
  {
    flag: "rotate-key",
    env: "REGISTRY_ROTATE_KEY",
    value: "on|off",
    default: "off",
    help:
      "`on`: move to a new signing key - generate `registry-key.next.json` (same passphrase) unless it exists, announce it in the next list (signed by the current key), sign every later list with it; the old keystore is kept as `registry-key.retired-<epoch>.json`",
  },
];

/** Every environment variable the service reads. */
export const ENV_VARS: readonly string[] = OPTIONS.map((o) => o.env);

/** Default values, parsed. */
export const DEFAULTS = {
  host: "127.0.0.1",
  port: 8080,
  dataDir: "./data",
  network: "devnet" as NetworkName,
  faucetLimitCoins: 1000n,
  logFormat: "json" as LogFormat,
  logLevel: "info" as LogLevel,
  probeConcurrency: 16,
  probeTimeoutMs: 5000,
  headerTimeoutMs: 10_000,
  requestTimeoutMs: 20_000,
  keepAliveTimeoutMs: 5000,
  maxConnections: 1000,
  maxConnectionsPerClient: 100,
  maxStreams: 256,
  maxStreamsPerClient: 8,
  writeRate: "100/10s",
  faucetRate: "3/1m",
  faucetGlobalRate: "60/1m",
  listRetention: 2160,
  listSnapshotEvery: 32,
  eventRetention: 21_600,
  reachabilityEvidence: 10,
};

/** The options as `node:util` `parseArgs` takes them. */
export const PARSE_OPTIONS = Object.fromEntries([
  ...OPTIONS.filter((o) => o.flag !== null).map((
    o,
  ) => [o.flag!, { type: "string" as const }]),
  ["help", { type: "boolean" as const, short: "h" }],
  ["version", { type: "boolean" as const }],
]) as Record<string, { type: "string" | "boolean"; short?: string }>;

function plain(text: string): string {
  return text.replaceAll("`", "");
}

/** The `--help` text: every option from {@linkcode OPTIONS}. */
export function usage(): string {
  const rows = OPTIONS.map((o) => {
    const flag = o.flag === null
      ? ""
      : `--${o.flag}${o.value ? ` ${o.value}` : ""}`;
    return `  ${flag.padEnd(25)} ${o.env.padEnd(27)} ${
      plain(o.help)
    } (default ${plain(o.default)})`;
  });
  return `${PROGRAM}: the service-node registry (HTTP API, epochs, signed node lists, reachability tests)

Usage: deno task start [options]
       deno run --allow-net --allow-read --allow-write --allow-env registry/main.ts [options]

Options (flags win over environment variables; empty variables count as unset):
${rows.join("\n")}
  -h, --help                show this text
  --version                 show the version

With neither REGISTRY_PASSPHRASE_FILE nor REGISTRY_PASSPHRASE, devnet generates a
passphrase into <data-dir>/registry-key.passphrase; mainnet and testnet refuse to start.

Files in the data directory: registry.db (SQLite), registry-key.json (encrypted
registry signing key, mode 0600), registry-key.passphrase (devnet only, when generated).

Exit status: 0 after a clean shutdown (SIGINT/SIGTERM), 1 on a runtime failure
(e.g. a wrong passphrase), 2 on a bad flag or value.
`;
}

/** The README's options table (markdown), from {@linkcode OPTIONS}. */
export function optionsMarkdown(): string {
  const rows = OPTIONS.map((o) => [
    o.flag === null
      ? ""
      : `\`--${o.flag}${o.value ? ` ${o.value.replace("|", "\\|")}` : ""}\``,
    `\`${o.env}\``,
    o.default.startsWith("the ") || o.default === "none"
      ? o.default
      : `\`${o.default}\``,
    o.help,
  ]);
  const header = ["flag", "variable", "default", "meaning"];
  const lines = [header, header.map(() => "---"), ...rows];
  return lines.map((r) => `| ${r.join(" | ")} |`).join("\n");
}
