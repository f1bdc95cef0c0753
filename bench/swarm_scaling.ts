/**
 * How swarm assignment scales: `calcSwarmChanges` on 1k, 10k and 100k nodes,
 * for a bulk registration into an empty network and for a recompute after 1%
 * churn (1% of the nodes leave, as many new ones register), with the ratios
 * time(100k) / time(10k) against the goal of 12 (linear scaling is 10).
 *
 *     node_modules/.bin/deno run --allow-sys=cpus,loadavg bench/swarm_scaling.ts [--rounds 5] [--sizes 1000,10000,100000]
 *
 * (`process.cpuUsage` needs no permission.)
 *
 * Each figure is the median over `rounds` rounds; every round measures every
 * size once, alternating, so a burst of load on a shared machine hits all
 * sizes alike. Both wall-clock and CPU time (user + system of this process,
 * `process.cpuUsage`) are recorded: on a machine shared with other work the
 * wall clock also counts the time other processes held the cores, CPU time
 * much less so. Inputs are built deterministically outside the timed calls.
 * `measureSwarmScaling` returns the rows for other reports (`deno task bench`,
 * `bench/RESULTS.md`).
 *
 * @module
 */

import os from "node:os";
import process from "node:process";
import { sha256 } from "@noble/hashes/sha2.js";
import {
  calcSwarmChanges,
  Mt19937_64,
  UNASSIGNED_SWARM_ID,
  uniformPortable,
} from "../registry/core/mod.ts";

/** The function measured; `calcSwarmChanges` unless another is given. */
export type SwarmCalc = (
  swarms: ReadonlyMap<bigint, readonly Uint8Array[]>,
  seed: bigint,
) => Map<bigint, Uint8Array[]>;

/** Options of {@linkcode measureSwarmScaling}. */
export interface ScalingOptions {
  /** Network sizes in nodes (default 1,000, 10,000, 100,000). */
  sizes?: number[];
  /** Rounds; each figure is the median over them (default 5). */
  rounds?: number;
  /** Implementation to measure (default `calcSwarmChanges`). */
  calc?: SwarmCalc;
  /** Called after each measurement, e.g. to print progress. */
  onMeasure?: (what: string, nodes: number, ms: number, cpuMs: number) => void;
}

/** One network size. */
export interface ScalingRow {
  nodes: number;
  /** Swarms after the bulk registration. */
  swarms: number;
  /** Median wall-clock milliseconds: `nodes` new nodes into an empty network. */
  bulkMs: number;
  /** Median wall-clock milliseconds: the assigned network after 1% left and 1% joined. */
  churnMs: number;
  /** Median CPU milliseconds (user + system) of the same calls. */
  bulkCpuMs: number;
  churnCpuMs: number;
  /** Every wall-clock sample, in round order. */
  bulkSamples: number[];
  churnSamples: number[];
}

const encoder = new TextEncoder();

function keys(label: string, n: number): Uint8Array[] {
  return Array.from(
    { length: n },
    (_, i) => sha256(encoder.encode(`${label}-${i}`)),
  );
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface Workload {
  nodes: number;
  fresh: Map<bigint, Uint8Array[]>;
  churned: Map<bigint, Uint8Array[]>;
  swarms: number;
}

/** The bulk input, and the assigned network with 1% left and 1% new. */
function workload(n: number, calc: SwarmCalc): Workload {
  const fresh = new Map([[UNASSIGNED_SWARM_ID, keys(`scaling-${n}`, n)]]);
  const assigned = calc(fresh, 42n);
  const churned = new Map<bigint, Uint8Array[]>();
  const rng = new Mt19937_64(BigInt(n));
  const leave = Math.max(1, Math.floor(n / 100));
  const leaving = new Set<number>();
  while (leaving.size < leave) {
    leaving.add(Number(uniformPortable(rng, BigInt(n))));
  }
  let at = 0;
  for (const [id, members] of assigned) {
    churned.set(id, members.filter(() => !leaving.has(at++)));
  }
  churned.set(UNASSIGNED_SWARM_ID, keys(`scaling-new-${n}`, leave));
  return { nodes: n, fresh, churned, swarms: assigned.size };
}

/** Wall-clock and CPU milliseconds of one call. */
function time(f: () => void): { wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  f();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 };
}

/**
 * Measure bulk assignment and 1%-churn recompute at each size; medians over
 * alternating rounds.
 */
