/**
 * `deno task witness`: a witness process. It decrypts (or, on the first run,
 * generates) its co-signing key from `<data-dir>/witness-key.json`, opens
 * its own SQLite store `<data-dir>/witness.db` (commits synced to disk),
 * starts from the registry's genesis or from a state snapshot, then follows
 * the registry: every `--poll-ms` it decides on each new list (see
 * `witness.ts`), posts its co-signatures, and serves its checkpoints on its
 * own port (`server.ts`). SIGINT/SIGTERM stop it cleanly.
 *
 * Exit status: 0 after a clean shutdown, 1 on a start-up failure, 2 on a
 * bad flag or value.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { toHex } from "../core/bytes.ts";
import { parsePublicKey } from "../core/keys.ts";
import { NETWORK_IDS, type NetworkName } from "../core/params.ts";
import { ConfigError, type PassphraseSource } from "../runtime/config.ts";
import { type LogFormat, Logger, type LogLevel } from "../runtime/log.ts";
import {
  joinPath,
  loadOrCreateSigningKey,
  prepareDataDir,
  resolvePassphrase,
  SigningKeyError,
} from "../runtime/signing_key.ts";
import { openSqliteStore, type Store } from "../store/store.ts";
import { witnessHandler } from "./server.ts";
import { RegistrySources } from "./source.ts";
import { Witness } from "./witness.ts";

/** The witness's keystore in its data directory. */
export const WITNESS_KEY_FILE = "witness-key.json";
/** The generated devnet passphrase's file. */
export const WITNESS_PASSPHRASE_FILE = "witness-key.passphrase";
/** The witness's database. */
export const WITNESS_DB_FILE = "witness.db";

const USAGE =
  `usage: deno task witness --registry URL --registry-key HEX [options]

A witness: follows a registry, re-executes each epoch's published inputs with
the registry's rules on its own store, co-signs each list that follows from
them and extends the last one it co-signed, posts the co-signature to the
registry and serves its checkpoints.

options:
  --registry URL          the registry to follow (repeat for mirrors)
  --registry-key HEX      a pinned registry public key (repeatable; required)
  --registry-threshold K  registry signatures needed (default: a majority of the keys)
  --network NAME          mainnet, testnet or devnet (default devnet)
  --data-dir DIR          key and database directory (default ./data/witness)
  --host HOST             address to serve on (default 127.0.0.1)
  --port PORT             port to serve on; 0 picks one (default 9100)
  --start MODE            genesis, snapshot or auto (default auto: genesis when the
                          registry still has list 0 and its inputs)
  --poll-ms MS            how often to look for new lists (default 500)
  --passphrase-file PATH  the key's passphrase, first line (or WITNESS_PASSPHRASE;
                          devnet generates one into the data directory)
  --log-format FORMAT     json, text or journal (default json)
  --log-level LEVEL       debug, info, warn or error (default info)
  --init                  only create the data directory and the key, print the
                          key and exit (to configure the registry before starting)
  --pause-after-decide [EPOCH:]MS
                          testing: wait between deciding and posting (only for
                          EPOCH when given)
  -h, --help              this text`;

/** The parsed command line. */
export interface WitnessConfig {
  registries: string[];
  registryKeys: Uint8Array[];
  registryThreshold: number | undefined;
  network: NetworkName;
  dataDir: string;
  host: string;
  port: number;
  start: "genesis" | "snapshot" | "auto";
  pollMs: number;
  passphrase: PassphraseSource;
  logFormat: LogFormat;
  logLevel: LogLevel;
  pauseAfterDecideMs: number;
  /** Only pause for this epoch (undefined: every epoch). */
  pauseEpoch: number | undefined;
  /** Only create the key, print it and exit. */
  init: boolean;
}

function int(text: string, name: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || n < min || n > max) {
    throw new ConfigError(`--${name} must be ${min} to ${max}, got "${text}"`);
  }
  return n;
}

