/**
 * What the route modules share: the registry, its read models, the options and
 * the app's own counters.
 *
 * @module
 */

import type { OpenAPIHono } from "@hono/zod-openapi";
import type { RegistryQueries } from "../queries/mod.ts";
import type { Registry } from "../registry.ts";
import { readAtMost } from "../runtime/streams.ts";
import type { Context } from "hono";
import { requestClient } from "./client_address.ts";
import { HttpError } from "./problem.ts";
import { type Rate, TokenBuckets } from "./rate_limit.ts";
import type { LatestList } from "./latest_list.ts";
import type { EventHub } from "./sse.ts";
import type { WriteMetrics } from "./write_metrics.ts";

/** Options of {@linkcode createApp}. */
export interface AppOptions {
  /** Where unexpected errors (500s) and stream failures are reported. Default: nowhere. */
  log?: (message: string, error?: unknown) => void;
  /** Read models to share with the rest of the process (their list cache). Default: new ones. */
  queries?: RegistryQueries;
  /** SSE heartbeat interval, ms. Default 15,000. */
  heartbeatMs?: number;
  /** Event streams open at once. Default 256. */
  maxStreams?: number;
  /** Event streams open at once per client address. Default 8. */
  maxStreamsPerClient?: number;
  /** When aborted, open event streams end and new ones are refused (shutdown). */
  closeStreams?: AbortSignal;
  /** Rate limits; a missing or null one does not limit. */
  rateLimits?: RateLimits;
  /**
   * Peers (reverse proxies) whose `X-Forwarded-For` names the client for
   * per-client limits. Default none: the socket's peer is the client.
   */
  trustedProxies?: readonly string[];
  /** Stored events an event stream replays per query. Default 500. */
  sseReplayPageSize?: number;
  /** Largest write body, bytes. Default 4,096. */
  writeBodyLimit?: number;
  /** Largest JSON-RPC body, bytes. Default 65,536. */
  jsonRpcBodyLimit?: number;
  /** Budget of the compressed list cache, bytes. Default 64 MiB. */
  listCacheBytes?: number;
  /** Uniform random integer in [0, n), for JSON-RPC `limit`. Default: crypto.getRandomValues. */
  randomInt?: (n: number) => number;
  /** Version reported in the OpenAPI document. */
  version?: string;
  /** What the process around the app knows (for `/metrics` and `/v1/ready`). */
  runtime?: RuntimeStatus;
}

/** The serving process's state, as `/metrics` and `/v1/ready` report it. */
export interface RuntimeStatus {
  /** Epoch deadlines the ticker has passed without ticking (0 when on time). */
  epochLag?: () => number;
  /** Ticks that failed since the start. */
  tickFailures?: () => number;
  /** When the served TLS certificate expires (unix seconds); null: no TLS. */
  tlsNotAfter?: () => number | null;
}

/** The rate limits of {@linkcode AppOptions}. */
export interface RateLimits {
  /** Writes per client address. */
  writes?: Rate | null;
  /** Faucet requests per wallet. */
  faucetPerWallet?: Rate | null;
  /** Faucet requests in all. */
  faucetGlobal?: Rate | null;
  /** Clock of the buckets, ms. Default `performance.now`. */
  clock?: () => number;
}

/** The live limiters of an app. */
export interface Limiters {
  writes: TokenBuckets | null;
  faucetPerWallet: TokenBuckets | null;
  faucetGlobal: TokenBuckets | null;
  trustedProxies: ReadonlySet<string>;
}

/** Build the limiters from the options. */
export function limitersOf(options: AppOptions): Limiters {
  const r = options.rateLimits ?? {};
  const clock = r.clock ? { clock: r.clock } : {};
  const make = (rate: Rate | null | undefined) =>
    rate ? new TokenBuckets(rate, clock) : null;
  return {
    writes: make(r.writes),
    faucetPerWallet: make(r.faucetPerWallet),
    faucetGlobal: make(r.faucetGlobal),
    trustedProxies: new Set(options.trustedProxies ?? []),
  };
}

/** The client key a request counts against (see `client_address.ts`). */
export function clientOf(deps: Deps, c: Context): string {
  return requestClient(c, deps.limiters.trustedProxies);
}

/** A 429 `rate_limited` with `Retry-After`. */
export function rateLimited(
  what: string,
  retryAfterSeconds: number,
): HttpError {
  return new HttpError(
    "rate_limited",
    `${what}; retry after ${retryAfterSeconds} s`,
    { "retry-after": String(retryAfterSeconds) },
  );
}

/** Counters the app keeps for `/metrics` and `/v1/health`. */
export interface AppState {
  /** Requests by `method route status`. */
  requests: Map<string, number>;
  /** Request durations by `method route`: seconds summed, and count. */
  durations: Map<string, { sum: number; count: number }>;
  /** Open event streams. */
  sseClients: number;
  /** The write routes' latency, queue depth, acceptances and refusals. */
  writes: WriteMetrics;
}

/** Everything a route module needs. */
export interface Deps {
  registry: Registry;
  queries: RegistryQueries;
  options: AppOptions;
  state: AppState;
  log: (message: string, error?: unknown) => void;
  /** Rate limiters and the trusted proxies. */
  limiters: Limiters;
  /** The app's event streams. */
  events: EventHub;
  /** The latest list, held in memory. */
  latest: LatestList;
}

/** The app type every route module registers on. */
export type App = OpenAPIHono;

/**
 * Read a request body, refusing more than `limit` bytes whatever
 * `Content-Length` says (413 `payload_too_large`).
 */
export async function readBody(
  req: Request,
  limit: number,
): Promise<Uint8Array> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (Number.isFinite(declared) && declared > limit) {
    throw tooLarge(limit);
  }
  const body = await readAtMost(req.body, limit);
  if (body === null) throw tooLarge(limit);
  return body;
}

function tooLarge(limit: number): HttpError {
  return new HttpError(
    "payload_too_large",
    `the body is over this route's limit of ${limit} bytes`,
  );
}

/**
 * A hand-built response (binary, text, a 201 with Location) where a route's
 * typed responses cannot express it; the route definition still documents it.
 */
export function untyped(res: Response): never {
  return res as never;
}
