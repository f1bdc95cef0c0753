/**
 * Onion path selection, after session-desktop's `onionPath.ts` and
 * libsession's defaults (network.md §5), with Tor's subnet rule (§8) as an
 * option:
 *
 * - **Guards**: 2 by default (at least 1), each tested with a real request
 *   before use, persisted in the store (`guards.json`) and reused across
 *   restarts - tested again first; a guard that fails its test is replaced
 *   by a random candidate that passes.
 * - **Paths**: one per guard, `[guard, relay, relay]` (3 hops). Nodes are
 *   drawn **without replacement** across all paths; a path holds at most one
 *   node per IPv4 /24 (the address with its last octet dropped), or per /16
 *   with `subnetBits: 16` (Tor's rule). Each relay is drawn **uniformly** from
 *   the nodes still allowed (rejection sampling on the pool, then an explicit
 *   draw from the allowed set if that keeps failing - both uniform on it).
 * - **Failures**: a node reported failing `strikeLimit` (3) times leaves the
 *   pool; where it was a relay it is replaced (excluding the path's other
 *   nodes and their subnets), where it was a guard its path is dropped with
 *   it. A path reported failing `pathFailureLimit` (3) times is dropped with
 *   its guard; the next request builds a new one with a new tested guard.
 *   A success resets the path's failure count.
 * - **Rotation**: a path older than `rotateAfterMs` (10 minutes, libsession)
 *   gets new relays, keeping its guard.
 * - The pool must hold more than 8 usable nodes (`minPool` 9).
 *
 * Deterministic under an injected {@linkcode RandomSource} and clock. The
 * onion encryption itself (X25519 per hop) is outside this module; each hop
 * carries the X25519 key it needs.
 *
 * @module
 */

import { fromHex, toHex } from "../core/bytes.ts";
import { isValidPublicKey, x25519FromEd25519 } from "../core/keys.ts";
import { ClientError } from "./client_errors.ts";
import { randomInt, type RandomSource } from "./random.ts";
import { type ClientStore, readJson, writeJson } from "./store.ts";
import type { NodeInfo } from "./swarms.ts";

/**
 * Options of {@linkcode PathSelector}; defaults in brackets.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const o: PathOptions = { subnetBits: 16 };
 * assert.equal(o.subnetBits, 16);
 * ```
 */
export interface PathOptions {
  /** Guards (and so paths) wanted [2]. */
  guards?: number;
  /** Fewest guards to work with [1]. */
  minGuards?: number;
  /** Hops per path, guard included [3]. */
  hops?: number;
  /** At most one node per /24 [24] or /16 (16) on a path. */
  subnetBits?: 24 | 16;
  /** Failures after which a node leaves the pool [3]. */
  strikeLimit?: number;
  /** Failures after which a path is dropped with its guard [3]. */
  pathFailureLimit?: number;
  /** Paths older than this get new relays, ms [600,000]. */
  rotateAfterMs?: number;
  /** Fewest usable nodes to build paths from [9]. */
  minPool?: number;
  /** Most candidate guards tested in one build [20]. */
  maxGuardTests?: number;
}

/**
 * A node on a path, with the X25519 key onion encryption needs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const h: PathHop = { pubkey: "ab".repeat(32), x25519: "cd".repeat(32), ip: "10.0.0.1",
 *   httpsPort: 1, quicPort: 1, version: [1, 0, 0], swarmId: null };
 * assert.equal(h.x25519.length, 64);
 * ```
 */
export interface PathHop extends NodeInfo {
  /** X25519 key derived from the Ed25519 key, hex. */
  x25519: string;
}

/**
 * An onion path: `hops[0]` is the guard.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const p: OnionPath = { id: 1, hops: [], builtAt: 0, failures: 0 };
 * assert.equal(p.failures, 0);
 * ```
 */
export interface OnionPath {
  /** Stable id, for failure reports. */
  readonly id: number;
  /** Guard first, then the relays. */
  hops: PathHop[];
  /** When its relays were drawn, unix ms. */
  builtAt: number;
  /** Consecutive failures reported. */
  failures: number;
}

