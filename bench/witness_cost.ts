/**
 * What the witness work costs at scale: the state commitment at each tick,
 * the state snapshot's size, a tick (which now also commits to the state and
 * the inputs), an epoch's inputs document, and a witness re-executing one
 * epoch - on a network of N nodes (default 10,000) with two stakes each,
 * 2N wallets and signers, and mainnet's proof rate (N / 30 uptime proofs an
 * epoch, every node proving every 30 epochs).
 *
 * `deno run -A bench/witness_cost.ts [--nodes 10000] [--rounds 3]`
 * prints one JSON line of figures (milliseconds, bytes).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { sha256 } from "@noble/hashes/sha2.js";
import { replayEpoch } from "../registry/actions/replay.ts";
import {
  commitState,
  loadSnapshot,
} from "../registry/actions/state_commitment.ts";
import { compareBytes, toHex } from "../registry/core/bytes.ts";
import { publicKeyOf } from "../registry/core/keys.ts";
import { type MessageBody, signMessage } from "../registry/core/messages.ts";
import { PRESETS } from "../registry/core/params.ts";
import {
  encodeStateSnapshot,
  type StateNode,
  type StateSnapshot,
} from "../registry/core/state.ts";
import { Registry } from "../registry/registry.ts";
import { openSqliteStore, type Store } from "../registry/store/store.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    nodes: { type: "string", default: "10000" },
    rounds: { type: "string", default: "3" },
  },
});
const N = Number(values.nodes);
const ROUNDS = Number(values.rounds);
const params = { ...PRESETS.devnet, epochSeconds: 120 };
const EPOCH = 1000;
const enc = new TextEncoder();

const key = (label: string) => sha256(enc.encode(label));
const nodeKeys = Array.from({ length: N }, (_, i) => key(`bench-node-${i}`));
const nodePubs = nodeKeys.map(publicKeyOf);
const walletPub = (i: number) => sha256(enc.encode(`bench-wallet-${i}`));

function snapshot(): StateSnapshot {
  const nodes: StateNode[] = nodePubs.map((pubkey, i): StateNode => ({
    pubkey,
    operator: walletPub(2 * i),
    feeBasisPoints: 100,
    requirement: params.stakingRequirement,
    status: "active",
    registeredAt: 1,
    statusSince: 2,
    activeSince: 2,
    creditBase: 60,
    creditAtDecommission: null,
    lastProofEpoch: EPOCH - 1 - (i % 8),
    unreachable: false,
    reachabilityFailures: 0,
    unlockAt: null,
    lockedUntil: null,
    stakesReleasedAt: null,
    decommissionCount: 0,
    lastReasons: 0,
    swarmId: BigInt(Math.floor(i / 10)),
    publicIp: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    httpsPort: 22021,
    quicPort: 22020,
    nodeVersion: "11.0.0",
    storageVersion: "2.11.0",
    lastProofAt: 1_700_000_000,
    lastProofReceivedAt: 1_700_000_001,
    stakes: [
      {
        wallet: walletPub(2 * i),
        amount: params.operatorMinimum,
        reserved: 0n,
        sinceEpoch: 1,
      },
      {
        wallet: walletPub(2 * i + 1),
        amount: params.stakingRequirement - params.operatorMinimum,
        reserved: 0n,
        sinceEpoch: 1,
      },
    ],
  })).sort((a, b) => compareBytes(a.pubkey, b.pubkey));
  const wallets = Array.from({ length: 2 * N }, (_, i) => ({
    pubkey: walletPub(i),
    balance: 1_000_000n,
    createdEpoch: 1,
  })).sort((a, b) => compareBytes(a.pubkey, b.pubkey));
  const sequences = [
    ...wallets.map((w) => ({ signer: w.pubkey, lastSequence: 3 })),
    ...nodePubs.map((p) => ({ signer: p, lastSequence: 3 })),
  ].sort((a, b) => compareBytes(a.signer, b.signer));
  return {
    network: params.id,
    epoch: BigInt(EPOCH - 1),
    prevListId: new Uint8Array(32),
    nodes,
    wallets,
    sequences,
  };
}

async function prepared(
  dir: string,
  name: string,
  snap: Uint8Array,
): Promise<Store> {
  const store = await openSqliteStore(`${dir}/${name}.db`);
  await store.transaction(async (tx) => {
    await loadSnapshot(tx, snap, params.id);
    await tx.meta.initialise("devnet");
    await tx.meta.setEpoch(EPOCH);
  });
  return store;
}

const ms = (t0: number) => Math.round((performance.now() - t0) * 10) / 10;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

const dir = await Deno.makeTempDir({ prefix: "witness-cost-" });
try {
  let t0 = performance.now();
  const snapBytes = encodeStateSnapshot(snapshot());
  const buildMs = ms(t0);
  const registryStore = await prepared(dir, "registry", snapBytes);
  const witnessStore = await prepared(dir, "witness", snapBytes);
  let now = 1_700_000_000_000;
  const registry = await Registry.open({
    store: registryStore,
    params,
    signingKeys: [key("bench-registry")],
    clock: () => now,
    allowPrivateAddresses: true,
  });

  const commitMs: number[] = [];
  const tickMs: number[] = [];
  const replayMs: number[] = [];
  const docBytes: number[] = [];
  const proofsPerEpoch = Math.ceil(N / 30);
  let sequence = 10;
  // Opening the registry published list EPOCH (no list yet): the witness
  // replays it too, then both go on epoch by epoch.
  {
    const doc = (await registryStore.read.epochs.document(EPOCH))!;
    const list = (await registryStore.read.lists.find(EPOCH))!;
    await witnessStore.transaction((tx) =>
      replayEpoch(tx, {
        network: params.id,
        inputs: doc.bytes,
        list: list.bytes,
      })
    );
  }
  for (let round = 0; round < ROUNDS; round++) {
    // This epoch's uptime proofs (a thirtieth of the nodes).
    sequence++;
    for (let k = 0; k < proofsPerEpoch; k++) {
      const i = (round * proofsPerEpoch + k) % N;
      const msg = signMessage({
        kind: "uptime_proof",
        network: params.id,
        timestamp: Math.floor(now / 1000),
        sequence,
        nodePubkey: nodePubs[i]!,
        ipv4: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
        httpsPort: 22021,
        quicPort: 22020,
        nodeVersion: [11, 0, 0],
        storageVersion: [2, 11, 0],
      } as MessageBody, [nodeKeys[i]!]);
      await registry.submit(msg.bytes);
    }
    t0 = performance.now();
    await registryStore.transaction((tx) =>
      commitState(tx, params.id, registry.epoch, new Uint8Array(32))
    );
    commitMs.push(ms(t0));
    now += 120_000;
    t0 = performance.now();
    const summary = await registry.tick();
    tickMs.push(ms(t0));
    const doc = (await registryStore.read.epochs.document(summary.epoch))!;
    const list = (await registryStore.read.lists.find(summary.epoch))!;
    docBytes.push(doc.bytes.length);
    t0 = performance.now();
    const outcome = await witnessStore.transaction((tx) =>
      replayEpoch(tx, {
        network: params.id,
        inputs: doc.bytes,
        list: list.bytes,
      })
    );
    replayMs.push(ms(t0));
    if (toHex(outcome.checkpointHash) !== list.hash) {
      throw new Error("the replay gave another list");
    }
  }
  console.log(JSON.stringify({
    bench: "witness_cost",
    nodes: N,
    wallets: 2 * N,
    signers: 3 * N,
    proofsPerEpoch,
    snapshotBytes: snapBytes.length,
    snapshotEncodeMs: buildMs,
    stateCommitmentMs: { median: median(commitMs), all: commitMs },
    tickMs: { median: median(tickMs), all: tickMs },
    inputsDocumentBytes: { median: median(docBytes) },
    replayEpochMs: { median: median(replayMs), all: replayMs },
  }));
  await registryStore.close();
  await witnessStore.close();
} finally {
  await Deno.remove(dir, { recursive: true });
}
