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

/** Every environment variable the service reads. */
export const ENV_VARS = [
  "REGISTRY_HOST",
  "REGISTRY_PORT",
  "REGISTRY_DATA_DIR",
  "REGISTRY_NETWORK",
  "REGISTRY_EPOCH_SECONDS",
  "REGISTRY_PASSPHRASE",
  "REGISTRY_PASSPHRASE_FILE",
  "REGISTRY_GENESIS",
  "REGISTRY_FAUCET_LIMIT",
  "REGISTRY_LOG_FORMAT",
  "REGISTRY_LOG_LEVEL",
  "REGISTRY_PROBE",
  "REGISTRY_PROBE_CONCURRENCY",
  "REGISTRY_PROBE_TIMEOUT_MS",
] as const;

/** Default values. */
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

/** The program's name and version, for `--version`. */
export const PROGRAM = "snode-registry";

const OPTIONS = {
  host: { type: "string" },
  port: { type: "string" },
  "data-dir": { type: "string" },
  network: { type: "string" },
  "epoch-seconds": { type: "string" },
  "passphrase-file": { type: "string" },
  genesis: { type: "string" },
  "faucet-limit": { type: "string" },
  "log-format": { type: "string" },
  "log-level": { type: "string" },
  probe: { type: "string" },
  "probe-concurrency": { type: "string" },
  "probe-timeout-ms": { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const;

/** The `--help` text: every flag, its environment variable and default. */
export function usage(): string {
  const p = PRESETS;
  return `${PROGRAM}: the service-node registry (HTTP API, epochs, signed node lists, reachability tests)

Usage: deno task start [options]
       deno run --allow-net --allow-read --allow-write --allow-env registry/main.ts [options]

Options (flags win over environment variables; empty variables count as unset):
  --host HOST               REGISTRY_HOST               address to listen on (default ${DEFAULTS.host})
  --port PORT               REGISTRY_PORT               TCP port, 0 for any free one (default ${DEFAULTS.port})
  --data-dir DIR            REGISTRY_DATA_DIR           database and registry key directory, created
                                                        if missing (default ${DEFAULTS.dataDir})
  --network NAME            REGISTRY_NETWORK            mainnet, testnet or devnet (default ${DEFAULTS.network})
  --epoch-seconds N         REGISTRY_EPOCH_SECONDS      epoch length, 1 to 3600 seconds (default from
                                                        the network: mainnet ${p.mainnet.epochSeconds}, testnet ${p.testnet.epochSeconds}, devnet ${p.devnet.epochSeconds})
  --passphrase-file PATH    REGISTRY_PASSPHRASE_FILE    file whose first line is the registry key's
                                                        passphrase (at least 8 characters)
                            REGISTRY_PASSPHRASE         the passphrase itself (environment only)
                                                        With neither, devnet generates one into
                                                        <data-dir>/registry-key.passphrase; mainnet and
                                                        testnet refuse to start.
  --genesis FILE            REGISTRY_GENESIS            JSON [{"wallet": "<64 hex>", "amount": "<coins>"}],
                                                        credited only when the database is new (default none)
  --faucet-limit COINS      REGISTRY_FAUCET_LIMIT       largest faucet request, devnet only
                                                        (default ${DEFAULTS.faucetLimitCoins})
  --log-format FORMAT       REGISTRY_LOG_FORMAT         json (one object per line) or text (default ${DEFAULTS.logFormat})
  --log-level LEVEL         REGISTRY_LOG_LEVEL          debug, info, warn or error (default ${DEFAULTS.logLevel})
  --probe on|off            REGISTRY_PROBE              test node reachability each epoch (default on)
  --probe-concurrency N     REGISTRY_PROBE_CONCURRENCY  tests in flight at once, 1 to 256 (default ${DEFAULTS.probeConcurrency})
  --probe-timeout-ms MS     REGISTRY_PROBE_TIMEOUT_MS   per-test timeout, 100 to 60000 (default ${DEFAULTS.probeTimeoutMs})
  -h, --help                                            show this text
  --version                                             show the version

Files in the data directory: registry.db (SQLite), registry-key.json (encrypted
registry signing key, mode 0600), registry-key.passphrase (devnet only, when generated).

Exit status: 0 after a clean shutdown (SIGINT/SIGTERM), 1 on a runtime failure
(e.g. a wrong passphrase), 2 on a bad flag or value.
`;
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
      options: OPTIONS,
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
  const flags = parsed.values as Partial<
    Record<keyof typeof OPTIONS, string | boolean>
  >;
  if (flags.help) return { kind: "help", text: usage() };
  if (flags.version) {
    return { kind: "version", text: `${PROGRAM} ${version}` };
  }

  /** A setting's raw text and where it came from, for error messages. */
  const get = (
    flag: keyof typeof OPTIONS,
    envName: string,
  ): { value: string; source: string } | null => {
    const f = flags[flag];
    if (typeof f === "string") return { value: f, source: flagName(flag) };
    const e = env(envName);
    if (e !== undefined && e !== "") return { value: e, source: envName };
    return null;
  };

  const host = get("host", "REGISTRY_HOST");
  if (host && (host.value.trim() === "" || /\s/.test(host.value))) {
    throw new ConfigError(
      `${host.source}: "${host.value}" is not a host name or address`,
    );
  }

  const port = get("port", "REGISTRY_PORT");
  const portNumber = port
    ? integer(port.value, port.source, 0, 65535, "a TCP port")
    : DEFAULTS.port;

  const dataDir = get("data-dir", "REGISTRY_DATA_DIR");
  if (dataDir && dataDir.value.trim() === "") {
    throw new ConfigError(`${dataDir.source} must not be empty`);
  }

  const network = get("network", "REGISTRY_NETWORK");
  const name = network?.value ?? DEFAULTS.network;
  if (!Object.hasOwn(PRESETS, name)) {
    throw new ConfigError(
      `${
        network!.source
      }: unknown network "${name}" (expected mainnet, testnet or devnet)`,
    );
  }
  const epoch = get("epoch-seconds", "REGISTRY_EPOCH_SECONDS");
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

  const genesis = get("genesis", "REGISTRY_GENESIS");
  if (genesis && genesis.value.trim() === "") {
    throw new ConfigError(`${genesis.source} must not be empty`);
  }

  const faucet = get("faucet-limit", "REGISTRY_FAUCET_LIMIT");
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
    get("log-format", "REGISTRY_LOG_FORMAT"),
    ["json", "text"] as const,
    DEFAULTS.logFormat,
  );
  const logLevel = oneOf(
    get("log-level", "REGISTRY_LOG_LEVEL"),
    ["debug", "info", "warn", "error"] as const,
    DEFAULTS.logLevel,
  );
  const probe = oneOf(
    get("probe", "REGISTRY_PROBE"),
    ["on", "off"] as const,
    "on",
  );
  const concurrency = get("probe-concurrency", "REGISTRY_PROBE_CONCURRENCY");
  const timeout = get("probe-timeout-ms", "REGISTRY_PROBE_TIMEOUT_MS");

  return {
    kind: "run",
    config: {
      host: host?.value ?? DEFAULTS.host,
      port: portNumber,
      dataDir: dataDir?.value ?? DEFAULTS.dataDir,
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