/**
 * What {@linkcode PathSelector} is built from.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryStore } from "./store.ts";
 * import { seededRandom } from "./random.ts";
 * const deps: PathSelectorDeps = { store: new MemoryStore(), random: seededRandom(1),
 *   now: () => 0, testNode: () => Promise.resolve(true) };
 * assert.equal(typeof deps.testNode, "function");
 * ```
 */
export interface PathSelectorDeps {
  /** Where guards persist. */
  store: ClientStore;
  /** Every random choice. */
  random: RandomSource;
  /** Clock, unix ms. */
  now: () => number;
  /** A real request to the node; true when it answered well. */
  testNode: (node: NodeInfo) => Promise<boolean>;
  /** Tuning. */
  options?: PathOptions;
}

/**
 * The subnet of an IPv4 address: the first 3 octets for /24, 2 for /16.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(subnetOf("10.1.2.3", 24), "10.1.2");
 * assert.equal(subnetOf("10.1.2.3", 16), "10.1");
 * ```
 */
export function subnetOf(ip: string, bits: 24 | 16): string {
  const parts = ip.split(".");
  return parts.slice(0, bits === 24 ? 3 : 2).join(".");
}

/**
 * Draw the next hop of `path` uniformly among the pool's nodes that are not
 * in `used` and share no subnet with a node of `path`; undefined when none
 * is allowed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { seededRandom } from "./random.ts";
 * const node = (ip: string, i: number) => ({ pubkey: String(i).padStart(64, "0"), ip, httpsPort: 1,
 *   quicPort: 1, version: [1, 0, 0] as const, swarmId: null });
 * const pool = [node("10.0.0.1", 1), node("10.0.0.2", 2), node("10.0.1.1", 3)];
 * const next = chooseHop(pool, [pool[0]!], new Set([pool[0]!.pubkey]), seededRandom(1), 24);
 * assert.equal(next?.ip, "10.0.1.1");
 * assert.equal(chooseHop(pool, [pool[0]!], new Set([pool[0]!.pubkey]), seededRandom(1), 16), undefined);
 * ```
 */
export function chooseHop<T extends NodeInfo>(
  pool: readonly T[],
  path: readonly NodeInfo[],
  used: ReadonlySet<string>,
  random: RandomSource,
  subnetBits: 24 | 16,
): T | undefined {
  if (pool.length === 0) return undefined;
  const subnets = new Set(path.map((n) => subnetOf(n.ip, subnetBits)));
  const allowed = (n: NodeInfo) =>
    !used.has(n.pubkey) && !subnets.has(subnetOf(n.ip, subnetBits));
  // Rejection sampling: each draw is uniform on the pool, so an accepted one
  // is uniform on the allowed set. When most nodes are excluded, draw from
  // the allowed set directly (also uniform on it).
  for (let i = 0; i < 64; i++) {
    const n = pool[randomInt(random, pool.length)]!;
    if (allowed(n)) return n;
  }
  const rest = pool.filter(allowed);
  return rest.length === 0 ? undefined : rest[randomInt(random, rest.length)];
}

const GUARDS_KEY = "guards.json";

/**
 * Builds and maintains onion paths over a pool of nodes (see the module
 * documentation for the rules).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryStore } from "./store.ts";
 * import { seededRandom } from "./random.ts";
 * import { publicKeyOf } from "../core/keys.ts";
 * import { toHex } from "../core/bytes.ts";
 * const pool = Array.from({ length: 12 }, (_, i) => ({ pubkey: toHex(publicKeyOf(new Uint8Array(32).fill(i + 1))),
 *   ip: `10.0.${i}.1`, httpsPort: 22021, quicPort: 22020, version: [2, 11, 0] as const, swarmId: 0n }));
 * const paths = new PathSelector({ store: new MemoryStore(), random: seededRandom(7), now: () => 0,
 *   testNode: () => Promise.resolve(true) });
 * paths.setPool(pool);
 * const built = await paths.buildPaths();
 * assert.equal(built.length, 2);
 * assert.equal(built[0]!.hops.length, 3);
 * ```
 */
