/**
 * `/events`: the registry's events, newest first, filterable by kind, node
 * and wallet, paginated; `/events/stream`: the explorer's own server-sent
 * event stream, fed by its follower of the registry's stream.
 *
 * @module
 */

import type { RegistryEventView } from "../../registry/client/types.ts";
import { EventList } from "../components/EventList.tsx";
import { eventsAfter, eventsBefore, type EventsFilter } from "../lib/events.ts";
import { EVENT_KINDS, isKeyHex } from "../format.ts";
import { LiveEvents } from "../islands/LiveEvents.tsx";
import { type Ctx, Island, page, PageError } from "../render.tsx";
import { indexReady } from "./index.tsx";

const PAGE_SIZE = 50;

function parseFilter(params: URLSearchParams): EventsFilter {
  const filter: EventsFilter = {};
  const kinds = params.getAll("kind").flatMap((k) => k.split(",")).map((k) =>
    k.trim()
  ).filter((k) => k !== "");
  const unknown = kinds.filter((k) =>
    !(EVENT_KINDS as readonly string[]).includes(k)
  );
  if (unknown.length > 0) {
    throw new PageError(
      400,
      "Unknown event kind",
      `"${unknown[0]}" is not an event kind. Known kinds: ${
        EVENT_KINDS.join(", ")
      }.`,
    );
  }
  if (kinds.length > 0) filter.kinds = kinds;
  for (const field of ["node", "wallet"] as const) {
    const v = (params.get(field) ?? "").trim();
    if (v === "") continue;
    if (!isKeyHex(v)) {
      throw new PageError(
        400,
        `Malformed ${field} key`,
        `A ${field} key is 64 hexadecimal digits; "${
          v.slice(0, 80)
        }" is not one.`,
      );
    }
    filter[field] = v.toLowerCase();
  }
  return filter;
}

function cursor(params: URLSearchParams, name: string): number | null {
  const v = params.get(name);
  if (v === null || v === "") return null;
  if (!/^[0-9]{1,15}$/.test(v)) {
    throw new PageError(400, "Bad cursor", `${name} must be an event id.`);
  }
  return Number(v);
}

function link(filter: EventsFilter, extra: Record<string, string>): string {
  const q = new URLSearchParams();
  for (const k of filter.kinds ?? []) q.append("kind", k);
  if (filter.node) q.set("node", filter.node);
  if (filter.wallet) q.set("wallet", filter.wallet);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  const s = q.toString();
  return "/events" + (s ? "?" + s : "");
}

