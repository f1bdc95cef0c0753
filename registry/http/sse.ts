/**
 * Server-Sent Events over the registry's events, cheap per stream.
 *
 * One {@linkcode EventHub} per app holds everything streams share: a single
 * subscription to the registry, the most recent events each encoded once
 * (`recent`, a window of ids `(floor, lastEventId]`), one heartbeat timer
 * and one wake-up promise. A stream itself is a pull-based `ReadableStream`
 * whose state is its last sent id and its filter: it produces only when the
 * connection asks for more, from the shared window while its position is
 * inside it, else from the database page by page (a new stream replaying
 * history, or one that fell behind). Nothing queues up per stream, so a slow
 * or stalled reader costs nothing but its connection, and resumes without a
 * gap or a duplicate.
 *
 * Streams are capped in all and per client address: an extra one is
 * answered `429 too_many_streams` (this client has enough) or
 * `503 server_busy` (the registry has), with `Retry-After`.
 *
 * @module
 */

import {
  type EventFilter,
  matchesFilter,
  type RegistryEvent,
} from "../api/events.ts";
import { RegistryError } from "../api/errors.ts";
import type { RegistryQueries } from "../queries/mod.ts";
import type { Registry } from "../registry.ts";
import { HttpError } from "./problem.ts";

/** One event in the SSE wire format. */
export function formatEvent(e: RegistryEvent): string {
  return `id: ${e.id}\nevent: ${e.kind}\ndata: ${JSON.stringify(e)}\n\n`;
}

const encoder = new TextEncoder();
const OPENING = encoder.encode("retry: 3000\n: connected\n\n");
const HEARTBEAT = encoder.encode(": heartbeat\n\n");

/** Seconds a refused stream is told to wait (`Retry-After`). */
export const STREAM_RETRY_AFTER_SECONDS = 5;

/** Options of {@linkcode EventHub}. */
export interface EventHubOptions {
  /** Interval of the `: heartbeat` comments, ms. */
  heartbeatMs: number;
  /** Streams open at once. */
  maxStreams: number;
  /** Streams open at once per client key. */
  maxStreamsPerClient: number;
  /** Stored events replayed per query. Default 100. */
  pageSize?: number;
  /** Recent events kept encoded for every stream to share. Default 1,024. */
  recent?: number;
  /** Events sent per pull at most. Default 256. */
  eventsPerPull?: number;
  /** Report a failure (the stream is then closed; the client reconnects). */
  log?: (message: string, error?: unknown) => void;
  /** Called with the number of open streams whenever it changes. */
  onCount?: (open: number) => void;
}

interface Frame {
  event: RegistryEvent;
  bytes: Uint8Array;
}

/**
 * The event streams of one app: shared state, caps, heartbeats, shutdown.
 */
export class EventHub {
  readonly #registry: Pick<Registry, "subscribe" | "lastEventId">;
  readonly #queries: Pick<RegistryQueries, "events">;
  readonly #options: Required<Omit<EventHubOptions, "log" | "onCount">>;
  readonly #log: (message: string, error?: unknown) => void;
  readonly #onCount: (open: number) => void;
  /** Recent events, ascending ids; everything after `#floor` is here. */
  #recent: Frame[] = [];
  #floor: number;
  #wake = Promise.withResolvers<void>();
  #beat = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;
  #open = 0;
  readonly #perClient = new Map<string, number>();
  readonly #closers = new Set<() => void>();
  readonly #unsubscribe: () => void;

