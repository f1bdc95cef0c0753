/**
 * Test and benchmark kit for the explorer: a real registry
 * (`registry/main.ts`) as a subprocess on 127.0.0.1 port 0 in a temporary
 * data directory, and a seeder that populates it through the HTTP API with
 * real signed writes built by the protocol core (faucet or genesis, then
 * registrations, contributions and uptime proofs). Never used by the
 * explorer itself.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { sha256 } from "@noble/hashes/sha2.js";
import { RegistryClient } from "../../registry/client/api.ts";
import { toHex } from "../../registry/core/bytes.ts";
import { publicKeyOf } from "../../registry/core/keys.ts";
import {
  encryptKeystore,
  keystoreToJson,
} from "../../registry/core/keystore.ts";
import { type MessageBody, signMessage } from "../../registry/core/messages.ts";
import { ATOMIC_PER_COIN, PRESETS } from "../../registry/core/params.ts";

/** A key pair from a label (reproducible). */
export interface Key {
  secret: Uint8Array;
  public: Uint8Array;
  hex: string;
}

/** The key derived from `label`: SHA-256 of it is the Ed25519 seed. */
export function keyOf(label: string): Key {
  const secret = sha256(new TextEncoder().encode(`web-test/${label}`));
  const pub = publicKeyOf(secret);
  return { secret, public: pub, hex: toHex(pub) };
}

/** A registry subprocess. */
export interface TestRegistry {
  url: string;
  registryKey: string;
  dataDir: string;
  /** The witnesses' keys (hex), when witnesses run beside it. */
  witnessKeys: string[];
  /** SIGTERM, wait, remove the data directory. */
  stop(): Promise<void>;
}

/** Options of {@linkcode startTestRegistry}. */
export interface TestRegistryOptions {
  epochSeconds?: number;
  /** Genesis allocations: wallet hex -> coins (decimal string). */
  genesis?: Record<string, string>;
  /** Reachability probing (off by default: test nodes have no server). */
  probe?: boolean;
  /** Milliseconds to wait for the `listening` line. Default 60,000. */
  timeoutMs?: number;
  /** Witness processes beside the registry, co-signing its lists. Default 0. */
  witnesses?: number;
  /** Switch the write and faucet rate limits off (seeding thousands of nodes). */
  noRateLimits?: boolean;
}

/** Start `registry/main.ts` on 127.0.0.1 port 0 in a temporary directory. */
export async function startTestRegistry(
  options: TestRegistryOptions = {},
): Promise<TestRegistry> {
  const dataDir = await Deno.makeTempDir({ prefix: "web-registry-" });
  const args = [
    "run",
    "--allow-net",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    fileURLToPath(new URL("../../registry/main.ts", import.meta.url)),
    "--network",
    "devnet",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--data-dir",
    dataDir,
    "--epoch-seconds",
    String(options.epochSeconds ?? 1),
    "--probe",
    options.probe ? "on" : "off",
    "--log-format",
    "json",
  ];
  // Witnesses: keys first (the registry attaches only its witnesses'
  // co-signatures), each keystore with a cheap scrypt for speed.
  const witnessKeys = Array.from(
    { length: options.witnesses ?? 0 },
    (_, i) => keyOf(`witness-${i}`),
  );
  for (const [i, w] of witnessKeys.entries()) {
    const dir = `${dataDir}/witness-${i}`;
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const ks = encryptKeystore({
      secretKey: w.secret,
      kind: "witness",
      passphrase: "web-test-passphrase",
      salt: new Uint8Array(32),
      nonce: new Uint8Array(24).fill(i),
      kdf: { n: 1024, r: 8, p: 1 },
    });
    await Deno.writeTextFile(`${dir}/witness-key.json`, keystoreToJson(ks), {
      mode: 0o600,
    });
  }
  if (witnessKeys.length > 0) {
    args.push("--witnesses", witnessKeys.map((w) => w.hex).join(","));
  }
  if (options.noRateLimits) {
    args.push(
      "--write-rate",
      "off",
      "--faucet-rate",
      "off",
      "--faucet-global-rate",
      "off",
    );
  }
  if (options.genesis) {
    const file = `${dataDir}.genesis.json`;
    await Deno.writeTextFile(
      file,
      JSON.stringify(
        Object.entries(options.genesis).map(([wallet, amount]) => ({
          wallet,
          amount,
        })),
      ),
    );
    args.push("--genesis", file);
  }
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    env: { REGISTRY_PASSPHRASE: "web-test-passphrase" },
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let listening: Record<string, unknown> | null = null;
  const deadline = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // gone
    }
  }, options.timeoutMs ?? 60_000);
  try {
    while (listening === null) {
      const { value, done } = await reader.read();
      if (done) {
        throw new Error(
          `the registry exited before listening: ${(await stderr).trim()}`,
        );
      }
      buffer += value;
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          const rec = JSON.parse(line) as Record<string, unknown>;
          if (rec.msg === "listening") listening = rec;
        } catch {
          // not JSON
        }
      }
    }
  } finally {
    clearTimeout(deadline);
  }
  // Keep draining stdout so the child never blocks on a full pipe.
  (async () => {
    try {
      while (!(await reader.read()).done) { /* drain */ }
    } catch {
      // closed
    }
  })();
  const witnesses = witnessKeys.map((_, i) =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        fileURLToPath(
          new URL("../../registry/witness/main.ts", import.meta.url),
        ),
        "--registry",
        String(listening!.url),
        "--registry-key",
        String(listening!.registryKey),
        "--data-dir",
        `${dataDir}/witness-${i}`,
        "--port",
        "0",
        "--poll-ms",
        "100",
      ],
      stdout: "null",
      stderr: "null",
      stdin: "null",
      env: { WITNESS_PASSPHRASE: "web-test-passphrase" },
    }).spawn()
  );
  return {
    url: String(listening.url),
    registryKey: String(listening.registryKey),
    dataDir,
    witnessKeys: witnessKeys.map((w) => w.hex),
    async stop() {
      for (const w of witnesses) {
        try {
          w.kill("SIGTERM");
        } catch {
          // gone
        }
      }
      await Promise.all(witnesses.map((w) => w.status));
      try {
        child.kill("SIGTERM");
      } catch {
        // gone
      }
      const t = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // gone
        }
      }, 10_000);
      await child.status;
      clearTimeout(t);
      await stderr.catch(() => "");
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      await Deno.remove(`${dataDir}.genesis.json`).catch(() => {});
    },
  };
}

