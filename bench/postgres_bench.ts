/**
 * The registry over HTTP on PostgreSQL beside SQLite, in one run:
 *
 * - **proof ingestion**: signed uptime proofs per second, `POST /v1/proofs`
 *   (decode, verify, replay check, node update, commit), 16 at a time;
 * - **list serving**: `GET /v1/lists/latest` per second, answered 200 (the
 *   list's bytes, from the per-process cache) and 304 (`If-None-Match`).
 *
 * Each backend gets a registry (devnet rules, `nodes` active nodes in its
 * latest list) served on 127.0.0.1 by `Deno.serve`; the load comes from a
 * Web Worker (`http_load.ts`), so client and server have a thread each.
 * PostgreSQL is the server `TEST_DATABASE_URL` names (a fresh schema);
 * without it, run it through `tools/with_postgres.sh`:
 *
 * ```sh
 * tools/with_postgres.sh node_modules/.bin/deno run -A bench/postgres_bench.ts
 * ```
 *
 * The proof minimum spacing is set to 0 here so one node can prove again
 * and again; everything else a proof does is as in production.
 * {@linkcode postgresBench} returns the rows for `bench/RESULTS.md`.
 *
 * @module
 */

import { createApp } from "../registry/http/app.ts";
import { ATOMIC_PER_COIN, PRESETS } from "../registry/core/params.ts";
import { type TestBackend, testNet } from "../registry/testkit/mod.ts";
import type { LoadJob, LoadRequest, LoadResult } from "./http_load.ts";

/** One measurement. */
export interface BenchRow {
  backend: TestBackend;
  /** What was measured. */
  measure: "proofs" | "list 200" | "list 304";
  requests: number;
  seconds: number;
  /** Requests per second. */
  perSecond: number;
  /** Responses by status; anything but the expected one is a problem. */
  statuses: Record<number, number>;
}

/** Options of {@linkcode postgresBench}. */
export interface BenchOptions {
  /** Backends to measure. Default both. */
  backends?: readonly TestBackend[];
  /** Active nodes in the registry (and in its list). Default 500. */
  nodes?: number;
  /** Proofs sent. Default 3,000. */
  proofs?: number;
  /** List requests per measurement. Default 5,000. */
  listRequests?: number;
  /** Requests in flight at once. Default 16. */
  concurrency?: number;
}

/** The machine the numbers come from. */
export function machineInfo(): Record<string, string | number> {
  let memory = "unknown";
  try {
    memory = `${Math.round(Deno.systemMemoryInfo().total / 2 ** 30)} GiB`;
  } catch {
    // Not permitted.
  }
  return {
    os: `${Deno.build.os} ${Deno.osRelease()}`,
    arch: Deno.build.arch,
    cpus: navigator.hardwareConcurrency,
    memory,
    loadavg: Deno.loadavg().map((l) => l.toFixed(2)).join(" "),
    deno: Deno.version.deno,
  };
}

function load(job: LoadJob): Promise<LoadResult> {
  const worker = new Worker(new URL("./http_load.ts", import.meta.url), {
    type: "module",
  });
  return new Promise<LoadResult>((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<LoadResult>) => resolve(e.data);
    worker.onerror = (e) => {
      e.preventDefault();
      reject(new Error(`load worker: ${e.message}`));
    };
    worker.postMessage(job);
  }).finally(() => worker.terminate());
}

/** `n` copies of a request in `lanes` lanes. */
function repeated(r: LoadRequest, n: number, lanes: number): LoadRequest[][] {
  return Array.from(
    { length: lanes },
    (_, i) =>
      Array.from(
        { length: Math.floor(n / lanes) + (i < n % lanes ? 1 : 0) },
        () => r,
      ),
  );
}

