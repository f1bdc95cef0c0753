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
import { HttpError } from "./problem.ts";

/** Options of {@linkcode createApp}. */
export interface AppOptions {
  /** Where unexpected errors (500s) and stream failures are reported. Default: nowhere. */
  log?: (message: string, error?: unknown) => void;
  /** Read models to share with the rest of the process (their list cache). Default: new ones. */
  queries?: RegistryQueries;
  /** SSE heartbeat interval, ms. Default 15,000. */
  heartbeatMs?: number;
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
}

/** Counters the app keeps for `/metrics` and `/v1/health`. */
export interface AppState {
  /** Requests by `method route status`. */
  requests: Map<string, number>;
  /** Request durations by `method route`: seconds summed, and count. */
  durations: Map<string, { sum: number; count: number }>;
  /** Open event streams. */
  sseClients: number;
}

/** Everything a route module needs. */
export interface Deps {
  registry: Registry;
  queries: RegistryQueries;
  options: AppOptions;
  state: AppState;
  log: (message: string, error?: unknown) => void;
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
