// Crash fault suite (`deno task test:fault`): the registry as a subprocess on
// a temporary data directory, signed writes from several writers, `kill -9`
// at a random moment, again and again. After every kill the database is
// opened as the registry would open it and checked: SQLite's integrity check,
// every acknowledged write present, the ledger balanced, the list chain
// intact (each kept list signed by the registry key and linked to the one
// before). Seeded, bounded in rounds and time; loopback only.
import assert from "node:assert/strict";
import { fromHex, toHex } from "../../registry/core/bytes.ts";
import { type MessageBody, signMessage } from "../../registry/core/messages.ts";
import {
  decodeNodeList,
  verifyChain,
  verifyNodeList,
} from "../../registry/core/nodelist.ts";
import { ATOMIC_PER_COIN, PRESETS } from "../../registry/core/params.ts";
import { openSqliteStore } from "../../registry/store/store.ts";
import { testKey } from "../../registry/testkit/net.ts";
import { NO_RATE_LIMITS, RegistryProcess, report } from "./registry_process.ts";

const ROUNDS = 20;
const WRITERS = 4;
const P = PRESETS.devnet;

/** A small seeded PRNG (mulberry32): the suite's choices are reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Acked {
  kind: string;
  signer: string;
  sequence: number;
  wallet?: string;
  amount?: bigint;
  node?: string;
}

/** One writer: a wallet that takes faucet coins, registers nodes, proves them. */
class Writer {
  readonly wallet;
  sequence: number;
  nodeSequences = new Map<string, number>();
  balance = 0n;
  nodes: string[] = [];
  constructor(readonly index: number) {
    this.wallet = testKey(`crash-writer-${index}`);
    this.sequence = 0;
  }
}

function sign(
  body: Record<string, unknown>,
  keys: Uint8Array[],
  sequence: number,
): Uint8Array {
  return signMessage(
    {
      ...body,
      network: P.id,
      timestamp: Math.floor(Date.now() / 1000),
      sequence,
    } as unknown as MessageBody,
    keys,
  ).bytes;
}

