/**
 * A child process of this repository (deno, run from the repository's
 * root with only the environment it needs) whose JSON log lines are parsed
 * as they come: the registry and witness processes of the cross-folder and
 * fault suites. Every wait is bounded.
 *
 * @module
 */

const ROOT = new URL("..", import.meta.url).pathname;

/** A process logging JSON lines. */
export class LoggingProcess {
  readonly child: Deno.ChildProcess;
  readonly lines: Record<string, unknown>[] = [];
  stderr = "";
  readonly exit: Promise<Deno.CommandStatus>;
  readonly #output: Promise<void>;
  #exited = false;

  constructor(args: string[], env: Record<string, string>) {
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
    this.exit = child.status;
    this.exit.then(() => this.#exited = true);
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
            // not a log line
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

  get exited(): boolean {
    return this.#exited;
  }

  /** Wait (bounded) for a log line matching `pred`. */
  async waitFor(
    what: string,
    pred: (l: Record<string, unknown>) => boolean,
    timeoutMs = 30_000,
  ): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.lines.find(pred);
      if (line) return line;
      if (this.#exited || Date.now() > deadline) {
        throw new Error(
          `${what}: ${this.#exited ? "the process exited" : "not in time"}\n${
            this.lines.slice(-15).map((l) => JSON.stringify(l)).join("\n")
          }\n${this.stderr}`,
        );
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** `kill -9`, and wait for it. */
  async kill9(): Promise<void> {
    try {
      this.child.kill("SIGKILL");
    } catch {
      // gone
    }
    await this.exit;
    await this.#output;
  }

  /** SIGTERM and wait (bounded). */
  async stop(timeoutMs = 15_000): Promise<number> {
    try {
      this.child.kill("SIGTERM");
    } catch {
      // gone
    }
    const t = setTimeout(() => this.kill9(), timeoutMs);
    const s = await this.exit;
    clearTimeout(t);
    await this.#output;
    return s.code;
  }
}
