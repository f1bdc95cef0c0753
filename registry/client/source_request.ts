/**
 * One request to a list source, as the bootstrap makes it: a per-request
 * timeout, and network failures, timeouts, 429 and 5xx answers retried
 * with exponential backoff and jitter; every other answer returned as it
 * is. Failures are {@linkcode SourceError}s whose `code` says which
 * (`connection`, `timeout`, `http_<status>`, `aborted`).
 *
 * @module
 */

import { sleep } from "./api.ts";
import { randomFloat, type RandomSource } from "./random.ts";

/** What a request needs of the fetch context (`bootstrap.ts`'s `FetchContext`). */
export interface RequestContext {
  /** The fetch to use. */
  fetch: typeof fetch;
  /** Per-request timeout, ms. */
  timeoutMs: number;
  /** Extra attempts after a network failure, timeout or 5xx. */
  retries: number;
  /** First backoff, ms; doubles each retry, times a random factor in [0.5, 1.5). */
  backoffMs: number;
  /** Randomness for the backoff jitter. */
  random: RandomSource;
}

/** A failure of one request to a source; `transient` ones are retried. */
export class SourceError extends Error {
  readonly code: string;
  readonly transient: boolean;
  constructor(code: string, message: string, transient: boolean) {
    super(message);
    this.name = "SourceError";
    this.code = code;
    this.transient = transient;
  }
}

/** A source's answer: status, headers, and the body (empty for HEAD). */
export interface Answer {
  status: number;
  headers: Headers;
  body: Uint8Array;
}

/** The binary list's media type. */
export const BIN = "application/octet-stream";

/** Make one request, retrying what is worth retrying (see the module documentation). */
export async function request(
  ctx: RequestContext,
  url: string,
  method: "GET" | "HEAD",
  headers: Record<string, string>,
  signal: AbortSignal,
  onDate: (h: Headers) => void,
): Promise<Answer> {
  for (let attempt = 0;; attempt++) {
    if (signal.aborted) throw aborted();
    let failure: SourceError;
    try {
      const res = await ctx.fetch(url, {
        method,
        headers,
        signal: AbortSignal.any([signal, AbortSignal.timeout(ctx.timeoutMs)]),
      });
      const body = method === "HEAD"
        ? new Uint8Array()
        : new Uint8Array(await res.arrayBuffer());
      onDate(res.headers);
      if (res.status >= 500 || res.status === 429) {
        throw new SourceError(
          `http_${res.status}`,
          `HTTP ${res.status} from ${url}`,
          true,
        );
      }
      return { status: res.status, headers: res.headers, body };
    } catch (e) {
      if (signal.aborted) throw aborted();
      failure = e instanceof SourceError ? e : networkFailure(e, url, ctx);
    }
    if (!failure.transient || attempt >= ctx.retries) throw failure;
    const pause = ctx.backoffMs * 2 ** attempt *
      (0.5 + randomFloat(ctx.random));
    await sleep(pause, signal);
  }
}

function aborted(): SourceError {
  return new SourceError(
    "aborted",
    "cancelled: another source answered first",
    false,
  );
}

function networkFailure(
  e: unknown,
  url: string,
  ctx: RequestContext,
): SourceError {
  const name = e instanceof Error ? e.name : "";
  if (name === "TimeoutError" || name === "AbortError") {
    return new SourceError(
      "timeout",
      `no answer from ${url} within ${ctx.timeoutMs} ms`,
      true,
    );
  }
  // Deno's fetch says "fetch failed" and puts the reason in `cause`.
  const cause = e instanceof Error && e.cause instanceof Error
    ? e.cause.message
    : "";
  const msg = [e instanceof Error ? e.message : String(e), cause]
    .filter((m) => m !== "").join(": ");
  return new SourceError(
    "connection",
    /refused|ECONNREFUSED|os error 111/i.test(msg)
      ? `connection refused by ${url}`
      : `cannot reach ${url}: ${msg}`,
    true,
  );
}
