/**
 * Onion path selection over 10,000 generated nodes: the subnet rule, draws
 * without replacement, persisted and re-tested guards, strikes, path
 * failures, rotation, and a chi-square test that each hop is uniform on the
 * nodes allowed for it. Everything runs from fixed seeds.
 */

import assert from "node:assert/strict";
import { ed25519 } from "@noble/curves/ed25519.js";
import { toHex } from "../core/bytes.ts";
import { chooseHop, type OnionPath, PathSelector, subnetOf } from "./paths.ts";
import { randomInt, type RandomSource, seededRandom } from "./random.ts";
import { MemoryStore } from "./store.ts";
import type { NodeInfo } from "./swarms.ts";

/**
 * `n` nodes with valid Ed25519 keys, spread over 200 /16s and 2,000 /24s
 * (about 5 nodes per /24, unevenly), so the subnet rule bites.
 */
function generateNodes(n: number, seed: string): NodeInfo[] {
  const r = seededRandom(seed);
  const out: NodeInfo[] = [];
  // Valid Ed25519 keys, cheaply: the points G*5, G*6, ... (successive
  // additions, not a scalar multiplication per key).
  let point = ed25519.Point.BASE.multiply(5n);
  for (let i = 0; i < n; i++) {
    const k16 = randomInt(r, 200);
    out.push({
      pubkey: toHex(point.toBytes()),
      ip: `${20 + Math.floor(k16 / 100)}.${k16 % 100}.${randomInt(r, 10)}.${
        1 + (i % 250)
      }`,
      httpsPort: 22021,
      quicPort: 22020,
      version: [2, 11, 0],
      swarmId: 0n,
    });
    point = point.add(ed25519.Point.BASE);
  }
  return out;
}

const NODES = generateNodes(10_000, "paths-test");

function selector(
  options: {
    store?: MemoryStore;
    random?: RandomSource;
    now?: () => number;
    test?: (n: NodeInfo) => Promise<boolean>;
    guards?: number;
    subnetBits?: 24 | 16;
  } = {},
): PathSelector {
  const s = new PathSelector({
    store: options.store ?? new MemoryStore(),
    random: options.random ?? seededRandom("selector"),
    now: options.now ?? (() => 0),
    testNode: options.test ?? (() => Promise.resolve(true)),
    options: {
      ...(options.guards === undefined ? {} : { guards: options.guards }),
      ...(options.subnetBits === undefined
        ? {}
        : { subnetBits: options.subnetBits }),
    },
  });
  s.setPool(NODES);
  return s;
}

function checkPaths(paths: readonly OnionPath[], bits: 24 | 16): void {
  const everywhere = new Set<string>();
  for (const p of paths) {
    assert.equal(p.hops.length, 3);
    const subnets = new Set(p.hops.map((h) => subnetOf(h.ip, bits)));
    assert.equal(
      subnets.size,
      3,
      `two hops share a /${bits}: ${p.hops.map((h) => h.ip)}`,
    );
    for (const h of p.hops) {
      assert(!everywhere.has(h.pubkey), "a node is on two paths");
      everywhere.add(h.pubkey);
    }
  }
}

Deno.test("paths over 10,000 nodes: no two hops of a path share a /24 (or a /16), no node on two paths", async () => {
  for (const bits of [24, 16] as const) {
    const s = selector({
      subnetBits: bits,
      random: seededRandom(`rule-${bits}`),
    });
    checkPaths(await s.buildPaths(), bits);
    for (let i = 0; i < 2000; i++) {
      s.rotate();
      checkPaths(s.paths, bits);
    }
  }
  // Fresh selectors, fresh guards: the same holds.
  for (let i = 0; i < 100; i++) {
    const s = selector({ random: seededRandom(`fresh-${i}`) });
    const paths = await s.buildPaths();
    assert.equal(paths.length, 2);
    checkPaths(paths, 24);
    assert.deepEqual(
      paths.map((p) => p.hops[0]!.pubkey),
      s.guards.map((g) => g.pubkey),
    );
  }
});