export class PathSelector {
  readonly #store: ClientStore;
  readonly #random: RandomSource;
  readonly #now: () => number;
  readonly #test: (node: NodeInfo) => Promise<boolean>;
  readonly #o: Required<PathOptions>;
  #pool: NodeInfo[] = [];
  #inPool = new Map<string, NodeInfo>();
  readonly #banned = new Set<string>();
  readonly #strikes = new Map<string, number>();
  #guards: NodeInfo[] = [];
  #loaded = false;
  #paths: OnionPath[] = [];
  #nextId = 1;
  #building: Promise<unknown> = Promise.resolve();

  /** A selector; call {@linkcode PathSelector.setPool} before building. */
  constructor(deps: PathSelectorDeps) {
    this.#store = deps.store;
    this.#random = deps.random;
    this.#now = deps.now;
    this.#test = deps.testNode;
    const o = deps.options ?? {};
    this.#o = {
      guards: o.guards ?? 2,
      minGuards: o.minGuards ?? 1,
      hops: o.hops ?? 3,
      subnetBits: o.subnetBits ?? 24,
      strikeLimit: o.strikeLimit ?? 3,
      pathFailureLimit: o.pathFailureLimit ?? 3,
      rotateAfterMs: o.rotateAfterMs ?? 10 * 60_000,
      minPool: o.minPool ?? 9,
      maxGuardTests: o.maxGuardTests ?? 20,
    };
    if (this.#o.minGuards < 1 || this.#o.minGuards > this.#o.guards) {
      throw new RangeError("need 1 <= minGuards <= guards");
    }
    if (this.#o.hops < 1) throw new RangeError("a path needs a hop");
  }

  /** The usable nodes (the pool minus struck-out nodes). */
  get pool(): readonly NodeInfo[] {
    return this.#pool;
  }

  /** The guards in use, tested. */
  get guards(): readonly NodeInfo[] {
    return this.#guards;
  }

  /** The paths built. */
  get paths(): readonly OnionPath[] {
    return this.#paths;
  }

  /** Strikes counted against a node. */
  strikes(pubkey: string): number {
    return this.#strikes.get(pubkey) ?? 0;
  }

