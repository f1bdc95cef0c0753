/**
 * Issue 11's report: every row of its table measured beside its ceiling in
 * the same run, written to `bench/RESULTS.md` (figure, ceiling, ratio,
 * goal, met or not, machine, load average, date, the command).
 *
 *     node_modules/.bin/deno task bench:report [--quick] [--skip explorer,postgres]
 *
 * Sections (each its own module, runnable alone): swarm scaling
 * (`swarm_scaling.ts`), serving the latest list (`serving.ts`, needs
 * `wrk`), proofs over HTTP (`proofs.ts`), ticks (`ticks.ts`), storage
 * (`storage.ts`), the explorer (`web/bench.ts`, a subprocess), and the
 * PostgreSQL rows (`postgres_bench.ts`, with a server: the task runs under
 * `tools/with_postgres.sh`).
 * `--quick` runs fewer rounds (a smoke run, not for the record).
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  machineInfo,
  measureSwarmScaling,
  scalingRatios,
} from "./swarm_scaling.ts";
import {
  measureServing,
  type ServingCase,
  type ServingRow,
} from "./serving.ts";
import { measureProofs, type ProofFigures } from "./proofs.ts";
import { measureTicks, type TickRun } from "./ticks.ts";
import { measureStorage, type StorageRun } from "./storage.ts";
import { postgresBench, rowsMarkdown } from "./postgres_bench.ts";

const USAGE =
  `usage: deno task bench:report [--quick] [--skip SECTION,...] [--out FILE]

  --quick      fewer rounds: a smoke run, not for the record
  --skip       sections to leave out: swarms, serving, proofs, ticks,
               storage, explorer, postgres
  --out FILE   where to write the report (default bench/RESULTS.md)`;

let parsed;
try {
  parsed = parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean", default: false },
      skip: { type: "string", default: "" },
      out: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
} catch (e) {
  console.error(`error: ${(e as Error).message}\n\n${USAGE}`);
  Deno.exit(2);
}
const { values } = parsed;
if (values.help) {
  console.log(USAGE);
  Deno.exit(0);
}
const quick = values.quick!;
const skip = new Set(values.skip!.split(",").filter(Boolean));
const outFile = values.out ??
  new URL("./RESULTS.md", import.meta.url).pathname;

interface Row {
  what: string;
  figure: string;
  ceiling: string;
  ratio: number | null;
  goal: string;
  met: boolean | null;
  note: string;
}

const rows: Row[] = [];
const sections: string[] = [];
const loads: string[] = [];
const f0 = (x: number) => x.toLocaleString("en", { maximumFractionDigits: 0 });
const f1 = (x: number) => x.toFixed(1);
const f3 = (x: number) => x.toFixed(3);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function section(
  name: string,
  run: () => Promise<void> | void,
): Promise<void> {
  if (skip.has(name)) {
    sections.push(`### ${name}\n\nskipped (--skip ${name}).\n`);
    return;
  }
  const before = machineInfo().load;
  const t0 = performance.now();
  console.error(`== ${name} (load ${before})`);
  try {
    await run();
  } catch (e) {
    sections.push(
      `### ${name}\n\nnot measured: ${e instanceof Error ? e.message : e}\n`,
    );
    console.error(e);
  }
  const after = machineInfo().load;
  loads.push(
    `| ${name} | ${before} | ${after} | ${
      f0((performance.now() - t0) / 1000)
    } s |`,
  );
}

// ------------------------------------------------------------------ swarms
await section("swarms", () => {
  const r = measureSwarmScaling({ rounds: quick ? 1 : 3 });
  const ratios = scalingRatios(r)!;
  const at = (n: number) => r.find((x) => x.nodes === n)!;
  for (
    const [kind, cpu, wall] of [
      ["bulk assignment", ratios.bulkCpu, ratios.bulk],
      ["recompute after 1% churn", ratios.churnCpu, ratios.churn],
    ] as const
  ) {
    const key = kind.startsWith("bulk") ? "bulkCpuMs" : "churnCpuMs";
    rows.push({
      what: `swarm ${kind}, time(100k) / time(10k)`,
      figure: `${f0(at(100_000)[key])} ms CPU at 100k`,
      ceiling: `${f0(at(10_000)[key])} ms CPU at 10k (x10 = linear)`,
      ratio: cpu,
      goal: "<= 12 (CPU time)",
      met: cpu <= 12,
      note: `wall-clock ratio ${
        f1(wall)
      }; oxend's algorithm, kept bit-exact (see below)`,
    });
  }
  sections.push(`### Swarms (\`bench/swarm_scaling.ts\`)

Medians over ${quick ? 1 : 3} alternating rounds, milliseconds:

| nodes | swarms | bulk wall | bulk CPU | churn wall | churn CPU |
| ----- | ------ | --------- | -------- | ---------- | --------- |
${
    r.map((x) =>
      `| ${f0(x.nodes)} | ${x.swarms} | ${f1(x.bulkMs)} | ${
        f1(x.bulkCpuMs)
      } | ${f1(x.churnMs)} | ${f1(x.churnCpuMs)} |`
    ).join("\n")
  }

Not met, by design: swarm assignment ports oxend's \`calc_swarm_changes\`
bit for bit (the swarm vectors pass). Upstream assigns each new node by
sorting every swarm by size (libstdc++ \`std::sort\` order of equal sizes
decides where a node lands), so assigning one node costs O(swarms) and a
bulk assignment of N nodes O(N x N / swarm size): the 100k/10k ratio is
about 10 x 10 = 100 in principle, reduced by the indexed state on main.
Reaching 12 would mean assigning differently from oxend, which the issue
rules out ("Keep the result bit-exact with upstream ... the random draws
must happen in exactly upstream's order"). Profile (core README, "How the
port computes it, and what it costs"): the time is in the per-node ordering
of swarms by size and the excess-pool walks, not in hex or I/O.
`);
});

// ----------------------------------------------------------------- serving
await section("serving", async () => {
  const servers = ["deno", "node", "registry", "registry-deno"] as const;
  // The 304s, cheap and the noisiest, get more rounds than the 200s.
  const r = [
    ...await measureServing({
      sizes: [10_000, 100_000],
      rounds: quick ? 1 : 7,
      seconds: quick ? 1 : 3,
      servers: [...servers],
      cases: ["304"],
    }),
    ...await measureServing({
      sizes: [10_000, 100_000],
      rounds: quick ? 1 : 3,
      seconds: quick ? 1 : 3,
      servers: [...servers],
      cases: ["identity", "gzip", "br"],
    }),
  ];
  const get = (n: number, c: ServingCase, s: string) =>
    r.find((x) => x.nodes === n && x.case === c && x.server === s)!;
  /** Median over rounds of registry-deno / bare Deno.serve, same round. */
  const pairedRatio = (n: number) => {
    const a = get(n, "304", "registry-deno").rpsSamples;
    const b = get(n, "304", "deno").rpsSamples;
    const ratios = a.map((x, i) => x / b[i]!).sort((x, y) => x - y);
    const m = ratios.length >> 1;
    return ratios.length % 2 === 1
      ? ratios[m]!
      : (ratios[m - 1]! + ratios[m]!) / 2;
  };
  for (const n of [10_000, 100_000]) {
    const deno = get(n, "304", "deno"), node = get(n, "304", "node");
    for (const mode of ["registry", "registry-deno"] as const) {
      const reg = get(n, "304", mode);
      const ratio = reg.rps / deno.rps;
      rows.push({
        what: `\`GET /v1/lists/latest\` 304, req/s vs bare Deno.serve, ${
          f0(n)
        } nodes, \`--http-server ${mode === "registry" ? "node" : "deno"}\``,
        figure: `${f0(reg.rps)} req/s`,
        ceiling: `${f0(deno.rps)} req/s (bare node:http ${f0(node.rps)})`,
        ratio,
        goal: ">= 0.8",
        met: ratio >= 0.8,
        note: mode === "registry"
          ? `the default, with the slow-client limits: vs bare node:http ${
            f3(reg.rps / node.rps)
          }; server CPU ${f3(reg.cpuMsPerRequest)} ms/req (Deno.serve ${
            f3(deno.cpuMsPerRequest)
          }, node:http ${f3(node.cpuMsPerRequest)})`
          : `behind a reverse proxy (no slow-client limits of its own); server CPU ${
            f3(reg.cpuMsPerRequest)
          } ms/req (Deno.serve ${f3(deno.cpuMsPerRequest)})`,
      });
    }
  }
  for (const n of [10_000, 100_000]) {
    for (const c of ["identity", "gzip", "br"] as const) {
      const reg = get(n, c, "registry"),
        deno = get(n, c, "deno"),
        node = get(n, c, "node");
      const ratio = deno.cpuMsPerRequest / reg.cpuMsPerRequest;
      rows.push({
        what: `same, 200 ${c}: server CPU per request, bare / registry, ${
          f0(n)
        } nodes`,
        figure: `${f3(reg.cpuMsPerRequest)} ms/req (${f0(reg.rps)} req/s)`,
        ceiling: `${f3(deno.cpuMsPerRequest)} ms/req Deno.serve (${
          f0(deno.rps)
        } req/s)`,
        ratio,
        goal: ">= 0.8",
        met: ratio >= 0.8,
        note: `vs bare node:http (${f3(node.cpuMsPerRequest)} ms/req): ${
          f3(node.cpuMsPerRequest / reg.cpuMsPerRequest)
        }; \`--http-server deno\` ${
          f3(get(n, c, "registry-deno").cpuMsPerRequest)
        } ms/req: ${
          f3(deno.cpuMsPerRequest / get(n, c, "registry-deno").cpuMsPerRequest)
        }`,
      });
    }
  }
  sections.push(`### Serving the latest list (\`bench/serving.ts\`)

Each server a child process with the same list bytes (identity, gzip,
br) in memory; \`wrk -t1 -c16\` over loopback, ${
    quick ? 1 : 3
  } s per run, servers alternating,
medians over ${quick ? 1 : 7} rounds for the 304s and ${
    quick ? 1 : 3
  } for the 200s; server CPU from /proc (wrk's own CPU not counted).
\`registry\` is composed as \`registry/main.ts\` does by default
(\`--http-server node\`): node:http with the default limits (header, request
and keep-alive timeouts, connection caps), the latest list and
\`/v1/health\` answered in the node:http handler before Hono
(\`http/fast_path.ts\`), everything else through Hono.
\`registry-deno\` is \`--http-server deno\`: the same app and fast path
served by \`Deno.serve\` (\`http/deno_server.ts\`), for a registry behind a
reverse proxy that enforces the slow-client limits.

| nodes | bytes | case | server | req/s | server CPU ms/req | req/s per round |
| ----- | ----- | ---- | ------ | ----- | ----------------- | --------------- |
${
    r.map((x: ServingRow) =>
      `| ${f0(x.nodes)} | ${f0(x.bytes)} | ${x.case} | ${x.server} | ${
        f0(x.rps)
      } | ${f3(x.cpuMsPerRequest)} | ${x.rpsSamples.map(f0).join(", ")} |`
    ).join("\n")
  }

What the server choice costs: on the 304 path bare node:http reaches
${
    f3(get(10_000, "304", "node").rps / get(10_000, "304", "deno").rps)
  } of bare Deno.serve's req/s here (10k); the default registry reaches ${
    f3(get(10_000, "304", "registry").rps / get(10_000, "304", "node").rps)
  } of bare node:http's. The default keeps node:http for its slow-client
protections (Deno.serve has no header or request timeout and no connection
cap, registry README "Slow and greedy clients"), so its 304 req/s against
bare Deno.serve is bounded by node:http's own ratio: Deno's node:http is
Node's server ported (the llhttp parser, then the request, response and
socket objects of \`_http_server\` in JavaScript over \`node:net\`), where
Deno.serve is hyper in Rust with a thin JavaScript layer. That is the
reason the default misses 0.8 against Deno.serve.

Behind a reverse proxy, \`--http-server deno\` serves the same answers
through Deno.serve: ${
    f3(get(10_000, "304", "registry-deno").rps / get(10_000, "304", "deno").rps)
  } (10k) and ${
    f3(
      get(100_000, "304", "registry-deno").rps /
        get(100_000, "304", "deno").rps,
    )
  } (100k) of bare Deno.serve's req/s in this run, medians of ${
    quick ? 1 : 7
  } rounds; the per-round ratios (same round, servers seconds apart) have
medians of ${f3(pairedRatio(10_000))} and ${
    f3(pairedRatio(100_000))
  }. Across runs on this shared machine it has measured between about 0.70
and 0.93: around the goal, not clear of it. What it does beyond the bare
server: the registry's headers (CORS, Vary, the list's epoch, hash and
co-signatures), the request counters for \`/metrics\`, and the
\`Accept\`/\`Accept-Encoding\` negotiation the bare server skips.
`);
});

