/**
 * Uptime proofs accepted per second over HTTP by a real registry process
 * (`registry/main.ts` as `deno task start` runs it: SQLite file in WAL mode,
 * every proof answered only once committed), against the ceiling the issue
 * names: WebCrypto `crypto.subtle.verify("Ed25519")` calls per second in
 * this process, measured in the same run, rounds alternating. @noble's
 * strict verify per second is recorded beside it.
 *
 * Setup (not timed): the registry starts with genesis-funded operator
 * wallets and `(rounds + 1) x perRound` nodes are registered over HTTP.
 * Each round then sends one proof from each of `perRound` fresh nodes
 * (proofs from one node closer than the minimum spacing are refused) over
 * `concurrency` keep-alive connections, all answers checked to be 200.
 *
 *     node_modules/.bin/deno run -A bench/proofs.ts [--rounds 5] [--per-round 1000] [--concurrency 32] [--http-server node|deno]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { sha256 } from "@noble/hashes/sha2.js";
import { concat, toHex } from "../registry/core/bytes.ts";
import { publicKeyOf, sign, verify } from "../registry/core/keys.ts";
import {
  decodeUnverifiedMessage,
  domainTag,
  encodeUnsigned,
  type MessageBody,
} from "../registry/core/messages.ts";
import { ATOMIC_PER_COIN, PRESETS } from "../registry/core/params.ts";
import {
  NO_RATE_LIMITS,
  RegistryProcess,
} from "../tests/fault/registry_process.ts";
import { KeepAliveClient } from "./http_client.ts";
import { processCpuSeconds } from "./serving.ts";

/** The figures of {@linkcode measureProofs}. */
export interface ProofFigures {
  /** Median proofs accepted per second over HTTP. */
  proofsPerSecond: number;
  /** Median WebCrypto verifications per second, this process. */
  webCryptoPerSecond: number;
  /** Median @noble strict verifications per second, this process. */
  noblePerSecond: number;
  /** Median server CPU milliseconds per accepted proof. */
  serverCpuMsPerProof: number;
  /** Writes per committed transaction during the timed rounds (the registry's /metrics). */
  meanGroupSize: number;
  proofSamples: number[];
  webCryptoSamples: number[];
  rounds: number;
  perRound: number;
  concurrency: number;
}

/** Options of {@linkcode measureProofs}. */
export interface ProofOptions {
  rounds?: number;
  perRound?: number;
  concurrency?: number;
  /** The registry's `--http-server`. Default `node` (the default). */
  httpServer?: "node" | "deno";
  onRound?: (round: number, proofsPerSecond: number, webCrypto: number) => void;
}

const params = PRESETS.devnet;
const keyOf = (label: string) => sha256(new TextEncoder().encode(label));

