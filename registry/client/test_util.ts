/**
 * Test helpers for the client: a real registry (`registry/main.ts`) run as
 * a subprocess on 127.0.0.1 port 0 in a temporary data directory, with a
 * registry key the test knows (so it can also sign doctored lists), and
 * simulated service nodes that register and prove over HTTP. Only core and
 * the registry's command line are used, nothing of its internals.
 *
 * @module
 */

import { toHex } from "../core/bytes.ts";
import { publicKeyOf } from "../core/keys.ts";
import { encryptKeystore, keystoreToJson } from "../core/keystore.ts";
import { type MessageBody, signMessage } from "../core/messages.ts";
import { decodeNodeList, type NodeList } from "../core/nodelist.ts";
import { ATOMIC_PER_COIN, PRESETS } from "../core/params.ts";
import { sleep } from "./api.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const PASSPHRASE = "client tests passphrase";

/** A running registry. */
export interface TestRegistry {
  /** Base URL. */
  url: string;
  /** Its signing key, hex public key and secret. */
  publicKey: string;
  secretKey: Uint8Array;
  /** Epoch length, seconds. */
  epochSeconds: number;
  /** Log lines (parsed JSON) so far. */
  lines: Record<string, unknown>[];
  /** Stop it (SIGTERM, wait) and delete its data directory. */
  close(): Promise<void>;
}

/**
 * Start `registry/main.ts --network devnet --port 0 --probe off` with a
 * pre-made keystore (cheap scrypt) for `secretKey`.
 */