// ------------------------------------------------------------------ proofs
let proofs: ProofFigures | null = null;
await section("proofs", async () => {
  proofs = await measureProofs({
    rounds: quick ? 2 : 5,
    perRound: quick ? 500 : 1000,
    concurrency: 32,
  });
  const p = proofs;
  const ratio = p.proofsPerSecond / p.webCryptoPerSecond;
  rows.push({
    what:
      "uptime proofs accepted per second over HTTP (durable) vs WebCrypto verify/s",
    figure: `${f0(p.proofsPerSecond)} proofs/s`,
    ceiling: `${f0(p.webCryptoPerSecond)} verify/s (@noble ${
      f0(p.noblePerSecond)
    })`,
    ratio,
    goal: ">= 0.5",
    met: ratio >= 0.5,
    note: `server CPU ${f3(p.serverCpuMsPerProof)} ms/proof; ${
      f1(p.meanGroupSize)
    } writes per transaction (group commit); ${
      f3(p.proofsPerSecond / p.noblePerSecond)
    } of @noble's verify/s`,
  });
  // The same behind a reverse proxy: --http-server deno.
  const d = await measureProofs({
    rounds: quick ? 2 : 5,
    perRound: quick ? 500 : 1000,
    concurrency: 32,
    httpServer: "deno",
  });
  const dRatio = d.proofsPerSecond / d.webCryptoPerSecond;
  rows.push({
    what: "same, `--http-server deno` (behind a reverse proxy)",
    figure: `${f0(d.proofsPerSecond)} proofs/s`,
    ceiling: `${f0(d.webCryptoPerSecond)} verify/s`,
    ratio: dRatio,
    goal: ">= 0.5",
    met: dRatio >= 0.5,
    note: `server CPU ${f3(d.serverCpuMsPerProof)} ms/proof; ${
      f1(d.meanGroupSize)
    } writes per transaction`,
  });
  sections.push(`### Proofs (\`bench/proofs.ts\`)

A registry process (\`deno task start\`'s command, SQLite file, WAL,
\`synchronous=NORMAL\`), ${p.perRound} fresh nodes' proofs per round over ${p.concurrency}
keep-alive connections, every answer 200; WebCrypto \`crypto.subtle.verify\`
(sequential awaits, keys imported beforehand) over the same proofs in this
process, rounds alternating; medians over ${p.rounds} rounds.
Proofs/s per round: ${p.proofSamples.map(f0).join(", ")}; WebCrypto/s: ${
    p.webCryptoSamples.map(f0).join(", ")
  }. The same registry with \`--http-server deno\` (measured after it, the
same way): ${d.proofSamples.map(f0).join(", ")} proofs/s; WebCrypto/s: ${
    d.webCryptoSamples.map(f0).join(", ")
  }.

Where a proof's server time goes (measured in-process on this machine
during development, a few runs of 1,000-3,000 proofs, so approximate): decoding ~15 µs; the
WebCrypto verification ~110-130 µs (the ceiling itself); the store work
~150-200 µs (five statements through Kysely and \`node:sqlite\`: a savepoint,
the sequence check-and-advance in one upsert, the node's row, its update,
the release; the commit shared by the group); the Hono write route ~260 µs
(routing, the body stream, the counters middleware, building the
\`Request\` and \`Response\`); \`node:http\` itself ~80 µs (its bare 304 costs
that much, serving rows). Half of WebCrypto's rate leaves ~250 µs per
proof for all of it, less than HTTP and SQLite take alone on one core, so
the goal is out of reach for a one-write-per-request API on this stack;
what was done: strict WebCrypto verification (7-20 x @noble), group
commit, one statement fewer per write. Reaching it would take batched
proofs per request or verification and HTTP off the main thread.
With \`--http-server deno\` the registry used ${
    f3(d.serverCpuMsPerProof)
  } ms of server CPU per proof in this run (${
    f3(p.serverCpuMsPerProof)
  } on node:http): the route, the store and the verification are the same on
both servers, so the server choice moves this figure little either way.

For scale: nodes prove uptime once an hour (network.md, "Uptime proofs"), so
100,000 nodes send about 28 proofs a second; the measured rate is ${
    f0(p.proofsPerSecond / (100_000 / 3600))
  } times that.

"Durable": a proof is answered only after the transaction holding it
committed (group commit: the writes queued meanwhile share one transaction,
each in its own savepoint). SQLite runs in WAL mode with
\`synchronous=NORMAL\`: a committed write survives the registry process
being killed (the crash suite, \`deno task test:fault\`, checks every
acknowledged write after 20 \`kill -9\`s); an operating-system crash or a
power loss may lose the last commits (\`synchronous=FULL\` would fsync each
commit).
`);
});