/** A message body without the fields `sign` fills in. */
type Unsigned = MessageBody extends infer B
  ? B extends MessageBody ? Omit<B, "network" | "timestamp" | "sequence">
  : never
  : never;

/** Signs messages for devnet with increasing sequence numbers per signer. */
export class Signer {
  readonly #last = new Map<string, number>();

  /** Sign `body` with `keys`; the last key's sequence is used. */
  sign(body: Unsigned, keys: Key[]): Uint8Array {
    const owner = keys.at(-1)!.hex;
    const sequence = Math.max(Date.now(), (this.#last.get(owner) ?? 0) + 1);
    this.#last.set(owner, sequence);
    return signMessage(
      {
        ...body,
        network: PRESETS.devnet.id,
        timestamp: Math.floor(Date.now() / 1000),
        sequence,
      } as MessageBody,
      keys.map((k) => k.secret),
    ).bytes;
  }
}

/** A seeded node. */
export interface SeededNode {
  node: Key;
  operator: Key;
  contributor: Key | null;
  status: "active" | "awaiting_contributions";
}

/** Options of {@linkcode seedNodes}. */
export interface SeedOptions {
  /** Fully funded nodes. */
  active: number;
  /** Of which every `sharedEvery`-th is funded by operator + contributor. Default 3. */
  sharedEvery?: number;
  /** Nodes left awaiting contributions (operator minimum only). */
  open?: number;
  /** Label prefix for keys. Default "n". */
  prefix?: string;
  /** Fund wallets through the faucet (default) or assume genesis funded them. */
  faucet?: boolean;
  /** Writes in flight at once. Default 8. */
  concurrency?: number;
  /** Proof address: the i-th node gets 10.x.y.z. Default true. */
  proofs?: boolean;
}

/** Register nodes with real signed writes; returns them in order. */
export async function seedNodes(
  client: RegistryClient,
  options: SeedOptions,
): Promise<SeededNode[]> {
  const p = PRESETS.devnet;
  const signer = new Signer();
  const prefix = options.prefix ?? "n";
  const every = options.sharedEvery ?? 3;
  const total = options.active + (options.open ?? 0);
  const out: SeededNode[] = new Array(total);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      const node = keyOf(`${prefix}-node-${i}`);
      const operator = keyOf(`${prefix}-operator-${i}`);
      const open = i >= options.active;
      const shared = !open && every > 0 && i % every === every - 1;
      if (options.faucet ?? true) {
        await client.submit(
          signer.sign({
            kind: "faucet_request",
            wallet: operator.public,
            amount: 200n * ATOMIC_PER_COIN,
          }, [operator]),
          "faucet_request",
        );
      }
      await client.submit(
        signer.sign({
          kind: "register_node",
          nodePubkey: node.public,
          operator: operator.public,
          operatorStake: shared || open
            ? p.operatorMinimum
            : p.stakingRequirement,
          feeBasisPoints: shared || open ? 500 : 0,
          reserved: [],
        }, [node, operator]),
        "register_node",
      );
      let contributor: Key | null = null;
      if (shared) {
        contributor = keyOf(`${prefix}-contributor-${i}`);
        if (options.faucet ?? true) {
          await client.submit(
            signer.sign({
              kind: "faucet_request",
              wallet: contributor.public,
              amount: 200n * ATOMIC_PER_COIN,
            }, [contributor]),
            "faucet_request",
          );
        }
        await client.submit(
          signer.sign({
            kind: "contribute",
            wallet: contributor.public,
            nodePubkey: node.public,
            amount: p.stakingRequirement - p.operatorMinimum,
          }, [contributor]),
          "contribute",
        );
      }
      if (!open && (options.proofs ?? true)) {
        await client.submit(proofOf(signer, i, node), "uptime_proof");
      }
      out[i] = {
        node,
        operator,
        contributor,
        status: open ? "awaiting_contributions" : "active",
      };
    }
  };
  await Promise.all(
    Array.from({ length: options.concurrency ?? 8 }, () => worker()),
  );
  return out;
}

