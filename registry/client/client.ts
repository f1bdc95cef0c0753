/**
 * The messenger client: bootstrap a verified node list from several sources
 * (with a persisted cache and a shipped fallback list behind them), keep it
 * up to date, map Session IDs to swarms, and build onion paths. The pieces
 * are in `bootstrap.ts`, `freshness.ts`, `fallback.ts`, `swarms.ts` and
 * `paths.ts`; this class wires them to one store, one clock and one source
 * of randomness, all injected, so it runs unchanged in browsers.
 *
 * @module
 */

import { parsePublicKey } from "../core/keys.ts";
import {
  majorityThreshold,
  type NodeList,
  verifyNodeList,
} from "../core/nodelist.ts";
import { NETWORK_IDS, type NetworkName } from "../core/params.ts";
import {
  byImportance,
  type ChainStatus,
  failureReport,
  type FetchContext,
  fetchFirstVerified,
  type HeldList,
  holdList,
  type SourceAnswer,
  type SourceFailed,
} from "./bootstrap.ts";
import { ClientError, type SourceFailureReport } from "./client_errors.ts";
import {
  departedNodes,
  type FallbackList,
  fallbackListBytes,
  parseFallbackList,
} from "./fallback.ts";
import {
  type FreshnessOptions,
  listLiveness,
  type Liveness,
} from "./freshness.ts";
import { type OnionPath, type PathOptions, PathSelector } from "./paths.ts";
import { cryptoRandom, randomInt, type RandomSource } from "./random.ts";
import { refreshDelayMs, type RefreshSchedule } from "./refresh_schedule.ts";
import { type ClientStore, MemoryStore, readJson, writeJson } from "./store.ts";
import {
  type NodeInfo,
  parseWrongSwarmAnswer,
  postToNode,
  SwarmCache,
  type SwarmEntry,
  SwarmMap,
  usableNodes,
} from "./swarms.ts";

/**
 * Options of {@linkcode Client.bootstrap}; defaults in brackets.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const o: ClientOptions = { network: "devnet", sources: ["http://127.0.0.1:22000"],
 *   pinnedKeys: ["ab".repeat(32)] };
 * assert.equal(o.network, "devnet");
 * ```
 */
export interface ClientOptions {
  /** The network lists must be for: a name or its id. */
  network: NetworkName | number;
  /** Registry or mirror base URLs, asked in parallel. */
  sources: readonly string[];
  /** Pinned registry public keys (hex or bytes); get them out of band. */
  pinnedKeys: readonly (string | Uint8Array)[];
  /** Valid signatures needed from distinct pinned keys [a strict majority]. */
  threshold?: number;
  /** Pinned witness keys (hex or bytes): lists need their co-signatures [none]. */
  witnessKeys?: readonly (string | Uint8Array)[];
  /** Co-signatures needed from `witnessKeys` [a strict majority of them]. */
  witnessThreshold?: number;
  /**
   * While the newest lists still gather their co-signatures, take the
   * newest of this many lists before them that has them [2]; 0: refuse.
   */
  maxCosignatureFallback?: number;
  /** Persistence [a new {@linkcode MemoryStore}]. */
  store?: ClientStore;
  /** Clock, unix ms [`Date.now`]. */
  now?: () => number;
  /** Randomness [{@linkcode cryptoRandom}]. */
  random?: RandomSource;
  /** The fetch to use [`globalThis.fetch`]. */
  fetch?: typeof fetch;
  /** The shipped fallback list: the file's JSON text or its parsed form. */
  fallback?: string | FallbackList;
  /** Per-request timeout, ms [5,000, as Session desktop]. */
  timeoutMs?: number;
  /** Retries per request after a network failure, timeout or 5xx [3]. */
  retries?: number;
  /** First retry pause, ms, doubling, with jitter [250]. */
  backoffMs?: number;
  /** Widest gap (epochs) whose chain links are all checked [16]. */
  maxChainWalk?: number;
  /** Freshness tolerances (see `freshness.ts`). */
  freshness?: FreshnessOptions;
  /** Onion path tuning (see `paths.ts`). */
  paths?: PathOptions;
  /** Test a candidate guard with a real request [a storage `info` RPC answered 200]. */
  testNode?: (node: NodeInfo) => Promise<boolean>;
  /** Scheme for storage node requests ["http"]. */
  nodeScheme?: "http" | "https";
  /** Called with every report as it happens. */
  onReport?: (report: ClientReport) => void;
}

