/**
 * The messenger client against a real registry (`registry/main.ts` as a
 * subprocess on 127.0.0.1 port 0, 1-second epochs) with 12 simulated
 * service nodes registered over HTTP, each a fake storage node on its own
 * loopback /24 (127.0.N.1). Doctored sources (forged, stale, split view,
 * hanging, flaky) are small `Deno.serve` servers on port 0 beside it,
 * signing with the registry's own key where the attack needs a valid
 * signature.
 */

import assert from "node:assert/strict";
import { toHex } from "../core/bytes.ts";
import { publicKeyOf } from "../core/keys.ts";
import {
  buildSignedList,
  decodeNodeList,
  encodeNodeList,
  type NodeList,
  nodeListBodyHash,
} from "../core/nodelist.ts";
import { sleep } from "./api.ts";
import { Client, type ClientOptions } from "./client.ts";
import { ClientError } from "./client_errors.ts";
import { buildFallbackList } from "./fallback.ts";
import { subnetOf } from "./paths.ts";
import { seededRandom } from "./random.ts";
import { MemoryStore } from "./store.ts";
import {
  addressed,
  keepProving,
  registerNodes,
  startRegistry,
  type TestNode,
  waitForList,
} from "./test_util.ts";

const DAY_MS = 86_400_000;

/** A fake storage node: answers `info`, and others with 200 or a 421. */
interface FakeNode {
  node: TestNode;
  seen: { method: string; pubkey: unknown }[];
  wrongSwarm: TestNode[] | null;
  close(): Promise<void>;
}

function fakeNode(ip: string): FakeNode {
  const secret = crypto.getRandomValues(new Uint8Array(32));
  const fake: FakeNode = {
    node: { secret, pubkey: toHex(publicKeyOf(secret)), ip, port: 0 },
    seen: [],
    wrongSwarm: null,
    close: () => server.shutdown(),
  };
  const server = Deno.serve(
    { hostname: ip, port: 0, onListen: () => {} },
    async (req) => {
      if (
        req.method !== "POST" ||
        new URL(req.url).pathname !== "/storage_rpc/v1"
      ) return new Response("not found", { status: 404 });
      const { method, params } = await req.json();
      fake.seen.push({ method, pubkey: params?.pubkey });
      if (method === "info") {
        return Response.json({ version: [2, 11, 0], timestamp: Date.now() });
      }
      if (fake.wrongSwarm !== null) {
        // oxen-storage-server's answer for a key of another swarm.
        return Response.json({
          snodes: fake.wrongSwarm.map((n) => ({
            address: "ignored.snode",
            pubkey_legacy: n.pubkey,
            pubkey_ed25519: n.pubkey,
            pubkey_x25519: "00".repeat(32),
            port: String(n.port),
            port_https: n.port,
            port_omq: n.port,
            port_quic: n.port,
            ip: n.ip,
          })),
          swarm: "2a",
          t: Date.now(),
          hf: [19, 3],
        }, { status: 421 });
      }
      return Response.json({
        messages: [],
        more: false,
        node: fake.node.pubkey,
      });
    },
  );
  fake.node.port = (server.addr as Deno.NetAddr).port;
  return fake;
}

/** A source on 127.0.0.1 port 0 answering with `handler`; every request logged. */
function fakeSource(handler: (req: Request) => Response | Promise<Response>) {
  const requests: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) => {
      const u = new URL(req.url);
      requests.push(`${req.method} ${u.pathname}${u.search}`);
      return handler(req);
    },
  );
  return {
    url: `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`,
    requests,
    close: () => server.shutdown(),
  };
}

/** Serve one list the way the registry does (ETag, 304, X-List-*), no diffs. */
function servesList(bytes: Uint8Array) {
  const list = decodeNodeList(bytes, 3);
  const hash = toHex(nodeListBodyHash(list));
  const epoch = String(list.header.epoch);
  return (req: Request): Response => {
    const path = new URL(req.url).pathname;
    if (path !== "/v1/lists/latest.bin" && path !== `/v1/lists/${epoch}.bin`) {
      return Response.json({ code: "unknown_list" }, { status: 404 });
    }
    const headers = {
      etag: `"${hash}.bin"`,
      "x-list-epoch": epoch,
      "x-list-hash": hash,
      "content-type": "application/octet-stream",
    };
    if (req.headers.get("if-none-match") === `"${hash}.bin"`) {
      return new Response(null, { status: 304, headers });
    }
    return new Response(
      req.method === "HEAD" ? null : bytes as Uint8Array<ArrayBuffer>,
      { headers },
    );
  };
}

