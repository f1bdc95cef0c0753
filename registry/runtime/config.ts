/**
 * The registry service's configuration: command-line flags and `REGISTRY_*`
 * environment variables (flags win), validated strictly. Every mistake is a
 * {@linkcode ConfigError} whose message is meant for the operator as is
 * (`main.ts` prints `error: <message>` and exits with status 2).
 *
 * {@linkcode parseConfig} is pure; {@linkcode loadGenesis} reads and checks
 * the genesis file.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { parsePublicKey } from "../core/keys.ts";
import {
  ATOMIC_PER_COIN,
  formatCoins,
  type NetworkName,
  type NetworkParams,
  networkParams,
  parseCoins,
  PRESETS,
} from "../core/params.ts";
import { toHex } from "../core/bytes.ts";
import type { LogFormat, LogLevel } from "./log.ts";
import type { GenesisAllocation } from "../registry.ts";

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
  /** Reachability prober settings. */
  probe: {
    /** Whether the registry tests nodes at all. */
    enabled: boolean;
    /** Tests in flight at once. */
    concurrency: number;
    /** Per-test timeout, milliseconds. */
    timeoutMs: number;
  };
}

/** What the command line asks for. */
export type Command =
  | { kind: "run"; config: Config }
  | { kind: "help"; text: string }
  | { kind: "version"; text: string };

/** Environment lookup, e.g. `(k) => Deno.env.get(k)`. */
export type Env = (name: string) => string | undefined;

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
    flag: "log-format",
    env: "REGISTRY_LOG_FORMAT",
    value: "FORMAT",
    default: "json",
    help: "`json` (one object per line) or `text`",
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
};

const PARSE_OPTIONS = Object.fromEntries([
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

Files in the data directory: registry.db (SQLite; none with a database URL),
registry-key.json (encrypted registry signing key, mode 0600),
registry-key.passphrase (devnet only, when generated).

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

  const logFormat = oneOf(
    get("log-format"),
    ["json", "text"] as const,
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

  return {
    kind: "run",
    config: {
      host: host?.value ?? DEFAULTS.host,
      port: portNumber,
      dataDir: dataDir?.value ?? DEFAULTS.dataDir,
      databaseUrl: databaseUrl?.value ?? null,
      params,
      passphrase,
      genesisFile: genesis?.value ?? null,
      faucetLimit,
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
    },
  };
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

/** Largest genesis file read, bytes. */
const MAX_GENESIS_BYTES = 16 * 1024 * 1024;

/**
 * Read and validate a genesis file: a JSON array of
 * `{"wallet": "<64 hex Ed25519 public key>", "amount": "<coins, decimal string>"}`,
 * no other fields, amounts above 0, each wallet once.
 *
 * @throws {ConfigError} naming the file, the entry and the field.
 */
export async function loadGenesis(path: string): Promise<GenesisAllocation[]> {
  let text: string;
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) {
      throw new ConfigError(`genesis file ${path} is not a file`);
    }
    if (info.size > MAX_GENESIS_BYTES) {
      throw new ConfigError(`genesis file ${path} is larger than 16 MiB`);
    }
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(
      `cannot read genesis file ${path}: ${(e as Error).message}`,
    );
  }
  return parseGenesis(text, path);
}

/**
 * Validate the text of a genesis file (see {@linkcode loadGenesis}).
 *
 * @throws {ConfigError}
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const wallet = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
 * const g = parseGenesis(JSON.stringify([{ wallet, amount: "1.5" }]), "g.json");
 * assert.equal(g[0]!.amount, 1_500_000_000n);
 * assert.throws(() => parseGenesis('[{"wallet": "00", "amount": "1"}]', "g.json"), ConfigError);
 * ```
 */
export function parseGenesis(text: string, path: string): GenesisAllocation[] {
  const where = `genesis file ${path}`;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(
      `${where} is not valid JSON: ${(e as Error).message}`,
    );
  }
  if (!Array.isArray(value)) {
    throw new ConfigError(
      `${where} must be a JSON array of {"wallet": hex, "amount": "coins"} objects`,
    );
  }
  const out: GenesisAllocation[] = [];
  const seen = new Map<string, number>();
  let total = 0n;
  value.forEach((entry: unknown, i) => {
    const at = `${where}, entry ${i}`;
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
      throw new ConfigError(
        `${at}: expected an object {"wallet": hex, "amount": "coins"}`,
      );
    }
    const keys = Object.keys(entry);
    for (const k of keys) {
      if (k !== "wallet" && k !== "amount") {
        throw new ConfigError(
          `${at}: unexpected field "${k}" (only "wallet" and "amount")`,
        );
      }
    }
    const { wallet, amount } = entry as Record<string, unknown>;
    if (typeof wallet !== "string") {
      throw new ConfigError(
        `${at}: "wallet" must be a string of 64 hex digits`,
      );
    }
    let key: string;
    try {
      key = toHex(parsePublicKey(wallet));
    } catch (e) {
      throw new ConfigError(`${at}: "wallet": ${(e as Error).message}`);
    }
    if (typeof amount !== "string") {
      throw new ConfigError(
        `${at}: "amount" must be a decimal string of coins, e.g. "1000" or "0.5"`,
      );
    }
    let atomic: bigint;
    try {
      atomic = parseCoins(amount);
    } catch (e) {
      throw new ConfigError(`${at}: "amount": ${(e as Error).message}`);
    }
    if (atomic === 0n) {
      throw new ConfigError(`${at}: "amount" must be more than 0 coins`);
    }
    const previous = seen.get(key);
    if (previous !== undefined) {
      throw new ConfigError(
        `${at}: wallet ${key} is already credited by entry ${previous}`,
      );
    }
    seen.set(key, i);
    total += atomic;
    out.push({ wallet: key, amount: atomic });
  });
  if (total > (1n << 64n) - 1n) {
    throw new ConfigError(
      `${where}: the total, ${formatCoins(total)} coins, is too large`,
    );
  }
  return out;
}