async function benchBackend(
  backend: TestBackend,
  o: Required<Omit<BenchOptions, "backends">>,
): Promise<BenchRow[]> {
  const params = { ...PRESETS.devnet, proofMinSpacingEpochs: 0 };
  const net = await testNet({
    backend,
    params,
    funded: ["op"],
    fundedCoins: BigInt(o.nodes) * params.stakingRequirement / ATOMIC_PER_COIN +
      1000n,
    registry: { allowPrivateAddresses: true },
  });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    createApp(net.registry).fetch,
  );
  const url = `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`;
  try {
    // Setup, not measured: the nodes, a proof each, a list with them all.
    const names = Array.from({ length: o.nodes }, (_, i) => `node ${i}`);
    for (const name of names) {
      await net.registry.submit(
        net.registration(name, "op", {
          operatorStake: params.stakingRequirement,
          feeBasisPoints: 0,
          reserved: [],
        }).bytes,
      );
      await net.registry.submit(net.proof(name).bytes);
    }
    net.clock.advance(params.epochSeconds * 1000);
    await net.registry.tick();

    // Proofs, signed beforehand; node i's go in lane i % concurrency, in
    // order (each node's sequence numbers must arrive increasing).
    const lanes: LoadRequest[][] = Array.from(
      { length: o.concurrency },
      () => [],
    );
    for (let k = 0; k < o.proofs; k++) {
      const i = k % o.nodes;
      lanes[i % o.concurrency]!.push({
        method: "POST",
        path: "/v1/proofs",
        headers: { "content-type": "application/octet-stream" },
        body: net.proof(names[i]!).bytes,
      });
    }
    const rows: BenchRow[] = [];
    const row = (measure: BenchRow["measure"], r: LoadResult): BenchRow => ({
      backend,
      measure,
      requests: r.requests,
      seconds: r.seconds,
      perSecond: r.requests / r.seconds,
      statuses: r.statuses,
    });
    rows.push(row("proofs", await load({ url, lanes })));

    const first = await fetch(`${url}/v1/lists/latest`);
    await first.arrayBuffer();
    const etag = first.headers.get("etag")!;
    const get: LoadRequest = {
      method: "GET",
      path: "/v1/lists/latest",
      headers: { accept: "application/octet-stream" },
    };
    rows.push(row(
      "list 200",
      await load({
        url,
        lanes: repeated(get, o.listRequests, o.concurrency),
      }),
    ));
    rows.push(row(
      "list 304",
      await load({
        url,
        lanes: repeated(
          { ...get, headers: { ...get.headers, "if-none-match": etag } },
          o.listRequests,
          o.concurrency,
        ),
      }),
    ));
    return rows;
  } finally {
    await server.shutdown();
    await net.close();
  }
}

/** Measure proof ingestion and list serving on each backend; the rows. */
export async function postgresBench(
  options: BenchOptions = {},
): Promise<BenchRow[]> {
  const o = {
    nodes: options.nodes ?? 500,
    proofs: options.proofs ?? 3000,
    listRequests: options.listRequests ?? 5000,
    concurrency: options.concurrency ?? 16,
  };
  const rows: BenchRow[] = [];
  for (const backend of options.backends ?? ["sqlite", "postgres"] as const) {
    rows.push(...await benchBackend(backend, o));
  }
  return rows;
}

/** The rows as a markdown table. */
export function rowsMarkdown(rows: readonly BenchRow[]): string {
  const lines = [
    "| backend | measure | requests | seconds | per second | statuses |",
    "| --- | --- | ---: | ---: | ---: | --- |",
    ...rows.map((r) =>
      `| ${r.backend} | ${r.measure} | ${r.requests} | ${
        r.seconds.toFixed(2)
      } | ${Math.round(r.perSecond)} | ${
        Object.entries(r.statuses).map(([s, n]) => `${s}: ${n}`).join(", ")
      } |`
    ),
  ];
  return lines.join("\n");
}

if (import.meta.main) {
  console.log(
    Object.entries(machineInfo()).map(([k, v]) => `${k}: ${v}`).join("\n"),
  );
  console.log(
    `postgres: ${
      (Deno.env.get("TEST_DATABASE_URL") ?? "unset").replace(
        /\/\/([^:@/]*):[^@/]*@/,
        "//$1:***@",
      )
    }\n`,
  );
  console.log(rowsMarkdown(await postgresBench()));
}