Deno.test("paths: the same seed gives the same paths", async () => {
  const a = await selector({ random: seededRandom("same") }).buildPaths();
  const b = await selector({ random: seededRandom("same") }).buildPaths();
  assert.deepEqual(
    a.map((p) => p.hops.map((h) => h.pubkey)),
    b.map((p) => p.hops.map((h) => h.pubkey)),
  );
});

Deno.test("guards are tested, persisted, and reused (tested again) after a restart", async () => {
  const store = new MemoryStore();
  const tested: string[] = [];
  const first = selector({
    store,
    random: seededRandom("first"),
    test: (n) => {
      tested.push(n.pubkey);
      return Promise.resolve(true);
    },
  });
  await first.buildPaths();
  const guards = first.guards.map((g) => g.pubkey);
  assert.deepEqual(tested, guards, "every guard was tested before use");
  assert.deepEqual(
    JSON.parse(new TextDecoder().decode(await store.get("guards.json"))),
    { guards },
  );

  // A restart: another selector on the same store, another seed.
  const retested: string[] = [];
  const second = selector({
    store,
    random: seededRandom("second"),
    test: (n) => {
      retested.push(n.pubkey);
      return Promise.resolve(true);
    },
  });
  const paths = await second.buildPaths();
  assert.deepEqual(second.guards.map((g) => g.pubkey), guards);
  assert.deepEqual(paths.map((p) => p.hops[0]!.pubkey), guards);
  assert.deepEqual(
    retested,
    guards,
    "persisted guards are tested again, nothing else",
  );

  // A persisted guard that now fails its test is replaced by one that passes.
  const dead = guards[0]!;
  const third = selector({
    store,
    random: seededRandom("third"),
    test: (n) => Promise.resolve(n.pubkey !== dead),
  });
  await third.buildPaths();
  const now = third.guards.map((g) => g.pubkey);
  assert.equal(now.length, 2);
  assert(!now.includes(dead));
  assert(now.includes(guards[1]!));
  assert.deepEqual(
    JSON.parse(new TextDecoder().decode(await store.get("guards.json"))).guards,
    now,
  );
  assert.equal(third.strikes(dead), 1);
});

Deno.test("no guard passes: no_guards; too small a pool: too_few_nodes", async () => {
  const s = selector({ test: () => Promise.resolve(false) });
  await assert.rejects(s.buildPaths(), {
    name: "ClientError",
    code: "no_guards",
  });
  const small = new PathSelector({
    store: new MemoryStore(),
    random: seededRandom(1),
    now: () => 0,
    testNode: () => Promise.resolve(true),
  });
  small.setPool(NODES.slice(0, 8));
  await assert.rejects(small.buildPaths(), {
    code: "too_few_nodes",
    message: /8 usable node\(s\) known, at least 9/,
  });
  // Nine nodes in one /24 are enough nodes, but not for a 3-hop path.
  small.setPool(
    NODES.slice(0, 9).map((n, i) => ({ ...n, ip: `10.0.0.${i + 1}` })),
  );
  await assert.rejects(small.buildPaths(), {
    code: "too_few_nodes",
    message: /distinct \/24/,
  });
});

Deno.test("a relay failing 3 times is replaced and leaves the pool; a guard failing 3 times takes its path along", async () => {
  const store = new MemoryStore();
  const s = selector({ store, random: seededRandom("strikes") });
  const [p1, p2] = await s.buildPaths();
  const relay = p1!.hops[1]!.pubkey;
  await s.reportNodeFailure(relay);
  await s.reportNodeFailure(relay);
  assert.equal(
    s.paths.find((p) => p.id === p1!.id)!.hops[1]!.pubkey,
    relay,
    "2 strikes: still used",
  );
  await s.reportNodeFailure(relay);
  const after = s.paths.find((p) => p.id === p1!.id)!;
  assert.notEqual(after.hops[1]!.pubkey, relay);
  assert.equal(after.hops[0]!.pubkey, p1!.hops[0]!.pubkey);
  assert.equal(after.hops[2]!.pubkey, p1!.hops[2]!.pubkey);
  assert(!s.pool.some((n) => n.pubkey === relay), "struck out of the pool");
  checkPaths(s.paths, 24);

  const guard = p2!.hops[0]!.pubkey;
  for (let i = 0; i < 3; i++) await s.reportNodeFailure(guard);
  assert(!s.paths.some((p) => p.id === p2!.id), "the guard's path is gone");
  assert(!s.guards.some((g) => g.pubkey === guard));
  assert(
    !JSON.parse(new TextDecoder().decode(await store.get("guards.json"))).guards
      .includes(guard),
  );
  // The next use builds a path with a new guard.
  await s.getPath();
  assert.equal(s.paths.length, 2);
  assert.equal(s.guards.length, 2);
  checkPaths(s.paths, 24);
});