/** The uptime proof of seeded node `i` (the address `seedNodes` gives it). */
function proofOf(signer: Signer, i: number, node: Key): Uint8Array {
  return signer.sign({
    kind: "uptime_proof",
    nodePubkey: node.public,
    ipv4: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    httpsPort: 22021,
    quicPort: 22020,
    nodeVersion: [11, 0, 0],
    storageVersion: i % 5 === 4 ? [2, 9, 1] : [2, 10, 0],
  }, [node]);
}

/**
 * Keep the active seeded nodes proving every `everyMs` until `signal`
 * aborts, as real nodes do (without proofs they are decommissioned once a
 * proof's validity runs out). Refusals (too soon, no longer live) are
 * ignored.
 */
export function keepProving(
  client: RegistryClient,
  nodes: SeededNode[],
  signal: AbortSignal,
  everyMs: number,
): Promise<void> {
  const signer = new Signer();
  return (async () => {
    while (!signal.aborted) {
      await new Promise((r) => {
        const t = setTimeout(r, everyMs);
        signal.addEventListener("abort", () => {
          clearTimeout(t);
          r(null);
        }, { once: true });
      });
      if (signal.aborted) return;
      await Promise.all(nodes.map(async (n, i) => {
        if (n.status !== "active") return;
        try {
          await client.submit(proofOf(signer, i, n.node), "uptime_proof");
        } catch {
          // Too soon or no longer live: the next round tries again.
        }
      }));
    }
  })();
}

/** Wait until the registry has published a list at or after `epoch`. */
export async function waitForList(
  client: RegistryClient,
  epoch: number,
  timeoutMs = 30_000,
): Promise<number> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const info = await client.info();
    if (info.latestList && info.latestList.epoch >= epoch) {
      return info.latestList.epoch;
    }
    if (Date.now() > until) {
      throw new Error(`no list ${epoch} within ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A seeded registry ready for tests: nodes registered and in swarms. */
export async function seededRegistry(
  options: TestRegistryOptions & Partial<SeedOptions> = {},
): Promise<{
  registry: TestRegistry;
  client: RegistryClient;
  nodes: SeededNode[];
  /** Stop the nodes' proofs and the registry. */
  stop(): Promise<void>;
}> {
  const registry = await startTestRegistry(options);
  const client = new RegistryClient(registry.url, { timeoutMs: 30_000 });
  try {
    const nodes = await seedNodes(client, {
      active: options.active ?? 15,
      open: options.open ?? 1,
      ...(options.sharedEvery === undefined
        ? {}
        : { sharedEvery: options.sharedEvery }),
    });
    const info = await client.info();
    // A tick after the writes assigns swarms; one more gives a chain link.
    await waitForList(client, info.epoch + 1);
    // Proofs are valid for 11 epochs on devnet rules: keep the nodes up.
    const proving = new AbortController();
    const prover = keepProving(
      client,
      nodes,
      proving.signal,
      4 * (options.epochSeconds ?? 1) * 1000,
    );
    return {
      registry,
      client,
      nodes,
      async stop() {
        proving.abort();
        await prover;
        await registry.stop();
      },
    };
  } catch (e) {
    await registry.stop();
    throw e;
  }
}