/** A mirror: forwards to `upstream` (HEAD, ETags and all). */
function mirrors(upstream: string) {
  return async (req: Request): Promise<Response> => {
    const u = new URL(req.url);
    const headers: Record<string, string> = {};
    for (const h of ["accept", "if-none-match"]) {
      const v = req.headers.get(h);
      if (v !== null) headers[h] = v;
    }
    const res = await fetch(upstream + u.pathname + u.search, {
      method: req.method,
      headers,
    });
    const out = new Headers();
    for (const h of ["etag", "x-list-epoch", "x-list-hash", "content-type"]) {
      const v = res.headers.get(h);
      if (v !== null) out.set(h, v);
    }
    const body = req.method === "HEAD" || res.status === 304
      ? (await res.body?.cancel(), null)
      : new Uint8Array(await res.arrayBuffer());
    return new Response(body as Uint8Array<ArrayBuffer> | null, {
      status: res.status,
      headers: out,
    });
  };
}

function closedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function fullList(url: string, epoch: number | "latest") {
  const res = await fetch(`${url}/v1/lists/${epoch}.bin`);
  assert.equal(res.status, 200);
  return new Uint8Array(await res.arrayBuffer());
}

async function clientError(p: Promise<unknown>): Promise<ClientError> {
  try {
    await p;
  } catch (e) {
    assert(e instanceof ClientError, `expected a ClientError, got ${e}`);
    return e;
  }
  throw new Error("expected a ClientError");
}