Deno.test("a path failing 3 times is dropped with its guard; a success resets the count", async () => {
  const s = selector({ random: seededRandom("path-failures") });
  const [p1] = await s.buildPaths();
  await s.reportPathFailure(p1!.id);
  await s.reportPathFailure(p1!.id);
  s.reportPathSuccess(p1!.id);
  await s.reportPathFailure(p1!.id);
  await s.reportPathFailure(p1!.id);
  assert(s.paths.some((p) => p.id === p1!.id), "reset by the success");
  await s.reportPathFailure(p1!.id);
  assert(!s.paths.some((p) => p.id === p1!.id));
  assert(!s.guards.some((g) => g.pubkey === p1!.hops[0]!.pubkey));
  const again = await s.buildPaths();
  assert.equal(again.length, 2);
  assert(!again.some((p) => p.hops[0]!.pubkey === p1!.hops[0]!.pubkey));
});

Deno.test("paths older than 10 minutes get new relays and keep their guard; getPath avoids the destination", async () => {
  let now = 1_000_000;
  const s = selector({ random: seededRandom("rotation"), now: () => now });
  const before = (await s.buildPaths()).map((p) => p.hops.map((h) => h.pubkey));
  now += 9 * 60_000;
  await s.getPath();
  assert.deepEqual(s.paths.map((p) => p.hops.map((h) => h.pubkey)), before);
  now += 60_000;
  await s.getPath();
  const after = s.paths.map((p) => p.hops.map((h) => h.pubkey));
  assert.deepEqual(after.map((h) => h[0]), before.map((h) => h[0]));
  assert.notDeepEqual(after, before);
  assert(s.paths.every((p) => p.builtAt === now));

  const destination = s.paths[0]!.hops[2]!.pubkey;
  for (let i = 0; i < 20; i++) {
    const p = await s.getPath({ exclude: destination });
    assert(!p.hops.some((h) => h.pubkey === destination));
  }
});

/**
 * Pearson's chi-square statistic of `counts` against a uniform expectation
 * over `categories`.
 */
function chiSquare(
  counts: Map<string, number>,
  categories: readonly string[],
  draws: number,
): number {
  const expected = draws / categories.length;
  let chi = 0;
  for (const c of categories) {
    const o = counts.get(c) ?? 0;
    chi += (o - expected) ** 2 / expected;
  }
  return chi;
}

/**
 * Acceptance band for a chi-square with `df` degrees of freedom: its mean
 * `df` plus or minus 4 standard deviations `sqrt(2 df)`. For df ~ 10,000 the
 * statistic is close to normal (Wilson-Hilferty), so a correct uniform
 * sampler lands outside with probability about 6e-5; a sampler that favours
 * or avoids some nodes by even a few percent lands far outside.
 */
function assertChiSquare(chi: number, df: number, what: string): void {
  const band = 4 * Math.sqrt(2 * df);
  assert(
    Math.abs(chi - df) < band,
    `${what}: chi-square ${
      chi.toFixed(1)
    } with ${df} degrees of freedom is outside ${df} ± ${band.toFixed(1)}`,
  );
}