/** `GET /events`. */
export async function events(ctx: Ctx): Promise<Response> {
  const params = ctx.url.searchParams;
  const filter = parseFilter(params);
  const before = cursor(params, "before");
  const after = cursor(params, "after");
  const [info] = await Promise.all([ctx.data.info(), indexReady(ctx)]);
  const newest = (await ctx.data.eventBound()) - 1;
  const result = after !== null
    ? await eventsAfter(ctx.data.client, filter, after, PAGE_SIZE)
    : await eventsBefore(
      ctx.data.client,
      filter,
      before ?? newest + 1,
      PAGE_SIZE,
    );
  const isNewest = after === null && before === null;
  if (!isNewest && result.newer === null && result.events[0]) {
    // Is there anything newer than this page?
    result.newer = result.events[0].id < newest ? result.events[0].id : null;
  }
  const chosen = new Set(filter.kinds ?? []);
  return page(
    ctx,
    {
      title: "Events",
      section: "events",
      islands: isNewest,
      info,
    },
    (
      <>
        <h1>Events</h1>
        <p class="lede">
          Everything the registry recorded: registrations, contributions, state
          changes, unlocks, reachability failures and published lists, newest
          first.
        </p>
        <form class="filters" method="get" action="/events">
          <fieldset>
            <legend>Kinds</legend>
            <div class="checks">
              {EVENT_KINDS.map((k) => (
                <label>
                  <input
                    type="checkbox"
                    name="kind"
                    value={k}
                    checked={chosen.has(k)}
                  />{" "}
                  {k.replaceAll("_", " ")}
                </label>
              ))}
            </div>
          </fieldset>
          <div class="row">
            <label>
              Node key{" "}
              <input
                name="node"
                value={filter.node ?? ""}
                size={20}
                pattern="[0-9a-fA-F]{64}"
                spellcheck={false}
              />
            </label>
            <label>
              Wallet key{" "}
              <input
                name="wallet"
                value={filter.wallet ?? ""}
                size={20}
                pattern="[0-9a-fA-F]{64}"
                spellcheck={false}
              />
            </label>
            <button type="submit">Filter</button>
            <a href="/events">Clear</a>
          </div>
        </form>
        {isNewest
          ? (
            <Island
              name="LiveEvents"
              component={LiveEvents}
              props={{
                events: result.events,
                streamUrl: "/events/stream",
                max: 200,
                kinds: filter.kinds ?? [],
                node: filter.node ?? null,
              }}
            />
          )
          : <EventList events={result.events} label="Events" />}
        <nav class="pager" aria-label="Event pages">
          {result.newer !== null || !isNewest
            ? (
              <>
                <a href={link(filter, {})}>Newest</a>
                {result.newer !== null && (
                  <a href={link(filter, { after: String(result.newer) })}>
                    ← Newer
                  </a>
                )}
              </>
            )
            : null}
          {result.older !== null && (
            <a href={link(filter, { before: String(result.older) })}>
              Older →
            </a>
          )}
        </nav>
        {filter.wallet && (
          <p>
            <a href={`/wallets/${filter.wallet}`}>This wallet's stakes</a>
          </p>
        )}
        {filter.node && (
          <p>
            <a href={`/nodes/${filter.node}`}>This node's page</a>
          </p>
        )}
        <details>
          <summary>What the kinds mean</summary>
          <p>
            Kinds: <strong>registered</strong>{" "}
            (a node was staked by its operator), <strong>contribution</strong>,
            {" "}
            <strong>funded</strong> (the stake reached the requirement),{" "}
            <strong>active</strong>, <strong>decommissioned</strong>{" "}
            (failing, out of its swarm), <strong>recommissioned</strong>,{" "}
            <strong>deregistered</strong> (removed; stake locked for a while),
            {" "}
            <strong>unlock requested</strong>
            , <strong>exited</strong>, <strong>stake released</strong>,{" "}
            <strong>reachability failed</strong>,{" "}
            <strong>list published</strong> (one signed node list per epoch).
          </p>
        </details>
      </>
    ),
  );
}

function matches(
  e: RegistryEventView,
  node: string | null,
  kinds: string[],
): boolean {
  return (node === null || e.node === node) &&
    (kinds.length === 0 || kinds.includes(e.kind));
}

/**
 * `GET /events/stream`: server-sent events (`id`, `data` = the event as
 * JSON) after `?after=` or `Last-Event-ID`, then live; a
 * comment every 15 s keeps proxies from closing it.
 */
export function eventStream(ctx: Ctx): Response {
  const params = ctx.url.searchParams;
  const node = params.get("node");
  const kinds = (params.get("kind") ?? "").split(",").filter((k) => k !== "");
  const resume = ctx.req.headers.get("last-event-id") ?? params.get("after") ??
    "";
  const after = /^[0-9]{1,15}$/.test(resume)
    ? Number(resume)
    : ctx.data.index.lastId;
  const index = ctx.data.index;
  const encoder = new TextEncoder();
  let cleanup = () => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      let last = after;
      const send = (e: RegistryEventView) => {
        if (e.id <= last) return;
        last = e.id;
        if (!matches(e, node && node.length > 0 ? node : null, kinds)) return;
        try {
          controller.enqueue(encoder.encode(
            // No "event:" field: EventSource's onmessage gets only unnamed
            // events; the kind is in the data.
            `id: ${e.id}\ndata: ${JSON.stringify(e)}\n\n`,
          ));
        } catch {
          cleanup();
        }
      };
      controller.enqueue(encoder.encode("retry: 2000\n: stream open\n\n"));
      for (const e of index.since(after) ?? []) send(e);
      const unsubscribe = index.subscribe(send);
      const heartbeat = setInterval(() => {
        try {
          controller.enqueue(encoder.encode(": heartbeat\n\n"));
        } catch {
          cleanup();
        }
      }, 15_000);
      const onStop = () => {
        cleanup();
        try {
          controller.close();
        } catch {
          // already closed
        }
      };
      ctx.signal.addEventListener("abort", onStop, { once: true });
      cleanup = () => {
        unsubscribe();
        clearInterval(heartbeat);
        ctx.signal.removeEventListener("abort", onStop);
      };
      if (ctx.signal.aborted) onStop();
    },
    cancel() {
      cleanup();
    },
  });
  return new Response(body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      "x-accel-buffering": "no",
    },
  });
}
