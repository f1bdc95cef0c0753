/**
 * Operations: `GET /v1/health` (liveness), `GET /v1/ready` (readiness,
 * `ready.ts`), `GET /metrics` (Prometheus), the OpenAPI document and the
 * docs page.
 *
 * @module
 */

import { createRoute } from "@hono/zod-openapi";
import { HealthSchema, NODE_STATUSES } from "../../api/views.ts";
import type { LedgerAudit } from "../../store/wallets.ts";
import { type App, type Deps, untyped } from "../deps.ts";
import { renderDocs } from "../docs.ts";
import type { RepresentationCache } from "../list_cache.ts";
import { type MetricFamily, renderMetrics } from "../metrics.ts";
import { operatorFamilies, readyRoutes } from "./ready.ts";

/** Register health, metrics, OpenAPI and docs. */
export function opsRoutes(
  app: App,
  deps: Deps,
  cache: RepresentationCache,
  openapi: () => Record<string, unknown>,
): void {
  const { registry, queries, state } = deps;
  readyRoutes(app, deps);

  // The latest list held in memory (http/latest_list.ts). While the
  // database does not answer, `cached` callers (liveness) are answered
  // from the last list held: a process that lost its database is alive
  // (restarting it mends nothing); /v1/ready reports it not ready.
  async function latestList(options: { cached?: boolean } = {}) {
    let l;
    try {
      l = await deps.latest.get();
    } catch (e) {
      l = options.cached ? deps.latest.lastKnown() : null;
      if (l === null) throw e;
    }
    if (l === null) return null;
    const now = registry.nowSeconds();
    return {
      epoch: l.epoch,
      hash: l.hash,
      nodes: l.nodeCount,
      ageSeconds: Math.max(0, now - l.publishedAt),
      fresh: now < l.freshUntil,
      valid: now < l.validUntil,
    };
  }

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/health",
      tags: ["operations"],
      operationId: "health",
      summary:
        "Liveness: 200 while the latest list is valid, 503 once it expired (while the database does not answer, judged by the last list read; see /v1/ready)",
      responses: {
        200: {
          description: "healthy",
          content: { "application/json": { schema: HealthSchema } },
        },
        503: {
          description:
            "the latest list expired: the registry stopped publishing",
          content: { "application/json": { schema: HealthSchema } },
        },
      },
    }),
    async (c) => {
      const latest = await latestList({ cached: true });
      const stale = latest !== null && !latest.valid;
      const body = {
        status: stale ? "stale" as const : "ok" as const,
        network: registry.params.name,
        epoch: registry.epoch,
        now: registry.nowSeconds(),
        latestList: latest === null ? null : {
          epoch: latest.epoch,
          hash: latest.hash,
          ageSeconds: latest.ageSeconds,
          fresh: latest.fresh,
          valid: latest.valid,
        },
        lastEventId: registry.lastEventId,
        sseClients: state.sseClients,
      };
      c.header("cache-control", "no-store");
      return stale ? c.json(body, 503) : c.json(body, 200);
    },
  );

  // The ledger audit reads every ledger row: recomputed once per epoch.
  let audit: { epoch: number; at: number; value: LedgerAudit } | null = null;
  async function ledger(): Promise<{ at: number; value: LedgerAudit }> {
    if (audit === null || audit.epoch !== registry.epoch) {
      const epoch = registry.epoch;
      audit = {
        epoch,
        at: registry.nowSeconds(),
        value: await queries.audit(),
      };
    }
    return audit;
  }

  app.openapi(
    createRoute({
      method: "get",
      path: "/metrics",
      tags: ["operations"],
      operationId: "metrics",
      summary: "Prometheus metrics (text exposition format 0.0.4)",
      responses: {
        200: {
          description: "metrics",
          content: { "text/plain": { schema: { type: "string" } } },
        },
      },
    }),
    async () => {
      // What needs the database is left out when it does not answer;
      // registry_database_up says so.
      const read = await Promise.all([queries.info(), latestList(), ledger()])
        .catch(() => null);
      if (read === null) return metricsResponse(await operatorFamilies(deps));
      const [info, latest, l] = read;
      const families: MetricFamily[] = [
        {
          name: "registry_epoch",
          help: "The epoch in progress.",
          type: "gauge",
          samples: [{ value: registry.epoch }],
        },
        {
          name: "registry_nodes",
          help: "Registered nodes by status.",
          type: "gauge",
          samples: NODE_STATUSES.map((status) => ({
            labels: { status },
            value: info.nodes[status] ?? 0,
          })),
        },
        {
          name: "registry_swarms",
          help: "Swarms of active nodes.",
          type: "gauge",
          samples: [{ value: info.swarms }],
        },
        {
          name: "registry_lists_published_total",
          help: "Node lists published since genesis (list 0 included).",
          type: "counter",
          samples: [{ value: latest === null ? 0 : latest.epoch + 1 }],
        },
        {
          name: "registry_latest_list_epoch",
          help: "Epoch of the latest published list.",
          type: "gauge",
          samples: [{ value: latest?.epoch ?? -1 }],
        },
        {
          name: "registry_latest_list_nodes",
          help: "Nodes in the latest published list.",
          type: "gauge",
          samples: [{ value: latest?.nodes ?? 0 }],
        },
        {
          name: "registry_latest_list_age_seconds",
          help: "Seconds since the latest list was published.",
          type: "gauge",
          samples: [{ value: latest?.ageSeconds ?? 0 }],
        },
        {
          name: "registry_write_groups_total",
          help:
            "Transactions the write queue committed (each a group of queued writes).",
          type: "counter",
          samples: [{ value: registry.writeStats.groups }],
        },
        {
          name: "registry_grouped_writes_total",
          help:
            "Writes applied by the write queue (accepted or refused); divided by registry_write_groups_total, the mean group size.",
          type: "counter",
          samples: [{ value: registry.writeStats.writes }],
        },
        {
          name: "registry_last_event_id",
          help: "Id of the newest event.",
          type: "gauge",
          samples: [{ value: registry.lastEventId }],
        },
        {
          name: "registry_ledger_atomic",
          help:
            "Ledger totals in atomic units (audited once per epoch): minted = spendable + staked.",
          type: "gauge",
          samples: [
            { labels: { kind: "minted" }, value: l.value.minted },
            { labels: { kind: "spendable" }, value: l.value.spendable },
            { labels: { kind: "staked" }, value: l.value.staked },
          ],
        },
        {
          name: "registry_ledger_balanced",
          help: "1 when the last ledger audit balanced, else 0.",
          type: "gauge",
          samples: [{ value: l.value.balanced ? 1 : 0 }],
        },
        {
          name: "registry_ledger_audit_timestamp_seconds",
          help: "When the ledger was last audited (unix seconds).",
          type: "gauge",
          samples: [{ value: l.at }],
        },
        {
          name: "http_requests_total",
          help: "HTTP requests by method, route and status.",
          type: "counter",
          samples: [...state.requests].sort().map(([key, value]) => {
            const [method, route, status] = key.split(" ");
            return {
              labels: { method: method!, route: route!, status: status! },
              value,
            };
          }),
        },
        {
          name: "http_request_duration_seconds",
          help: "Time to the response head, by method and route.",
          type: "summary",
          samples: [...state.durations].sort().flatMap(([key, d]) => {
            const [method, route] = key.split(" ");
            const labels = { method: method!, route: route! };
            return [
              { suffix: "_sum", labels, value: d.sum },
              { suffix: "_count", labels, value: d.count },
            ];
          }),
        },
        {
          name: "registry_sse_clients",
          help: "Open event streams.",
          type: "gauge",
          samples: [{ value: state.sseClients }],
        },
        {
          name: "registry_list_cache_bytes",
          help: "Bytes of list and diff representations cached.",
          type: "gauge",
          samples: [{ value: cache.bytes }],
        },
      ];
      families.push(...await operatorFamilies(deps));
      return metricsResponse(families);
    },
  );

  function metricsResponse(families: MetricFamily[]): never {
    return untyped(
      new Response(renderMetrics(families), {
        headers: {
          "content-type": "text/plain; version=0.0.4; charset=utf-8",
          "cache-control": "no-store",
        },
      }),
    );
  }

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/openapi.json",
      tags: ["operations"],
      operationId: "openapi",
      summary: "This API as an OpenAPI 3.1 document",
      responses: {
        200: {
          description: "the document",
          content: { "application/json": { schema: { type: "object" } } },
        },
      },
    }),
    () =>
      untyped(
        new Response(JSON.stringify(openapi()), {
          headers: { "content-type": "application/json" },
        }),
      ),
  );

  let docsHtml: string | null = null;
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/docs",
      tags: ["operations"],
      operationId: "docs",
      summary: "This API's documentation as a self-contained HTML page",
      responses: {
        200: {
          description: "the page",
          content: { "text/html": { schema: { type: "string" } } },
        },
      },
    }),
    () => {
      docsHtml ??= renderDocs(openapi());
      return untyped(
        new Response(docsHtml, {
          headers: {
            "content-type": "text/html; charset=utf-8",
            "content-security-policy":
              "default-src 'none'; style-src 'unsafe-inline'",
          },
        }),
      );
    },
  );
}