export async function startRegistry(
  options: { epochSeconds?: number; secretKey?: Uint8Array } = {},
): Promise<TestRegistry> {
  const epochSeconds = options.epochSeconds ?? 1;
  const secretKey = options.secretKey ?? crypto.getRandomValues(
    new Uint8Array(32),
  );
  const dataDir = await Deno.makeTempDir({ prefix: "client-test-registry-" });
  const keystore = encryptKeystore({
    secretKey,
    kind: "registry",
    passphrase: PASSPHRASE,
    salt: crypto.getRandomValues(new Uint8Array(32)),
    nonce: crypto.getRandomValues(new Uint8Array(24)),
    kdf: { n: 2 ** 10, r: 8, p: 1 },
  });
  await Deno.writeTextFile(
    `${dataDir}/registry-key.json`,
    keystoreToJson(keystore),
    { mode: 0o600 },
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      MAIN,
      "--network",
      "devnet",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--data-dir",
      dataDir,
      "--epoch-seconds",
      String(epochSeconds),
      "--probe",
      "off",
      "--log-format",
      "json",
    ],
    env: { REGISTRY_PASSPHRASE: PASSPHRASE, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: Record<string, unknown>[] = [];
  let stderr = "";
  let wake = () => {};
  const pump = async (
    stream: ReadableStream<Uint8Array>,
    onLine: (l: string) => void,
  ) => {
    let buffer = "";
    const decoder = new TextDecoder();
    for await (const bytes of stream) {
      buffer += decoder.decode(bytes, { stream: true });
      let i;
      while ((i = buffer.indexOf("\n")) >= 0) {
        onLine(buffer.slice(0, i));
        buffer = buffer.slice(i + 1);
      }
      wake();
    }
    wake();
  };
  const out = pump(child.stdout, (l) => {
    try {
      lines.push(JSON.parse(l));
    } catch {
      // not a log line
    }
  });
  const err = pump(child.stderr, (l) => stderr += l + "\n");
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    wake();
    return s;
  });
  const deadline = Date.now() + 30_000;
  let listening: Record<string, unknown> | undefined;
  while (!(listening = lines.find((l) => l.msg === "listening"))) {
    if (exited || Date.now() > deadline) {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      throw new Error(`the registry did not start: ${stderr}`);
    }
    await new Promise<void>((r) => {
      const t = setTimeout(r, 100);
      wake = () => {
        clearTimeout(t);
        r();
      };
    });
  }
  const publicKey = String(listening.registryKey);
  if (publicKey !== toHex(publicKeyOf(secretKey))) {
    throw new Error("the registry did not use the prepared key");
  }
  return {
    url: String(listening.url),
    publicKey,
    secretKey,
    epochSeconds,
    lines,
    async close() {
      if (!exited) {
        try {
          child.kill("SIGTERM");
        } catch { /* gone */ }
        const t = setTimeout(() => {
          try {
            child.kill("SIGKILL");
          } catch { /* gone */ }
        }, 10_000);
        await status;
        clearTimeout(t);
      }
      await Promise.all([out, err]);
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}

/** A simulated service node: its keys and the address it proves. */
export interface TestNode {
  secret: Uint8Array;
  pubkey: string;
  ip: string;
  port: number;
  /** Its operator's wallet secret, set by {@linkcode registerNodes}. */
  operator?: Uint8Array;
}

let sequence = Date.now();

type Unsigned = MessageBody extends infer B
  ? B extends MessageBody ? Omit<B, "network" | "timestamp" | "sequence">
  : never
  : never;

async function submit(
  url: string,
  route: string,
  body: Unsigned,
  keys: Uint8Array[],
): Promise<Response> {
  const msg = signMessage(
    {
      ...body,
      network: PRESETS.devnet.id,
      timestamp: Math.floor(Date.now() / 1000),
      sequence: ++sequence,
    } as MessageBody,
    keys,
  );
  return await fetch(url + route, {
    method: "POST",
    headers: { "content-type": "application/octet-stream" },
    body: msg.bytes as Uint8Array<ArrayBuffer>,
  });
}

async function expectOk(res: Response, what: string): Promise<void> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${text}`);
}

/**
 * Register `nodes` (each fully funded by its own operator from the faucet)
 * and, unless `prove` is false, send one uptime proof each with its address.
 */
export async function registerNodes(
  url: string,
  nodes: readonly TestNode[],
  options: { prove?: boolean } = {},
): Promise<void> {
  for (const n of nodes) {
    const operator = crypto.getRandomValues(new Uint8Array(32));
    n.operator = operator;
    await expectOk(
      await submit(url, "/v1/faucet", {
        kind: "faucet_request",
        wallet: publicKeyOf(operator),
        amount: 200n * ATOMIC_PER_COIN,
      }, [operator]),
      "faucet",
    );
    await expectOk(
      await submit(url, "/v1/nodes", {
        kind: "register_node",
        nodePubkey: publicKeyOf(n.secret),
        operator: publicKeyOf(operator),
        operatorStake: PRESETS.devnet.stakingRequirement,
        feeBasisPoints: 0,
        reserved: [],
      }, [n.secret, operator]),
      "register",
    );
  }
  if (options.prove !== false) await prove(url, nodes);
}

/** The operator of a registered node asks for its unlock. */
export async function requestUnlock(
  url: string,
  node: TestNode,
): Promise<void> {
  await expectOk(
    await submit(url, "/v1/unlocks", {
      kind: "unlock_request",
      wallet: publicKeyOf(node.operator!),
      nodePubkey: publicKeyOf(node.secret),
    }, [node.operator!]),
    "unlock",
  );
}

/** One uptime proof per node (a proof too soon after the last is fine). */
export async function prove(
  url: string,
  nodes: readonly TestNode[],
): Promise<void> {
  for (const n of nodes) {
    const res = await submit(url, "/v1/proofs", {
      kind: "uptime_proof",
      nodePubkey: publicKeyOf(n.secret),
      ipv4: n.ip,
      httpsPort: n.port,
      quicPort: n.port,
      nodeVersion: [11, 0, 0],
      storageVersion: [2, 11, 0],
    }, [n.secret]);
    const text = await res.text();
    if (!res.ok && !text.includes("proof_too_soon")) {
      throw new Error(`proof: HTTP ${res.status} ${text}`);
    }
  }
}

/** Keep the nodes proving (every 3 s) until `signal` aborts. */
export async function keepProving(
  url: string,
  nodes: readonly TestNode[],
  signal: AbortSignal,
): Promise<void> {
  while (!signal.aborted) {
    await sleep(3000, signal);
    if (signal.aborted) break;
    await prove(url, nodes).catch(() => {});
  }
}

/** Active records of a list with an address (a proof seen). */
export function addressed(list: NodeList): number {
  return list.records.filter((r) =>
    r.ipv4 !== "0.0.0.0" && r.state === "active"
  ).length;
}

/**
 * Wait (bounded) until the registry's latest list satisfies `pred`; the
 * list's bytes.
 */
export async function waitForList(
  url: string,
  pred: (list: NodeList) => boolean,
  timeoutMs = 20_000,
): Promise<Uint8Array> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(url + "/v1/lists/latest.bin");
    if (res.ok) {
      const bytes = new Uint8Array(await res.arrayBuffer());
      if (pred(decodeNodeList(bytes, PRESETS.devnet.id))) return bytes;
    } else {
      await res.body?.cancel();
    }
    if (Date.now() > deadline) {
      throw new Error(`no matching list from ${url} within ${timeoutMs} ms`);
    }
    await sleep(200);
  }
}