Deno.test({
  name:
    `crash: ${ROUNDS} kill -9 rounds during sustained writes lose no acknowledged write; the database stays sound`,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const started = performance.now();
    const dir = await Deno.makeTempDir({ prefix: "fault-crash-" });
    const random = prng(0x5eed);
    const acked: Acked[] = [];
    const writers = Array.from({ length: WRITERS }, (_, i) => new Writer(i));
    let sent = 0;
    let nodeCounter = 0;
    let listsChecked = 0;
    const figures = { startMs: [] as number[], writeMs: [] as number[] };
    let registryKey: Uint8Array | null = null;
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const t0 = performance.now();
        const registry = await RegistryProcess.start([
          "--port",
          "0",
          "--data-dir",
          dir,
          "--epoch-seconds",
          "1",
          "--probe",
          "off",
          ...NO_RATE_LIMITS,
        ], { REGISTRY_PASSPHRASE: "fault suite passphrase" });
        figures.startMs.push(performance.now() - t0);
        registryKey ??= fromHex(
          JSON.parse(await Deno.readTextFile(`${dir}/registry-key.json`))
            .publicKey,
          32,
        );
        const stop = { now: false };
        const post = async (bytes: Uint8Array): Promise<Response | null> => {
          sent++;
          try {
            return await fetch(`${registry.url}/v1/submit`, {
              method: "POST",
              headers: { "content-type": "application/octet-stream" },
              body: bytes as Uint8Array<ArrayBuffer>,
              signal: AbortSignal.timeout(10_000),
            });
          } catch {
            return null; // the registry died under it
          }
        };
        const run = async (w: Writer) => {
          while (!stop.now) {
            const wallet = toHex(w.wallet.public);
            if (w.balance >= P.stakingRequirement && random() < 0.3) {
              const node = testKey(`crash-node-${nodeCounter++}`);
              const seq = ++w.sequence;
              const bytes = sign(
                {
                  kind: "register_node",
                  nodePubkey: node.public,
                  operator: w.wallet.public,
                  operatorStake: P.stakingRequirement,
                  feeBasisPoints: 0,
                  reserved: [],
                },
                [node.secret, w.wallet.secret],
                seq,
              );
              const r = await post(bytes);
              if (r?.status === 201) {
                acked.push({
                  kind: "register_node",
                  signer: wallet,
                  sequence: seq,
                  node: node.hex,
                });
                w.balance -= P.stakingRequirement;
                w.nodes.push(node.hex);
                w.nodeSequences.set(node.hex, 0);
                // The node proves once, signed by its own key.
                const nseq = 1;
                const proof = sign(
                  {
                    kind: "uptime_proof",
                    nodePubkey: node.public,
                    ipv4: "127.0.0.1",
                    httpsPort: 1,
                    quicPort: 1,
                    nodeVersion: [11, 0, 0],
                    storageVersion: [2, 10, 0],
                  },
                  [node.secret],
                  nseq,
                );
                const pr = await post(proof);
                if (pr?.status === 200) {
                  acked.push({
                    kind: "uptime_proof",
                    signer: node.hex,
                    sequence: nseq,
                  });
                }
                await pr?.body?.cancel();
              }
              await r?.body?.cancel();
            } else {
              const amount = BigInt(1 + Math.floor(random() * 200)) *
                ATOMIC_PER_COIN;
              const seq = ++w.sequence;
              const w0 = performance.now();
              const r = await post(sign(
                {
                  kind: "faucet_request",
                  wallet: w.wallet.public,
                  amount,
                },
                [w.wallet.secret],
                seq,
              ));
              if (r?.status === 200) {
                figures.writeMs.push(performance.now() - w0);
                acked.push({
                  kind: "faucet_request",
                  signer: wallet,
                  sequence: seq,
                  wallet,
                  amount,
                });
                w.balance += amount;
              }
              await r?.body?.cancel();
            }
          }
        };
        const loops = writers.map(run);
        // Kill at a random moment of sustained writing.
        await new Promise((r) => setTimeout(r, 300 + random() * 1200));
        await registry.kill();
        stop.now = true;
        await Promise.all(loops);

        // Open the database as the next start would, and check it.
        const store = await openSqliteStore(`${dir}/registry.db`);
        try {
          assert.deepEqual(
            await store.read.inspect.integrityCheck(),
            ["ok"],
            `round ${round}: integrity`,
          );
          const audit = await store.read.wallets.audit();
          assert(
            audit.balanced,
            `round ${round}: ledger ${
              JSON.stringify(
                audit,
                (_, v) => typeof v === "bigint" ? String(v) : v,
              )
            }`,
          );
          for (const a of acked) {
            const last = await store.read.sequences.last(a.signer);
            assert(
              last >= a.sequence,
              `round ${round}: acknowledged ${a.kind} ${
                a.signer.slice(0, 8)
              } #${a.sequence} lost (last ${last})`,
            );
            if (a.node) {
              assert(
                await store.read.nodes.find(a.node),
                `round ${round}: acknowledged node ${a.node} lost`,
              );
            }
          }
          for (const w of writers) {
            const wallet = toHex(w.wallet.public);
            const stored = (await store.read.events.list({
              kinds: ["faucet"],
              wallet,
              limit: 100_000,
            })).map((e) => BigInt((e.data as { amount: string }).amount));
            const want = acked.filter((a) =>
              a.kind === "faucet_request" && a.wallet === wallet
            ).map((a) => a.amount!);
            for (const amount of want) {
              const i = stored.indexOf(amount);
              assert(
                i >= 0,
                `round ${round}: acknowledged faucet payment ${amount} to ${wallet} lost`,
              );
              stored.splice(i, 1);
            }
          }
          // The list chain: every kept list verifies and links to the one before.
          const latest = await store.read.lists.latest();
          assert(latest, `round ${round}: no list`);
          let next:
            | { epoch: number; hash: string; bytes: Uint8Array }
            | undefined = await store.read.lists.find(latest.epoch);
          let checked = 0;
          while (next) {
            const v: { bodyHash: Uint8Array } = verifyNodeList(next.bytes, [
              registryKey!,
            ], {
              expectedNetwork: P.id,
            });
            assert.equal(toHex(v.bodyHash), next.hash);
            const prev = await store.read.lists.find(next.epoch - 1);
            if (!prev) break;
            verifyChain(
              decodeNodeList(prev.bytes, P.id),
              decodeNodeList(next.bytes, P.id),
            );
            next = prev;
            checked++;
          }
          listsChecked += checked;
        } finally {
          await store.close();
        }
      }
      const elapsedS = (performance.now() - started) / 1000;
      const byKind: Record<string, number> = {};
      for (const a of acked) byKind[a.kind] = (byKind[a.kind] ?? 0) + 1;
      report("crash", {
        rounds: ROUNDS,
        kills: ROUNDS,
        writesSent: sent,
        writesAcknowledged: acked.length,
        acknowledgedByKind: byKind,
        acknowledgedLost: 0,
        integrity: "ok after every kill",
        ledger: "balanced after every kill",
        listLinksChecked: listsChecked,
        startMsMedian: Math.round(
          figures.startMs.sort((a, b) => a - b)[
            Math.floor(figures.startMs.length / 2)
          ]!,
        ),
        seconds: Math.round(elapsedS),
      });
      assert(acked.length >= ROUNDS * 5, "sustained writes were acknowledged");
      assert(elapsedS < 300, `bounded in time: ${elapsedS} s`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
