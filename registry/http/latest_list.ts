/**
 * The latest published list, held in memory: its signed bytes, its facts
 * (epoch, hash, fresh-until, valid-until) and its gzip and br encodings
 * (each computed once, on first demand), so `GET /v1/lists/latest` and
 * `/v1/health` never touch the database.
 *
 * It is replaced whenever the registry publishes an event about lists
 * (`list_published` after a tick, and any later `list_*` kind, e.g.
 * cosignatures attached to a published list): the facade publishes events
 * only after their transaction committed, and a process following a shared
 * database publishes the events it syncs, so every process drops its copy
 * once the database has a newer one. A held list is identified by its
 * epoch, body hash and byte length (signatures added later change the
 * length), never by the epoch alone; its co-signatures are counted in its
 * ETag and, until every configured witness co-signed, make it `no-cache`.
 *
 * @module
 */

import { splitNodeList } from "../core/nodelist.ts";
import type { Registry } from "../registry.ts";
import type { StoredList } from "../store/lists.ts";
import { compress } from "./list_cache.ts";
import type { Encoding } from "./negotiate.ts";

/** The latest list as served. */
export interface LatestEntry {
  /** Epoch of the list. */
  epoch: number;
  /** Body hash, hex. */
  hash: string;
  /** Nodes in it. */
  nodeCount: number;
  /** Unix seconds it was published. */
  publishedAt: number;
  /** Unix seconds, from the header. */
  freshUntil: number;
  /** Unix seconds, from the header. */
  validUntil: number;
  /** The signed bytes. */
  bytes: Uint8Array;
  /** `epoch/hash/length`: what identifies these exact bytes. */
  identity: string;
  /** Witness co-signatures attached so far (a v2 list's only mutable part). */
  cosignatures: number;
  /** A v2 list some configured witness has not co-signed yet: it may still change. */
  gathering: boolean;
  /** The bytes in a coding: identity at once, gzip and br once computed. */
  encoded(encoding: Encoding): Uint8Array | undefined;
  /** The bytes in a coding, computing it on first demand (shared by concurrent callers). */
  encode(encoding: Encoding): Promise<Uint8Array>;
}

function entryOf(
  list: StoredList,
  network: number,
  witnesses: number,
): LatestEntry {
  const { header, version } = splitNodeList(list.bytes, network);
  const done = new Map<Encoding, Uint8Array>([["identity", list.bytes]]);
  const pending = new Map<Encoding, Promise<Uint8Array>>();
  return {
    epoch: list.epoch,
    hash: list.hash,
    nodeCount: list.nodeCount,
    publishedAt: list.publishedAt,
    freshUntil: Number(header.freshUntil),
    validUntil: Number(header.validUntil),
    bytes: list.bytes,
    identity: `${list.epoch}/${list.hash}/${list.bytes.length}`,
    cosignatures: list.cosignatures,
    gathering: version === 2 && list.cosignatures < witnesses,
    encoded: (encoding) => done.get(encoding),
    encode(encoding) {
      const ready = done.get(encoding);
      if (ready) return Promise.resolve(ready);
      let p = pending.get(encoding);
      if (!p) {
        p = compress(list.bytes, encoding).then((b) => {
          done.set(encoding, b);
          return b;
        });
        p.catch(() => pending.delete(encoding));
        pending.set(encoding, p);
      }
      return p;
    },
  };
}

/** The latest list of one registry, in memory. */
export class LatestList {
  readonly #registry: Registry;
  #entry: LatestEntry | null = null;
  /** The last list loaded, kept through invalidations (see `lastKnown`). */
  #last: LatestEntry | null = null;
  #loading: Promise<LatestEntry | null> | null = null;
  /** Bumped on every invalidation: a load started before one is not kept. */
  #generation = 0;
  readonly #unsubscribe: () => void;

  constructor(registry: Registry) {
    this.#registry = registry;
    this.#unsubscribe = registry.subscribe((events) => {
      if (events.some((e) => e.kind.startsWith("list_"))) this.invalidate();
    });
  }

  /** The list held now, or null while (re)loading or before the first request. */
  current(): LatestEntry | null {
    return this.#entry;
  }

  /** The latest list, loaded from the store if not held; null when none is published. */
  get(): Promise<LatestEntry | null> {
    if (this.#entry) return Promise.resolve(this.#entry);
    if (this.#loading) return this.#loading;
    const generation = this.#generation;
    const load = this.#load().then((entry) => {
      if (generation === this.#generation) {
        this.#entry = entry;
        this.#loading = null;
      }
      if (entry !== null) this.#last = entry;
      return entry;
    }, (e) => {
      if (generation === this.#generation) this.#loading = null;
      throw e;
    });
    this.#loading = load;
    return load;
  }

  /**
   * The last list loaded, even one since replaced: for liveness while the
   * database does not answer (a newer list may exist). Null before the first.
   */
  lastKnown(): LatestEntry | null {
    return this.#entry ?? this.#last;
  }

  /** Forget the held list (a newer one, or new signatures, were committed) and load the new one. */
  invalidate(): void {
    this.#generation++;
    this.#entry = null;
    this.#loading = null;
    this.get().catch(() => {});
  }

  /** Stop following the registry's events. */
  close(): void {
    this.#unsubscribe();
  }

  async #load(): Promise<LatestEntry | null> {
    const lists = this.#registry.store.read.lists;
    const meta = await lists.latest();
    if (!meta) return null;
    const stored = await lists.find(meta.epoch);
    return stored
      ? entryOf(
        stored,
        this.#registry.params.id,
        this.#registry.witnesses.length,
      )
      : null;
  }
}

/**
 * `Cache-Control` of the latest list: cacheable until its fresh-until time,
 * except while it gathers co-signatures (`no-cache`: caches revalidate by
 * ETag, which counts the co-signatures).
 */
export function latestCacheControl(entry: LatestEntry, now: number): string {
  if (entry.gathering) return "no-cache";
  return `public, max-age=${Math.max(0, entry.freshUntil - now)}`;
}

/**
 * The ETag base of a list: its hash and format, and once co-signed the
 * number of co-signatures (`<hash>.<format>`, then `<hash>.c<n>.<format>`),
 * so a client holding fewer co-signatures sees the list changed.
 */
export function listEtagBase(
  hash: string,
  cosignatures: number,
  format: "bin" | "json",
): string {
  return cosignatures === 0
    ? `${hash}.${format}`
    : `${hash}.c${cosignatures}.${format}`;
}
