/**
 * Database growth per epoch: a registry on an SQLite file with `nodes`
 * active nodes (seeded in the store, as in `ticks.ts`), then `epochs`
 * epochs of 1% churn - 0.5% of the nodes leave, as many join, 0.5% move to
 * a new address - each closed by a tick, with the uptime proofs of a real
 * network: every node proves once an hour (network.md, "Uptime proofs"),
 * so each 2-minute epoch 1/30 of the nodes send a signed proof through the
 * registry's write path (`Registry.submit`), which records it in the
 * epoch's published inputs. The registry's clock moves one epoch per tick.
 *
 * The baseline is taken after an hour of epochs, once the bounded window
 * of state snapshots (the newest 8, for witnesses to start from) is full
 * and every seeded node has proven once: what is measured is growth, and
 * the window's size is reported beside it. Measured: the bytes the kept lists take
 * (`lists.storage()`), the database's pages in use (every table and index)
 * and the files (main plus WAL), per epoch, against the size of one full
 * list, and the growth per table (SQLite's `dbstat`). Run once with every
 * list stored in full (`--list-snapshot-every 1`, the storage before
 * deltas) and once with the default.
 *
 *     node_modules/.bin/deno run -A bench/storage.ts [--nodes 10000] [--epochs 64]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { sha256 } from "@noble/hashes/sha2.js";
import { concat, fromHex, toHex } from "../registry/core/bytes.ts";
import { publicKeyOf, sign } from "../registry/core/keys.ts";
import {
  domainTag,
  encodeUnsigned,
  type MessageBody,
} from "../registry/core/messages.ts";
import { PRESETS } from "../registry/core/params.ts";
import { Registry } from "../registry/registry.ts";
import { type NodeRow, UNASSIGNED } from "../registry/store/nodes.ts";
import { seededNodeRow } from "./seed.ts";
import { openSqliteStore } from "../registry/store/store.ts";

/** One configuration's figures. */
export interface StorageRun {
  nodes: number;
  epochs: number;
  snapshotEvery: number;
  /** Size of one full list, bytes. */
  listBytes: number;
  /** Bytes the kept lists take, per epoch. */
  listStoragePerEpoch: number;
  /** Growth of the database's pages in use (all tables and indexes), per epoch. */
  databaseGrowthPerEpoch: number;
  /** Growth of the database files (main + WAL), per epoch. */
  fileGrowthPerEpoch: number;
  /** Uptime proofs accepted per epoch. */
  proofsPerEpoch: number;
  /** Growth per table (with its indexes), bytes per epoch, largest first. */
  tables: { name: string; bytesPerEpoch: number }[];
  /** The state snapshot window at the end: snapshots kept and their bytes. */
  snapshotWindow: { count: number; bytes: number };
}

const params = PRESETS.mainnet;
const enc = new TextEncoder();

/** Node `i`'s key pair (its public key computed once). */
const keys = new Map<number, { secret: Uint8Array; pubkey: string }>();
function nodeKey(i: number): { secret: Uint8Array; pubkey: string } {
  let k = keys.get(i);
  if (k === undefined) {
    const secret = sha256(enc.encode(`storage-${i}`));
    k = { secret, pubkey: toHex(publicKeyOf(secret)) };
    keys.set(i, k);
  }
  return k;
}

/** A signed uptime proof (signed without verifying back: core's signMessage re-verifies). */
function proof(i: number, sequence: number, nowSeconds: number): Uint8Array {
  const { secret, pubkey } = nodeKey(i);
  const body: MessageBody = {
    kind: "uptime_proof",
    network: params.id,
    timestamp: nowSeconds,
    sequence,
    nodePubkey: fromHex(pubkey, 32),
    ipv4: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    httpsPort: 22021,
    quicPort: 22020,
    nodeVersion: [11, 0, 0],
    storageVersion: [2, 10, 0],
  };
  const unsigned = encodeUnsigned(body);
  return concat(
    unsigned,
    sign(secret, concat(domainTag("uptime_proof"), unsigned)),
  );
}

function nodeRow(i: number, epoch: number): NodeRow {
  return seededNodeRow(i, {
    pubkey: nodeKey(i).pubkey,
    operator: toHex(sha256(enc.encode(`storage-op-${i}`))),
    epoch,
    // Proven 16 epochs ago: proofs are accepted again (at most one per
    // 30 minutes) and valid for long enough to come round to every node.
    lastProofEpoch: epoch - 16,
    lastProofAt: 0,
  }, params);
}

async function fileBytes(path: string): Promise<number> {
  let total = 0;
  for (const f of [path, `${path}-wal`]) {
    try {
      total += (await Deno.stat(f)).size;
    } catch { /* absent */ }
  }
  return total;
}

/** State snapshots kept (the registry's default, set explicitly). */
const SNAPSHOT_WINDOW = 8;