function pauseOf(
  text: string,
): { pauseAfterDecideMs: number; pauseEpoch: number | undefined } {
  const [a, b] = text.split(":");
  return b === undefined
    ? {
      pauseAfterDecideMs: int(a!, "pause-after-decide", 0, 3_600_000),
      pauseEpoch: undefined,
    }
    : {
      pauseAfterDecideMs: int(b, "pause-after-decide", 0, 3_600_000),
      pauseEpoch: int(a!, "pause-after-decide", 0, Number.MAX_SAFE_INTEGER),
    };
}

/** Parse the command line (null: help was asked for). */
export function parseWitnessArgs(
  args: string[],
  env: (name: string) => string | undefined,
): WitnessConfig | null {
  let values;
  try {
    values = parseArgs({
      args,
      options: {
        registry: { type: "string", multiple: true },
        "registry-key": { type: "string", multiple: true },
        "registry-threshold": { type: "string" },
        network: { type: "string", default: "devnet" },
        "data-dir": { type: "string", default: "./data/witness" },
        host: { type: "string", default: "127.0.0.1" },
        port: { type: "string", default: "9100" },
        start: { type: "string", default: "auto" },
        "poll-ms": { type: "string", default: "500" },
        "passphrase-file": { type: "string" },
        "log-format": { type: "string", default: "json" },
        "log-level": { type: "string", default: "info" },
        "pause-after-decide": { type: "string", default: "0" },
        init: { type: "boolean", default: false },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  if (values.help) return null;
  const init = values.init === true;
  const registries = values.registry ?? [];
  if (registries.length === 0 && !init) {
    throw new ConfigError("--registry is required");
  }
  for (const r of registries) {
    if (!/^https?:\/\/\S+$/.test(r)) {
      throw new ConfigError(`--registry "${r}" is not an http(s) URL`);
    }
  }
  const keys = (values["registry-key"] ?? []).map((h) => {
    try {
      return parsePublicKey(h);
    } catch {
      throw new ConfigError(
        `--registry-key "${h}" is not an Ed25519 public key`,
      );
    }
  });
  if (keys.length === 0 && !init) {
    throw new ConfigError(
      "--registry-key is required: pin the registry's key (get it from its operator, not from the registry)",
    );
  }
  const network = values.network as NetworkName;
  if (!(network in NETWORK_IDS)) {
    throw new ConfigError(`--network must be mainnet, testnet or devnet`);
  }
  const start = values.start;
  if (start !== "genesis" && start !== "snapshot" && start !== "auto") {
    throw new ConfigError("--start must be genesis, snapshot or auto");
  }
  const fmt = values["log-format"];
  const level = values["log-level"];
  if (fmt !== "json" && fmt !== "text" && fmt !== "journal") {
    throw new ConfigError("--log-format must be json, text or journal");
  }
  if (!["debug", "info", "warn", "error"].includes(level)) {
    throw new ConfigError("--log-level must be debug, info, warn or error");
  }
  const file = values["passphrase-file"] ?? env("WITNESS_PASSPHRASE_FILE");
  const inline = env("WITNESS_PASSPHRASE");
  let passphrase: PassphraseSource;
  if (file) {
    passphrase = { kind: "file", path: file, from: "--passphrase-file" };
  } else if (inline) {
    passphrase = { kind: "env", passphrase: inline };
  } else if (network === "devnet") {
    passphrase = { kind: "generated" };
  } else {
    throw new ConfigError(
      "give the witness key's passphrase: --passphrase-file PATH or WITNESS_PASSPHRASE",
    );
  }
  return {
    registries,
    registryKeys: keys,
    registryThreshold: values["registry-threshold"] === undefined
      ? undefined
      : int(
        values["registry-threshold"],
        "registry-threshold",
        1,
        Math.max(1, keys.length),
      ),
    network,
    dataDir: values["data-dir"],
    host: values.host,
    port: int(values.port, "port", 0, 65535),
    start,
    pollMs: int(values["poll-ms"], "poll-ms", 50, 600_000),
    passphrase,
    logFormat: fmt,
    logLevel: level as LogLevel,
    ...pauseOf(values["pause-after-decide"]),
    init,
  };
}

/** Run the witness until it is told to stop. Returns the exit status. */
export async function main(
  args: string[],
  env: (name: string) => string | undefined,
): Promise<number> {
  let config: WitnessConfig | null;
  try {
    config = parseWitnessArgs(args, env);
  } catch (e) {
    console.error(`error: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (config === null) {
    console.log(USAGE);
    return 0;
  }
  const log = new Logger({ format: config.logFormat, level: config.logLevel });
  let store: Store | undefined;
  try {
    await prepareDataDir(config.dataDir, log);
    const passphrase = await resolvePassphrase(
      config.passphrase,
      config.dataDir,
      log,
      {
        file: WITNESS_PASSPHRASE_FILE,
        env: "WITNESS_PASSPHRASE",
        whose: "witness",
      },
    );
    const key = await loadOrCreateSigningKey({
      dataDir: config.dataDir,
      passphrase,
      file: WITNESS_KEY_FILE,
      kind: "witness",
      description: `snode-registry ${config.network} witness key`,
      log,
    });
    if (key.created) {
      log.info("generated the witness key", {
        path: key.path,
        witnessKey: toHex(key.publicKey),
      });
    }
    if (config.init) {
      log.info("witness key", { witnessKey: toHex(key.publicKey) });
      return 0;
    }
    store = await openSqliteStore(joinPath(config.dataDir, WITNESS_DB_FILE), {
      exclusive: true,
      durable: true,
    });
    const sources = new RegistrySources(config.registries);
    const witness = await Witness.open({
      store,
      network: NETWORK_IDS[config.network],
      secretKey: key.secretKey,
      registryKeys: config.registryKeys,
      ...(config.registryThreshold === undefined
        ? {}
        : { registryThreshold: config.registryThreshold }),
      sources,
      clock: Date.now,
      log: (level, msg, fields) => log[level](msg, fields),
      pauseAfterDecideMs: config.pauseAfterDecideMs,
      ...(config.pauseEpoch === undefined
        ? {}
        : { pauseEpoch: config.pauseEpoch }),
    });
    return await serve(witness, config, log, toHex(key.publicKey));
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const startup = e instanceof SigningKeyError || e instanceof ConfigError;
    log.error(startup ? "start-up failed" : "fatal error", { error: message });
    console.error(`error: ${message}`);
    return e instanceof ConfigError ? 2 : 1;
  } finally {
    await store?.close().catch(() => {});
  }
}

async function serve(
  witness: Witness,
  config: WitnessConfig,
  log: Logger,
  witnessKey: string,
): Promise<number> {
  const stop = new AbortController();
  const server = Deno.serve({
    hostname: config.host,
    port: config.port,
    signal: stop.signal,
    onListen: () => {},
  }, witnessHandler(witness));
  const addr = server.addr as Deno.NetAddr;
  const url = `http://${addr.hostname}:${addr.port}`;
  log.info("listening", {
    url,
    witnessKey,
    network: config.network,
    registries: config.registries,
  });

  // Start (genesis or snapshot) and follow, until stopped.
  let started: string | null = null;
  const loop = (async () => {
    while (!stop.signal.aborted) {
      try {
        started ??= await witness.start(config.start);
        await witness.step();
      } catch (e) {
        log.warn("follow step failed", {
          error: e instanceof Error ? e.message : String(e),
        });
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, config.pollMs);
        stop.signal.addEventListener("abort", () => {
          clearTimeout(t);
          resolve();
        }, { once: true });
      });
    }
  })();

  const signal = await new Promise<string>((resolve) => {
    for (const s of ["SIGINT", "SIGTERM"] as const) {
      try {
        Deno.addSignalListener(s, () => resolve(s));
      } catch {
        // not on this platform
      }
    }
  });
  log.info("shutting down", { signal });
  stop.abort();
  await loop;
  await server.finished;
  log.info("stopped", { signal });
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args, (name) => Deno.env.get(name)));
}