  /**
   * Replace the pool (a new list). Paths through nodes that left are
   * dropped, and guards that left are forgotten.
   */
  setPool(nodes: readonly NodeInfo[]): void {
    this.#pool = nodes.filter((n) => !this.#banned.has(n.pubkey));
    this.#inPool = new Map(this.#pool.map((n) => [n.pubkey, n]));
    const before = this.#guards.length;
    this.#guards = this.#guards.filter((g) => this.#inPool.has(g.pubkey));
    this.#paths = this.#paths.filter((p) =>
      p.hops.every((h) => this.#inPool.has(h.pubkey))
    );
    if (this.#guards.length !== before) void this.#saveGuards();
  }

  /**
   * Make sure there are tested guards and a path per guard, and return the
   * paths.
   *
   * @throws {ClientError} `too_few_nodes` (a pool of 8 or fewer, or not
   * enough nodes in distinct subnets), `no_guards` (no candidate passed).
   */
  buildPaths(): Promise<OnionPath[]> {
    // Serialised: two callers must not test and pick guards at once.
    const run = this.#building.then(() => this.#build());
    this.#building = run.catch(() => {});
    return run;
  }

  async #build(): Promise<OnionPath[]> {
    if (this.#pool.length < this.#o.minPool) {
      throw new ClientError(
        "too_few_nodes",
        `cannot build onion paths: ${this.#pool.length} usable node(s) known, at least ${this.#o.minPool} needed`,
      );
    }
    await this.#ensureGuards();
    for (const guard of this.#guards) {
      if (this.#paths.some((p) => p.hops[0]!.pubkey === guard.pubkey)) {
        continue;
      }
      this.#paths.push({
        id: this.#nextId++,
        hops: this.#draw(guard),
        builtAt: this.#now(),
        failures: 0,
      });
    }
    return [...this.#paths];
  }

  /**
   * A path to use: built if needed, with its relays redrawn when it is older
   * than the rotation time, chosen at random among those not containing
   * `exclude` (e.g. the destination node).
   *
   * @throws {ClientError} as {@linkcode PathSelector.buildPaths}, or
   * `too_few_nodes` when every path contains `exclude`.
   */
  async getPath(options: { exclude?: string } = {}): Promise<OnionPath> {
    await this.buildPaths();
    const now = this.#now();
    for (const p of this.#paths) {
      if (now - p.builtAt >= this.#o.rotateAfterMs) this.#rotate(p);
    }
    const candidates = this.#paths.filter((p) =>
      !p.hops.some((h) => h.pubkey === options.exclude)
    );
    if (candidates.length === 0) {
      throw new ClientError(
        "too_few_nodes",
        `every onion path passes through ${options.exclude}`,
      );
    }
    return candidates[randomInt(this.#random, candidates.length)]!;
  }

  /** Redraw every path's relays now, keeping the guards. */
  rotate(): void {
    for (const p of this.#paths) this.#rotate(p);
  }

  /**
   * Count a failure of a node; at the strike limit it leaves the pool and
   * is replaced on its paths (a guard's path is dropped with it).
   */
  async reportNodeFailure(pubkey: string): Promise<void> {
    const n = (this.#strikes.get(pubkey) ?? 0) + 1;
    this.#strikes.set(pubkey, n);
    if (n < this.#o.strikeLimit) return;
    this.#banned.add(pubkey);
    this.#pool = this.#pool.filter((x) => x.pubkey !== pubkey);
    this.#inPool.delete(pubkey);
    const wasGuard = this.#guards.some((g) => g.pubkey === pubkey);
    this.#guards = this.#guards.filter((g) => g.pubkey !== pubkey);
    const keep: OnionPath[] = [];
    for (const p of this.#paths) {
      const i = p.hops.findIndex((h) => h.pubkey === pubkey);
      if (i < 0) {
        keep.push(p);
      } else if (i > 0) {
        const others = p.hops.filter((_, j) => j !== i);
        const used = this.#used();
        used.delete(pubkey);
        const next = this.#hop(others, used);
        if (next !== undefined) {
          p.hops[i] = next;
          keep.push(p);
        }
        // else: no replacement possible; the path is rebuilt on next use.
      }
    }
    this.#paths = keep;
    if (wasGuard) await this.#saveGuards();
  }

  /** Count a failure of a path; at the limit it is dropped with its guard. */
  async reportPathFailure(id: number): Promise<void> {
    const p = this.#paths.find((x) => x.id === id);
    if (p === undefined) return;
    if (++p.failures < this.#o.pathFailureLimit) return;
    this.#paths = this.#paths.filter((x) => x !== p);
    const guard = p.hops[0]!.pubkey;
    this.#guards = this.#guards.filter((g) => g.pubkey !== guard);
    await this.#saveGuards();
  }

  /** A request over the path worked: reset its failure count. */
  reportPathSuccess(id: number): void {
    const p = this.#paths.find((x) => x.id === id);
    if (p !== undefined) p.failures = 0;
  }

  async #ensureGuards(): Promise<void> {
    if (!this.#loaded) {
      this.#loaded = true;
      const saved = await readJson(this.#store, GUARDS_KEY);
      const keys = Array.isArray((saved as { guards?: unknown })?.guards)
        ? (saved as { guards: unknown[] }).guards.filter((k) =>
          typeof k === "string"
        ) as string[]
        : [];
      for (const k of keys) {
        if (this.#guards.length >= this.#o.guards) break;
        const node = this.#inPool.get(k);
        if (node === undefined || this.#guards.includes(node)) continue;
        if (await this.#tryGuard(node)) this.#guards.push(node);
      }
    }
    const before = this.#guards.map((g) => g.pubkey).join();
    const tried = new Set<string>();
    let tests = 0;
    while (
      this.#guards.length < this.#o.guards && tests < this.#o.maxGuardTests
    ) {
      const used = this.#used();
      for (const t of tried) used.add(t);
      const candidate = chooseHop(
        this.#pool,
        [],
        used,
        this.#random,
        this.#o.subnetBits,
      );
      if (candidate === undefined) break;
      tried.add(candidate.pubkey);
      tests++;
      if (await this.#tryGuard(candidate)) this.#guards.push(candidate);
    }
    if (this.#guards.length < this.#o.minGuards) {
      throw new ClientError(
        "no_guards",
        `cannot build onion paths: none of ${tests} candidate guard node(s) answered its test request`,
      );
    }
    if (this.#guards.map((g) => g.pubkey).join() !== before) {
      await this.#saveGuards();
    }
  }

  async #tryGuard(node: NodeInfo): Promise<boolean> {
    if (this.#x25519Of(node) === null) return false;
    let ok = false;
    try {
      ok = await this.#test(node);
    } catch {
      ok = false;
    }
    if (!ok) await this.reportNodeFailure(node.pubkey);
    return ok;
  }

  #saveGuards(): Promise<void> {
    return writeJson(this.#store, GUARDS_KEY, {
      guards: this.#guards.map((g) => g.pubkey),
    });
  }

  /** Nodes taken: every guard and every node on a path. */
  #used(): Set<string> {
    const used = new Set(this.#guards.map((g) => g.pubkey));
    for (const p of this.#paths) for (const h of p.hops) used.add(h.pubkey);
    return used;
  }

  #draw(guard: NodeInfo): PathHop[] {
    const hops: PathHop[] = [this.#asHop(guard)!];
    const used = this.#used();
    while (hops.length < this.#o.hops) {
      const next = this.#hop(hops, used);
      if (next === undefined) {
        throw new ClientError(
          "too_few_nodes",
          `cannot build a ${this.#o.hops}-hop path: too few usable nodes in distinct /${this.#o.subnetBits} subnets (${this.#pool.length} usable nodes)`,
        );
      }
      hops.push(next);
      used.add(next.pubkey);
    }
    return hops;
  }

  #rotate(p: OnionPath): void {
    const guard = p.hops[0]!;
    const others = this.#paths.filter((x) => x !== p);
    this.#paths = others;
    try {
      p.hops = this.#draw(guard);
      p.builtAt = this.#now();
      p.failures = 0;
    } finally {
      this.#paths = [...others, p];
    }
  }

  /** A uniform allowed hop whose key converts to X25519 (others are struck out). */
  #hop(path: readonly NodeInfo[], used: Set<string>): PathHop | undefined {
    for (;;) {
      const n = chooseHop(
        this.#pool,
        path,
        used,
        this.#random,
        this.#o.subnetBits,
      );
      if (n === undefined) return undefined;
      const hop = this.#asHop(n);
      if (hop !== undefined) return hop;
      // Not a valid Ed25519 key: no onion layer can be built for it.
      this.#banned.add(n.pubkey);
      this.#pool = this.#pool.filter((x) => x.pubkey !== n.pubkey);
      this.#inPool.delete(n.pubkey);
    }
  }

  #asHop(n: NodeInfo): PathHop | undefined {
    const x = this.#x25519Of(n);
    return x === null ? undefined : { ...n, x25519: x };
  }

  #x25519Of(n: NodeInfo): string | null {
    return x25519Hex(n.pubkey);
  }
}

/**
 * X25519 keys by Ed25519 key (hex), or null for a key that is not a valid
 * point. A point decompression each (~0.25 ms), so remembered: a client sees
 * the same few thousand nodes list after list. Bounded; cleared when full.
 */
const X25519_MEMO = new Map<string, string | null>();
const X25519_MEMO_LIMIT = 100_000;

function x25519Hex(pubkey: string): string | null {
  let x = X25519_MEMO.get(pubkey);
  if (x === undefined) {
    let key: Uint8Array | undefined;
    try {
      key = fromHex(pubkey, 32);
    } catch {
      key = undefined;
    }
    x = key !== undefined && isValidPublicKey(key)
      ? toHex(x25519FromEd25519(key))
      : null;
    if (X25519_MEMO.size >= X25519_MEMO_LIMIT) X25519_MEMO.clear();
    X25519_MEMO.set(pubkey, x);
  }
  return x;
}
