/**
 * The devnet's three witnesses: each a real `registry/witness/main.ts`
 * process with its own key and store under `<data-dir>/witness-<i>`,
 * following the devnet registry, re-executing every epoch and co-signing
 * its list. Their keys exist before the registry starts (it attaches
 * co-signatures only from witnesses it is configured with): on the first
 * run the devnet writes each keystore with a generated passphrase beside it,
 * as the registry does for its own devnet key (and with a lighter scrypt,
 * since the devnet is disposable).
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import {
  encryptKeystoreAsync,
  keystoreToJson,
  parseKeystore,
} from "../registry/core/keystore.ts";

/** How many witnesses the devnet runs. */
export const WITNESS_COUNT = 3;

/** One witness before it starts: where it lives and listens, its key. */
export interface WitnessPlan {
  name: string;
  dataDir: string;
  port: number;
  url: string;
  key: string;
}

/** A running witness. */
export interface WitnessProcess extends WitnessPlan {
  child: Deno.ChildProcess;
}

/** What the status screen shows of a witness. */
export interface WitnessState {
  name: string;
  /** Latest co-signed epoch, or null before the first. */
  epoch: number | null;
  /** Why it stopped co-signing, if it did. */
  halted: string | null;
  up: boolean;
}

/** A port free right now on 127.0.0.1. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Create (first run) or read each witness's key; choose its port. */
export async function planWitnesses(
  dataDir: string,
  basePort: number,
): Promise<WitnessPlan[]> {
  const plans: WitnessPlan[] = [];
  for (let i = 1; i <= WITNESS_COUNT; i++) {
    const dir = `${dataDir}/witness-${i}`;
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const keyFile = `${dir}/witness-key.json`;
    let key: string;
    try {
      key = parseKeystore(JSON.parse(await Deno.readTextFile(keyFile)))
        .publicKey;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
      const passphrase = base64url(crypto.getRandomValues(new Uint8Array(24)));
      await Deno.writeTextFile(
        `${dir}/witness-key.passphrase`,
        passphrase + "\n",
        { mode: 0o600 },
      );
      const ks = await encryptKeystoreAsync({
        secretKey: crypto.getRandomValues(new Uint8Array(32)),
        kind: "witness",
        passphrase,
        salt: crypto.getRandomValues(new Uint8Array(32)),
        nonce: crypto.getRandomValues(new Uint8Array(24)),
        kdf: { n: 1 << 14, r: 8, p: 1 },
        description: `devnet witness ${i}`,
      });
      await Deno.writeTextFile(keyFile, keystoreToJson(ks), { mode: 0o600 });
      key = ks.publicKey;
    }
    const port = basePort === 0 ? freePort() : basePort + i;
    plans.push({
      name: `witness${i}`,
      dataDir: dir,
      port,
      url: `http://127.0.0.1:${port}`,
      key: key.toLowerCase(),
    });
  }
  return plans;
}

/** `KEY@URL,...`, for the registry's `--witnesses`. */
export function witnessesOption(plans: readonly WitnessPlan[]): string {
  return plans.map((p) => `${p.key}@${p.url}`).join(",");
}

/** Start a witness following `registryUrl`; resolves once it listens. */
export async function startWitness(
  plan: WitnessPlan,
  registryUrl: string,
  registryKey: string,
  onLog: (record: Record<string, unknown>) => void,
): Promise<WitnessProcess> {
  const main = fileURLToPath(
    new URL("../registry/witness/main.ts", import.meta.url),
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      main,
      "--registry",
      registryUrl,
      "--registry-key",
      registryKey,
      "--network",
      "devnet",
      "--data-dir",
      plan.dataDir,
      "--port",
      String(plan.port),
      "--poll-ms",
      "200",
    ],
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let listening = false;
  while (!listening) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${plan.name} exited before it was listening`);
    buffer += value;
    let i;
    while ((i = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      try {
        const record = JSON.parse(line);
        if (record.msg === "listening") listening = true;
        onLog(record);
      } catch {
        // not a log line
      }
    }
  }
  (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let i;
      while ((i = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        try {
          onLog(JSON.parse(line));
        } catch {
          // not a log line
        }
      }
    }
  })();
  return { ...plan, child };
}

/** A witness's latest co-signed epoch and health, for the status screen. */
export async function witnessState(w: WitnessPlan): Promise<WitnessState> {
  try {
    const s = await (await fetch(`${w.url}/v1/status`, {
      signal: AbortSignal.timeout(1000),
    })).json() as {
      latest: { epoch: number } | null;
      halted: { code: string } | null;
    };
    return {
      name: w.name,
      epoch: s.latest?.epoch ?? null,
      halted: s.halted?.code ?? null,
      up: true,
    };
  } catch {
    return { name: w.name, epoch: null, halted: null, up: false };
  }
}
