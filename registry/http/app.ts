/**
 * The registry's HTTP API as a Hono app: `createApp(registry)` returns it,
 * the composition root serves it (`Deno.serve({ port, signal }, app.fetch)`).
 *
 * Every route is defined with `@hono/zod-openapi`, so the parameters are
 * validated by the same schemas the OpenAPI 3.1 document at
 * `/v1/openapi.json` is generated from. Every error is RFC 9457
 * problem+json with a stable `code` (see `problem.ts`); GET routes carry
 * `Access-Control-Allow-Origin: *` for the explorer and browser clients.
 *
 * @module
 */

import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { matchedRoutes } from "hono/route";
import { RegistryQueries } from "../queries/mod.ts";
import type { Registry } from "../registry.ts";
import {
  type AppOptions,
  type AppState,
  type Deps,
  limitersOf,
} from "./deps.ts";
import { EventHub } from "./sse.ts";
import { CORS_EXPOSE, type FastPath, fastPaths } from "./fast_path.ts";
import { LatestList } from "./latest_list.ts";
import { WriteMetrics } from "./write_metrics.ts";
import { RepresentationCache } from "./list_cache.ts";
import {
  HttpError,
  type HttpErrorCode,
  problemOf,
  problemResponse,
} from "./problem.ts";
import { eventRoutes } from "./routes/events.ts";
import { jsonRpcRoutes } from "./routes/jsonrpc.ts";
import { listRoutes } from "./routes/lists.ts";
import { opsRoutes } from "./routes/ops.ts";
import { readRoutes } from "./routes/reads.ts";
import { witnessRoutes } from "./routes/witness.ts";
import { writeRoutes } from "./routes/writes.ts";

export type { AppOptions } from "./deps.ts";
export type { FastHandler, FastPath, FetchFastHandler } from "./fast_path.ts";

const FAST = new WeakMap<OpenAPIHono, FastPath>();
const NO_FAST_PATH: FastPath = { node: () => false, fetch: () => null };

/**
 * The app's fast routes, for the servers' `fast` option: the latest list
 * and health answered before the app (see `fast_path.ts`); `.node` for
 * `serveHttp`, `.fetch` for `serveDeno`.
 */
export function fastPathOf(app: OpenAPIHono): FastPath {
  return FAST.get(app) ?? NO_FAST_PATH;
}

const STANDARD_METHODS = new Set([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "OPTIONS",
]);

/** Codes for a failed validation, by what was validated. */
const VALIDATION_CODES: Record<string, HttpErrorCode> = {
  query: "bad_query",
  param: "bad_param",
  header: "bad_header",
  json: "bad_body",
};

interface ValidationResult {
  success: boolean;
  target?: string;
  error?: { issues?: { path?: PropertyKey[]; message: string }[] };
}

function validationHook(result: ValidationResult): void {
  if (result.success) return;
  const code = VALIDATION_CODES[result.target ?? ""] ?? "bad_query";
  const issues = result.error?.issues ?? [];
  const detail =
    issues.map((i) =>
      `${(i.path ?? []).map(String).join(".") || result.target}: ${i.message}`
    ).join("; ") || "invalid input";
  throw new HttpError(code, detail);
}

/** `/v1/nodes/:pubkey` -> a regex matching concrete paths. */
function pathRegex(path: string): RegExp {
  const parts = path.split("/").map((p) =>
    p.startsWith(":") ? "[^/]+" : p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
  );
  return new RegExp(`^${parts.join("/")}$`);
}

