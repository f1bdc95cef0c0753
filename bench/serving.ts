/**
 * Serving the latest list over HTTP at network scale: the registry against
 * a bare `Deno.serve` (the ceiling) and a bare `node:http` server
 * with the same bytes in memory, each a child process
 * (`bench/serving_server.ts`), loaded by `wrk` over loopback.
 *
 * For each list size and each case - `If-None-Match` answered 304, and 200
 * with identity, gzip and br - every server is loaded for `seconds` in
 * every round, servers alternating order from round to round; each figure
 * is the median over rounds. Recorded per run: requests per second (wrk)
 * and the server's CPU time per request (user + system of the server
 * process from /proc, so the load generator's CPU is not counted).
 *
 *     node_modules/.bin/deno run -A bench/serving.ts [--sizes 10000,100000] [--rounds 3] [--seconds 2]
 *
 * Needs `wrk` (Debian: `apt-get install wrk`) and Linux's /proc.
 *
 * @module
 */

import { parseArgs } from "node:util";

/** A server under test. */
export type ServerMode =
  | "deno"
  | "node"
  | "registry"
  | "registry-deno"
  | "registry-hono";
/** A request case. */
export type ServingCase = "304" | "identity" | "gzip" | "br";

/** One (size, case, server) figure: medians over rounds. */
export interface ServingRow {
  nodes: number;
  bytes: number;
  case: ServingCase;
  server: ServerMode;
  /** Median requests per second. */
  rps: number;
  /** Median server CPU milliseconds per request. */
  cpuMsPerRequest: number;
  rpsSamples: number[];
  cpuSamples: number[];
}

/** Options of {@linkcode measureServing}. */
export interface ServingOptions {
  sizes?: number[];
  rounds?: number;
  /** Seconds per wrk run. Default 2. */
  seconds?: number;
  /** wrk connections. Default 16. */
  connections?: number;
  servers?: ServerMode[];
  cases?: ServingCase[];
  onMeasure?: (row: Omit<ServingRow, "rpsSamples" | "cpuSamples">) => void;
}

interface Child {
  mode: ServerMode;
  process: Deno.ChildProcess;
  port: number;
  pid: number;
  etag: string;
  bytes: number;
}

const CLK_TCK = 100;

/** CPU seconds (user + system) a process has used, from /proc. */
export async function processCpuSeconds(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  // Fields after the command name (which may contain spaces) in parentheses.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** Resident set size of a process in bytes, and its peak (VmHWM), from /proc. */
export async function processMemory(
  pid: number,
): Promise<{ rss: number; peak: number }> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0) *
    1024;
  return { rss: kb("VmRSS"), peak: kb("VmHWM") };
}

async function startServer(
  mode: ServerMode,
  nodes: number,
  now: number,
): Promise<Child> {
  const process = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./serving_server.ts", import.meta.url).pathname,
      "--mode",
      mode,
      "--nodes",
      String(nodes),
      "--now",
      String(now),
    ],
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const reader = process.stdout.pipeThrough(new TextDecoderStream())
    .getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${mode} server exited before listening`);
    text += value;
  }
  reader.releaseLock();
  const info = JSON.parse(text.split("\n")[0]!);
  return { mode, process, ...info };
}

/** Run wrk once; returns requests per second. */
export async function wrk(
  url: string,
  headers: Record<string, string>,
  seconds: number,
  connections: number,
): Promise<{ rps: number; requests: number; errors: number }> {
  const args = ["-t1", `-c${connections}`, `-d${seconds}s`];
  for (const [k, v] of Object.entries(headers)) args.push("-H", `${k}: ${v}`);
  args.push(url);
  const out = await new Deno.Command("wrk", { args, stdout: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(text)?.[1]);
  const errors =
    Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0) +
    Number(/Socket errors: connect (\d+)/.exec(text)?.[1] ?? 0);
  if (!Number.isFinite(rps)) throw new Error(`wrk failed:\n${text}`);
  return { rps, requests, errors };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const HEADERS: Record<ServingCase, (etag: string) => Record<string, string>> = {
  "304": (etag) => ({ "if-none-match": etag }),
  identity: () => ({}),
  gzip: () => ({ "accept-encoding": "gzip" }),
  br: () => ({ "accept-encoding": "br, gzip" }),
};

/** Measure every case on every server at every size. */
export async function measureServing(
  opts: ServingOptions = {},
): Promise<ServingRow[]> {
  const sizes = opts.sizes ?? [10_000, 100_000];
  const rounds = opts.rounds ?? 3;
  const seconds = opts.seconds ?? 2;
  const connections = opts.connections ?? 16;
  const servers = opts.servers ??
    ["deno", "node", "registry", "registry-deno"];
  const cases = opts.cases ?? ["304", "identity", "gzip", "br"];
  const rows: ServingRow[] = [];
  const now = Math.floor(Date.now() / 1000);
  for (const nodes of sizes) {
    const children: Child[] = [];
    try {
      for (const mode of servers) {
        children.push(await startServer(mode, nodes, now));
      }
      const samples = new Map<string, { rps: number[]; cpu: number[] }>();
      for (let r = 0; r < rounds; r++) {
        const order = r % 2 === 0 ? children : [...children].reverse();
        for (const c of cases) {
          for (const child of order) {
            const url = `http://127.0.0.1:${child.port}/v1/lists/latest`;
            const cpu0 = await processCpuSeconds(child.pid);
            const w = await wrk(
              url,
              HEADERS[c](child.etag),
              seconds,
              connections,
            );
            const cpu = await processCpuSeconds(child.pid) - cpu0;
            if (w.errors > 0) {
              throw new Error(`${child.mode} ${c}: ${w.errors} errors`);
            }
            const key = `${c}/${child.mode}`;
            const s = samples.get(key) ?? { rps: [], cpu: [] };
            s.rps.push(w.rps);
            s.cpu.push(w.requests > 0 ? cpu * 1000 / w.requests : NaN);
            samples.set(key, s);
          }
        }
      }
      for (const c of cases) {
        for (const child of children) {
          const s = samples.get(`${c}/${child.mode}`)!;
          const row: ServingRow = {
            nodes,
            bytes: child.bytes,
            case: c,
            server: child.mode,
            rps: median(s.rps),
            cpuMsPerRequest: median(s.cpu),
            rpsSamples: s.rps,
            cpuSamples: s.cpu,
          };
          rows.push(row);
          opts.onMeasure?.(row);
        }
      }
    } finally {
      for (const c of children) {
        try {
          c.process.kill("SIGKILL");
        } catch { /* gone */ }
        await c.process.status;
      }
    }
  }
  return rows;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      sizes: { type: "string", default: "10000,100000" },
      rounds: { type: "string", default: "3" },
      seconds: { type: "string", default: "2" },
      servers: { type: "string", default: "deno,node,registry,registry-deno" },
    },
  });
  await measureServing({
    sizes: values.sizes!.split(",").map(Number),
    rounds: Number(values.rounds),
    seconds: Number(values.seconds),
    servers: values.servers!.split(",") as ServerMode[],
    onMeasure: (r) =>
      console.log(
        `${r.nodes} ${r.case.padEnd(8)} ${r.server.padEnd(14)} ${
          r.rps.toFixed(0).padStart(7)
        } req/s  ${r.cpuMsPerRequest.toFixed(3)} ms cpu/req`,
      ),
  });
}