Deno.test("hop choice is uniform on the allowed set (chi-square, fixed seed, 10,000 nodes)", async () => {
  // About 6 draws per allowed node: enough for the chi-square approximation
  // (the usual rule asks for an expected count of at least 5 per cell).
  const DRAWS = 60_000;
  // One guard, one path: the first relay may be any node but the guard and
  // the nodes of its /24.
  const s = selector({ guards: 1, random: seededRandom("chi-square") });
  const [path] = await s.buildPaths();
  const guard = path!.hops[0]!;
  const allowed = NODES.filter((n) =>
    n.pubkey !== guard.pubkey && subnetOf(n.ip, 24) !== subnetOf(guard.ip, 24)
  ).map((n) => n.pubkey);
  assert(allowed.length > 9_900 && allowed.length < 10_000);
  const counts = new Map<string, number>();
  for (let i = 0; i < DRAWS; i++) {
    s.rotate();
    const p = s.paths[0]!;
    assert.equal(p.hops[0]!.pubkey, guard.pubkey);
    const k = p.hops[1]!.pubkey;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const allowedSet = new Set(allowed);
  for (const k of counts.keys()) {
    assert(allowedSet.has(k), "a relay outside the allowed set");
  }
  assertChiSquare(
    chiSquare(counts, allowed, DRAWS),
    allowed.length - 1,
    "first relay",
  );

  // The last hop, given the guard and a first relay: uniform on the nodes
  // outside both /24s.
  const relay = NODES.find((n) => allowedSet.has(n.pubkey))!;
  const prefix = [guard, relay];
  const used = new Set(prefix.map((n) => n.pubkey));
  const lastAllowed = NODES.filter((n) =>
    !used.has(n.pubkey) &&
    !prefix.some((p) => subnetOf(p.ip, 24) === subnetOf(n.ip, 24))
  ).map((n) => n.pubkey);
  const r = seededRandom("chi-square-last");
  const lastCounts = new Map<string, number>();
  for (let i = 0; i < DRAWS; i++) {
    const k = chooseHop(NODES, prefix, used, r, 24)!.pubkey;
    lastCounts.set(k, (lastCounts.get(k) ?? 0) + 1);
  }
  assert.equal(lastCounts.size <= lastAllowed.length, true);
  const lastSet = new Set(lastAllowed);
  for (const k of lastCounts.keys()) assert(lastSet.has(k));
  assertChiSquare(
    chiSquare(lastCounts, lastAllowed, DRAWS),
    lastAllowed.length - 1,
    "last hop",
  );

  // The fallback branch (most of the pool excluded) is uniform too: with
  // all but 40 of 1,000 nodes used, rejection sampling gives up and draws
  // directly from the allowed set.
  const pool = NODES.slice(0, 1000);
  const few = pool.slice(0, 40).filter((n) =>
    subnetOf(n.ip, 24) !== subnetOf(guard.ip, 24) && n.pubkey !== guard.pubkey
  );
  const usedMost = new Set(pool.slice(40).map((n) => n.pubkey));
  const fewCounts = new Map<string, number>();
  const rf = seededRandom("chi-square-few");
  for (let i = 0; i < 5_000; i++) {
    const k = chooseHop(pool, [guard], usedMost, rf, 24)!.pubkey;
    fewCounts.set(k, (fewCounts.get(k) ?? 0) + 1);
  }
  const fewKeys = few.map((n) => n.pubkey);
  assert.deepEqual([...fewCounts.keys()].sort(), [...fewKeys].sort());
  // df ~ 40: the normal approximation is rough; 4 standard deviations still
  // bound a correct sampler's failure rate well below 1e-3.
  assertChiSquare(
    chiSquare(fewCounts, fewKeys, 5_000),
    fewKeys.length - 1,
    "fallback draw",
  );
});

Deno.test("concurrent builds share one guard selection", async () => {
  let tests = 0;
  const s = selector({
    random: seededRandom("concurrent"),
    test: async () => {
      tests++;
      await new Promise((r) => setTimeout(r, 5));
      return true;
    },
  });
  const [a, b] = await Promise.all([s.buildPaths(), s.getPath()]);
  assert.equal(tests, 2);
  assert.equal(a.length, 2);
  assert(a.some((p) => p.id === b.id));
  assert.equal(s.guards.length, 2);
});