Deno.test({
  name:
    "the client against a real registry: bootstrap, doctored sources, fallbacks, updates, swarms",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const registry = await startRegistry({ epochSeconds: 1 });
    const fakes: FakeNode[] = [];
    const sources: { close(): Promise<void> }[] = [];
    const stopProving = new AbortController();
    let proving: Promise<void> | undefined;
    try {
      for (let i = 1; i <= 12; i++) fakes.push(fakeNode(`127.0.${i}.1`));
      // Two nodes the registry's list does not know yet (new swarm members).
      const newcomers = [
        fakeNode("127.0.101.1"),
        fakeNode("127.0.102.1"),
      ];
      fakes.push(...newcomers);
      const registered = fakes.slice(0, 12).map((f) => f.node);
      await registerNodes(registry.url, registered);
      proving = keepProving(registry.url, registered, stopProving.signal);
      await waitForList(registry.url, (l) => addressed(l) === 12);

      const base = {
        network: "devnet",
        pinnedKeys: [registry.publicKey],
        retries: 1,
        backoffMs: 20,
        timeoutMs: 5000,
      } satisfies Partial<ClientOptions>;
      const store = new MemoryStore();
      let client: Client;

      await t.step(
        "happy path: a verified list, swarms, paths through tested guards",
        async () => {
          client = await Client.bootstrap({
            ...base,
            sources: [registry.url],
            store,
            random: seededRandom("happy"),
          });
          assert.equal(client.origin, "source");
          assert(client.liveness === "fresh" || client.liveness === "valid");
          assert.equal(client.nodes().length, 12);
          assert.deepEqual(
            await fullList(registry.url, client.epoch),
            encodeNodeList(client.list),
          );
          assert.deepEqual(client.reports, []);
          assert(store.keys().includes("list.bin"));

          const sessionId = "05" + "ab".repeat(32);
          const swarm = client.swarmFor(sessionId);
          assert.equal(swarm.from, "list");
          assert(swarm.members.length >= 5);
          const known = new Set(registered.map((n) => n.pubkey));
          assert(swarm.members.every((m) => known.has(m.pubkey)));

          const paths = await client.buildPaths();
          assert.equal(paths.length, 2);
          for (const p of paths) {
            assert.equal(
              new Set(p.hops.map((h) => subnetOf(h.ip, 24))).size,
              3,
            );
          }
          // Guards were tested with a real request; relays were not.
          for (const g of client.paths.guards) {
            const fake = fakes.find((f) => f.node.pubkey === g.pubkey)!;
            assert(fake.seen.some((s) => s.method === "info"));
          }
          assert(store.keys().includes("guards.json"));
        },
      );

      await t.step(
        "several sources: the first valid answer wins, the hanging one is cancelled",
        async () => {
          // The hanging source holds every request until the test ends; the
          // client's fetch is watched to see its request cancelled.
          const held: (() => void)[] = [];
          const hanging = fakeSource(() =>
            new Promise((resolve) =>
              held.push(() => resolve(new Response(null, { status: 503 })))
            )
          );
          const hangSignals: AbortSignal[] = [];
          const watching: typeof fetch = (input, init) => {
            if (String(input).startsWith(hanging.url) && init?.signal) {
              hangSignals.push(init.signal);
            }
            return fetch(input, init);
          };
          const latest = decodeNodeList(
            await fullList(registry.url, "latest"),
            3,
          );
          const forged = fakeSource(servesList(encodeNodeList(buildSignedList(
            latest.header,
            latest.records,
            [crypto.getRandomValues(new Uint8Array(32))],
          ))));
          sources.push(forged, {
            close: () => {
              held.forEach((release) => release());
              return hanging.close();
            },
          });
          const started = Date.now();
          const c = await Client.bootstrap({
            ...base,
            sources: [hanging.url, forged.url, registry.url],
            fetch: watching,
          });
          assert(
            Date.now() - started < 4000,
            "did not wait for the hanging source",
          );
          assert.equal(c.origin, "source");
          assert.equal(hangSignals.length, 1);
          assert(hangSignals[0]!.aborted, "the hanging request was cancelled");
          // The forged source may or may not have answered before the winner.
          for (const r of c.reports) {
            assert.equal(r.source, forged.url);
            assert.equal(r.code, "insufficient_signatures");
          }
        },
      );

      await t.step("a forged or tampered list is refused", async () => {
        const bytes = await fullList(registry.url, "latest");
        const list = decodeNodeList(bytes, 3);
        const otherKey = crypto.getRandomValues(new Uint8Array(32));
        const forged = fakeSource(servesList(encodeNodeList(
          buildSignedList(list.header, list.records, [otherKey]),
        )));
        const tampered = bytes.slice();
        tampered[82 + 45] = tampered[82 + 45]! ^ 1; // the first record's HTTPS port, signature kept
        const doctored = fakeSource(servesList(tampered));
        sources.push(forged, doctored);
        const e = await clientError(Client.bootstrap({
          ...base,
          sources: [forged.url, doctored.url],
        }));
        assert.equal(e.code, "no_list");
        assert.deepEqual(
          e.failures.map((f) => f.code).sort(),
          ["insufficient_signatures", "insufficient_signatures"],
        );
        assert.match(e.message, /valid signatures from 0 of 1 trusted keys/);
      });

      await t.step(
        "a stale list is refused, and blamed on the source",
        async () => {
          const list = decodeNodeList(
            await fullList(registry.url, "latest"),
            3,
          );
          const old = BigInt(Math.floor(Date.now() / 1000) - 3 * 86_400);
          const stale = fakeSource(servesList(encodeNodeList(buildSignedList(
            {
              ...list.header,
              validAfter: old,
              freshUntil: old + 1n,
              validUntil: old + 3600n,
            },
            list.records,
            [registry.secretKey],
          ))));
          sources.push(stale);
          const e = await clientError(
            Client.bootstrap({ ...base, sources: [stale.url] }),
          );
          assert.equal(e.code, "no_list");
          assert.equal(e.failures[0]!.code, "list_expired");
          assert.match(e.failures[0]!.detail, /serves a stale list/);
          assert.match(e.failures[0]!.detail, /clock is not the problem/);
          // Beside a live registry, the registry wins and the stale source is reported.
          const c = await Client.bootstrap({
            ...base,
            sources: [stale.url, registry.url],
          });
          assert.equal(c.origin, "source");
        },
      );

      await t.step(
        "a clock 2 days off is a clear clock-skew error, and no stand-in is used",
        async () => {
          for (
            const [offset, way] of [[2 * DAY_MS, "ahead of"], [
              -2 * DAY_MS,
              "behind",
            ]] as const
          ) {
            const e = await clientError(Client.bootstrap({
              ...base,
              sources: [registry.url],
              store, // holds a cached list: it must not hide the problem
              now: () => Date.now() + offset,
              fallback: buildFallbackList({
                bytes: await fullList(registry.url, "latest"),
                network: "devnet",
                exportedAt: 0,
                epochSeconds: 1,
                unlockDelayEpochs: 30,
                unlocks: {},
              }),
            }));
            assert.equal(e.code, "clock_skew");
            assert(Math.abs(Math.abs(e.skewSeconds!) - 2 * 86_400) < 10);
            assert.match(
              e.message,
              new RegExp(
                `local clock is 2 d 0 h ${way} the clock of ${registry.url}`,
              ),
            );
            assert.match(e.message, /correct the system time/);
          }
        },
      );

      await t.step(
        "split view: another signed list for an epoch seen, or a fork, is refused and reported",
        async () => {
          const held = decodeNodeList((await store.get("list.bin"))!, 3);
          const epoch = held.header.epoch;
          // Same epoch, one node left out, signed with the registry's key.
          const other: NodeList = buildSignedList(
            held.header,
            held.records.slice(1),
            [registry.secretKey],
          );
          const splitSource = fakeSource(servesList(encodeNodeList(other)));
          // The next epoch, chained to a list this client never saw.
          const fork = buildSignedList(
            {
              ...held.header,
              epoch: epoch + 1n,
              prevHash: new Uint8Array(32).fill(7),
            },
            held.records,
            [registry.secretKey],
          );
          const forkSource = fakeSource(servesList(encodeNodeList(fork)));
          sources.push(splitSource, forkSource);
          for (const src of [splitSource, forkSource]) {
            const reports: string[] = [];
            const c = await Client.bootstrap({
              ...base,
              sources: [src.url],
              store, // has seen list `epoch`
              onReport: (r) => reports.push(`${r.kind} ${r.code ?? ""}`.trim()),
            });
            // The source is not trusted; the cached list stands in.
            assert.equal(c.origin, "cache");
            assert.equal(c.epoch, Number(epoch));
            assert.deepEqual(reports, ["split_view split_view", "used_cache"]);
            const split = c.reports.find((r) => r.kind === "split_view")!;
            assert.equal(split.source, src.url);
            assert.match(split.detail, /split view/);
          }

          // A mirror that turns: once the client holds a list, it serves
          // another signed list for the same epoch. refresh() refuses it.
          const turn: { split?: (req: Request) => Response } = {};
          const mirror = mirrors(registry.url);
          const turning = fakeSource((req) =>
            turn.split ? turn.split(req) : mirror(req)
          );
          sources.push(turning);
          const c = await Client.bootstrap({ ...base, sources: [turning.url] });
          assert.equal(c.origin, "source");
          turn.split = servesList(encodeNodeList(buildSignedList(
            c.list.header,
            c.list.records.slice(1),
            [registry.secretKey],
          )));
          const e = await clientError(c.refresh());
          assert.equal(e.code, "split_view");
          assert.equal(e.source, turning.url);
          assert(c.reports.some((r) => r.kind === "split_view"));
        },
      );

      await t.step(
        "every source down: the cache, then the fallback list",
        async () => {
          const down = [
            `http://127.0.0.1:${closedPort()}`,
            `http://127.0.0.1:${closedPort()}`,
          ];
          const cached = await Client.bootstrap({
            ...base,
            sources: down,
            store,
          });
          assert.equal(cached.origin, "cache");
          assert.deepEqual(
            cached.reports.map((r) => `${r.kind} ${r.code ?? ""}`.trim()),
            [
              "source_failed connection",
              "source_failed connection",
              "used_cache",
            ],
          );

          // A fallback list exported from the registry, one node with its
          // unlock due 10 epochs after the list.
          const bytes = await fullList(registry.url, "latest");
          const list = decodeNodeList(bytes, 3);
          const leaving = toHex(list.records[0]!.pubkey);
          const fallback = JSON.stringify(buildFallbackList({
            bytes,
            network: "devnet",
            exportedAt: Number(list.header.validAfter),
            epochSeconds: 1,
            unlockDelayEpochs: 30,
            unlocks: { [leaving]: Number(list.header.epoch) + 10 },
          }));
          const now = Number(list.header.validAfter) * 1000;
          const early = await Client.bootstrap({
            ...base,
            sources: down,
            fallback,
            now: () => now + 5000,
          });
          assert.equal(early.origin, "fallback");
          assert.equal(early.nodes().length, 12);
          // 20 s later the estimate says its unlock has passed.
          const later = await Client.bootstrap({
            ...base,
            sources: down,
            fallback,
            now: () => now + 20_000,
          });
          assert.equal(later.nodes().length, 11);
          assert(!later.nodes().some((n) => n.pubkey === leaving));
          assert.deepEqual(later.reports.slice(-2).map((r) => r.kind), [
            "used_fallback",
            "fallback_nodes_dropped",
          ]);
          // A cache past the tolerance cannot stand in; the fallback does.
          const old = await Client.bootstrap({
            ...base,
            sources: down,
            store,
            fallback,
            now: () => Date.now() + 3 * DAY_MS,
          });
          assert.equal(old.origin, "fallback");
          assert(
            old.reports.some((r) =>
              r.source === "cache" && r.code === "list_expired"
            ),
          );
          // Nothing at all: no_list, naming every source.
          const e = await clientError(
            Client.bootstrap({ ...base, sources: down }),
          );
          assert.equal(e.code, "no_list");
          assert.equal(e.failures.length, 2);
          assert.match(e.message, /connection refused/);
        },
      );

      await t.step("retries with backoff ride out a flaky source", async () => {
        let failuresLeft = 2;
        const mirror = mirrors(registry.url);
        const flaky = fakeSource((req) =>
          failuresLeft-- > 0
            ? new Response("busy", { status: 503 })
            : mirror(req)
        );
        sources.push(flaky);
        const started = Date.now();
        const c = await Client.bootstrap({
          ...base,
          sources: [flaky.url],
          retries: 3,
          backoffMs: 100,
          random: seededRandom("backoff"),
        });
        assert.equal(c.origin, "source");
        assert.equal(flaky.requests.length, 3);
        // Backoff 100 then 200 ms, each times a factor of at least 0.5.
        assert(Date.now() - started >= 150);
        const down = fakeSource(() => new Response("down", { status: 503 }));
        sources.push(down);
        const e = await clientError(Client.bootstrap({
          ...base,
          sources: [down.url],
          retries: 2,
          backoffMs: 10,
        }));
        assert.equal(down.requests.length, 3);
        assert.equal(e.failures[0]!.code, "http_503");
      });

      await t.step(
        "a diff update equals the full list; the chain is walked link by link",
        async () => {
          const c = await Client.bootstrap({
            ...base,
            sources: [registry.url],
          });
          const from = c.epoch;
          // A change between the lists: a node that registers without a proof.
          const secret = crypto.getRandomValues(new Uint8Array(32));
          await registerNodes(registry.url, [
            {
              secret,
              pubkey: toHex(publicKeyOf(secret)),
              ip: "0.0.0.0",
              port: 0,
            },
          ], { prove: false });
          await waitForList(
            registry.url,
            (l) => Number(l.header.epoch) >= from + 3,
          );
          const r = await c.refresh();
          assert.equal(r.via, "diff");
          assert(r.changed);
          assert(r.chain.checked);
          assert.equal(r.chain.fromEpoch, from);
          assert.equal(r.chain.links, c.epoch - from);
          assert.deepEqual(
            encodeNodeList(c.list),
            await fullList(registry.url, c.epoch),
          );

          // Past maxChainWalk: one diff, the chain reported unchecked.
          const short = await Client.bootstrap({
            ...base,
            sources: [registry.url],
            maxChainWalk: 1,
          });
          const before = short.epoch;
          await waitForList(
            registry.url,
            (l) => Number(l.header.epoch) >= before + 3,
          );
          const r2 = await short.refresh();
          assert.equal(r2.via, "diff");
          assert.equal(r2.chain.checked, false);
          assert.deepEqual(
            encodeNodeList(short.list),
            await fullList(registry.url, short.epoch),
          );
          assert(short.reports.some((x) => x.kind === "chain_unchecked"));

          // Unchanged: the conditional request answers 304.
          const frozen = fakeSource(servesList(encodeNodeList(short.list)));
          sources.push(frozen);
          const f = await Client.bootstrap({ ...base, sources: [frozen.url] });
          const r3 = await f.refresh();
          assert.equal(r3.via, "unchanged");
          assert.equal(r3.changed, false);
          assert(frozen.requests.includes("HEAD /v1/lists/latest.bin"));
        },
      );

      await t.step(
        "automatic refresh runs on its schedule and stops",
        async () => {
          const mirror = mirrors(registry.url);
          const counted = fakeSource(mirror);
          sources.push(counted);
          const c = await Client.bootstrap({ ...base, sources: [counted.url] });
          const heads = () =>
            counted.requests.filter((r) => r.startsWith("HEAD")).length;
          const started = Date.now();
          const stop = c.startAutoRefresh({
            schedule: {
              firstDelayMs: 50,
              firstJitterMs: 10,
              intervalMs: 200,
              jitter: 0.1,
            },
          });
          // Three refreshes: at 50-60 ms, then about every 180-220 ms.
          while (heads() < 3 && Date.now() - started < 10_000) await sleep(20);
          stop();
          const elapsed = Date.now() - started;
          const n = heads();
          assert(n >= 3, `${n} refreshes in ${elapsed} ms`);
          assert(elapsed >= 50 + 2 * 180, `three refreshes in ${elapsed} ms`);
          await sleep(400);
          assert.equal(heads(), n, "stopped");
        },
      );

      await t.step(
        "421: the wrong-swarm answer replaces the cached swarm and the request goes there",
        async () => {
          const store421 = new MemoryStore();
          const c = await Client.bootstrap({
            ...base,
            sources: [registry.url],
            store: store421,
            random: seededRandom("421"),
          });
          const sessionId = "05" +
            toHex(crypto.getRandomValues(new Uint8Array(32)));
          const listSwarm = c.swarmFor(sessionId);
          assert.equal(listSwarm.from, "list");
          // The network moved on: every member the list names now says "not me".
          for (const m of listSwarm.members) {
            fakes.find((f) => f.node.pubkey === m.pubkey)!.wrongSwarm =
              newcomers.map((n) => n.node);
          }
          const body = await c.storageRequest(sessionId, "retrieve", {
            namespace: 0,
          }) as {
            node: string;
          };
          assert(
            newcomers.some((n) => n.node.pubkey === body.node),
            "answered by the new swarm",
          );
          const asked = fakes.filter((f) =>
            f.seen.some((s) => s.method === "retrieve")
          );
          assert(
            asked.every((f) =>
              f.seen.every((s) =>
                s.method !== "retrieve" || s.pubkey === sessionId
              )
            ),
          );
          const swarm = c.swarmFor(sessionId);
          assert.equal(swarm.from, "node");
          assert.equal(swarm.swarmId, 42n);
          assert.deepEqual(
            swarm.members.map((m) => m.pubkey).sort(),
            newcomers.map((n) => n.node.pubkey).sort(),
          );
          const report = c.reports.find((r) => r.kind === "wrong_swarm")!;
          assert.match(report.detail, /named swarm 42 with 2 member\(s\)/);
          // The next request goes straight to the new swarm.
          const wrongBefore = fakes.reduce(
            (s, f) => s + (f.wrongSwarm ? f.seen.length : 0),
            0,
          );
          await c.storageRequest(sessionId, "retrieve");
          const wrongAfter = fakes.reduce(
            (s, f) => s + (f.wrongSwarm ? f.seen.length : 0),
            0,
          );
          assert.equal(wrongAfter, wrongBefore);
          // Persisted: a restart on the same store (sources down) still knows it.
          const again = await Client.bootstrap({
            ...base,
            sources: [`http://127.0.0.1:${closedPort()}`],
            store: store421,
          });
          assert.equal(again.swarmFor(sessionId).from, "node");
          // A malformed 421 is an error, not a silent success.
          await assert.rejects(c.wrongSwarm(sessionId, { snodes: [] }), {
            code: "bad_swarm_answer",
          });
          for (const f of fakes) f.wrongSwarm = null;
        },
      );
    } finally {
      stopProving.abort();
      await proving;
      await Promise.all(sources.map((s) => s.close()));
      await Promise.all(fakes.map((f) => f.close()));
      await registry.close();
    }
  },
});
