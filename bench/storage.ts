/**
 * Database growth per epoch: a registry on an SQLite file with `nodes`
 * active nodes (seeded in the store, as in `ticks.ts`), then `epochs`
 * epochs of 1% churn - 0.5% of the nodes leave, as many join, 0.5% move to
 * a new address - each closed by a tick. Measured: the bytes the kept
 * lists take (`lists.storage()`), the database's pages in use (every table
 * and index: the lists, the new nodes' rows, the tick's events) and the
 * files (main plus WAL), per epoch, against the size of one full list. Run once with
 * every list stored in full (`--list-snapshot-every 1`, the storage before
 * deltas) and once with the default, alternating.
 *
 *     node_modules/.bin/deno run -A bench/storage.ts [--nodes 10000] [--epochs 64]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { sha256 } from "@noble/hashes/sha2.js";
import { toHex } from "../registry/core/bytes.ts";
import { PRESETS } from "../registry/core/params.ts";
import { Registry } from "../registry/registry.ts";
import { type NodeRow, UNASSIGNED } from "../registry/store/nodes.ts";
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
}

const params = PRESETS.mainnet;
const enc = new TextEncoder();

function nodeRow(i: number, epoch: number): NodeRow {
  return {
    pubkey: toHex(sha256(enc.encode(`storage-${i}`))),
    operator: toHex(sha256(enc.encode(`storage-op-${i}`))),
    fee_basis_points: 0,
    requirement: params.stakingRequirement.toString(),
    status: "active",
    registered_at: epoch,
    status_since: epoch,
    active_since: epoch,
    credit_base: 0,
    credit_at_decommission: null,
    last_proof_epoch: epoch + 1_000_000,
    unreachable: 0,
    reachability_failures: 0,
    unlock_at: null,
    locked_until: null,
    stakes_released_at: null,
    decommission_count: 0,
    last_reasons: 0,
    swarm_id: UNASSIGNED,
    public_ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    https_port: 22021,
    quic_port: 22020,
    node_version: "11.0.0",
    storage_version: "2.10.0",
    last_proof_at: 0,
    last_proof_received_at: 0,
  };
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

/** Seed, churn and tick; measure the growth. */
export async function storageRun(
  nodes: number,
  epochs: number,
  snapshotEvery: number,
): Promise<StorageRun> {
  const dir = await Deno.makeTempDir({ prefix: "storage-bench-" });
  const path = `${dir}/registry.db`;
  const store = await openSqliteStore(path);
  try {
    const registry = await Registry.open({
      store,
      params,
      signingKeys: [sha256(enc.encode("storage-bench"))],
      clock: Date.now,
      listSnapshotEvery: snapshotEvery,
      listRetention: 1_000_000,
    });
    let next = 0;
    const alive: number[] = [];
    await store.transaction(async (tx) => {
      for (; next < nodes; next++) {
        await tx.nodes.insert(nodeRow(next, registry.epoch), []);
        alive.push(next);
      }
    });
    // Two ticks: swarms assigned, a first delta stored.
    await registry.tick();
    await registry.tick();
    const listBytes = (await store.read.lists.latest())!.size;
    const lists0 = (await store.read.lists.storage()).storedBytes;
    const file0 = await fileBytes(path);
    const used0 = await store.read.inspect.usedBytes();
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
          await tx.nodes.update(nodeRow(gone!, 0).pubkey, {
            status: "deregistered",
            swarm_id: UNASSIGNED,
          });
          await tx.nodes.insert(nodeRow(next, registry.epoch), []);
          alive.push(next++);
          await tx.nodes.update(nodeRow(alive[pick()]!, 0).pubkey, {
            public_ip: `172.16.${e & 255}.${k & 255}`,
          });
        }
      });
      await registry.tick();
    }
    const lists1 = (await store.read.lists.storage()).storedBytes;
    const file1 = await fileBytes(path);
    const used1 = await store.read.inspect.usedBytes();
    return {
      nodes,
      epochs,
      snapshotEvery,
      listBytes,
      listStoragePerEpoch: (lists1 - lists0) / epochs,
      databaseGrowthPerEpoch: (used1 - used0) / epochs,
      fileGrowthPerEpoch: (file1 - file0) / epochs,
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
        } B (${of(r.fileGrowthPerEpoch)})`,
      );
    },
  });
}
