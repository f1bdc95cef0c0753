/**
 * Test kit for the CLI's end-to-end tests: a real registry (SQLite in
 * memory, real clock) behind the real HTTP app on 127.0.0.1 port 0, the CLI
 * run as a subprocess with a bounded time, a webhook receiver, and free
 * ports. Loopback only. Never used by the CLI itself.
 *
 * @module
 */

import { type ServedRegistry, serveRegistry } from "../registry/testkit/mod.ts";

export { type ServedRegistry, serveRegistry };

/** Path of the CLI entry point. */
export const MAIN = new URL("./main.ts", import.meta.url).pathname;

/** A port nothing listens on (bound, then released). */
export function closedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** What a CLI run produced. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Environment for CLI runs: a private home, the registry, a passphrase, no colour. */
export function cliEnv(
  home: string,
  registry: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    HOME: home,
    SNODE_HOME: home,
    SNODE_REGISTRY: registry,
    SNODE_PASSPHRASE: "correct horse battery staple",
    NO_COLOR: "1",
    PATH: Deno.env.get("PATH") ?? "",
    ...extra,
  };
}

/** Run the CLI to completion (killed after `timeoutMs`). */
export async function cli(
  args: string[],
  env: Record<string, string>,
  options: { stdin?: string; timeoutMs?: number } = {},
): Promise<Run> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env,
    clearEnv: true,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(options.stdin));
    await w.close();
  }
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, options.timeoutMs ?? 60_000);
  const out = await child.output();
  clearTimeout(timer);
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** A long-running CLI process whose output is collected as it comes. */
export class Background {
  readonly child: Deno.ChildProcess;
  stdout = "";
  stderr = "";
  readonly #done: Promise<unknown>;