// ------------------------------------------------------------------- ticks
await section("ticks", async () => {
  const runs = await measureTicks({
    sizes: [10_000, 100_000],
    rounds: quick ? 1 : 2,
    steady: 3,
    mass: true,
  });
  const at = (n: number) => runs.filter((r: TickRun) => r.nodes === n);
  const cpu = (n: number) => median(at(n).map((r) => r.steadyCpuMs));
  const wall = (n: number) => median(at(n).map((r) => r.steadyMs));
  const ratio = cpu(100_000) / cpu(10_000);
  rows.push({
    what: "tick at 100k active nodes, steady state, vs the 10k tick",
    figure: `${f0(cpu(100_000))} ms CPU (${f0(wall(100_000))} ms wall)`,
    ceiling: `${f0(cpu(10_000))} ms CPU (${f0(wall(10_000))} ms wall) at 10k`,
    ratio,
    goal: "<= 12 (CPU time)",
    met: ratio <= 12,
    note: `wall ratio ${
      f1(wall(100_000) / wall(10_000))
    }; first tick after growth ${
      f0(median(at(100_000).map((r) => r.firstMs)))
    } ms at 100k`,
  });
  const mass = runs.find((r) => r.massMs !== null);
  if (mass) {
    rows.push({
      what: "a tick that changes 100k states: peak RSS",
      figure: `${f0(mass.peakRss / 2 ** 20)} MiB`,
      ceiling: "2,048 MiB",
      ratio: mass.peakRss / 2 ** 31,
      goal: "< 2 GB",
      met: mass.peakRss < 2 ** 31,
      note: `the tick took ${f0(mass.massMs! / 1000)} s; peak before it ${
        f0(mass.peakRssBeforeMass / 2 ** 20)
      } MiB (seeding and ordinary ticks)`,
    });
  }
  sections.push(`### Ticks (\`bench/ticks.ts\`)

Nodes seeded straight into an SQLite file (rows as registrations and proofs
leave them), each size in a child process of its own, sizes alternating;
steady state = the median of 3 ticks after the first.

| nodes | first tick ms | first CPU ms | steady ms | steady CPU ms | mass tick ms | peak RSS MiB |
| ----- | ------------- | ------------ | --------- | ------------- | ------------ | ------------ |
${
    runs.map((r) =>
      `| ${f0(r.nodes)} | ${f0(r.firstMs)} | ${f0(r.firstCpuMs)} | ${
        f0(r.steadyMs)
      } | ${f0(r.steadyCpuMs)} | ${r.massMs === null ? "-" : f0(r.massMs)} | ${
        f0(r.peakRss / 2 ** 20)
      } |`
    ).join("\n")
  }

Where a steady 100k tick's time goes (measured by phase on this machine,
one run): reading the ~100k live rows from SQLite (\`node:sqlite\` builds a
28-property object per row: ~1 s alone in a bare \`StatementSync.all()\`),
the lifecycle step per node (~0.5 s), grouping keys for the swarm
recompute (~0.5 s), the recompute (~0.2 s), building, encoding and
signing the list, and storing it as a delta from the previous list
(reading that list back: ~0.3 s). The tick now reads the nodes table once
(it read it three times) and applies swarm moves to the rows it holds.

Since the witness protocol (issue 15), each tick also commits to the whole
state: it reads every state row again (every node, deregistered ones
included, with stakes, wallets and sequences), encodes the canonical
snapshot (about 290 B a node, ~29 MB at 100k), hashes it for the list
header and stores it (the newest 8 kept). Measured on this machine before
and after that merge, it took the steady 100k tick from ~3.4 s to ~7-8 s
of CPU and the peak RSS from ~1.46 GiB to ~2.0 GiB: the 2 GB bound holds,
without headroom. Reading the state once with the tick's own rows would
cut both; it is not done (the state the hash covers must be exactly the
database's, for witnesses that start from a snapshot).
`);
});

