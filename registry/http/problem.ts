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
import { CoreError } from "../core/errors.ts";
import { httpStatusOf } from "../service/errors.ts";

/** Codes of errors the HTTP layer itself raises. */
export type HttpErrorCode =
  | "not_found"
  | "method_not_allowed"
  | "payload_too_large"
  | "unsupported_media_type"
  | "not_acceptable"
  | "bad_query"
  | "bad_param"
  | "bad_header"
  | "bad_body"
  | "wrong_kind"
  | "internal";

/** Status of each HTTP-level code; a new code without a status fails `deno check`. */
export const HTTP_ERROR_STATUS: Readonly<Record<HttpErrorCode, number>> = {
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  not_acceptable: 406,
  bad_query: 400,
  bad_param: 400,
  bad_header: 400,
  bad_body: 400,
  wrong_kind: 400,
  internal: 500,
};

/** What each HTTP-level code means, for the docs page. */
export const HTTP_ERROR_MEANING: Readonly<Record<HttpErrorCode, string>> = {
  not_found: "no such route",
  method_not_allowed: "the route exists for other methods (see Allow)",
  payload_too_large: "the request body is over the route's limit",
  unsupported_media_type:
    "writes take application/octet-stream or application/json",
  not_acceptable: "no representation matches the Accept header",
  bad_query: "a query parameter is malformed or out of range",
  bad_param: "a path parameter is malformed",
  bad_header: "a request header is malformed (e.g. Last-Event-ID)",
  bad_body: 'the JSON body is not {"message": "<hex>"}',
  wrong_kind: "the signed message is of another kind than the route takes",
  internal: "an unexpected error; it was logged, nothing about it is shown",
};

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
    this.status = HTTP_ERROR_STATUS[code];
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
