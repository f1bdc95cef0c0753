/**
 * Newest-first pages of registry events for any filter. The registry's
 * `GET /v1/events` pages forward only (`after=`, oldest first), so a page
 * "before id B" is found by scanning windows of ids below B, growing the
 * window fourfold each time until enough events matched or id 0 is reached;
 * the number of requests stays logarithmic in the distance scanned.
 *
 * @module
 */

import type { RegistryClient } from "../../registry/client/api.ts";
import type {
  EventFilter,
  RegistryEventView,
} from "../../registry/client/types.ts";

const PAGE = 1000;

/** Filter of an events page. */
export type EventsFilter = Pick<EventFilter, "node" | "wallet" | "kinds">;

/** A newest-first page of events. */
export interface EventsPage {
  /** Newest first. */
  events: RegistryEventView[];
  /** Cursor for older events (`before=`), or null at the start. */
  older: number | null;
  /** Cursor for newer events (`after=`), or null when this page is the newest. */
  newer: number | null;
}

/** Events with `lo < id < hi` matching `filter`, oldest first. */
async function range(
  client: RegistryClient,
  filter: EventsFilter,
  lo: number,
  hi: number,
): Promise<RegistryEventView[]> {
  const out: RegistryEventView[] = [];
  let after = lo;
  for (;;) {
    const page = await client.events({ ...filter, after, limit: PAGE });
    for (const e of page.events) {
      if (e.id >= hi) return out;
      out.push(e);
    }
    if (page.events.length < PAGE) return out;
    after = page.events.at(-1)!.id;
  }
}

/**
 * The `limit` newest events with id below `before` (or all, with `before`
 * null: give the newest id known plus one, else the scan starts from the
 * registry's end by paging forward).
 */
export async function eventsBefore(
  client: RegistryClient,
  filter: EventsFilter,
  before: number,
  limit: number,
): Promise<EventsPage> {
  const found: RegistryEventView[] = [];
  let hi = before;
  let window = Math.max(limit * 2, 64);
  const unfiltered = !filter.node && !filter.wallet &&
    (!filter.kinds || filter.kinds.length === 0);
  if (unfiltered) window = limit + 1;
  while (hi > 1 && found.length < limit) {
    const lo = Math.max(0, hi - window);
    const chunk = await range(client, filter, lo, hi);
    found.unshift(...chunk);
    hi = lo + 1;
    if (lo === 0) break;
    window *= 4;
  }
  const page = found.slice(-limit).reverse();
  const oldest = page.at(-1);
  return {
    events: page,
    older: oldest && (found.length > limit || hi > 1) && oldest.id > 1
      ? oldest.id
      : null,
    newer: null,
  };
}

/** The `limit` events just after `after`, newest first. */
export async function eventsAfter(
  client: RegistryClient,
  filter: EventsFilter,
  after: number,
  limit: number,
): Promise<EventsPage> {
  const page = await client.events({ ...filter, after, limit: limit + 1 });
  const more = page.events.length > limit;
  const events = page.events.slice(0, limit);
  return {
    events: [...events].reverse(),
    older: events.length > 0 && events[0]!.id > 1 ? events[0]!.id : null,
    newer: more ? events.at(-1)!.id : null,
  };
}

/**
 * The newest event id, found with a few probes (`after=x&limit=1` is empty
 * exactly when x is at or past the newest id): used when the explorer is not
 * following the stream.
 */
export async function newestEventId(client: RegistryClient): Promise<number> {
  const exists = async (after: number) =>
    (await client.events({ after, limit: 1 })).events.length > 0;
  if (!(await exists(0))) return 0;
  let lo = 0, hi = 1024;
  while (await exists(hi)) {
    lo = hi;
    hi *= 4;
  }
  // Invariant: an event exists after lo, none after hi.
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (await exists(mid)) lo = mid;
    else hi = mid;
  }
  return hi;
}