/**
 * What happened that a user or operator may want to know; kept in
 * {@linkcode Client.reports} (the last 100) and passed to `onReport`.
 *
 * - `source_failed`: a source could not be used (`code` says why).
 * - `split_view`: a source served a list contradicting one seen.
 * - `clock_skew`: the local clock is off.
 * - `chain_unchecked`: a new list could not be linked to the one held.
 * - `reasonably_live`: the list in use is outside its validity window but within the tolerance.
 * - `used_cache` / `used_fallback`: every source failed; what stood in.
 * - `fallback_nodes_dropped`: nodes of the fallback list left out as probably unlocked.
 * - `wrong_swarm`: a storage node answered 421; the cached swarm was replaced.
 * - `refresh_failed`: a scheduled refresh failed (the list in use is kept).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const r: ClientReport = { kind: "used_cache", at: 0, detail: "every source failed" };
 * assert.equal(r.kind, "used_cache");
 * ```
 */
export interface ClientReport {
  /** What. */
  kind:
    | "source_failed"
    | "split_view"
    | "clock_skew"
    | "chain_unchecked"
    | "reasonably_live"
    | "used_cache"
    | "used_fallback"
    | "fallback_nodes_dropped"
    | "wrong_swarm"
    | "refresh_failed";
  /** When, unix ms. */
  at: number;
  /** The source or node concerned. */
  source?: string;
  /** A stable code, when there is one. */
  code?: string;
  /** For people. */
  detail: string;
}

/**
 * What {@linkcode Client.refresh} did.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const r: RefreshResult = { changed: false, epoch: 7, via: "unchanged", source: "http://a",
 *   chain: { checked: true, fromEpoch: 7, links: 0 }, liveness: "fresh", failures: [] };
 * assert.equal(r.changed, false);
 * ```
 */
export interface RefreshResult {
  /** Whether the list in use changed. */
  changed: boolean;
  /** The epoch of the list in use. */
  epoch: number;
  /** How it came: `unchanged` (304), `diff`, or `full`. */
  via: SourceAnswer["via"];
  /** The source that answered. */
  source: string;
  /** How the new list links to the previous one. */
  chain: ChainStatus;
  /** How usable it is. */
  liveness: Liveness;
  /** Sources that failed before one answered. */
  failures: SourceFailureReport[];
  /**
   * Set when the source's newest list still lacked the pinned witnesses'
   * co-signatures and an earlier one was taken (or the list in use kept).
   */
  cosignatureFallback?: { latestEpoch: number; reason: string };
}

export { refreshDelayMs, type RefreshSchedule };

const LIST_KEY = "list.bin";
const STATE_KEY = "state.json";
const SEEN_LIMIT = 1000;
const REPORT_LIMIT = 100;

type Origin = "source" | "cache" | "fallback";

/**
 * A messenger client's view of the network. Create it with
 * {@linkcode Client.bootstrap}; see `mod.ts` for a full example.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * await assert.rejects(
 *   Client.bootstrap({ network: "devnet", sources: ["http://127.0.0.1:1"], pinnedKeys: [],
 *     retries: 0 }),
 *   { name: "TypeError" },
 * );
 * ```
 */
export class Client {
  /** Network id. */
  readonly network: number;
  readonly #o: ClientOptions;
  readonly #keys: Uint8Array[];
  readonly #threshold: number;
  readonly #store: ClientStore;
  readonly #now: () => number;
  readonly #random: RandomSource;
  readonly #fetch: typeof fetch;
  readonly #swarms: SwarmCache;
  readonly #paths: PathSelector;
  readonly #reports: ClientReport[] = [];
  #seen = new Map<string, string>();
  #held!: HeldList;
  #origin: Origin = "source";
  #liveness: Liveness | null = null;
  #excluded: ReadonlySet<string> = new Set();
  #map!: SwarmMap;
  #refreshing: Promise<RefreshResult> | undefined;