// ----------------------------------------------------------------- storage
await section("storage", async () => {
  const runs = await measureStorage({
    nodes: 10_000,
    epochs: quick ? 16 : 64,
  });
  const full = runs.find((r: StorageRun) => r.snapshotEvery === 1)!;
  const delta = runs.find((r: StorageRun) => r.snapshotEvery !== 1)!;
  const ratio = delta.databaseGrowthPerEpoch / delta.listBytes;
  const table = (r: StorageRun, name: string) =>
    r.tables.find((t) => t.name === name)?.bytesPerEpoch ?? 0;
  const witnessBytes = table(delta, "epoch_documents") +
    table(delta, "state_snapshots");
  rows.push({
    what: "database growth per epoch at 10k nodes, 1% churn, vs one full list",
    figure: `${f0(delta.databaseGrowthPerEpoch)} B/epoch`,
    ceiling: `${f0(delta.listBytes)} B (one list)`,
    ratio,
    goal: "<= 0.1",
    met: ratio <= 0.1,
    note: `lists alone ${f0(delta.listStoragePerEpoch)} B/epoch (${
      f3(delta.listStoragePerEpoch / delta.listBytes)
    }); the witnesses' epoch inputs and state snapshots ${
      f0(witnessBytes)
    } B (${f3(witnessBytes / delta.listBytes)}); every list in full: ${
      f3(full.databaseGrowthPerEpoch / full.listBytes)
    } (see below)`,
  });
  const names = [...new Set(runs.flatMap((r) => r.tables.map((t) => t.name)))]
    .sort((a, b) => table(delta, b) - table(delta, a));
  sections.push(`### Storage (\`bench/storage.ts\`)

10,000 nodes, ${delta.epochs} epochs of 1% churn (0.5% leave, 0.5% join,
0.5% move), each closed by a tick, with the uptime proofs of a real network
(every node once an hour: ${delta.proofsPerEpoch} signed proofs an epoch
through the registry's write path, recorded in the epoch's published
inputs). Measured after an hour of epochs (the window of ${delta.snapshotWindow.count}
state snapshots full, every node proven once). "database" = pages in use
(every table and index), "files" = main file + WAL.

| lists stored | list bytes | lists B/epoch | database B/epoch | files B/epoch |
| ------------ | ---------- | ------------- | ---------------- | ------------- |
${
    runs.map((r) =>
      `| ${
        r.snapshotEvery === 1
          ? "every list in full (before)"
          : `snapshot every ${r.snapshotEvery}, deltas between`
      } | ${f0(r.listBytes)} | ${f0(r.listStoragePerEpoch)} | ${
        f0(r.databaseGrowthPerEpoch)
      } | ${f0(r.fileGrowthPerEpoch)} |`
    ).join("\n")
  }

Growth per table (with its indexes, SQLite's \`dbstat\`), bytes per epoch:

| table | ${
    runs.map((r) => r.snapshotEvery === 1 ? "lists in full" : "deltas").join(
      " | ",
    )
  } |
| ----- | ${runs.map(() => "---").join(" | ")} |
${
    names.map((n) =>
      `| \`${n}\` | ${runs.map((r) => f0(table(r, n))).join(" | ")} |`
    ).join("\n")
  }

Lists, the goal's subject, take ${
    f3(delta.listStoragePerEpoch / delta.listBytes)
  } of a full list per epoch stored as snapshots and deltas. The database
