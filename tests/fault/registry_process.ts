/**
 * The registry as the fault suites run it: `registry/main.ts` as a
 * subprocess with the `start` task's permissions, on 127.0.0.1 and a free
 * port, in a given data directory. Every wait is bounded.
 *
 * @module
 */

const ROOT = new URL("../..", import.meta.url).pathname;

/** The `start` task's deno arguments (`run`, permissions, script). */
async function startTaskArgs(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  return String(config.tasks.start).split(/\s+/).slice(1);
}

/** A running registry process. */
export class RegistryProcess {
  readonly child: Deno.ChildProcess;
  /** Parsed log lines. */
  readonly lines: Record<string, unknown>[] = [];
  stderr = "";
  url = "";
  port = 0;
  readonly status: Promise<Deno.CommandStatus>;
  readonly #output: Promise<void>;

  private constructor(args: string[], env: Record<string, string>) {
    const base: Record<string, string> = { NO_COLOR: "1" };
    for (const k of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME", "TMPDIR"]) {
      const v = Deno.env.get(k);
      if (v !== undefined) base[k] = v;
    }
    const child = new Deno.Command(Deno.execPath(), {
      args,
      cwd: ROOT,
      env: { ...base, ...env },
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.child = child;
    this.status = child.status;
    const decoder = new TextDecoder();
    const out = (async () => {
      let buffer = "";
      for await (const chunk of child.stdout) {
        buffer += decoder.decode(chunk, { stream: true });
        let i;
        while ((i = buffer.indexOf("\n")) >= 0) {
          try {
            this.lines.push(JSON.parse(buffer.slice(0, i)));
          } catch {
            // Not a log line.
          }
          buffer = buffer.slice(i + 1);
        }
      }
    })();
    const err = (async () => {
      for await (const chunk of child.stderr) {
        this.stderr += decoder.decode(chunk, { stream: true });
      }
    })();
    this.#output = Promise.all([out, err]).then(() => {});
  }

  /** Start one and wait (at most `timeoutMs`) for its `listening` line. */
  static async start(
    args: string[],
    env: Record<string, string> = {},
    timeoutMs = 60_000,
  ): Promise<RegistryProcess> {
    const p = new RegistryProcess([...await startTaskArgs(), ...args], env);
    let exited = false;
    p.status.then(() => exited = true);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const listening = p.lines.find((l) => l.msg === "listening");
      if (listening) {
        p.url = String(listening.url);
        p.port = Number(listening.port);
        return p;
      }
      if (exited || Date.now() > deadline) {
        await p.kill();
        throw new Error(
          `the registry did not start (${
            exited ? "exited" : "timeout"
          }): ${p.stderr}`,
        );
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Resident memory of the process, bytes (Linux). */
  async rss(): Promise<number> {
    const status = await Deno.readTextFile(`/proc/${this.child.pid}/status`);
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return kb ? Number(kb[1]) * 1024 : NaN;
  }

  /** `kill -9`, and wait for it. */
  async kill(): Promise<void> {
    try {
      this.child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await this.status;
    await this.#output;
  }

  /** SIGTERM, and wait (bounded) for a clean exit; returns its status code. */
  async stop(timeoutMs = 15_000): Promise<number> {
    try {
      this.child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    const timer = setTimeout(() => this.kill(), timeoutMs);
    const s = await this.status;
    clearTimeout(timer);
    await this.#output;
    return s.code;
  }
}

/** Options that switch the rate limits off (the suites drive load on purpose). */
export const NO_RATE_LIMITS = [
  "--write-rate",
  "off",
  "--faucet-rate",
  "off",
  "--faucet-global-rate",
  "off",
];

/** Summary figures of a sample of latencies, ms. */
export function latencySummary(ms: number[]): {
  count: number;
  p50: number;
  p99: number;
  max: number;
} {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) =>
    s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return {
    count: s.length,
    p50: Math.round(at(0.5) * 10) / 10,
    p99: Math.round(at(0.99) * 10) / 10,
    max: Math.round((s.at(-1) ?? NaN) * 10) / 10,
  };
}

/** Print a suite's figures as one labelled JSON line. */
export function report(suite: string, figures: Record<string, unknown>): void {
  console.log(`fault-report ${suite} ${JSON.stringify(figures)}`);
}