  constructor(
    registry: Pick<Registry, "subscribe" | "lastEventId">,
    queries: Pick<RegistryQueries, "events">,
    options: EventHubOptions,
  ) {
    this.#registry = registry;
    this.#queries = queries;
    this.#options = {
      heartbeatMs: options.heartbeatMs,
      maxStreams: options.maxStreams,
      maxStreamsPerClient: options.maxStreamsPerClient,
      pageSize: options.pageSize ?? 100,
      recent: options.recent ?? 1024,
      eventsPerPull: options.eventsPerPull ?? 256,
    };
    this.#log = options.log ?? (() => {});
    this.#onCount = options.onCount ?? (() => {});
    this.#floor = registry.lastEventId;
    this.#unsubscribe = registry.subscribe((events) => this.#publish(events));
  }

  /** Streams open now. */
  get size(): number {
    return this.#open;
  }

  #publish(events: readonly RegistryEvent[]): void {
    for (const event of events) {
      this.#recent.push({ event, bytes: encoder.encode(formatEvent(event)) });
    }
    const keep = this.#options.recent;
    if (this.#recent.length > 2 * keep) {
      const dropped = this.#recent.splice(0, this.#recent.length - keep);
      this.#floor = dropped.at(-1)!.event.id;
    }
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = Promise.withResolvers<void>();
    wake.resolve();
  }

  /** Index of the first recent event with an id above `id`. */
  #after(id: number): number {
    let lo = 0, hi = this.#recent.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#recent[mid]!.event.id <= id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #count(client: string, delta: number): void {
    this.#open += delta;
    const n = (this.#perClient.get(client) ?? 0) + delta;
    if (n <= 0) this.#perClient.delete(client);
    else this.#perClient.set(client, n);
    if (this.#open > 0 && this.#timer === undefined) {
      this.#timer = setInterval(() => {
        this.#beat++;
        this.#notify();
      }, this.#options.heartbeatMs);
    } else if (this.#open === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
    this.#onCount(this.#open);
  }

  /**
   * Open a stream for `client`: the stored events after `after` that match
   * `filter`, then the live ones, with heartbeats.
   *
   * @throws {HttpError} `too_many_streams` or `server_busy` at a cap,
   * {@linkcode RegistryError} `shutting_down` once closed.
   */
  open(
    client: string,
    after: number,
    filter: EventFilter,
  ): ReadableStream<Uint8Array> {
    if (this.#closed) {
      throw new RegistryError("shutting_down", "the registry is stopping");
    }
    const retry = { "retry-after": String(STREAM_RETRY_AFTER_SECONDS) };
    if (
      (this.#perClient.get(client) ?? 0) >= this.#options.maxStreamsPerClient
    ) {
      throw new HttpError(
        "too_many_streams",
        `this client has ${this.#options.maxStreamsPerClient} event streams open, the most it may`,
        retry,
      );
    }
    if (this.#open >= this.#options.maxStreams) {
      throw new HttpError(
        "server_busy",
        `the registry has ${this.#options.maxStreams} event streams open, the most it takes`,
        retry,
      );
    }
    this.#count(client, +1);

    const filtered = filter.node !== undefined ||
      filter.wallet !== undefined || filter.kinds !== undefined;
    let lastSent = after;
    let beat = this.#beat;
    let opened = false;
    let done = false;
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const finish = () => {
      if (done) return;
      done = true;
      this.#closers.delete(end);
      this.#count(client, -1);
    };
    const end = () => {
      finish();
      try {
        controller.close();
      } catch {
        // Already closed or cancelled.
      }
    };
    this.#closers.add(end);

    /** Enqueue what is due; false when there is nothing yet. */
    const produce = async (): Promise<boolean> => {
      const registry = this.#registry;
      if (!opened) {
        opened = true;
        controller.enqueue(OPENING);
        return true;
      }
      if (lastSent < this.#floor) {
        // Behind the shared window: a page from the database.
        const upTo = registry.lastEventId;
        const page = await this.#queries.events({
          after: lastSent,
          limit: this.#options.pageSize,
          ...filter,
        });
        if (done) return true;
        if (page.length > 0) {
          const text = page.map(formatEvent).join("");
          lastSent = page.at(-1)!.id;
          controller.enqueue(encoder.encode(text));
        }
        if (page.length < this.#options.pageSize) {
          lastSent = Math.max(lastSent, upTo);
        }
        return page.length > 0;
      }
      const recent = this.#recent;
      let i = this.#after(lastSent);
      let sent = 0;
      for (; i < recent.length && sent < this.#options.eventsPerPull; i++) {
        const f = recent[i]!;
        lastSent = f.event.id;
        if (filtered && !matchesFilter(f.event, filter)) continue;
        controller.enqueue(f.bytes);
        sent++;
      }
      return sent > 0;
    };

    return new ReadableStream<Uint8Array>({
      start: (c) => {
        controller = c;
      },
      pull: async () => {
        try {
          for (;;) {
            if (done) return;
            if (this.#closed) return end();
            const wake = this.#wake.promise;
            if (await produce()) {
              beat = this.#beat;
              return;
            }
            if (this.#beat !== beat) {
              beat = this.#beat;
              controller.enqueue(HEARTBEAT);
              return;
            }
            await wake;
          }
        } catch (e) {
          this.#log("event stream failed", e);
          end();
        }
      },
      cancel: () => {
        finish();
      },
    }, { highWaterMark: 1 });
  }

  /** End every stream and refuse new ones (shutdown). */
  close(): void {
    this.#closed = true;
    this.#unsubscribe();
    for (const end of [...this.#closers]) end();
    this.#notify();
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