as a whole grows by more, and the goal is not met for it, because of what
the registry keeps besides lists:

- \`epoch_documents\`: each epoch's published inputs (the signed writes
  and the registry's observations, issue 15's witness protocol), about ${
    f0(table(delta, "epoch_documents") / Math.max(1, delta.proofsPerEpoch))
  } B per proof, kept as long as the lists (2,160 epochs by default) so
  witnesses can re-execute any kept epoch;
- \`state_snapshots\`: the newest ${delta.snapshotWindow.count} state snapshots (${
    f0(delta.snapshotWindow.bytes / Math.max(1, delta.snapshotWindow.count))
  } B each here), for a witness to start from; a bounded window, but each
  snapshot holds the whole state, which grows with every joining node, so
  the window grows ${delta.snapshotWindow.count} times as fast as the state;
- \`nodes\` and \`sequences\`: the joining nodes' rows (50 an epoch here;
  deregistered nodes are kept, for their history on the explorer).

With the defaults (2,160 lists kept, a snapshot every 32 epochs, events
kept 21,600 epochs) the lists of a 10k network take about
${f0(2160 * delta.listStoragePerEpoch / 2 ** 20)} MiB instead of ${
    f0(2160 * full.listStoragePerEpoch / 2 ** 20)
  } MiB, the epoch inputs about ${
    f0(2160 * table(delta, "epoch_documents") / 2 ** 20)
  } MiB, the state snapshots ${f0(delta.snapshotWindow.bytes / 2 ** 20)} MiB.
`);
});

