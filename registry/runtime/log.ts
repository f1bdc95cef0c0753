/**
 * Structured logging for the registry service: one JSON object per line
 * (`{"time": ISO, "level": "info", "msg": "...", ...fields}`) for machines,
 * or a `time level msg key=value ...` line for humans (`--log-format text`).
 *
 * Field values are made JSON-safe: `bigint` becomes a decimal string,
 * `Uint8Array` hex, an `Error` its message (and `code` when it has one).
 *
 * @module
 */

import { toHex } from "../core/bytes.ts";

/** Severity of a log line. */
export type LogLevel = "debug" | "info" | "warn" | "error";
/**
 * How lines are written: `json`; `text`; `journal`, JSON behind a syslog
 * priority prefix (`<6>{...}`) that systemd's journal strips into the
 * entry's PRIORITY (so `journalctl -p warning` works and the message stays
 * JSON for log shippers).
 */
export type LogFormat = "json" | "text" | "journal";
/** Extra fields of a log line. */
export type LogFields = Record<string, unknown>;

/** syslog(3) priorities: err 3, warning 4, info 6, debug 7. */
const PRIORITIES: Record<LogLevel, number> = {
  debug: 7,
  info: 6,
  warn: 4,
  error: 3,
};

const LEVELS: Record<LogLevel, number> = {
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
};

/** Where finished lines go (without the trailing newline). */
export type LogSink = (line: string) => void;

const encoder = new TextEncoder();

/** Write a line to stdout synchronously, so nothing is lost at exit. */
export const stdoutSink: LogSink = (line) => {
  const bytes = encoder.encode(line + "\n");
  let written = 0;
  while (written < bytes.length) {
    written += Deno.stdout.writeSync(bytes.subarray(written));
  }
};

/** Options of {@linkcode Logger}. */
export interface LoggerOptions {
  /** `json` (default) or `text`. */
  format?: LogFormat;
  /** Least severe level written; default `info`. */
  level?: LogLevel;
  /** Where lines go; default stdout. */
  sink?: LogSink;
  /** Clock for the `time` field; default `Date.now`. */
  clock?: () => number;
  /** Fields added to every line. */
  fields?: LogFields;
}

/**
 * A structured logger.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const lines: string[] = [];
 * const log = new Logger({ sink: (l) => lines.push(l), clock: () => 0 });
 * log.info("tick", { epoch: 7, amount: 5n });
 * assert.deepEqual(JSON.parse(lines[0]!), {
 *   time: "1970-01-01T00:00:00.000Z", level: "info", msg: "tick", epoch: 7, amount: "5",
 * });
 * ```
 */
export class Logger {
  readonly format: LogFormat;
  readonly level: LogLevel;
  readonly #sink: LogSink;
  readonly #clock: () => number;
  readonly #fields: LogFields;

  constructor(options: LoggerOptions = {}) {
    this.format = options.format ?? "json";
    this.level = options.level ?? "info";
    this.#sink = options.sink ?? stdoutSink;
    this.#clock = options.clock ?? Date.now;
    this.#fields = options.fields ?? {};
  }

  /** A logger adding `fields` to every line. */
  child(fields: LogFields): Logger {
    return new Logger({
      format: this.format,
      level: this.level,
      sink: this.#sink,
      clock: this.#clock,
      fields: { ...this.#fields, ...fields },
    });
  }

  /** Log at `debug`. */
  debug(msg: string, fields?: LogFields): void {
    this.log("debug", msg, fields);
  }
  /** Log at `info`. */
  info(msg: string, fields?: LogFields): void {
    this.log("info", msg, fields);
  }
  /** Log at `warn`. */
  warn(msg: string, fields?: LogFields): void {
    this.log("warn", msg, fields);
  }
  /** Log at `error`. */
  error(msg: string, fields?: LogFields): void {
    this.log("error", msg, fields);
  }

  /** Log one line. Never throws. */
  log(level: LogLevel, msg: string, fields: LogFields = {}): void {
    if (LEVELS[level] < LEVELS[this.level]) return;
    const record: LogFields = {
      time: new Date(this.#clock()).toISOString(),
      level,
      msg,
    };
    for (const [k, v] of Object.entries({ ...this.#fields, ...fields })) {
      if (k === "time" || k === "level" || k === "msg") continue;
      record[k] = safe(v);
    }
    try {
      this.#sink(
        this.format === "text"
          ? textLine(record)
          : this.format === "journal"
          ? `<${PRIORITIES[level]}>${JSON.stringify(record)}`
          : JSON.stringify(record),
      );
    } catch {
      // Logging must never take the service down (e.g. a closed stdout).
    }
  }
}

/** Make a value JSON-safe. */
function safe(value: unknown, depth = 0): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return toHex(value);
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return typeof code === "string"
      ? { code, message: value.message }
      : value.message;
  }
  if (depth > 4) return String(value);
  if (Array.isArray(value)) return value.map((v) => safe(v, depth + 1));
  if (value !== null && typeof value === "object") {
    const out: LogFields = {};
    for (const [k, v] of Object.entries(value)) out[k] = safe(v, depth + 1);
    return out;
  }
  return value;
}

function textLine(record: LogFields): string {
  const { time, level, msg, ...rest } = record;
  let line = `${time} ${String(level).toUpperCase().padEnd(5)} ${msg}`;
  for (const [k, v] of Object.entries(rest)) {
    const text = typeof v !== "string"
      ? JSON.stringify(v)
      : /[\s"=]/.test(v) || v === ""
      ? JSON.stringify(v)
      : v;
    line += ` ${k}=${text}`;
  }
  return line;
}
