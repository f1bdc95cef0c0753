/**
 * How long the explorer takes to render its two heaviest pages, the overview
 * and the nodes table, with 10,000 nodes.
 *
 * What it does, honestly: starts a real registry (`registry/main.ts`, a
 * subprocess, SQLite in a temporary directory, devnet rules with 60-second
 * epochs so proofs stay valid through the seeding, probing off),
 * funds 10,000 operator wallets at genesis and registers 10,000 nodes through
 * the HTTP API with real signed writes (each a registration and an uptime
 * proof), plus 50 nodes left open for contributions; waits for a list with
 * swarms; then starts the explorer in this process and times HTTP requests
 * to it over loopback (`fetch`, sequential, `Accept-Encoding: identity`
 * unless stated), after warm-up requests. The explorer serves from its
 * snapshot of all nodes, refreshed at most every `--snapshot-ms` (default
 * 60 s, so the timed renders use a warm snapshot); the time to take a fresh
 * snapshot (20 pages of `/v1/nodes` plus `/v1/nodes/open`) is measured
 * separately.
 *
 * Run: `node_modules/.bin/deno run -A web/bench.ts [--nodes 10000] [--runs 200]`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { RegistryClient } from "../registry/client/api.ts";
import { ExplorerData } from "./lib/source.ts";
import { startExplorer } from "./server.ts";
import {
  keyOf,
  seedNodes,
  startTestRegistry,
  waitForList,
} from "./testing/registry.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    nodes: { type: "string", default: "10000" },
    runs: { type: "string", default: "200" },
    "snapshot-ms": { type: "string", default: "60000" },
  },
});
const N = Number(values.nodes);
const RUNS = Number(values.runs);
const OPEN = 50;

function quantile(sorted: number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
  return sorted[Math.max(0, i)]!;
}

function summary(name: string, ms: number[], bytes: number): string {
  const s = [...ms].sort((a, b) => a - b);
  return `| ${name} | ${s.length} | ${quantile(s, 0.5).toFixed(1)} | ${
    quantile(s, 0.99).toFixed(1)
  } | ${s.at(-1)!.toFixed(1)} | ${bytes.toLocaleString("en")} |`;
}

const t0 = performance.now();
const genesis: Record<string, string> = {};
for (let i = 0; i < N + OPEN; i++) {
  genesis[keyOf(`b-operator-${i}`).hex] = "200";
}
const registry = await startTestRegistry({
  epochSeconds: 60,
  genesis,
  timeoutMs: 120_000,
  // One process seeds every node: the per-address write limit would throttle it.
  noRateLimits: true,
});
const client = new RegistryClient(registry.url, { timeoutMs: 60_000 });
try {
  console.error(
    `registry up in ${
      ((performance.now() - t0) / 1000).toFixed(1)
    } s; seeding ${N} nodes…`,
  );
  const seedStart = performance.now();
  await seedNodes(client, {
    active: N,
    open: OPEN,
    sharedEvery: 0,
    prefix: "b",
    faucet: false,
    concurrency: 8,
  });
  const seedSecs = (performance.now() - seedStart) / 1000;
  console.error(`seeded in ${seedSecs.toFixed(1)} s; waiting for a list…`);
  const info0 = await client.info();
  await waitForList(client, info0.epoch, 120_000);
  const info = await client.info();
  console.error(
    `list ${info.latestList!.epoch}: ${
      info.latestList!.nodes
    } nodes, ${info.swarms} swarms`,
  );

  const explorer = await startExplorer({
    registryUrl: registry.url,
    port: 0,
    snapshotMaxAgeMs: Number(values["snapshot-ms"]),
    staleWhileRevalidate: true,
    follow: true,
  });
  try {
    await explorer.data.index.ready();
    // Cold snapshots: every node over the API.
    const snapMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const data = new ExplorerData(registry.url, {
        snapshotMaxAgeMs: 0,
        staleWhileRevalidate: false,
      });
      const t = performance.now();
      const snap = await data.snapshot();
      snapMs.push(performance.now() - t);
      if (snap.nodes.length !== N + OPEN) {
        throw new Error(`snapshot has ${snap.nodes.length} nodes`);
      }
    }
    const pages: [string, string, Record<string, string>][] = [
      ["overview `/`", "/", {}],
      ["nodes `/nodes` (first 50)", "/nodes", {}],
      ["nodes, page 100 (rows 4,951-5,000)", "/nodes?page=100", {}],
      ["nodes sorted by last proof, desc", "/nodes?sort=proof&dir=desc", {}],
      ["nodes searched by key prefix", "/nodes?q=ab", {}],
      ["nodes, 200 a page", "/nodes?per=200", {}],
      ["overview, brotli", "/", { "accept-encoding": "br" }],
      ["nodes, brotli", "/nodes", { "accept-encoding": "br" }],
    ];
    const rows: string[] = [];
    for (const [name, path, headers] of pages) {
      const h = { "accept-encoding": "identity", ...headers };
      for (let i = 0; i < 10; i++) {
        await (await fetch(explorer.url + path, { headers: h })).arrayBuffer();
      }
      const ms: number[] = [];
      let bytes = 0;
      for (let i = 0; i < RUNS; i++) {
        const t = performance.now();
        const res = await fetch(explorer.url + path, { headers: h });
        const body = await res.arrayBuffer();
        ms.push(performance.now() - t);
        if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
        bytes = Number(res.headers.get("content-length") ?? body.byteLength);
      }
      rows.push(summary(name, ms, bytes));
    }
    const snapSorted = [...snapMs].sort((a, b) => a - b);
    console.log(`
Explorer render times with ${
      N.toLocaleString("en")
    } active nodes (+${OPEN} open), ${info.swarms} swarms
(registry seeded with ${(2 * N + OPEN).toLocaleString("en")} signed writes in ${
      seedSecs.toFixed(0)
    } s; ${RUNS} sequential requests per row after 10 warm-up requests;
times are wall-clock per request over loopback, server render + transfer; Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores)

| page | requests | p50 ms | p99 ms | max ms | bytes |
| ---- | -------- | ------ | ------ | ------ | ----- |
${rows.join("\n")}

Fresh snapshot of all ${
      (N + OPEN).toLocaleString("en")
    } nodes over the API (21 requests): median ${
      quantile(snapSorted, 0.5).toFixed(0)
    } ms, max ${snapSorted.at(-1)!.toFixed(0)} ms (5 runs).
`);
  } finally {
    await explorer.shutdown();
  }
} finally {
  await registry.stop();
}
