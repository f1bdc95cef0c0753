/**
 * The CLI's exit codes and its one error type. Every failure a user can
 * cause ends as one line `error: <what happened>` and one of these codes;
 * a stack trace is printed only with `--verbose`.
 *
 * @module
 */

import { CoreError } from "../registry/core/errors.ts";
import {
  RegistryApiError,
  RegistryUnreachableError,
} from "../registry/client/errors.ts";

/** Exit codes, documented in README.md. */
export const EXIT = {
  /** Success. */
  ok: 0,
  /** The registry refused the request, or a domain rule was broken. */
  refused: 1,
  /** Usage: an unknown command or option, a malformed id, amount or address. */
  usage: 2,
  /** The registry could not be reached, timed out or answered nonsense. */
  network: 3,
  /** A key or keystore problem: wrong passphrase, corrupt or missing keystore, bad phrase. */
  key: 4,
  /** A signed list or payload did not verify (signatures, chain, split view). */
  verify: 5,
  /** Interrupted (Ctrl-C at a prompt). */
  interrupted: 130,
} as const;

/** Name of an exit code. */
export type ExitKind = keyof typeof EXIT;

/** A failure the CLI reports as one line with a chosen exit code. */
export class CliError extends Error {
  /** Which exit code. */
  readonly kind: ExitKind;
  /** Stable code, for `--json` output. */
  readonly code: string;
  /** Build one. */
  constructor(
    kind: ExitKind,
    code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "CliError";
    this.kind = kind;
    this.code = code;
  }
}

/** A usage mistake (exit 2). */
export function usage(message: string, code = "usage"): CliError {
  return new CliError("usage", code, message);
}

const KEY_CODES = new Set([
  "passphrase_too_short",
  "wrong_passphrase",
  "keystore_corrupt",
  "bad_phrase_length",
  "bad_phrase_word",
  "bad_phrase_checksum",
]);

const VERIFY_CODES = new Set([
  "bad_signature",
  "insufficient_signatures",
  "hash_mismatch",
  "chain_broken",
  "expired",
  "not_yet_valid",
  "insufficient_cosignatures",
  "bad_rotation",
  "not_equivocation",
]);

/** How an error is reported: exit code, stable code and one line. */
export interface Classified {
  /** Exit code. */
  exit: number;
  /** Stable code. */
  code: string;
  /** One line for people. */
  message: string;
}

/**
 * Classify any thrown value. Registry refusals keep their problem `code`;
 * core errors are key, verification or usage errors by code; anything
 * unexpected is exit 1 with its message.
 */
export function classify(error: unknown): Classified {
  if (error instanceof CliError) {
    return { exit: EXIT[error.kind], code: error.code, message: error.message };
  }
  if (error instanceof RegistryApiError) {
    const exit = error.status >= 500 ? EXIT.network : EXIT.refused;
    let message = error.detail;
    if (
      error.code === "stale_timestamp" && typeof error.problem.now === "number"
    ) {
      const skew = Math.round(Date.now() / 1000) - error.problem.now;
      message += ` (the registry's clock reads ${
        new Date(error.problem.now * 1000).toISOString()
      }; yours is ${skew >= 0 ? "ahead by" : "behind by"} ${Math.abs(skew)} s)`;
    }
    return { exit, code: error.code, message };
  }
  if (error instanceof RegistryUnreachableError) {
    return {
      exit: error.reason === "bad_url" ? EXIT.usage : EXIT.network,
      code: error.reason === "bad_url" ? "bad_url" : "unreachable",
      message: error.message,
    };
  }
  if (error instanceof CoreError) {
    if (KEY_CODES.has(error.code)) {
      return { exit: EXIT.key, code: error.code, message: error.message };
    }
    if (VERIFY_CODES.has(error.code)) {
      return { exit: EXIT.verify, code: error.code, message: error.message };
    }
    if (error.name === "DecodeError" || error.code === "bad_public_key") {
      return { exit: EXIT.usage, code: error.code, message: error.message };
    }
    return { exit: EXIT.refused, code: error.code, message: error.message };
  }
  if (error instanceof Deno.errors.NotFound) {
    return { exit: EXIT.usage, code: "not_found", message: error.message };
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return {
      exit: EXIT.key,
      code: "permission_denied",
      message: error.message,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { exit: EXIT.refused, code: "error", message };
}
