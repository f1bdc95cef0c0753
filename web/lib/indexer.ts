/**
 * Follows the registry's event stream for the explorer: catches up over JSON
 * pages from the first event, then follows the server-sent events live
 * (the client library reconnects and resumes). Keeps the recent events for
 * the overview, folds every event into the network's history, and fans live
 * events out to the explorer's own event stream (browsers connect to the
 * explorer, never to the registry).
 *
 * @module
 */

import type { RegistryClient } from "../../registry/client/api.ts";
import type { RegistryEventView } from "../../registry/client/types.ts";
import { decodeNodeList } from "../../registry/core/nodelist.ts";
import { UNASSIGNED_SWARM_ID } from "../../registry/core/swarm.ts";
import { HistoryBuilder, samplePoints } from "./history.ts";

/** Options of {@linkcode EventIndex}. */
export interface EventIndexOptions {
  /** Recent events kept in memory. Default 500. */
  recent?: number;
  /** History points kept. Default 4096. */
  historyPoints?: number;
  /** Lists fetched to backfill swarm counts. Default 48. */
  swarmSamples?: number;
  /** Called for every list published while following live. */
  onList?: (epoch: number) => void;
  /** Called when following fails or recovers. */
  onStatus?: (status: "open" | "closed", detail?: string) => void;
}

/** A follower of the registry's events. */
export class EventIndex {
  readonly history: HistoryBuilder;
  readonly #client: RegistryClient;
  readonly #recent: RegistryEventView[] = [];
  /** Recent events other than `list_*` ones (a few an epoch would crowd them out). */
  readonly #notable: RegistryEventView[] = [];
  readonly #recentMax: number;
  readonly #listeners = new Set<(e: RegistryEventView) => void>();
  readonly #options: EventIndexOptions;
  #lastId = 0;
  #caughtUp = false;
  #ready: Promise<void>;
  #resolveReady!: () => void;
  #live = false;

  constructor(client: RegistryClient, options: EventIndexOptions = {}) {
    this.#client = client;
    this.#options = options;
    this.#recentMax = options.recent ?? 500;
    this.history = new HistoryBuilder(options.historyPoints ?? 4096);
    this.#ready = new Promise((r) => this.#resolveReady = r);
  }

  /** The newest event id seen (0 before any). */
  get lastId(): number {
    return this.#lastId;
  }

  /** Whether the catch-up has finished. */
  get caughtUp(): boolean {
    return this.#caughtUp;
  }

  /** Whether the live stream is connected. */
  get live(): boolean {
    return this.#live;
  }

  /** Resolves once the stored events have been read. */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** Recent events, newest first, at most `n`, optionally of some kinds. */
  recent(n: number, kinds?: readonly string[]): RegistryEventView[] {
    const out: RegistryEventView[] = [];
    const from = kinds && !kinds.some(isListEvent)
      ? this.#notable
      : this.#recent;
    for (let i = from.length - 1; i >= 0 && out.length < n; i--) {
      const e = from[i]!;
      if (!kinds || kinds.includes(e.kind)) out.push(e);
    }
    return out;
  }

  /** Events after `id` still held in memory, oldest first, or null if some were dropped. */
  since(id: number): RegistryEventView[] | null {
    const first = this.#recent[0];
    if (first && first.id > id + 1 && this.#recent.length >= this.#recentMax) {
      return null;
    }
    return this.#recent.filter((e) => e.id > id);
  }

  /** Call `fn` with every new event; returns the unsubscribe function. */
  subscribe(fn: (e: RegistryEventView) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  #take(e: RegistryEventView): void {
    if (e.id <= this.#lastId) return;
    this.#lastId = e.id;
    this.history.add(e);
    for (const buffer of [this.#recent, this.#notable]) {
      if (buffer === this.#notable && isListEvent(e.kind)) continue;
      buffer.push(e);
      if (buffer.length > this.#recentMax) {
        buffer.splice(0, buffer.length - this.#recentMax);
      }
    }
  }

  /**
   * Catch up, then follow until `signal` aborts. Never throws: failures are
   * retried with backoff and reported through `onStatus`.
   */
  async run(signal: AbortSignal): Promise<void> {
    let delay = 250;
    while (!signal.aborted && !this.#caughtUp) {
      try {
        for (;;) {
          const page = await this.#client.events({
            after: this.#lastId,
            limit: 1000,
          });
          for (const e of page.events) this.#take(e);
          if (page.events.length < 1000 || signal.aborted) break;
        }
        this.#caughtUp = true;
      } catch (e) {
        this.#options.onStatus?.("closed", errorText(e));
        await abortableSleep(delay, signal);
        delay = Math.min(delay * 2, 10_000);
      }
    }
    this.#resolveReady();
    if (signal.aborted) return;
    this.#backfillSwarms(signal).catch(() => {});
    try {
      for await (
        const e of this.#client.eventStream({
          after: this.#lastId,
          signal,
          onStatus: (status, detail) => {
            this.#live = status === "open";
            this.#options.onStatus?.(status, detail);
          },
        })
      ) {
        if (e.id <= this.#lastId) continue;
        this.#take(e);
        if (e.kind === "list_published") {
          this.#options.onList?.(Number(e.data.epoch ?? e.epoch));
        }
        for (const fn of this.#listeners) {
          try {
            fn(e);
          } catch {
            // A listener's failure is its own.
          }
        }
      }
    } catch (e) {
      if (!signal.aborted) this.#options.onStatus?.("closed", errorText(e));
    }
    this.#live = false;
  }

  /** Swarm counts for sampled past lists, from the lists themselves. */
  async #backfillSwarms(signal: AbortSignal): Promise<void> {
    const n = this.#options.swarmSamples ?? 48;
    if (n <= 0) return;
    const info = await this.#client.info();
    const wanted = samplePoints(this.history.points, n).filter((p) =>
      p.swarms === null
    );
    const queue = [...wanted];
    const worker = async () => {
      while (!signal.aborted) {
        const p = queue.pop();
        if (!p) return;
        try {
          const bytes = await this.#client.listBytes(p.epoch);
          const list = decodeNodeList(bytes, info.networkId);
          const ids = new Set<bigint>();
          for (const r of list.records) {
            if (r.state === "active" && r.swarmId !== UNASSIGNED_SWARM_ID) {
              ids.add(r.swarmId);
            }
          }
          if (p.swarms === null) p.swarms = ids.size;
        } catch {
          // No longer kept (or unreadable): the chart leaves a gap.
        }
      }
    };
    await Promise.all([worker(), worker()]);
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

/** `list_published`, `list_cosigned`: about lists, several an epoch. */
function isListEvent(kind: string): boolean {
  return kind.startsWith("list_");
}
