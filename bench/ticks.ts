/**
 * Epoch ticks at network scale: a registry on an SQLite file with `nodes`
 * active nodes seeded straight into the store (rows as registrations and
 * proofs would leave them; setup, not timed), then
 *
 * - the first tick after that growth (every node gets a swarm),
 * - steady-state ticks (nothing changes but the list's times and seed:
 *   the swarms are recomputed, the list signed and stored),
 * - optionally a tick that changes every node's state (all proofs expired:
 *   every node leaves the active set and its swarm - deregistered, as the
 *   seeded nodes have little credit), with the process's peak resident
 *   memory.
 *
 * Each size runs in a child process of its own (its CPU time and peak RSS
 * are its own), sizes alternating round by round; figures are medians.
 *
 *     node_modules/.bin/deno run -A bench/ticks.ts [--sizes 10000,100000] [--rounds 2] [--steady 3] [--mass]
 *
 * @module
 */

import { parseArgs } from "node:util";
import process from "node:process";
import { sha256 } from "@noble/hashes/sha2.js";
import { toHex } from "../registry/core/bytes.ts";
import { PRESETS } from "../registry/core/params.ts";
import { Registry } from "../registry/registry.ts";
import { openSqliteStore } from "../registry/store/store.ts";
import { seededNodeRow } from "./seed.ts";

/** What one child measured. */
export interface TickRun {
  nodes: number;
  /** First tick after the growth, ms (wall) and CPU ms. */
  firstMs: number;
  firstCpuMs: number;
  /** Median steady-state tick, ms (wall) and CPU ms. */
  steadyMs: number;
  steadyCpuMs: number;
  /** The tick that changed every node's state, ms; null when not run. */
  massMs: number | null;
  /** Peak resident memory of the process, bytes (VmHWM), after everything. */
  peakRss: number;
  /** Peak before the mass tick (seeding and ordinary ticks), bytes. */
  peakRssBeforeMass: number;
}

const params = PRESETS.mainnet;

async function peakRss(): Promise<number> {
  const status = await Deno.readTextFile("/proc/self/status");
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
}

function timed<T>(f: () => Promise<T>): Promise<{ ms: number; cpuMs: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  return f().then(() => {
    const c = process.cpuUsage(c0);
    return {
      ms: performance.now() - t0,
      cpuMs: (c.user + c.system) / 1000,
    };
  });
}

/** Run in this process: seed, tick, measure. */
export async function tickRun(
  nodes: number,
  steady: number,
  mass: boolean,
): Promise<TickRun> {
  const dir = await Deno.makeTempDir({ prefix: "tick-bench-" });
  const store = await openSqliteStore(`${dir}/registry.db`, {
    exclusive: true,
  });
  try {
    const registry = await Registry.open({
      store,
      params,
      signingKeys: [sha256(new TextEncoder().encode("tick-bench"))],
      clock: Date.now,
    });
    const epoch = registry.epoch;
    // Seed: active, proving nodes (as many registrations and proofs leave them).
    await store.transaction(async (tx) => {
      for (let i = 0; i < nodes; i++) {
        const now = Math.floor(Date.now() / 1000);
        await tx.nodes.insert(
          seededNodeRow(i, {
            pubkey: toHex(sha256(new TextEncoder().encode(`tick-${i}`))),
            operator: toHex(sha256(new TextEncoder().encode(`op-${i}`))),
            epoch,
            // Far ahead: stays active through every ordinary tick.
            lastProofEpoch: epoch + 1_000_000,
            lastProofAt: now,
          }, params),
          [],
        );
      }
    });
    const first = await timed(() => registry.tick());
    const steadyRuns: { ms: number; cpuMs: number }[] = [];
    for (let i = 0; i < steady; i++) {
      steadyRuns.push(await timed(() => registry.tick()));
    }
    const before = await peakRss();
    let massMs: number | null = null;
    if (mass) {
      // Every proof expired: the next tick decommissions every node.
      await store.transaction(async (tx) => {
        const rows = await tx.nodes.withStatus(["active"]);
        for (const r of rows) {
          await tx.nodes.update(r.pubkey, { last_proof_epoch: 0 });
        }
        // Past the proofs' validity.
        await tx.meta.setEpoch(
          await tx.meta.epoch() + params.proofValidityEpochs + 2,
        );
      });
      let changed = 0;
      const t = await timed(async () => {
        const summary = await registry.tick();
        changed = Object.values(summary.changes).reduce((a, b) => a + b, 0);
      });
      if (changed !== nodes) {
        throw new Error(`the mass tick changed ${changed} of ${nodes} nodes`);
      }
      massMs = t.ms;
    }
    const med = (xs: number[]) =>
      [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    return {
      nodes,
      firstMs: first.ms,
      firstCpuMs: first.cpuMs,
      steadyMs: med(steadyRuns.map((r) => r.ms)),
      steadyCpuMs: med(steadyRuns.map((r) => r.cpuMs)),
      massMs,
      peakRss: await peakRss(),
      peakRssBeforeMass: before,
    };
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Run {@linkcode tickRun} in a child process. */
async function child(
  nodes: number,
  steady: number,
  mass: boolean,
): Promise<TickRun> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL(import.meta.url).pathname,
      "--child",
      "--sizes",
      String(nodes),
      "--steady",
      String(steady),
      ...(mass ? ["--mass"] : []),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`tick child (${nodes} nodes) failed`);
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  return JSON.parse(lines.at(-1)!);
}

/** Options of {@linkcode measureTicks}. */
export interface TickOptions {
  sizes?: number[];
  rounds?: number;
  steady?: number;
  /** Also run the tick that changes every node's state (at the largest size). */
  mass?: boolean;
  onRun?: (run: TickRun) => void;
}

/** Every size in every round (alternating), each in a fresh child process. */
export async function measureTicks(opts: TickOptions = {}): Promise<TickRun[]> {
  const sizes = opts.sizes ?? [10_000, 100_000];
  const rounds = opts.rounds ?? 2;
  const runs: TickRun[] = [];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? sizes : [...sizes].reverse();
    for (const n of order) {
      const mass = (opts.mass ?? true) && r === 0 &&
        n === Math.max(...sizes);
      const run = await child(n, opts.steady ?? 3, mass);
      runs.push(run);
      opts.onRun?.(run);
    }
  }
  return runs;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      child: { type: "boolean", default: false },
      sizes: { type: "string", default: "10000,100000" },
      rounds: { type: "string", default: "2" },
      steady: { type: "string", default: "3" },
      mass: { type: "boolean", default: false },
    },
  });
  const sizes = values.sizes!.split(",").map(Number);
  if (values.child) {
    console.log(
      JSON.stringify(
        await tickRun(sizes[0]!, Number(values.steady), values.mass!),
      ),
    );
  } else {
    await measureTicks({
      sizes,
      rounds: Number(values.rounds),
      steady: Number(values.steady),
      mass: values.mass!,
      onRun: (r) => console.log(JSON.stringify(r)),
    });
  }
}
