/**
 * The registry as the fault suites run it: `registry/main.ts` as a
 * subprocess with the `start` task's permissions, on 127.0.0.1 and a free
 * port, in a given data directory. Every wait is bounded.
 *
 * @module
 */

import { LoggingProcess } from "../logging_process.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

/** The `start` task's deno arguments (`run`, permissions, script). */
async function startTaskArgs(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  return String(config.tasks.start).split(/\s+/).slice(1);
}

/** A running registry process. */
export class RegistryProcess extends LoggingProcess {
  url = "";
  port = 0;

  private constructor(args: string[], env: Record<string, string>) {
    super(args, env);
  }

  /** The process's exit status, once it exits. */
  get status(): Promise<Deno.CommandStatus> {
    return this.exit;
  }

  /** Start one and wait (at most `timeoutMs`) for its `listening` line. */
  static async start(
    args: string[],
    env: Record<string, string> = {},
    timeoutMs = 60_000,
  ): Promise<RegistryProcess> {
    const p = new RegistryProcess([...await startTaskArgs(), ...args], env);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const listening = p.lines.find((l) => l.msg === "listening");
      if (listening) {
        p.url = String(listening.url);
        p.port = Number(listening.port);
        return p;
      }
      if (p.exited || Date.now() > deadline) {
        const exited = p.exited;
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
  kill(): Promise<void> {
    return this.kill9();
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