  private constructor(options: ClientOptions) {
    this.#o = options;
    this.network = typeof options.network === "number"
      ? options.network
      : NETWORK_IDS[options.network];
    if (!Object.values(NETWORK_IDS).includes(this.network)) {
      throw new RangeError(`unknown network ${options.network}`);
    }
    if (options.pinnedKeys.length === 0) {
      throw new TypeError(
        "a client needs at least one pinned registry key (get them out of band, not from the registry)",
      );
    }
    this.#keys = options.pinnedKeys.map((k) =>
      typeof k === "string" ? parsePublicKey(k) : k
    );
    this.#threshold = options.threshold ??
      majorityThreshold(new Set(this.#keys.map((k) => k.join())).size);
    this.#store = options.store ?? new MemoryStore();
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? cryptoRandom();
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#swarms = new SwarmCache(this.#store);
    this.#paths = new PathSelector({
      store: this.#store,
      random: this.#random,
      now: this.#now,
      testNode: options.testNode ?? ((n) => this.#pingNode(n)),
      ...(options.paths ? { options: options.paths } : {}),
    });
  }

  /**
   * Get a verified list: from the sources (in parallel, first valid answer
   * wins), else the cached list if still reasonably live, else the shipped
   * fallback list.
   *
   * @throws {ClientError} `clock_skew` when the sources show the local clock
   * is off (no stand-in is used then: any list would be judged wrongly);
   * `no_list` when nothing usable is left (its `failures` say why each
   * source failed); `bad_fallback`. {@linkcode TypeError} /
   * {@linkcode RangeError} for bad options.
   */
  static async bootstrap(options: ClientOptions): Promise<Client> {
    const c = new Client(options);
    await c.#start();
    return c;
  }

  /** The list in use. */
  get list(): NodeList {
    return this.#held.list;
  }

