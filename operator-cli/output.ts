/**
 * Everything the CLI prints goes through here: human lines and tables on
 * standard output, machine JSON (only that) under `--json`, messages and
 * progress on standard error, colour only on a terminal and never with
 * `NO_COLOR` or `--no-color`.
 *
 * @module
 */

import type { Io } from "./io.ts";

/** ANSI styles used by the CLI. */
export type Style = "bold" | "dim" | "red" | "green" | "yellow" | "cyan";

const CODES: Record<Style, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
};

/** Options of {@linkcode Output}. */
export interface OutputOptions {
  /** Machine output: one JSON document on stdout, nothing else there. */
  json: boolean;
  /** Print details and causes. */
  verbose: boolean;
  /** `false` to turn colour off (`--no-color`). */
  color: boolean;
}

/** The CLI's printer. */
export class Output {
  readonly io: Io;
  readonly json: boolean;
  readonly verbose: boolean;
  readonly #colorOut: boolean;
  readonly #colorErr: boolean;

  constructor(io: Io, options: OutputOptions) {
    this.io = io;
    this.json = options.json;
    this.verbose = options.verbose;
    const allowed = options.color && io.env("NO_COLOR") === undefined &&
      io.env("TERM") !== "dumb";
    const forced = io.env("FORCE_COLOR") !== undefined &&
      io.env("FORCE_COLOR") !== "0" && options.color;
    this.#colorOut = forced || (allowed && io.terminal.stdout);
    this.#colorErr = forced || (allowed && io.terminal.stderr);
  }

  /** Style text for stdout (plain when colour is off). */
  c(style: Style, text: string): string {
    return this.#colorOut ? paint(style, text) : text;
  }

  /** Style text for stderr. */
  ce(style: Style, text: string): string {
    return this.#colorErr ? paint(style, text) : text;
  }

  /** A line of human output on stdout (suppressed under `--json`). */
  line(text = ""): void {
    if (!this.json) this.io.stdout(text + "\n");
  }

  /** The machine result on stdout (only under `--json`). */
  result(value: unknown): void {
    if (this.json) {
      this.io.stdout(JSON.stringify(value, jsonReplacer, 2) + "\n");
    }
  }

  /** A note on stderr (always; it never pollutes stdout). */
  note(text: string): void {
    this.io.stderr(text + "\n");
  }

  /** A warning on stderr. */
  warn(text: string): void {
    this.io.stderr(this.ce("yellow", "warning: ") + text + "\n");
  }

  /** A detail shown with `--verbose`, on stderr. */
  debug(text: string): void {
    if (this.verbose) this.io.stderr(this.ce("dim", text) + "\n");
  }

  /** The one error line. */
  error(text: string): void {
    this.io.stderr(this.ce("red", "error: ") + text + "\n");
  }

  /**
   * A spinner on stderr while `work` runs, shown only on a terminal; the
   * label may carry a progress fraction. Returns `work`'s result.
   */
  async spin<T>(
    label: string,
    work: (progress: (fraction: number) => void) => Promise<T>,
  ): Promise<T> {
    if (!this.io.terminal.stderr) return await work(() => {});
    const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
    let i = 0;
    let fraction: number | null = null;
    const draw = () => {
      const pct = fraction === null ? "" : ` ${Math.floor(fraction * 100)}%`;
      this.io.stderr(
        `\r\x1b[2K${
          this.ce("cyan", frames[i++ % frames.length]!)
        } ${label}${pct}`,
      );
    };
    draw();
    const timer = setInterval(draw, 80);
    try {
      return await work((f) => {
        fraction = f;
      });
    } finally {
      clearInterval(timer);
      this.io.stderr("\r\x1b[2K");
    }
  }

  /** Lay rows out in aligned columns (human output). */
  table(headers: string[], rows: string[][]): void {
    if (this.json) return;
    const widths = headers.map((h, i) =>
      Math.max(visible(h), ...rows.map((r) => visible(r[i] ?? "")))
    );
    const fmt = (cells: string[]) =>
      cells.map((c, i) =>
        i === cells.length - 1 ? c : c + " ".repeat(widths[i]! - visible(c))
      ).join("  ").trimEnd();
    this.line(this.c("bold", fmt(headers)));
    for (const r of rows) this.line(fmt(r));
  }
}

function paint(style: Style, text: string): string {
  const [on, off] = CODES[style];
  return `\x1b[${on}m${text}\x1b[${off}m`;
}

function visible(text: string): number {
  // deno-lint-ignore no-control-regex
  return [...text.replace(/\x1b\[[0-9;]*m/g, "")].length;
}

/** JSON.stringify replacer: bigint as decimal strings, bytes as hex. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) {
    return [...value].map((b) => b.toString(16).padStart(2, "0")).join("");
  }
  return value;
}

/** `90` -> `"1m 30s"`; `null` -> `"never"`. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null) return "never";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) {
    return `${Math.floor(s / 3600)}h ${Math.floor(s % 3600 / 60)}m`;
  }
  return `${Math.floor(s / 86400)}d ${Math.floor(s % 86400 / 3600)}h`;
}

/** Unix seconds as `2026-11-24 12:00 UTC`. */
export function formatTime(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace("T", " ")
    .replace(/\.\d+Z$/, " UTC");
}

/** A key shortened for tables: `ab12cd34…`. */
export function short(hex: string): string {
  return hex.length > 16 ? hex.slice(0, 12) + "…" : hex;
}