/** Build the app. It does not listen; serve `app.fetch`. */
export function createApp(
  registry: Registry,
  options: AppOptions = {},
): OpenAPIHono {
  const queries = options.queries ??
    new RegistryQueries(
      registry,
      options.randomInt ? { randomInt: options.randomInt } : {},
    );
  const state: AppState = {
    requests: new Map(),
    durations: new Map(),
    sseClients: 0,
    writes: new WriteMetrics(),
  };
  const log = options.log ?? (() => {});
  const events = new EventHub(registry, queries, {
    heartbeatMs: options.heartbeatMs ?? 15_000,
    maxStreams: options.maxStreams ?? 256,
    maxStreamsPerClient: options.maxStreamsPerClient ?? 8,
    ...(options.sseReplayPageSize
      ? { pageSize: options.sseReplayPageSize }
      : {}),
    log,
    onCount: (open) => state.sseClients = open,
  });
  options.closeStreams?.addEventListener("abort", () => events.close(), {
    once: true,
  });
  if (options.closeStreams?.aborted) events.close();
  const deps: Deps = {
    registry,
    queries,
    options,
    state,
    log,
    limiters: limitersOf(options),
    events,
    latest: new LatestList(registry),
  };
  const cache = new RepresentationCache(
    options.listCacheBytes ?? 64 * 1024 * 1024,
  );
  const app = new OpenAPIHono({
    defaultHook: (result) => validationHook(result as ValidationResult),
  });

  // Counters, the Date header (from the registry's clock: a 304 tells a
  // skewed client the time) and CORS for reads.
  app.use("*", async (c, next) => {
    const start = performance.now();
    await next();
    const method = c.req.method;
    // Labels stay few: unknown methods and unmatched paths are pooled.
    const methodLabel = STANDARD_METHODS.has(method) ? method : "OTHER";
    const last = matchedRoutes(c).at(-1);
    const route = last && last.method !== "ALL" && !last.path.endsWith("*")
      ? last.path
      : "unmatched";
    const key = `${methodLabel} ${route}`;
    const status = `${key} ${c.res.status}`;
    state.requests.set(status, (state.requests.get(status) ?? 0) + 1);
    const d = state.durations.get(key) ?? { sum: 0, count: 0 };
    d.sum += (performance.now() - start) / 1000;
    d.count++;
    state.durations.set(key, d);
    const headers: Record<string, string> = {};
    if (!c.res.headers.has("date")) {
      headers["date"] = new Date(registry.nowSeconds() * 1000).toUTCString();
    }
    if (method === "GET" || method === "HEAD") {
      headers["access-control-allow-origin"] = "*";
      headers["access-control-expose-headers"] = CORS_EXPOSE;
    }
    try {
      for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v);
    } catch {
      // Immutable headers: copy the response.
      const res = new Response(c.res.body, c.res);
      for (const [k, v] of Object.entries(headers)) res.headers.set(k, v);
      c.res = res;
    }
  });

  // CORS preflight for reads (e.g. an EventSource resuming with Last-Event-ID).
  app.options("*", (c) =>
    c.body(null, 204, {
      "access-control-allow-origin": "*",
      "access-control-allow-methods": "GET, HEAD",
      "access-control-allow-headers":
        "Accept, Accept-Encoding, If-None-Match, Last-Event-ID, Cache-Control",
      "access-control-max-age": "86400",
    }));

  writeRoutes(app, deps);
  readRoutes(app, deps);
  listRoutes(app, deps, cache);
  witnessRoutes(app, deps);
  eventRoutes(app, deps);
  jsonRpcRoutes(app, deps);
  let document: Record<string, unknown> | null = null;
  const openapi = () =>
    document ??= app.getOpenAPI31Document({
      openapi: "3.1.0",
      info: {
        title: "Service-node registry",
        version: options.version ?? "1",
        description:
          "The staking registry of a Session-style service-node network: signed writes (registrations, contributions, unlocks, uptime proofs, faucet), node and swarm reads, signed node lists and diffs, events (SSE), and oxen-core's get_service_nodes JSON-RPC. Amounts are atomic units (1 coin = 10^9) as decimal strings; u64 ids are decimal strings; keys are hex. Errors are RFC 9457 problem+json with a stable `code`.",
      },
      tags: [
        { name: "writes", description: "signed messages" },
        { name: "reads", description: "nodes, swarms, wallets" },
        { name: "lists", description: "signed node lists and diffs" },
        {
          name: "witnesses",
          description:
            "what witnesses re-execute (epoch inputs, state snapshots) and their co-signatures",
        },
        { name: "events", description: "the event log, live" },
        { name: "compatibility", description: "oxen-core JSON-RPC" },
        { name: "operations", description: "health, metrics, this document" },
      ],
    }) as unknown as Record<string, unknown>;
  opsRoutes(app, deps, cache, openapi);

  const routes = () =>
    app.routes.filter((r) => r.method !== "ALL" && r.method !== "OPTIONS")
      .map((r) => ({ method: r.method, regex: pathRegex(r.path) }));
  let known: ReturnType<typeof routes> | null = null;

  app.notFound((c: Context) => {
    known ??= routes();
    const path = c.req.path;
    const allowed = [
      ...new Set(known.filter((r) => r.regex.test(path)).map((r) => r.method)),
    ];
    if (allowed.length > 0) {
      if (allowed.includes("GET")) allowed.push("HEAD");
      const p = problemOf(
        new HttpError(
          "method_not_allowed",
          `${c.req.method} is not allowed on ${path}; allowed: ${
            allowed.join(", ")
          }`,
          { allow: allowed.join(", ") },
        ),
      );
      return problemResponse(p.problem, p.headers);
    }
    const p = problemOf(
      new HttpError("not_found", `no route ${c.req.method} ${path}`),
    );
    return problemResponse(p.problem, p.headers);
  });

  app.onError((error, c) => {
    const errorId = crypto.randomUUID();
    const p = problemOf(error, { now: registry.nowSeconds(), errorId });
    if (p.internal) {
      log(
        `internal error ${errorId} on ${c.req.method} ${c.req.path}`,
        error,
      );
    }
    return problemResponse(p.problem, p.headers);
  });

  FAST.set(
    app,
    fastPaths({
      latest: deps.latest,
      state,
      nowSeconds: () => registry.nowSeconds(),
      health: () => ({
        network: registry.params.name,
        epoch: registry.epoch,
        lastEventId: registry.lastEventId,
      }),
    }),
  );
  return app;
}