// ---------------------------------------------------------------- explorer
await section("explorer", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../web/bench.ts", import.meta.url).pathname,
      "--nodes",
      quick ? "2000" : "10000",
      "--runs",
      quick ? "50" : "200",
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) throw new Error("web/bench.ts failed");
  for (
    const [label, page] of [["overview", "overview `/`"], [
      "nodes",
      "nodes `/nodes` (first 50)",
    ]]
  ) {
    const line = text.split("\n").find((l) => l.startsWith(`| ${page} |`));
    if (!line) continue;
    const cells = line.split("|").map((c) => c.trim());
    const p99 = Number(cells[4]);
    rows.push({
      what: `explorer ${label} page at ${quick ? "2k" : "10k"} nodes, p99`,
      figure: `${cells[4]} ms`,
      ceiling: "100 ms",
      ratio: p99 / 100,
      goal: "p99 < 100 ms",
      met: p99 < 100,
      note: `p50 ${cells[3]} ms`,
    });
  }
  sections.push(`### Explorer (\`web/bench.ts\`)\n\n${text.trim()}\n`);
});

// ---------------------------------------------------------------- postgres
await section("postgres", async () => {
  if (!Deno.env.get("TEST_DATABASE_URL")) {
    sections.push(
      "### PostgreSQL (`bench/postgres_bench.ts`)\n\nNot measured: no `TEST_DATABASE_URL` (`deno task bench:report` runs under `tools/with_postgres.sh`, which starts a throwaway server when PostgreSQL is installed).\n",
    );
    return;
  }
  const pg = await postgresBench();
  sections.push(`### PostgreSQL (\`bench/postgres_bench.ts\`)

The PostgreSQL engineer's measurements, run here: a devnet registry with
500 active nodes per backend, served by \`Deno.serve\`, 16 requests in
flight from a worker; proofs with the minimum spacing set to 0 (see the
module's documentation). PostgreSQL is a throwaway local server (fsync off).

${rowsMarkdown(pg)}
`);
});