export function measureSwarmScaling(opts: ScalingOptions = {}): ScalingRow[] {
  const sizes = opts.sizes ?? [1_000, 10_000, 100_000];
  const rounds = opts.rounds ?? 5;
  const calc = opts.calc ?? calcSwarmChanges;
  const loads = sizes.map((n) => workload(n, calc));
  const bulk = sizes.map(() => [] as number[]);
  const churn = sizes.map(() => [] as number[]);
  const bulkCpu = sizes.map(() => [] as number[]);
  const churnCpu = sizes.map(() => [] as number[]);
  // One untimed warm-up call per size, so the JIT has seen every path.
  for (const w of loads) calc(w.churned, 7n);
  for (let r = 0; r < rounds; r++) {
    // Alternate the order of sizes from round to round.
    const order = r % 2 === 0 ? loads.keys() : [...loads.keys()].reverse();
    for (const i of order) {
      const w = loads[i]!;
      const b = time(() => calc(w.fresh, 42n + BigInt(r)));
      bulk[i]!.push(b.wall);
      bulkCpu[i]!.push(b.cpu);
      opts.onMeasure?.("bulk", w.nodes, b.wall, b.cpu);
      const c = time(() => calc(w.churned, 7n + BigInt(r)));
      churn[i]!.push(c.wall);
      churnCpu[i]!.push(c.cpu);
      opts.onMeasure?.("churn", w.nodes, c.wall, c.cpu);
    }
  }
  return loads.map((w, i) => ({
    nodes: w.nodes,
    swarms: w.swarms,
    bulkMs: median(bulk[i]!),
    churnMs: median(churn[i]!),
    bulkCpuMs: median(bulkCpu[i]!),
    churnCpuMs: median(churnCpu[i]!),
    bulkSamples: bulk[i]!,
    churnSamples: churn[i]!,
  }));
}

/** time(big) / time(small) for bulk and churn (wall clock and CPU), when both sizes were measured. */
export function scalingRatios(
  rows: readonly ScalingRow[],
  small = 10_000,
  big = 100_000,
):
  | { bulk: number; churn: number; bulkCpu: number; churnCpu: number }
  | undefined {
  const a = rows.find((r) => r.nodes === small);
  const b = rows.find((r) => r.nodes === big);
  if (a === undefined || b === undefined) return undefined;
  return {
    bulk: b.bulkMs / a.bulkMs,
    churn: b.churnMs / a.churnMs,
    bulkCpu: b.bulkCpuMs / a.bulkCpuMs,
    churnCpu: b.churnCpuMs / a.churnCpuMs,
  };
}

/** CPU model, logical cores and load average (needs `--allow-sys=cpus,loadavg`). */
export function machineInfo(): { cpu: string; cores: number; load: string } {
  let cpu = "unknown";
  let cores = navigator.hardwareConcurrency;
  let load = "unknown";
  try {
    const cpus = os.cpus();
    cpu = cpus[0]?.model ?? cpu;
    cores = cpus.length || cores;
    load = os.loadavg().map((x) => x.toFixed(2)).join(" ");
  } catch { /* not permitted */ }
  return { cpu, cores, load };
}

function flag(name: string): string | undefined {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

if (import.meta.main) {
  const rounds = Number(flag("rounds") ?? 5);
  const sizes = flag("sizes")?.split(",").map(Number);
  const before = machineInfo();
  console.log(
    `machine: ${before.cpu}, ${before.cores} logical cores; load average before: ${before.load} (1/5/15 min)`,
  );
  const rows = measureSwarmScaling({
    rounds,
    ...(sizes ? { sizes } : {}),
    onMeasure: (what, n, ms, cpu) =>
      console.error(
        `  ${what} ${n}: ${ms.toFixed(1)} ms wall, ${cpu.toFixed(1)} ms cpu`,
      ),
  });
  const f = (x: number, w: number) => x.toFixed(1).padStart(w);
  console.log(`medians over ${rounds} rounds (ms):`);
  console.log(
    "nodes     swarms   bulk wall   bulk cpu  churn wall  churn cpu",
  );
  for (const r of rows) {
    console.log(
      `${String(r.nodes).padEnd(10)}${String(r.swarms).padEnd(7)}${
        f(r.bulkMs, 11)
      }${f(r.bulkCpuMs, 11)}${f(r.churnMs, 12)}${f(r.churnCpuMs, 11)}`,
    );
  }
  const ratios = scalingRatios(rows);
  if (ratios !== undefined) {
    const verdict = (x: number) => (x <= 12 ? "meets" : "misses");
    console.log(
      "time(100k)/time(10k), goal <= 12 (linear scaling = 10):",
    );
    console.log(
      `  bulk:  wall ${ratios.bulk.toFixed(1)}, cpu ${
        ratios.bulkCpu.toFixed(1)
      } (${verdict(ratios.bulkCpu)} the goal by cpu time)`,
    );
    console.log(
      `  churn: wall ${ratios.churn.toFixed(1)}, cpu ${
        ratios.churnCpu.toFixed(1)
      } (${verdict(ratios.churnCpu)} the goal by cpu time)`,
    );
  }
  console.log(`load average after: ${machineInfo().load}`);
}