  /** Its epoch. */
  get epoch(): number {
    return Number(this.#held.list.header.epoch);
  }

  /** Its body hash, hex. */
  get listHash(): string {
    return this.#held.hash;
  }

  /** Where it came from: a `source`, the `cache`, or the `fallback` list. */
  get origin(): Origin {
    return this.#origin;
  }

  /** Its liveness when adopted (null for a fallback list, whose age is expected). */
  get liveness(): Liveness | null {
    return this.#liveness;
  }

  /** Recent reports, oldest first. */
  get reports(): readonly ClientReport[] {
    return this.#reports;
  }

  /** The path selector (guards, paths, strikes). */
  get paths(): PathSelector {
    return this.#paths;
  }

  /** Active nodes with a usable address (minus fallback nodes probably gone). */
  nodes(): NodeInfo[] {
    return usableNodes(this.#held.list, this.#excluded);
  }

  /**
   * The swarm of a Session ID: a storage node's answer cached for it, else
   * the list's mapping.
   *
   * @throws {DecodeError} `bad_session_id`; {@linkcode ClientError} `no_swarm`.
   */
  swarmFor(sessionId: string): SwarmEntry {
    const cached = this.#swarms.get(sessionId);
    if (cached !== undefined) return cached;
    const { swarmId, members } = this.#map.lookup(sessionId);
    return { swarmId, members, from: "list", learnedAt: this.#now() };
  }

  /**
   * Handle a storage node's 421 "wrong swarm" answer for `sessionId`: the
   * cached swarm is replaced by the members it names.
   *
   * @throws {ClientError} `bad_swarm_answer`.
   */
  async wrongSwarm(sessionId: string, body: unknown): Promise<SwarmEntry> {
    const { swarmId, members } = parseWrongSwarmAnswer(body);
    const entry: SwarmEntry = {
      swarmId,
      members,
      from: "node",
      learnedAt: this.#now(),
    };
    await this.#swarms.set(sessionId, entry);
    return entry;
  }

  /**
   * One storage RPC for `sessionId` (`params.pubkey` is set to it) to a
   * random member of its swarm. A 421 answer replaces the cached swarm and
   * the request goes to the new swarm; a member that does not answer is
   * skipped. At most 4 attempts.
   *
   * @throws {ClientError} `node_request_failed` (another status, or no
   * member answered), `bad_swarm_answer`, `no_swarm`.
   */
  async storageRequest(
    sessionId: string,
    method: string,
    params: Record<string, unknown> = {},
  ): Promise<unknown> {
    const tried = new Set<string>();
    let last: unknown;
    for (let attempt = 0; attempt < 4; attempt++) {
      const swarm = this.swarmFor(sessionId);
      const fresh = swarm.members.filter((m) => !tried.has(m.pubkey));
      const pool = fresh.length > 0 ? fresh : swarm.members;
      const node = pool[randomInt(this.#random, pool.length)]!;
      tried.add(node.pubkey);
      let res: { status: number; body: unknown };
      try {
        res = await postToNode(node, method, { ...params, pubkey: sessionId }, {
          fetch: this.#fetch,
          timeoutMs: this.#o.timeoutMs ?? 5000,
          scheme: this.#o.nodeScheme ?? "http",
        });
      } catch (e) {
        last = e;
        continue;
      }
      if (res.status === 421) {
        const entry = await this.wrongSwarm(sessionId, res.body);
        this.#report({
          kind: "wrong_swarm",
          source: `${node.ip}:${node.httpsPort}`,
          detail: `node ${
            node.pubkey.slice(0, 16)
          }… is not in the swarm of ${sessionId}; it named swarm ${
            entry.swarmId ?? "?"
          } with ${entry.members.length} member(s), now cached`,
        });
        continue;
      }
      if (res.status >= 200 && res.status < 300) return res.body;
      throw new ClientError(
        "node_request_failed",
        `storage node ${node.ip}:${node.httpsPort} answered "${method}" with HTTP ${res.status}`,
      );
    }
    throw last instanceof ClientError ? last : new ClientError(
      "node_request_failed",
      `no storage node of the swarm of ${sessionId} took "${method}" after 4 attempts`,
      { cause: last },
    );
  }

  /**
   * Make sure guards are tested and paths built; the paths.
   *
   * @throws {ClientError} `too_few_nodes`, `no_guards`.
   */
  buildPaths(): Promise<OnionPath[]> {
    return this.#paths.buildPaths();
  }

  /**
   * A path for a request (rotated when old), avoiding `exclude`.
   *
   * @throws {ClientError} `too_few_nodes`, `no_guards`.
   */
  getPath(options: { exclude?: string } = {}): Promise<OnionPath> {
    return this.#paths.getPath(options);
  }

  /**
   * Fetch a newer list: a conditional request (ETag) per source, diffs
   * when the source has them, the full list otherwise. The list in use is
   * kept when every source fails.
   *
   * @throws {ClientError} `clock_skew`, `split_view`, `rollback` when that is
   * why the sources failed; `no_list` otherwise.
   */
  refresh(options: { signal?: AbortSignal } = {}): Promise<RefreshResult> {
    // One refresh at a time: a second call while one runs shares its result.
    this.#refreshing ??= this.#refresh(options).finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #refresh(options: { signal?: AbortSignal }): Promise<RefreshResult> {
    const r = await fetchFirstVerified(
      this.#o.sources,
      this.#context(this.#held),
      options.signal,
    );
    if (!r.ok) {
      this.#reportFailures(r.failures);
      const top = byImportance(r.failures)[0];
      const e = top?.error;
      if (
        e instanceof ClientError &&
        (e.code === "clock_skew" || e.code === "split_view" ||
          e.code === "rollback")
      ) throw e;
      throw this.#noList(r.failures, `keeping list ${this.epoch}`);
    }
    this.#reportFailures(r.failures);
    const changed = r.result.held.hash !== this.#held.hash;
    await this.#adopt(r.result);
    return {
      changed,
      epoch: this.epoch,
      via: r.result.via,
      source: r.result.source,
      chain: r.result.chain,
      liveness: r.result.liveness,
      failures: r.failures.map(failureReport),
      ...(r.result.cosignatureFallback
        ? { cosignatureFallback: r.result.cosignatureFallback }
        : {}),
    };
  }

  /**
   * Refresh on the {@linkcode RefreshSchedule} until `signal` aborts or the
   * returned function is called. Failures become `refresh_failed` reports.
   */
  startAutoRefresh(
    options: { signal?: AbortSignal; schedule?: RefreshSchedule } = {},
  ): () => void {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stop = () => {
      stopped = true;
      clearTimeout(timer);
    };
    options.signal?.addEventListener("abort", stop, { once: true });
    const schedule = (first: boolean) => {
      if (stopped) return;
      timer = setTimeout(async () => {
        try {
          await this.refresh(
            options.signal ? { signal: options.signal } : {},
          );
        } catch (e) {
          this.#report({
            kind: "refresh_failed",
            ...(e instanceof ClientError ? { code: e.code } : {}),
            detail: e instanceof Error ? e.message : String(e),
          });
        }
        schedule(false);
      }, refreshDelayMs(this.#random, first, options.schedule));
    };
    schedule(true);
    return stop;
  }

  // -------------------------------------------------------------------------

  #context(held: HeldList | undefined): FetchContext {
    return {
      network: this.network,
      trustedKeys: this.#keys,
      threshold: this.#threshold,
      held,
      seen: this.#seen,
      nowMs: this.#now,
      fetch: this.#fetch,
      timeoutMs: this.#o.timeoutMs ?? 5000,
      retries: this.#o.retries ?? 3,
      backoffMs: this.#o.backoffMs ?? 250,
      random: this.#random,
      maxChainWalk: this.#o.maxChainWalk ?? 16,
      freshness: this.#o.freshness ?? {},
      witnessKeys: (this.#o.witnessKeys ?? []).map((k) =>
        typeof k === "string" ? parsePublicKey(k) : k
      ),
      ...(this.#o.witnessThreshold === undefined
        ? {}
        : { witnessThreshold: this.#o.witnessThreshold }),
      ...(this.#o.maxCosignatureFallback === undefined
        ? {}
        : { maxCosignatureFallback: this.#o.maxCosignatureFallback }),
    };
  }

  async #start(): Promise<void> {
    await this.#swarms.load();
    const state = await readJson(this.#store, STATE_KEY) as
      | { seen?: [string, string][] }
      | undefined;
    if (Array.isArray(state?.seen)) {
      for (const item of state.seen) {
        if (
          Array.isArray(item) && typeof item[0] === "string" &&
          typeof item[1] === "string"
        ) this.#seen.set(item[0], item[1]);
      }
    }
    let cached: HeldList | undefined;
    const bytes = await this.#store.get(LIST_KEY);
    if (bytes !== undefined) {
      try {
        cached = holdList(bytes, this.network);
        verifyNodeList(cached.list, this.#keys, { threshold: this.#threshold });
      } catch {
        cached = undefined; // not ours (other keys or network): ignore it
      }
    }

    const r = await fetchFirstVerified(this.#o.sources, this.#context(cached));
    this.#reportFailures(r.failures);
    if (r.ok) {
      await this.#adopt(r.result);
      return;
    }
    const top = byImportance(r.failures)[0]?.error;
    if (top instanceof ClientError && top.code === "clock_skew") throw top;

    if (cached !== undefined) {
      let liveness: Liveness | undefined;
      try {
        liveness = listLiveness(
          cached.list.header,
          this.#now() / 1000,
          this.#o.freshness,
        );
      } catch (e) {
        this.#report({
          kind: "source_failed",
          source: "cache",
          ...(e instanceof ClientError ? { code: e.code } : {}),
          detail: `the cached list cannot stand in: ${
            e instanceof Error ? e.message : e
          }`,
        });
      }
      if (liveness !== undefined) {
        this.#use(cached, "cache", liveness, new Set());
        this.#report({
          kind: "used_cache",
          detail:
            `every source failed; using the cached list ${this.epoch} (${liveness})`,
        });
        return;
      }
    }

    if (this.#o.fallback !== undefined) {
      const fallback = parseFallbackList(this.#o.fallback);
      if (NETWORK_IDS[fallback.network] !== this.network) {
        throw new ClientError(
          "bad_fallback",
          `the fallback list is for ${fallback.network}, not network ${this.network}`,
        );
      }
      let held: HeldList;
      try {
        held = holdList(fallbackListBytes(fallback), this.network);
        verifyNodeList(held.list, this.#keys, { threshold: this.#threshold });
      } catch (e) {
        if (e instanceof ClientError) throw e;
        throw new ClientError(
          "bad_fallback",
          `the fallback list does not verify against the pinned keys: ${
            e instanceof Error ? e.message : e
          }`,
          { cause: e },
        );
      }
      const gone = departedNodes(fallback, held.list, this.#now() / 1000);
      this.#use(held, "fallback", null, gone);
      this.#report({
        kind: "used_fallback",
        detail: `every source failed${
          cached ? " and the cached list is too old" : ""
        }; using the shipped fallback list ${this.epoch} (exported ${
          new Date(fallback.exportedAt * 1000).toISOString()
        })`,
      });
      if (gone.size > 0) {
        this.#report({
          kind: "fallback_nodes_dropped",
          detail:
            `${gone.size} node(s) of the fallback list have probably unlocked and left by now; left out`,
        });
      }
      return;
    }
    throw this.#noList(r.failures, "no cached or fallback list to use");
  }

  #noList(failures: SourceFailed[], tail: string): ClientError {
    const reports = byImportance(failures).map(failureReport);
    return new ClientError(
      "no_list",
      `no source gave a usable node list (${tail}): ${
        reports.length === 0
          ? "no sources configured"
          : reports.map((f) => `${f.source}: ${f.detail}`).join("; ")
      }`,
      { failures: reports },
    );
  }

  async #adopt(r: SourceAnswer): Promise<void> {
    for (const v of r.verified) this.#seen.set(v.epoch, v.hash);
    this.#seen.set(String(r.held.list.header.epoch), r.held.hash);
    while (this.#seen.size > SEEN_LIMIT) {
      this.#seen.delete(this.#seen.keys().next().value!);
    }
    const changed = this.#held === undefined ||
      this.#held.hash !== r.held.hash;
    this.#use(r.held, "source", r.liveness, new Set());
    if (!r.chain.checked && r.chain.reason !== "no list held before") {
      this.#report({
        kind: "chain_unchecked",
        source: r.source,
        detail: r.chain.reason,
      });
    }
    if (r.liveness === "reasonably_live") {
      this.#report({
        kind: "reasonably_live",
        source: r.source,
        detail:
          `list ${this.epoch} is outside its validity window but within the tolerance: the registry may be stuck`,
      });
    }
    if (changed) {
      await this.#store.set(LIST_KEY, r.held.bytes);
      await this.#swarms.dropBefore(
        Number(r.held.list.header.validAfter) * 1000,
      );
    }
    await writeJson(this.#store, STATE_KEY, { seen: [...this.#seen] });
  }

  #use(
    held: HeldList,
    origin: Origin,
    liveness: Liveness | null,
    excluded: ReadonlySet<string>,
  ): void {
    this.#held = held;
    this.#origin = origin;
    this.#liveness = liveness;
    this.#excluded = excluded;
    this.#map = new SwarmMap(held.list, excluded);
    this.#paths.setPool(usableNodes(held.list, excluded));
  }

  #reportFailures(failures: readonly SourceFailed[]): void {
    for (const f of failures) {
      const r = failureReport(f);
      if (r.code === "aborted") continue;
      this.#report({
        kind: r.code === "split_view"
          ? "split_view"
          : r.code === "clock_skew"
          ? "clock_skew"
          : "source_failed",
        source: r.source,
        code: r.code,
        detail: r.detail,
      });
    }
  }

  #report(r: Omit<ClientReport, "at">): void {
    const report = { at: this.#now(), ...r } as ClientReport;
    this.#reports.push(report);
    if (this.#reports.length > REPORT_LIMIT) this.#reports.shift();
    this.#o.onReport?.(report);
  }

  async #pingNode(node: NodeInfo): Promise<boolean> {
    try {
      const res = await postToNode(node, "info", {}, {
        fetch: this.#fetch,
        timeoutMs: this.#o.timeoutMs ?? 5000,
        scheme: this.#o.nodeScheme ?? "http",
      });
      return res.status === 200;
    } catch {
      return false;
    }
  }
}
