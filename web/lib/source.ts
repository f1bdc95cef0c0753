/**
 * Everything the explorer reads, through the registry's HTTP API (the client
 * library) only, so the explorer can run on another machine than the
 * registry. Caches what every page needs (`/v1/info`, the snapshot of all
 * nodes, decoded lists) for a short while, sharing one fetch between
 * concurrent requests.
 *
 * @module
 */

import { RegistryClient } from "../../registry/client/api.ts";
import type { InfoView } from "../../registry/client/types.ts";
import { decodeNodeList, type NodeList } from "../../registry/core/nodelist.ts";
import { newestEventId } from "./events.ts";
import { EventIndex } from "./indexer.ts";
import { buildSnapshot, type Snapshot } from "./snapshot.ts";

/** Options of {@linkcode ExplorerData}. */
export interface ExplorerDataOptions {
  /**
   * How old the node snapshot may get before it is refreshed, ms. Default
   * 3,000; at least four times the last refresh's duration (unless 0).
   */
  snapshotMaxAgeMs?: number;
  /**
   * Serve a stale snapshot (up to a minute old) at once while a fresh one is
   * fetched in the background. Default true; tests turn it off.
   */
  staleWhileRevalidate?: boolean;
  /** How old `/v1/info` may get, ms. Default 1,000. */
  infoMaxAgeMs?: number;
  /** Per-request timeout towards the registry, ms. Default 10,000. */
  timeoutMs?: number;
  /** The fetch to use. */
  fetch?: typeof fetch;
}

interface Cached<T> {
  value: T;
  at: number;
}

/** The explorer's view of one registry. */
export class ExplorerData {
  readonly client: RegistryClient;
  readonly index: EventIndex;
  readonly #options: ExplorerDataOptions;
  #info: Cached<InfoView> | null = null;
  #infoPending: Promise<InfoView> | null = null;
  #snapshot: Snapshot | null = null;
  #snapshotPending: Promise<Snapshot> | null = null;
  #lastSnapshotMs = 0;
  readonly #lists = new Map<number, { bytes: Uint8Array; list: NodeList }>();
  readonly #proofs = new Map<string, number[]>();

  constructor(registryUrl: string, options: ExplorerDataOptions = {}) {
    this.#options = options;
    this.client = new RegistryClient(registryUrl, {
      timeoutMs: options.timeoutMs ?? 10_000,
      retries: 1,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    this.index = new EventIndex(this.client, {
      onList: (epoch) => {
        // Record the live swarm count for that list's point of history.
        this.info(0).then((info) => {
          if (info.latestList?.epoch === epoch) {
            this.index.history.setSwarms(epoch, info.swarms);
          }
        }).catch(() => {});
      },
    });
  }

  /** The registry's base URL. */
  get registryUrl(): string {
    return this.client.baseUrl;
  }

  /** `GET /v1/info`, cached for `maxAgeMs`. */
  info(maxAgeMs?: number): Promise<InfoView> {
    maxAgeMs ??= this.#options.infoMaxAgeMs ?? 1_000;
    const now = Date.now();
    if (this.#info && now - this.#info.at <= maxAgeMs) {
      return Promise.resolve(this.#info.value);
    }
    this.#infoPending ??= this.client.info().then((value) => {
      this.#info = { value, at: Date.now() };
      return value;
    }).finally(() => this.#infoPending = null);
    return this.#infoPending;
  }

  /** Every node, indexed; refreshed when older than the configured age. */
  snapshot(): Promise<Snapshot> {
    // Never spend more than about a fifth of the time refreshing: at 10,000
    // nodes a snapshot takes seconds on a busy machine.
    const maxAge = Math.max(
      this.#options.snapshotMaxAgeMs ?? 3_000,
      this.#options.snapshotMaxAgeMs === 0 ? 0 : 4 * this.#lastSnapshotMs,
    );
    const current = this.#snapshot;
    const age = current ? Date.now() - current.takenAt : Infinity;
    if (current && age <= maxAge) return Promise.resolve(current);
    const pending = this.#snapshotPending ??= this.#takeSnapshot().finally(
      () => this.#snapshotPending = null,
    );
    if (
      current && (this.#options.staleWhileRevalidate ?? true) && age < 60_000
    ) {
      pending.catch(() => {});
      return Promise.resolve(current);
    }
    return pending;
  }

  async #takeSnapshot(): Promise<Snapshot> {
    const takenAt = Date.now();
    const [info, nodes, open] = await Promise.all([
      this.info(0),
      this.client.allNodes({ limit: 500 }, 1_000_000),
      this.client.openNodes(),
    ]);
    const snapshot = buildSnapshot(nodes, {
      takenAt,
      registryNow: info.now,
      epoch: info.epoch,
      open,
    });
    if (info.latestList) {
      this.index.history.setSwarms(info.latestList.epoch, snapshot.swarms.size);
    }
    for (const n of snapshot.nodes) {
      if (n.lastProofAt === null) continue;
      let seen = this.#proofs.get(n.pubkey);
      if (!seen) this.#proofs.set(n.pubkey, seen = []);
      // Ages are whole seconds: a proof seen again may differ by one.
      if (seen.length === 0 || n.lastProofAt - seen.at(-1)! > 1) {
        seen.push(n.lastProofAt);
        if (seen.length > 48) seen.shift();
      }
    }
    this.#snapshot = snapshot;
    this.#lastSnapshotMs = Date.now() - takenAt;
    return snapshot;
  }

  /**
   * Times (unix seconds) of the uptime proofs this explorer has seen for a
   * node, oldest first: the registry keeps only the latest, so the explorer
   * notes each new one when it refreshes its snapshot.
   */
  proofsSeen(pubkey: string): number[] {
    return [...(this.#proofs.get(pubkey) ?? [])];
  }

  /**
   * One past the newest event id: from the follower when it has caught up,
   * else probed from the registry.
   */
  async eventBound(): Promise<number> {
    if (this.index.caughtUp) return this.index.lastId + 1;
    return (await newestEventId(this.client)) + 1;
  }

  /**
   * A list by epoch (or the latest), bytes and decoded. A list's identity
   * never changes, but witnesses' co-signatures arrive after it is
   * published: a list is kept only once every configured witness co-signed
   * it (or it is a v1 list, which has none).
   */
  async list(
    which: number | "latest",
  ): Promise<{ bytes: Uint8Array; list: NodeList }> {
    if (typeof which === "number") {
      const hit = this.#lists.get(which);
      if (hit) return hit;
    }
    const [info, bytes] = await Promise.all([
      this.info(),
      this.client.listBytes(which),
    ]);
    const list = decodeNodeList(bytes, info.networkId);
    const entry = { bytes, list };
    const complete = list.cosignatures === undefined ||
      list.cosignatures.length >= (info.witnesses?.length ?? 0);
    if (complete) this.#lists.set(Number(list.header.epoch), entry);
    while (this.#lists.size > 8) {
      this.#lists.delete(this.#lists.keys().next().value!);
    }
    return entry;
  }
}
