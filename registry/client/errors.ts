/**
 * Errors of the registry client: the registry refused a request
 * ({@linkcode RegistryApiError}, carrying the problem+json `code`), or it
 * could not be reached or answered nonsense ({@linkcode RegistryUnreachableError}).
 *
 * @module
 */

/** An RFC 9457 problem document with the API's `code` extension. */
export interface ProblemDocument {
  /** URI reference naming the problem type. */
  type?: string;
  /** Short summary. */
  title?: string;
  /** HTTP status. */
  status?: number;
  /** What went wrong, for people. */
  detail?: string;
  /** Stable machine-readable code, e.g. `"contribution_too_small"`. */
  code?: string;
  /** Extensions, e.g. `now` on `stale_timestamp`. */
  [extension: string]: unknown;
}

/**
 * The registry answered with an error (4xx/5xx). `code` is the problem's
 * stable code (`"http_<status>"` when the body was not problem+json).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const e = new RegistryApiError(404, { code: "unknown_node", detail: "no node ab is registered" });
 * assert.equal(e.code, "unknown_node");
 * assert.equal(e.message, "no node ab is registered");
 * ```
 */
export class RegistryApiError extends Error {
  /** HTTP status. */
  readonly status: number;
  /** Stable code from the problem document. */
  readonly code: string;
  /** The problem's detail (also the message). */
  readonly detail: string;
  /** The whole problem document. */
  readonly problem: ProblemDocument;
  /** Build one from a status and a (possibly partial) problem document. */
  constructor(status: number, problem: ProblemDocument) {
    const detail = typeof problem.detail === "string" && problem.detail !== ""
      ? problem.detail
      : typeof problem.title === "string"
      ? problem.title
      : `the registry answered HTTP ${status}`;
    super(detail);
    this.name = "RegistryApiError";
    this.status = status;
    this.code = typeof problem.code === "string"
      ? problem.code
      : `http_${status}`;
    this.detail = detail;
    this.problem = problem;
  }
}

/** Why a registry could not be used. */
export type UnreachableReason =
  | "connection"
  | "timeout"
  | "bad_response"
  | "bad_url";

/**
 * The registry could not be reached (connection refused, DNS, timeout) or
 * answered something that is not the API (wrong content, not JSON).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const e = new RegistryUnreachableError("timeout", "http://127.0.0.1:1", "no answer within 5 s");
 * assert.match(e.message, /127\.0\.0\.1:1/);
 * ```
 */
export class RegistryUnreachableError extends Error {
  /** What kind of failure. */
  readonly reason: UnreachableReason;
  /** The URL tried. */
  readonly url: string;
  /** Build one. */
  constructor(
    reason: UnreachableReason,
    url: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot use the registry at ${url}: ${detail}`, options);
    this.name = "RegistryUnreachableError";
    this.reason = reason;
    this.url = url;
  }
}
