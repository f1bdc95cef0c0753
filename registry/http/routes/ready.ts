/**
 * Readiness, `GET /v1/ready`, beside liveness (`GET /v1/health`): whether
 * this process should be sent traffic now. A load balancer or an
 * orchestrator takes a process out of rotation on 503 and back on 200,
 * without restarting it (a restart mends none of these). Not ready:
 *
 * - `serving`: the process is shutting down;
 * - `database`: the store does not answer within 2 s (a lost PostgreSQL
 *   server, a broken disk);
 * - `list`: there is no list, or the latest one has expired (clients would
 *   refuse it).
 *
 * Also the operator families of `/metrics` that need the same probes.
 *
 * @module
 */

import { createRoute, z } from "@hono/zod-openapi";
import type { App, Deps } from "../deps.ts";
import type { MetricFamily } from "../metrics.ts";

/** How long the database may take to answer the readiness probe, ms. */
export const DATABASE_PROBE_MS = 2000;

const Check = z.object({
  ok: z.boolean(),
  detail: z.string(),
});

/** `GET /v1/ready`. */
export const ReadySchema = z.object({
  status: z.enum(["ready", "unready"]),
  checks: z.object({
    serving: Check,
    database: Check,
    list: Check,
  }),
}).openapi("Ready");

/** `GET /v1/ready`. */
export type ReadyView = z.infer<typeof ReadySchema>;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${ms} ms`)),
        ms,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Run the readiness checks. */
export async function readiness(deps: Deps): Promise<ReadyView> {
  const { registry, queries } = deps;
  const stopping = deps.options.closeStreams?.aborted ?? false;
  const serving = stopping
    ? { ok: false, detail: "shutting down" }
    : { ok: true, detail: "accepting requests" };
  let database = { ok: true, detail: "answers" };
  let list = { ok: false, detail: "not checked: the database does not answer" };
  try {
    const latest = await withTimeout(
      registry.store.read.lists.latest(),
      DATABASE_PROBE_MS,
    );
    if (!latest) {
      list = { ok: false, detail: "no list published yet" };
    } else {
      const header = (await queries.lists.list(latest.epoch)).header;
      const now = registry.nowSeconds();
      const validUntil = Number(header.validUntil);
      list = now < validUntil
        ? {
          ok: true,
          detail: `list ${latest.epoch} valid for ${validUntil - now} s more`,
        }
        : {
          ok: false,
          detail: `list ${latest.epoch} expired ${
            now - validUntil
          } s ago: the registry stopped publishing`,
        };
    }
  } catch (e) {
    database = {
      ok: false,
      detail: `does not answer: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
  const ok = serving.ok && database.ok && list.ok;
  return {
    status: ok ? "ready" : "unready",
    checks: { serving, database, list },
  };
}

/** Register `GET /v1/ready`. */
export function readyRoutes(app: App, deps: Deps): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/ready",
      tags: ["operations"],
      operationId: "ready",
      summary:
        "Readiness: 200 when this process should get traffic; 503 while shutting down, when the database does not answer or the latest list expired",
      responses: {
        200: {
          description: "ready",
          content: { "application/json": { schema: ReadySchema } },
        },
        503: {
          description: "not ready: see the failing check",
          content: { "application/json": { schema: ReadySchema } },
        },
      },
    }),
    async (c) => {
      const ready = await readiness(deps);
      c.header("cache-control", "no-store");
      return ready.status === "ready" ? c.json(ready, 200) : c.json(ready, 503);
    },
  );
}

/**
 * The operator families of `/metrics` that do not need the database to
 * answer (so a scrape still tells that it does not): readiness, the
 * database's size, the ticker's lag, TLS expiry, and the write routes'
 * counters.
 */
export async function operatorFamilies(deps: Deps): Promise<MetricFamily[]> {
  const runtime = deps.options.runtime ?? {};
  const ready = await readiness(deps);
  let bytes: number | null = null;
  if (ready.checks.database.ok) {
    try {
      bytes = await withTimeout(
        deps.registry.store.read.maintenance.sizeBytes(),
        DATABASE_PROBE_MS,
      );
    } catch {
      bytes = null;
    }
  }
  const tls = runtime.tlsNotAfter?.() ?? null;
  const families: MetricFamily[] = [
    {
      name: "registry_ready",
      help:
        "1 when /v1/ready answers 200 (serving, database answers, list valid), else 0.",
      type: "gauge",
      samples: [{ value: ready.status === "ready" ? 1 : 0 }],
    },
    {
      name: "registry_database_up",
      help:
        `1 when the database answered within ${DATABASE_PROBE_MS} ms, else 0.`,
      type: "gauge",
      samples: [{ value: ready.checks.database.ok ? 1 : 0 }],
    },
    {
      name: "registry_latest_list_valid",
      help: "1 while the latest list is valid (clients accept it), else 0.",
      type: "gauge",
      samples: [{ value: ready.checks.list.ok ? 1 : 0 }],
    },
    {
      name: "registry_database_size_bytes",
      help:
        "Size of the database (SQLite: the file without its WAL; PostgreSQL: pg_database_size).",
      type: "gauge",
      samples: bytes === null ? [] : [{ value: bytes }],
    },
    {
      name: "registry_epoch_length_seconds",
      help: "Wall time per epoch.",
      type: "gauge",
      samples: [{ value: deps.registry.params.epochSeconds }],
    },
    {
      name: "registry_epoch_lag",
      help:
        "Epoch deadlines the ticker has passed without ticking (0 when on time).",
      type: "gauge",
      samples: runtime.epochLag ? [{ value: runtime.epochLag() }] : [],
    },
    {
      name: "registry_tick_failures_total",
      help: "Ticks (epoch closes) that failed since the process started.",
      type: "counter",
      samples: runtime.tickFailures ? [{ value: runtime.tickFailures() }] : [],
    },
    {
      name: "registry_tls_certificate_expiry_timestamp_seconds",
      help:
        "When the served TLS certificate expires (unix seconds); absent without TLS.",
      type: "gauge",
      samples: tls === null ? [] : [{ value: tls }],
    },
    ...deps.state.writes.families(),
  ];
  return families;
}