  constructor(args: string[], env: Record<string, string>) {
    this.child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, ...args],
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const pump = async (
      stream: ReadableStream<Uint8Array>,
      add: (s: string) => void,
    ) => {
      const d = new TextDecoder();
      for await (const chunk of stream) add(d.decode(chunk, { stream: true }));
    };
    this.#done = Promise.all([
      pump(this.child.stdout, (s) => this.stdout += s),
      pump(this.child.stderr, (s) => this.stderr += s),
    ]);
  }

  /** Wait until `test` holds on the output (polling), or fail after `timeoutMs`. */
  async waitFor(
    test: (stdout: string, stderr: string) => boolean,
    what: string,
    timeoutMs = 30_000,
  ): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!test(this.stdout, this.stderr)) {
      if (Date.now() > end) {
        throw new Error(
          `timed out waiting for ${what}\n--- stdout\n${this.stdout}\n--- stderr\n${this.stderr}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Send a signal and wait for the exit code (SIGKILL after `timeoutMs`). */
  async stop(
    signal: Deno.Signal = "SIGTERM",
    timeoutMs = 15_000,
  ): Promise<number> {
    try {
      this.child.kill(signal);
    } catch { /* gone */ }
    const timer = setTimeout(() => {
      try {
        this.child.kill("SIGKILL");
      } catch { /* gone */ }
    }, timeoutMs);
    const status = await this.child.status;
    await this.#done;
    clearTimeout(timer);
    return status.code;
  }
}

/** A webhook receiver on 127.0.0.1:0 collecting JSON bodies. */
export function webhookReceiver(): {
  url: string;
  received: Record<string, unknown>[];
  close(): Promise<void>;
} {
  const received: Record<string, unknown>[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      received.push(await req.json());
      return new Response(null, { status: 204 });
    },
  );
  return {
    url: `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}/hook`,
    received,
    close: () => server.shutdown(),
  };
}

/** Parse the numbered words of a recovery phrase grid (` 1. word   7. word ...`). */
export function phraseFromGrid(text: string): string {
  const words = new Map<number, string>();
  for (const m of text.matchAll(/(\d+)\. ([a-z]+)/g)) {
    words.set(Number(m[1]), m[2]!);
  }
  return Array.from({ length: 24 }, (_, i) => words.get(i + 1) ?? "?").join(
    " ",
  );
}

/** Quote a word for `sh`. */
function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word)
    ? word
    : `'${word.replaceAll("'", `'"'"'`)}'`;
}

/** Whether util-linux `script` (Debian's bsdutils, always installed) is here. */
export const HAS_SCRIPT = (() => {
  try {
    return new Deno.Command("script", { args: ["--version"] }).outputSync()
      .success;
  } catch {
    return false;
  }
})();

/**
 * The CLI on a pseudo-terminal, typed at like a person would: util-linux
 * `script -qfec` gives it a terminal for stdin, stdout and stderr (one
 * screen, both streams) and passes its exit status on.
 */
export class Terminal {
  readonly child: Deno.ChildProcess;
  /** Everything written to the screen so far, escape sequences included. */
  screen = "";
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #done: Promise<void>;

  constructor(args: string[], env: Record<string, string>) {
    const command = [Deno.execPath(), "run", "-A", MAIN, ...args].map(
      shellQuote,
    ).join(" ");
    const child = new Deno.Command("script", {
      args: ["-qfec", command, "/dev/null"],
      env: { ...env, SHELL: "/bin/sh" },
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    this.child = child;
    this.#writer = child.stdin.getWriter();
    this.#done = (async () => {
      const d = new TextDecoder();
      for await (const chunk of child.stdout) {
        this.screen += d.decode(chunk, { stream: true });
      }
    })();
  }

  /** Type keys (`\r` is Enter, `\x03` Ctrl-C). */
  async type(keys: string): Promise<void> {
    await this.#writer.write(new TextEncoder().encode(keys));
  }

  /** Wait until the screen matches `pattern`, or fail after `timeoutMs`. */
  async waitFor(pattern: RegExp, what: string, timeoutMs = 30_000) {
    const end = Date.now() + timeoutMs;
    while (!pattern.test(this.screen)) {
      if (Date.now() > end) {
        throw new Error(`timed out waiting for ${what}\n${this.screen}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Wait for the exit status (killed after `timeoutMs`). */
  async exit(timeoutMs = 30_000): Promise<number> {
    const timer = setTimeout(() => {
      try {
        this.child.kill("SIGKILL");
      } catch { /* gone */ }
    }, timeoutMs);
    const status = await this.child.status;
    clearTimeout(timer);
    await this.#writer.close().catch(() => {});
    await this.#done;
    return status.code;
  }
}

/**
 * A TCP relay on 127.0.0.1 in front of a registry, which a test takes down
 * (the port refuses connections, open ones are cut - event streams too) and
 * brings back on the same port: a registry outage as its clients see it,
 * while the registry and its data stay as they were.
 */
export class Relay {
  readonly #target: number;
  #listener: Deno.Listener | undefined;
  readonly #conns = new Set<Deno.Conn>();
  port = 0;

  constructor(targetUrl: string) {
    this.#target = Number(new URL(targetUrl).port);
    this.start();
  }

  /** The relay's URL. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listen (again, on the same port). */
  start(): void {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: this.port });
    this.port = (listener.addr as Deno.NetAddr).port;
    this.#listener = listener;
    (async () => {
      for await (const client of listener) {
        this.#conns.add(client);
        Deno.connect({ hostname: "127.0.0.1", port: this.#target }).then(
          (upstream) => {
            this.#conns.add(upstream);
            const close = () => {
              for (const c of [client, upstream]) {
                this.#conns.delete(c);
                try {
                  c.close();
                } catch { /* closed */ }
              }
            };
            Promise.allSettled([
              client.readable.pipeTo(upstream.writable),
              upstream.readable.pipeTo(client.writable),
            ]).finally(close);
          },
          () => {
            this.#conns.delete(client);
            client.close();
          },
        );
      }
    })().catch(() => {});
  }

  /** Refuse connections and cut the open ones. */
  stop(): void {
    try {
      this.#listener?.close();
    } catch { /* closed */ }
    this.#listener = undefined;
    for (const c of this.#conns) {
      try {
        c.close();
      } catch { /* closed */ }
    }
    this.#conns.clear();
  }
}
