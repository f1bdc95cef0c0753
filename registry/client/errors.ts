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
 * @example Branch on the code of a refusal
 * ```ts
 * import assert from "node:assert/strict";
 * import { RegistryClient } from "./api.ts";
 * // A registry that knows no node (the client takes any fetch, as tests do).
 * const client = new RegistryClient("http://registry.test", {
 *   fetch: () =>
 *     Promise.resolve(Response.json(
 *       { status: 404, code: "unknown_node", detail: "no node ab is registered" },
 *       { status: 404, headers: { "content-type": "application/problem+json" } },
 *     )),
 * });
 * async function statusOf(pubkey: string): Promise<string> {
 *   try {
 *     return (await client.node(pubkey)).status;
 *   } catch (err) {
 *     if (err instanceof RegistryApiError && err.code === "unknown_node") return "not registered";
 *     throw err;
 *   }
 * }
 * assert.equal(await statusOf("ab"), "not registered");
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
 * @example Tell a wrong URL from something that is not a registry
 * ```ts
 * import assert from "node:assert/strict";
 * import { RegistryClient } from "./api.ts";
 * async function advice(url: string, answer: Response): Promise<string> {
 *   try {
 *     await new RegistryClient(url, { fetch: () => Promise.resolve(answer) }).info();
 *     return "ok";
 *   } catch (err) {
 *     if (!(err instanceof RegistryUnreachableError)) throw err;
 *     switch (err.reason) {
 *       case "bad_url":
 *         return "check the URL";
 *       case "bad_response":
 *         return "is this a registry?";
 *       default:
 *         return "try again later";
 *     }
 *   }
 * }
 * const proxyError = new Response("<h1>Bad Gateway</h1>", { status: 502, headers: { "content-type": "text/html" } });
 * assert.equal(await advice("http://registry.test", proxyError), "is this a registry?");
 * assert.equal(await advice("ftp://registry.test", proxyError), "check the URL");
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
