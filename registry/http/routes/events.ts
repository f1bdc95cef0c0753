/**
 * `GET /v1/events`: Server-Sent Events with `Accept: text/event-stream`
 * (resume with `Last-Event-ID` or `?after=`), else a JSON page.
 *
 * @module
 */

import { createRoute } from "@hono/zod-openapi";
import { type App, clientOf, type Deps } from "../deps.ts";
import { acceptsExplicitly } from "../negotiate.ts";
import { HttpError } from "../problem.ts";
import {
  EVENT_KINDS,
  type EventFilter,
  EventsPageSchema,
} from "../../api/events.ts";
import { EventsQuery, problems } from "../params.ts";

function parseKinds(text: string | undefined): string[] | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  const kinds = text.split(",").map((k) => k.trim()).filter((k) => k !== "");
  const unknown = kinds.filter((k) =>
    !(EVENT_KINDS as readonly string[]).includes(k)
  );
  if (unknown.length > 0) {
    throw new HttpError(
      "bad_query",
      `kind: unknown event kind ${
        unknown.map((k) => JSON.stringify(k)).join(", ")
      }; known: ${EVENT_KINDS.join(", ")}`,
    );
  }
  return kinds;
}

function parseLastEventId(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === "") return undefined;
  if (!/^[0-9]{1,15}$/.test(header.trim())) {
    throw new HttpError(
      "bad_header",
      "Last-Event-ID must be the id of an event (a non-negative integer)",
    );
  }
  return Number(header.trim());
}

/** Register the events route. */
export function eventRoutes(app: App, deps: Deps): void {
  const { queries } = deps;
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/events",
      tags: ["events"],
      operationId: "events",
      summary: "Registry events: Server-Sent Events or a JSON page",
      description:
        "With `Accept: text/event-stream`: an SSE stream (`id:` the event id, `event:` its kind, `data:` the event as JSON) replaying the stored events after `Last-Event-ID` (or `?after=`), then live ones, with a `: heartbeat` comment every 15 s. Streams are capped per client address (429 `too_many_streams`) and in all (503 `server_busy`), both with `Retry-After`. Otherwise a JSON page `{events, next, more}`: pass `next` as `after` to continue. Filters: `node`, `wallet`, `kind` (comma-separated).",
      request: { query: EventsQuery },
      responses: {
        200: {
          description: "a page of events, or the event stream",
          content: {
            "application/json": { schema: EventsPageSchema },
            "text/event-stream": { schema: { type: "string" } },
          },
        },
        ...problems(400, 429, 503),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const filter: EventFilter = {};
      if (q.node !== undefined) filter.node = q.node.toLowerCase();
      if (q.wallet !== undefined) filter.wallet = q.wallet.toLowerCase();
      const kinds = parseKinds(q.kind);
      if (kinds !== undefined) filter.kinds = kinds;
      if (acceptsExplicitly(c.req.header("accept"), "text/event-stream")) {
        const resume = parseLastEventId(c.req.header("last-event-id")) ??
          q.after ?? 0;
        // The stream's cancel() is the disconnect signal: the server
        // cancels the body when the client goes away.
        const body = deps.events.open(clientOf(deps, c), resume, filter);
        return new Response(body, {
          status: 200,
          headers: {
            "content-type": "text/event-stream; charset=utf-8",
            "cache-control": "no-cache, no-transform",
            "x-accel-buffering": "no",
          },
        });
      }
      const after = q.after ?? 0;
      const limit = q.limit ?? 100;
      const events = await queries.events({ ...filter, after, limit });
      return c.json({
        events,
        next: events.at(-1)?.id ?? after,
        more: events.length === limit,
      }, 200);
    },
  );
}