/** Seed, churn, prove and tick; measure the growth. */
export async function storageRun(
  nodes: number,
  epochs: number,
  snapshotEvery: number,
): Promise<StorageRun> {
  const dir = await Deno.makeTempDir({ prefix: "storage-bench-" });
  const path = `${dir}/registry.db`;
  const store = await openSqliteStore(path);
  try {
    let nowMs = Date.now();
    const registry = await Registry.open({
      store,
      params,
      signingKeys: [sha256(enc.encode("storage-bench"))],
      clock: () => nowMs,
      listSnapshotEvery: snapshotEvery,
      listRetention: 1_000_000,
      snapshotRetention: SNAPSHOT_WINDOW,
      allowPrivateAddresses: true,
    });
    const tick = async () => {
      await registry.tick();
      nowMs += params.epochSeconds * 1000;
    };
    // An empty network's first epochs: the seeded nodes' last proofs fall in them.
    for (let e = 0; e < 16; e++) await tick();
    let next = 0;
    const alive: number[] = [];
    await store.transaction(async (tx) => {
      for (; next < nodes; next++) {
        await tx.nodes.insert(nodeRow(next, registry.epoch), []);
        alive.push(next);
      }
    });
    // Every node proves once an hour: this many a 2-minute epoch.
    const proofsPerEpoch = Math.round(nodes * params.epochSeconds / 3600);
    const sequences = new Map<number, number>();
    let prover = 0;
    const proofs = async () => {
      const now = Math.floor(nowMs / 1000);
      const bytes: Uint8Array[] = [];
      for (let k = 0; k < proofsPerEpoch; k++) {
        const i = alive[prover++ % alive.length]!;
        const seq = (sequences.get(i) ?? 0) + 1;
        sequences.set(i, seq);
        bytes.push(proof(i, seq, now));
      }
      await Promise.all(bytes.map((b) => registry.submit(b)));
    };
    // Swarms assigned, a first delta stored, the snapshot window filled,
    // and every seeded node proven once (its sequence row written): an
    // hour of epochs.
    const warmUp = Math.max(
      SNAPSHOT_WINDOW + 2,
      3600 / params.epochSeconds + 1,
    );
    for (let e = 0; e < warmUp; e++) {
      await proofs();
      await tick();
    }
    const listBytes = (await store.read.lists.latest())!.size;
    const lists0 = (await store.read.lists.storage()).storedBytes;
    const file0 = await fileBytes(path);
    const used0 = await store.read.inspect.usedBytes();
    const tables0 = await store.read.inspect.tableBytes();
    const churn = Math.max(1, Math.floor(nodes / 200));
    let seed = 1;
    const pick = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % alive.length;
    };
    for (let e = 0; e < epochs; e++) {
      await store.transaction(async (tx) => {
        for (let k = 0; k < churn; k++) {
          const [gone] = alive.splice(pick(), 1);
          await tx.nodes.update(nodeKey(gone!).pubkey, {
            status: "deregistered",
            swarm_id: UNASSIGNED,
          });
          await tx.nodes.insert(nodeRow(next, registry.epoch), []);
          alive.push(next++);
          await tx.nodes.update(nodeKey(alive[pick()]!).pubkey, {
            public_ip: `172.16.${e & 255}.${k & 255}`,
          });
        }
      });
      await proofs();
      await tick();
    }
    const lists1 = (await store.read.lists.storage()).storedBytes;
    const file1 = await fileBytes(path);
    const used1 = await store.read.inspect.usedBytes();
    const tables1 = await store.read.inspect.tableBytes();
    const tables = [...tables1].map(([name, bytes]) => ({
      name,
      bytesPerEpoch: (bytes - (tables0.get(name) ?? 0)) / epochs,
    })).filter((t) => t.bytesPerEpoch !== 0)
      .sort((a, b) => b.bytesPerEpoch - a.bytesPerEpoch);
    const window = await store.read.inspect.snapshotWindow();
    return {
      nodes,
      epochs,
      snapshotEvery,
      listBytes,
      listStoragePerEpoch: (lists1 - lists0) / epochs,
      databaseGrowthPerEpoch: (used1 - used0) / epochs,
      fileGrowthPerEpoch: (file1 - file0) / epochs,
      proofsPerEpoch,
      tables,
      snapshotWindow: window,
    };
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Options of {@linkcode measureStorage}. */
export interface StorageOptions {
  nodes?: number;
  epochs?: number;
  /** Snapshot periods to compare; default 1 (every list in full) and 32 (the default). */
  snapshotEvery?: number[];
  onRun?: (run: StorageRun) => void;
}

/** Every configuration once, in order. */
export async function measureStorage(
  opts: StorageOptions = {},
): Promise<StorageRun[]> {
  const out: StorageRun[] = [];
  for (const k of opts.snapshotEvery ?? [1, 32]) {
    const run = await storageRun(opts.nodes ?? 10_000, opts.epochs ?? 64, k);
    out.push(run);
    opts.onRun?.(run);
  }
  return out;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      nodes: { type: "string", default: "10000" },
      epochs: { type: "string", default: "64" },
    },
  });
  await measureStorage({
    nodes: Number(values.nodes),
    epochs: Number(values.epochs),
    onRun: (r) => {
      const of = (x: number) => (x / r.listBytes).toFixed(3);
      console.log(
        `snapshot every ${r.snapshotEvery}: list ${r.listBytes} B; per epoch: lists ${
          r.listStoragePerEpoch.toFixed(0)
        } B (${of(r.listStoragePerEpoch)} of a list), database ${
          r.databaseGrowthPerEpoch.toFixed(0)
        } B (${of(r.databaseGrowthPerEpoch)}), files ${
          r.fileGrowthPerEpoch.toFixed(0)
        } B (${
          of(r.fileGrowthPerEpoch)
        }); ${r.proofsPerEpoch} proofs/epoch; tables ${
          r.tables.map((t) => `${t.name} ${t.bytesPerEpoch.toFixed(0)}`).join(
            ", ",
          )
        }; snapshots ${r.snapshotWindow.count} x ${
          (r.snapshotWindow.bytes / Math.max(1, r.snapshotWindow.count))
            .toFixed(0)
        } B`,
      );
    },
  });
}
