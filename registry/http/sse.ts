/**
 * Server-Sent Events over the registry's events: replay the stored events
 * after a given id (page by page), then the live ones, with no gap and no
 * duplicate - the live listener is registered before the replay starts and
 * whatever it hears meanwhile is held back and de-duplicated by id.
 *
 * @module
 */

import {
  type EventFilter,
  matchesFilter,
  type RegistryEvent,
} from "../api/events.ts";
import type { RegistryQueries } from "../queries/mod.ts";
import type { Registry } from "../registry.ts";

/** Options of {@linkcode eventStream}. */
export interface EventStreamOptions {
  /** Replay events with a larger id. */
  after: number;
  /** Filter. */
  filter: EventFilter;
  /** Interval of the `: heartbeat` comments, ms. */
  heartbeatMs: number;
  /** Called once when the stream opens, and once when it is closed for any reason. */
  onOpen?: () => void;
  /** See `onOpen`. */
  onClose?: () => void;
  /** Report a failure (the stream is then closed; the client reconnects). */
  log?: (message: string, error?: unknown) => void;
  /** Events to replay per query. Default 500. */
  pageSize?: number;
  /** Drop a client whose unread backlog exceeds this many events. Default 10,000. */
  maxBacklog?: number;
}

/** One event in the SSE wire format. */
export function formatEvent(e: RegistryEvent): string {
  return `id: ${e.id}\nevent: ${e.kind}\ndata: ${JSON.stringify(e)}\n\n`;
}

/**
 * A `text/event-stream` body: replay, then live events, with heartbeats.
 * Cancelling the stream (the client went away) unsubscribes and stops the
 * heartbeat.
 */
export function eventStream(
  registry: Pick<Registry, "subscribe">,
  queries: Pick<RegistryQueries, "events">,
  options: EventStreamOptions,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const pageSize = options.pageSize ?? 500;
  const maxBacklog = options.maxBacklog ?? 10_000;
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let closed = false;
  let replaying = true;
  let lastSent = options.after;
  const held: RegistryEvent[] = [];
  let unsubscribe = () => {};
  let heartbeat: ReturnType<typeof setInterval> | undefined;

  const cleanup = () => {
    if (closed) return;
    closed = true;
    unsubscribe();
    if (heartbeat !== undefined) clearInterval(heartbeat);
    options.onClose?.();
  };
  const close = () => {
    if (closed) return;
    cleanup();
    try {
      controller.close();
    } catch {
      // Already closed or errored.
    }
  };

  const write = (text: string) => {
    if (closed) return;
    controller.enqueue(encoder.encode(text));
    // A client that stopped reading is dropped; it resumes with Last-Event-ID.
    if ((controller.desiredSize ?? 0) < -maxBacklog) close();
  };
  const send = (events: RegistryEvent[]) => {
    for (const e of events) {
      if (closed) return;
      if (e.id <= lastSent) continue;
      write(formatEvent(e));
      lastSent = e.id;
    }
  };

  return new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      options.onOpen?.();
      unsubscribe = registry.subscribe((events) => {
        const wanted = events.filter((e) => matchesFilter(e, options.filter));
        if (replaying) held.push(...wanted);
        else send(wanted);
      });
      heartbeat = setInterval(
        () => write(": heartbeat\n\n"),
        options.heartbeatMs,
      );
      write("retry: 3000\n: connected\n\n");
      (async () => {
        for (;;) {
          const page = await queries.events({
            after: lastSent,
            limit: pageSize,
            ...options.filter,
          });
          if (closed) return;
          send(page);
          if (page.length < pageSize) break;
        }
        replaying = false;
        send(held.splice(0));
      })().catch((e) => {
        options.log?.("event stream replay failed", e);
        close();
      });
    },
    cancel() {
      cleanup();
    },
  }, new CountQueuingStrategy({ highWaterMark: 16 }));
}
