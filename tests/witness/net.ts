/**
 * Real processes and loopback registries for the witness suites:
 *
 * - keystores written up front with a cheap scrypt (so a process decrypts
 *   in milliseconds) and the passphrase to open them;
 * - a witness process (`deno task witness`'s permissions) whose JSON log
 *   lines are parsed, with `kill -9` and a clean stop;
 * - registries in this process (the test kit's real registry on SQLite),
 *   served on 127.0.0.1 behind a front whose target can be switched, with
 *   a clock the test moves: two of them fed the same inputs give the same
 *   lists byte for byte, until the test makes one diverge - a registry
 *   rewriting its history or showing different clients different lists.
 *
 * Every wait is bounded.
 *
 * @module
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { LoggingProcess } from "../logging_process.ts";
import { toHex } from "../../registry/core/bytes.ts";
import {
  encryptKeystore,
  keystoreToJson,
} from "../../registry/core/keystore.ts";
import { publicKeyOf } from "../../registry/core/keys.ts";
import { type MessageBody, signMessage } from "../../registry/core/messages.ts";
import { ATOMIC_PER_COIN, PRESETS } from "../../registry/core/params.ts";
import { createApp } from "../../registry/http/app.ts";
import { Registry } from "../../registry/registry.ts";
import { openSqliteStore, type Store } from "../../registry/store/store.ts";

export const ROOT = new URL("../..", import.meta.url).pathname;
export const PASSPHRASE = "witness suite passphrase";

/** A key from a label: the seed is SHA-256 of it. */
export function labelKey(
  label: string,
): { secret: Uint8Array; public: Uint8Array; hex: string } {
  const secret = sha256(new TextEncoder().encode(label));
  const pub = publicKeyOf(secret);
  return { secret, public: pub, hex: toHex(pub) };
}

/** Write an encrypted keystore (cheap scrypt) into `dir/file`, mode 0600. */
export async function writeKeystore(
  dir: string,
  file: string,
  kind: "registry" | "witness",
  secret: Uint8Array,
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const ks = encryptKeystore({
    secretKey: secret,
    kind,
    passphrase: PASSPHRASE,
    salt: new Uint8Array(32).fill(7),
    nonce: crypto.getRandomValues(new Uint8Array(24)),
    kdf: { n: 1024, r: 8, p: 1 },
  });
  await Deno.writeTextFile(`${dir}/${file}`, keystoreToJson(ks), {
    mode: 0o600,
  });
}

async function taskArgs(task: string): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  return String(config.tasks[task]).split(/\s+/).slice(1);
}

/** A witness process. */
export class WitnessProcess extends LoggingProcess {
  url = "";
  key = "";

  /** Start one (its keystore must exist in `dataDir`) and wait for `listening`. */
  static async start(options: {
    dataDir: string;
    registries: string[];
    registryKeys: string[];
    extra?: string[];
  }): Promise<WitnessProcess> {
    const args = [
      ...await taskArgs("witness"),
      "--data-dir",
      options.dataDir,
      "--port",
      "0",
      "--poll-ms",
      "100",
      ...options.registries.flatMap((r) => ["--registry", r]),
      ...options.registryKeys.flatMap((k) => ["--registry-key", k]),
      ...(options.extra ?? []),
    ];
    const w = new WitnessProcess(args, { WITNESS_PASSPHRASE: PASSPHRASE });
    const line = await w.waitFor(
      "witness listening",
      (l) => l.msg === "listening",
    );
    w.url = String(line.url);
    w.key = String(line.witnessKey);
    return w;
  }

  /** Its status document. */
  async status(): Promise<{
    latest: { epoch: number; checkpointHash: string } | null;
    halted: { code: string; epoch: number; reason: string } | null;
    proofs: number;
    startedFrom: string | null;
  }> {
    return await (await fetch(`${this.url}/v1/status`)).json();
  }
}

/** A registry process (`deno task start`'s permissions). */
export class RegistryProc extends LoggingProcess {
  url = "";
  key = "";
  static async start(args: string[]): Promise<RegistryProc> {
    const r = new RegistryProc([...await taskArgs("start"), ...args], {
      REGISTRY_PASSPHRASE: PASSPHRASE,
    });
    const line = await r.waitFor(
      "registry listening",
      (l) => l.msg === "listening",
      60_000,
    );
    r.url = String(line.url);
    r.key = String(line.registryKey);
    return r;
  }
}

/** Wait (bounded) until `probe` returns something other than null. */
export async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | null>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== null) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: not in time${last ? ` (${last})` : ""}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---------------------------------------------------------------------------
// Registries in this process

/** A registry on SQLite in this process, with a clock the test sets. */
export class LocalRegistry {
  readonly registry: Registry;
  readonly store: Store;
  readonly app: ReturnType<typeof createApp>;
  constructor(registry: Registry, store: Store) {
    this.registry = registry;
    this.store = store;
    this.app = createApp(registry);
  }
}

/** The clock the local registries read: set by the test. */
export const clock = { now: Date.now() };

/** Open a devnet registry signed by `key`, with `funded` labels at genesis. */
export async function localRegistry(
  key: Uint8Array,
  witnesses: string[],
  funded: string[],
): Promise<LocalRegistry> {
  const store = await openSqliteStore(":memory:");
  const registry = await Registry.open({
    store,
    params: { ...PRESETS.devnet, epochSeconds: 1 },
    signingKeys: [key],
    clock: () => clock.now,
    allowPrivateAddresses: true,
    genesis: funded.map((l) => ({
      wallet: labelKey(l).hex,
      amount: 1000n * ATOMIC_PER_COIN,
    })),
    witnesses: witnesses.map((w) => ({
      key: Uint8Array.from(w.match(/../g)!.map((b) => parseInt(b, 16))),
      url: null,
    })),
  });
  return new LocalRegistry(registry, store);
}

/** A front on 127.0.0.1 that serves whichever registry `target` names. */
export class Front {
  target: LocalRegistry;
  readonly url: string;
  readonly #server: Deno.HttpServer;
  constructor(target: LocalRegistry) {
    this.target = target;
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (req) => this.target.app.fetch(req),
    );
    this.url = `http://127.0.0.1:${(this.#server.addr as Deno.NetAddr).port}`;
  }
  async close(): Promise<void> {
    await this.#server.shutdown();
  }
}

const sequences = new Map<string, number>();

/** A faucet request signed by `label`'s key, dated by the local clock. */
export function faucetMessage(label: string, coins: bigint): Uint8Array {
  const k = labelKey(label);
  const seq = (sequences.get(label) ?? 0) + 1;
  sequences.set(label, seq);
  return signMessage({
    kind: "faucet_request",
    network: 3,
    timestamp: Math.floor(clock.now / 1000),
    sequence: seq,
    wallet: k.public,
    amount: coins * ATOMIC_PER_COIN,
  } as MessageBody, [k.secret]).bytes;
}
