/**
 * What the CLI needs from its surroundings, injected so `main` runs the same
 * in a real process and inside a test: output streams, environment, whether
 * streams are terminals, line input (with or without echo) and a stop signal
 * for the long-running commands.
 *
 * On a terminal, a line is read in raw mode by a small line editor of our
 * own (backspace, Ctrl-U, Ctrl-D, Ctrl-C), so a secret is never echoed and
 * Ctrl-C at a prompt is an interruption (exit 130), not an empty answer.
 *
 * @module
 */

import { CliError } from "./errors.ts";

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
   * null at end of input; rejects with an `interrupted` {@linkcode CliError}
   * on Ctrl-C or when {@linkcode Io.signal} aborts. The prompt goes to
   * standard error.
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

/** The error of a prompt left with Ctrl-C (or a stop signal): exit 130. */
export function interrupted(): CliError {
  return new CliError(
    "interrupted",
    "interrupted",
    "interrupted at the prompt; nothing was changed",
  );
}

/** Resolve `work`, or reject with {@linkcode interrupted} once `signal` aborts. */
function unlessStopped<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(interrupted());
  return new Promise<T>((resolve, reject) => {
    const stop = () => reject(interrupted());
    signal.addEventListener("abort", stop, { once: true });
    work.then(resolve, reject).finally(() =>
      signal.removeEventListener("abort", stop)
    );
  });
}

/** Bytes typed after the Enter that ended the last terminal line (a paste). */
let typeahead = "";

/**
 * Read a line from the terminal in raw mode: printable characters (echoed
 * unless `secret`), Backspace, Ctrl-U (erase the line), Enter; Ctrl-D on an
 * empty line is the end of input, Ctrl-C an interruption. Escape sequences
 * (arrow keys) are ignored.
 */
async function readTerminalLine(
  prompt: string,
  secret: boolean,
  signal: AbortSignal,
): Promise<string | null> {
  Deno.stdin.setRaw(true);
  try {
    writeAll(Deno.stderr, prompt + " ");
    const decoder = new TextDecoder();
    const chars: string[] = [];
    const echo = (t: string) => {
      if (!secret) writeAll(Deno.stderr, t);
    };
    let escape = 0; // 1 after ESC, 2 inside a CSI/SS3 sequence
    const buffer = new Uint8Array(256);
    for (;;) {
      let text = typeahead;
      typeahead = "";
      if (text === "") {
        const n = await unlessStopped(Deno.stdin.read(buffer), signal);
        if (n === null) {
          writeAll(Deno.stderr, "\r\n");
          return chars.length > 0 ? chars.join("") : null;
        }
        text = decoder.decode(buffer.subarray(0, n), { stream: true });
      }
      const all = [...text];
      for (let i = 0; i < all.length; i++) {
        const ch = all[i]!;
        if (escape === 1) {
          escape = ch === "[" || ch === "O" ? 2 : 0;
          continue;
        }
        if (escape === 2) {
          if (ch >= "@" && ch <= "~") escape = 0;
          continue;
        }
        if (ch === "\r" || ch === "\n") {
          typeahead = all.slice(i + 1).join("").replace(/^\n/, "");
          writeAll(Deno.stderr, "\r\n");
          return chars.join("");
        }
        if (ch === "\x03") {
          writeAll(Deno.stderr, "^C\r\n");
          throw interrupted();
        }
        if (ch === "\x04") {
          if (chars.length === 0) {
            writeAll(Deno.stderr, "\r\n");
            return null;
          }
        } else if (ch === "\x7f" || ch === "\b") {
          if (chars.pop() !== undefined) echo("\b \b");
        } else if (ch === "\x15") {
          echo("\b \b".repeat(chars.length));
          chars.length = 0;
        } else if (ch === "\x1b") {
          escape = 1;
        } else if (ch >= " ") {
          chars.push(ch);
          echo(ch);
        }
      }
    }
  } finally {
    Deno.stdin.setRaw(false);
  }
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
        return await readTerminalLine(prompt, secret, stop.signal);
      }
      writeAll(Deno.stderr, prompt + " ");
      stdinLines ??= lines(Deno.stdin.readable)[Symbol.asyncIterator]();
      const next = await unlessStopped(stdinLines.next(), stop.signal);
      writeAll(Deno.stderr, "\n");
      return next.done ? null : next.value;
    },
  };
}