/** Sign without verifying back (core's signMessage re-verifies: slow for setup). */
function signed(body: MessageBody, secrets: Uint8Array[]): Uint8Array {
  const unsigned = encodeUnsigned(body);
  const preimage = concat(domainTag(body.kind), unsigned);
  return concat(unsigned, ...secrets.map((s) => sign(s, preimage)));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Send `bodies` to `path` over `concurrency` connections; every answer must be 200. */
async function post(
  port: number,
  path: string,
  bodies: Uint8Array[],
  concurrency: number,
  sequentialBy?: (i: number) => number,
): Promise<void> {
  const clients = await Promise.all(
    Array.from({ length: concurrency }, () => KeepAliveClient.open(port)),
  );
  try {
    // With `sequentialBy`, bodies of one group go in order on one connection.
    const queues: number[][] = clients.map(() => []);
    bodies.forEach((_, i) =>
      queues[(sequentialBy?.(i) ?? i) % concurrency]!.push(i)
    );
    await Promise.all(clients.map(async (c, k) => {
      for (const i of queues[k]!) {
        const res = await c.request("POST", path, {
          "content-type": "application/octet-stream",
        }, bodies[i]!);
        if (res.status !== 200 && res.status !== 201) {
          throw new Error(
            `${path}: ${res.status} ${new TextDecoder().decode(res.body)}`,
          );
        }
      }
    }));
  } finally {
    for (const c of clients) c.close();
  }
}

/** WebCrypto verifications per second over `checks` (keys imported beforehand). */
async function webCryptoRate(
  checks: { key: CryptoKey; preimage: Uint8Array; signature: Uint8Array }[],
): Promise<number> {
  const t0 = performance.now();
  for (const c of checks) {
    if (
      !await crypto.subtle.verify(
        "Ed25519",
        c.key,
        c.signature as Uint8Array<ArrayBuffer>,
        c.preimage as Uint8Array<ArrayBuffer>,
      )
    ) throw new Error("a bench proof does not verify");
  }
  return checks.length / ((performance.now() - t0) / 1000);
}

/** Measure proof ingestion against WebCrypto verification. */
export async function measureProofs(
  opts: ProofOptions = {},
): Promise<ProofFigures> {
  const rounds = opts.rounds ?? 5;
  const perRound = opts.perRound ?? 1000;
  const concurrency = opts.concurrency ?? 32;
  const total = (rounds + 1) * perRound;
  const operators = 64;
  const perOperator = Math.ceil(total / operators);
  const opKeys = Array.from(
    { length: operators },
    (_, i) => keyOf(`proof-bench-operator-${i}`),
  );
  const genesisFile = await Deno.makeTempFile({ suffix: ".json" });
  const coins = BigInt(perOperator) * params.stakingRequirement /
      ATOMIC_PER_COIN + 1n;
  await Deno.writeTextFile(
    genesisFile,
    JSON.stringify(opKeys.map((k) => ({
      wallet: toHex(publicKeyOf(k)),
      amount: String(coins),
    }))),
  );
  const dataDir = await Deno.makeTempDir({ prefix: "proof-bench-" });
  const registry = await RegistryProcess.start([
    "--data-dir",
    dataDir,
    "--port",
    "0",
    "--epoch-seconds",
    "3600",
    "--probe",
    "off",
    "--genesis",
    genesisFile,
    "--http-server",
    opts.httpServer ?? "node",
    ...NO_RATE_LIMITS,
  ], { REGISTRY_PASSPHRASE: "proof-bench-passphrase" });
  try {
    const now = () => Math.floor(Date.now() / 1000);
    const nodeKeys = Array.from(
      { length: total },
      (_, i) => keyOf(`proof-bench-node-${i}`),
    );
    const nodePubs = nodeKeys.map(publicKeyOf);
    const registrations = nodeKeys.map((nk, i) => {
      const op = i % operators;
      return signed({
        kind: "register_node",
        network: params.id,
        timestamp: now(),
        sequence: Math.floor(i / operators) + 1,
        nodePubkey: nodePubs[i]!,
        operator: publicKeyOf(opKeys[op]!),
        operatorStake: params.stakingRequirement,
        feeBasisPoints: 0,
        reserved: [],
      }, [nk, opKeys[op]!]);
    });
    // One operator's registrations in sequence order on one connection.
    await post(
      registry.port,
      "/v1/nodes",
      registrations,
      operators,
      (i) => i % operators,
    );

    const proofsOf = (from: number) =>
      nodeKeys.slice(from, from + perRound).map((nk, j) =>
        signed({
          kind: "uptime_proof",
          network: params.id,
          timestamp: now(),
          sequence: 1,
          nodePubkey: nodePubs[from + j]!,
          ipv4: `10.${(from + j) >> 16 & 255}.${(from + j) >> 8 & 255}.${
            (from + j) & 255
          }`,
          httpsPort: 22021,
          quicPort: 22020,
          nodeVersion: [11, 0, 0],
          storageVersion: [2, 10, 0],
        }, [nk])
      );
    // Warm-up round (the registry's JIT, caches): not counted.
    await post(registry.port, "/v1/proofs", proofsOf(0), concurrency);

    const groups = async () => {
      const c = await KeepAliveClient.open(registry.port);
      try {
        const text = new TextDecoder().decode(
          (await c.request("GET", "/metrics")).body,
        );
        const v = (name: string) =>
          Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);
        return {
          groups: v("registry_write_groups_total"),
          writes: v("registry_grouped_writes_total"),
        };
      } finally {
        c.close();
      }
    };
    const g0 = await groups();
    const proofRates: number[] = [];
    const webRates: number[] = [];
    const cpuPerProof: number[] = [];
    let nobleRate = 0;
    for (let r = 0; r < rounds; r++) {
      const proofs = proofsOf((r + 1) * perRound);
      const checks = await Promise.all(proofs.map(async (bytes) => {
        const c = decodeUnverifiedMessage(bytes, params.id).checks[0]!;
        return {
          key: await crypto.subtle.importKey(
            "raw",
            c.publicKey.slice(),
            { name: "Ed25519" },
            false,
            ["verify"],
          ),
          preimage: c.preimage,
          signature: c.signature,
          publicKey: c.publicKey,
        };
      }));
      const runProofs = async () => {
        const cpu0 = await processCpuSeconds(registry.child.pid);
        const t0 = performance.now();
        await post(registry.port, "/v1/proofs", proofs, concurrency);
        const seconds = (performance.now() - t0) / 1000;
        const cpu = await processCpuSeconds(registry.child.pid) - cpu0;
        proofRates.push(proofs.length / seconds);
        cpuPerProof.push(cpu * 1000 / proofs.length);
      };
      const runWebCrypto = async () =>
        webRates.push(await webCryptoRate(checks));
      if (r % 2 === 0) {
        await runProofs();
        await runWebCrypto();
      } else {
        await runWebCrypto();
        await runProofs();
      }
      if (r === 0) {
        const sample = checks.slice(0, 100);
        const t0 = performance.now();
        for (const c of sample) verify(c.publicKey, c.preimage, c.signature);
        nobleRate = sample.length / ((performance.now() - t0) / 1000);
      }
      opts.onRound?.(r, proofRates.at(-1)!, webRates.at(-1)!);
    }
    const g1 = await groups();
    return {
      meanGroupSize: (g1.writes - g0.writes) / (g1.groups - g0.groups),
      proofsPerSecond: median(proofRates),
      webCryptoPerSecond: median(webRates),
      noblePerSecond: nobleRate,
      serverCpuMsPerProof: median(cpuPerProof),
      proofSamples: proofRates,
      webCryptoSamples: webRates,
      rounds,
      perRound,
      concurrency,
    };
  } finally {
    await registry.stop();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    await Deno.remove(genesisFile).catch(() => {});
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      rounds: { type: "string", default: "5" },
      "per-round": { type: "string", default: "1000" },
      concurrency: { type: "string", default: "32" },
      "http-server": { type: "string", default: "node" },
    },
  });
  const f = await measureProofs({
    rounds: Number(values.rounds),
    perRound: Number(values["per-round"]),
    concurrency: Number(values.concurrency),
    httpServer: values["http-server"] === "deno" ? "deno" : "node",
    onRound: (r, p, w) =>
      console.error(
        `round ${r}: ${p.toFixed(0)} proofs/s, ${
          w.toFixed(0)
        } WebCrypto verifies/s`,
      ),
  });
  console.log(
    `proofs/s ${f.proofsPerSecond.toFixed(0)}, WebCrypto/s ${
      f.webCryptoPerSecond.toFixed(0)
    }, ratio ${
      (f.proofsPerSecond / f.webCryptoPerSecond).toFixed(3)
    }; noble/s ${f.noblePerSecond.toFixed(0)}; server cpu ${
      f.serverCpuMsPerProof.toFixed(3)
    } ms/proof; ${f.meanGroupSize.toFixed(1)} writes per transaction`,
  );
}
