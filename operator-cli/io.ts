/**
 * What the CLI needs from its surroundings, injected so `main` runs the same
 * in a real process and inside a test: output streams, environment, whether
 * streams are terminals, line input (with or without echo) and a stop signal
 * for the long-running commands.
 *
 * @module
 */

import process from "node:process";

/** The CLI's window on the world. */
export interface Io {
  /** Write to standard output (machine output only under `--json`). */
  stdout(text: string): void;
  /** Write to standard error (messages, progress, prompts). */
  stderr(text: string): void;
  /** An environment variable. */
  env(name: string): string | undefined;
  /** Which streams are terminals. */
  terminal: { stdin: boolean; stdout: boolean; stderr: boolean };
  /**
   * Read one line typed by the user: without echo when `secret`. Resolves
   * null at end of input. The prompt goes to standard error.
   */
  readLine(
    prompt: string,
    options: { secret: boolean },
  ): Promise<string | null>;
  /** Aborted when the process is asked to stop (SIGINT/SIGTERM). */
  signal: AbortSignal;
  /** The user's home directory. */
  home: string | undefined;
}

const encoder = new TextEncoder();

function writeAll(file: { writeSync(p: Uint8Array): number }, text: string) {
  const bytes = encoder.encode(text);
  let written = 0;
  while (written < bytes.length) {
    written += file.writeSync(bytes.subarray(written));
  }
}

/** Lines of a non-terminal standard input, read lazily and shared. */
let stdinLines: AsyncIterator<string> | undefined;

async function* lines(stream: ReadableStream<Uint8Array>) {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of stream) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      yield buffer.slice(0, nl).replace(/\r$/, "");
      buffer = buffer.slice(nl + 1);
    }
  }
  if (buffer !== "") yield buffer;
}

/** The real process's Io, stopped by SIGINT and SIGTERM. */
export function denoIo(): Io {
  const stop = new AbortController();
  const onSignal = () => {
    if (stop.signal.aborted) Deno.exit(130);
    stop.abort();
  };
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    try {
      Deno.addSignalListener(sig, onSignal);
    } catch {
      // SIGTERM cannot be listened for on Windows.
    }
  }
  const terminal = {
    stdin: Deno.stdin.isTerminal(),
    stdout: Deno.stdout.isTerminal(),
    stderr: Deno.stderr.isTerminal(),
  };
  return {
    stdout: (t) => writeAll(Deno.stdout, t),
    stderr: (t) => writeAll(Deno.stderr, t),
    env: (name) => Deno.env.get(name),
    terminal,
    signal: stop.signal,
    home: Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE"),
    async readLine(prompt, { secret }) {
      if (terminal.stdin) {
        const { password, input } = await import("@inquirer/prompts");
        const context = { output: process.stderr, signal: stop.signal };
        try {
          return secret
            ? await password({ message: prompt, mask: false }, context)
            : await input({ message: prompt }, context);
        } catch (e) {
          const name = (e as Error).name;
          if (name === "ExitPromptError" || name === "AbortPromptError") {
            return null;
          }
          throw e;
        }
      }
      writeAll(Deno.stderr, prompt + " ");
      stdinLines ??= lines(Deno.stdin.readable)[Symbol.asyncIterator]();
      const next = await stdinLines.next();
      writeAll(Deno.stderr, "\n");
      return next.done ? null : next.value;
    },
  };
}