// ------------------------------------------------------------------ output
const m = machineInfo();
const met = (r: Row) => r.met === null ? "-" : r.met ? "**met**" : "not met";
const md = `# Performance at network scale: results

Written by \`bench/report.ts\`. Reproduce:

\`\`\`sh
apt-get install wrk   # once: the load generator of the serving rows (PostgreSQL: optional)
node_modules/.bin/deno task bench:report${quick ? " --quick" : ""}
\`\`\`

- date: ${new Date().toISOString()}
- machine: ${m.cpu}, ${m.cores} logical cores, shared with other work
  (figures are ratios against a ceiling measured in the same run, rounds
  alternating, medians; CPU time recorded beside wall time)
- Deno ${Deno.version.deno} (V8 ${Deno.version.v8})${
  quick ? "\n- **--quick run: fewer rounds, not for the record**" : ""
}

| what | figure | ceiling (same run) | ratio | goal | | notes |
| ---- | ------ | ------------------ | ----- | ---- | - | ----- |
${
  rows.map((r) =>
    `| ${r.what} | ${r.figure} | ${r.ceiling} | ${
      r.ratio === null ? "-" : f3(r.ratio)
    } | ${r.goal} | ${met(r)} | ${r.note} |`
  ).join("\n")
}

Load average (1/5/15 min) around each section:

| section | before | after | took |
| ------- | ------ | ----- | ---- |
${loads.join("\n")}

## Sections

${sections.join("\n")}
`;
await Deno.writeTextFile(outFile, md);
console.error(`wrote ${outFile}`);
