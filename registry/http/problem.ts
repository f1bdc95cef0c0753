/**
 * Errors as RFC 9457 `application/problem+json`: every error response of the
 * API is `{type, title, status, detail, code}` with a stable `code`. Domain
 * errors (core's and the service's) keep their own code and get their status
 * from {@linkcode httpStatusOf}; HTTP-level errors use {@linkcode HttpError}
 * and the table below. Anything else is a 500 `internal` whose body says
 * nothing about the cause (the cause goes to the log).
 *
 * @module
 */

import { HTTPException } from "hono/http-exception";
import { ERRORS, type HttpErrorCode, httpStatusOf } from "../api/errors.ts";
import { CoreError } from "../core/errors.ts";

export type { HttpErrorCode };

/** An error of the HTTP layer with a stable code. */
export class HttpError extends Error {
  /** Stable code. */
  readonly code: HttpErrorCode;
  /** HTTP status. */
  readonly status: number;
  /** Extra headers for the response (e.g. `Allow`). */
  readonly headers: Record<string, string>;
  /** Build one; the status comes from the code. */
  constructor(
    code: HttpErrorCode,
    message: string,
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "HttpError";
    this.code = code;
    this.status = ERRORS[code].status;
    this.headers = headers;
  }
}

/** An RFC 9457 problem document with this API's `code` extension. */
export interface Problem {
  /** URI reference naming the problem type: the docs page's entry for the code. */
  type: string;
  /** Short summary, the same for every occurrence of the code. */
  title: string;
  /** HTTP status. */
  status: number;
  /** What went wrong this time, for people. */
  detail: string;
  /** Stable machine-readable code. */
  code: string;
  /** Extensions (e.g. `now` for a stale timestamp). */
  [extension: string]: unknown;
}

/** The problem `type` of a code: an anchor of the docs page. */
export function problemType(code: string): string {
  return `/v1/docs#problem-${code}`;
}

/** `"unknown_node"` -> `"Unknown node"`. */
export function problemTitle(code: string): string {
  const words = code.replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Build a problem document. */
export function problem(
  code: string,
  status: number,
  detail: string,
  extensions: Record<string, unknown> = {},
): Problem {
  return {
    type: problemType(code),
    title: problemTitle(code),
    status,
    detail,
    code,
    ...extensions,
  };
}

const HTTP_EXCEPTION_CODES: Record<number, HttpErrorCode> = {
  400: "bad_body",
  404: "not_found",
  405: "method_not_allowed",
  406: "not_acceptable",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

/** How an error is answered. `internal` errors must be logged by the caller. */
export interface ProblemOf {
  /** The document to send. */
  problem: Problem;
  /** Headers to add. */
  headers: Record<string, string>;
  /** Whether this is an unexpected error (500 `internal`). */
  internal: boolean;
}

/**
 * The problem document for any thrown value. Domain errors keep their code
 * and message; an unexpected error becomes a bare 500 `internal` carrying
 * only `errorId`, which the log line carries too.
 */
export function problemOf(
  error: unknown,
  context: { now?: number; errorId?: string } = {},
): ProblemOf {
  if (error instanceof HttpError) {
    return {
      problem: problem(error.code, error.status, error.message),
      headers: error.headers,
      internal: error.code === "internal",
    };
  }
  if (error instanceof CoreError) {
    const status = httpStatusOf(error);
    if (status >= 500 && error.code !== "shutting_down") {
      return internalProblem(context.errorId);
    }
    // A skewed signer learns the registry's time (network.md §7, §8).
    const extensions = error.code === "stale_timestamp" &&
        context.now !== undefined
      ? { now: context.now }
      : {};
    return {
      problem: problem(error.code, status, error.message, extensions),
      headers: {},
      internal: false,
    };
  }
  if (error instanceof HTTPException && error.status < 500) {
    const code = HTTP_EXCEPTION_CODES[error.status] ?? "bad_body";
    return {
      problem: problem(code, error.status, error.message || problemTitle(code)),
      headers: {},
      internal: false,
    };
  }
  return internalProblem(context.errorId);
}

function internalProblem(errorId: string | undefined): ProblemOf {
  return {
    problem: problem(
      "internal",
      500,
      "the registry hit an unexpected error; it has been logged",
      errorId === undefined ? {} : { errorId },
    ),
    headers: {},
    internal: true,
  };
}

/** A problem+json response. Problems are never cached. */
export function problemResponse(
  p: Problem,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(p), {
    status: p.status,
    headers: {
      "content-type": "application/problem+json",
      "cache-control": "no-store",
      ...headers,
    },
  });
}
