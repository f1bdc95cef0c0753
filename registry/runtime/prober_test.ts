import assert from "node:assert/strict";
import type { RegistryEventOf } from "../api/events.ts";
import { fromHex, toHex } from "../core/bytes.ts";
import { publicKeyOf, sign } from "../core/keys.ts";
import { challengePreimage } from "../core/messages.ts";
import { type TestNet, testNet } from "../testkit/mod.ts";
import {
  CHALLENGE_PATH,
  dueNodes,
  MAX_ANSWER_BYTES,
  probeNode,
  probeNodes,
} from "./prober.ts";

// Every server here listens on 127.0.0.1 only, and every probed address is
// 127.0.0.1: these tests never reach beyond the loopback interface.

type Mode =
  | "good"
  | "bad_signature"
  | "other_node"
  | "error_500"
  | "not_json"
  | "huge"
  | "slow"
  | "redirect";

interface FakeNode {
  port: number;
  mode: Mode;
  requests: { network: number; nonce: string }[];
  close(): Promise<void>;
}

/** A node's challenge endpoint on 127.0.0.1, port 0, behaving per `mode`. */
function fakeNode(secret: Uint8Array, mode: Mode): Promise<FakeNode> {
  const { promise, resolve } = Promise.withResolvers<FakeNode>();
  const other = new Uint8Array(32).fill(0xee);
  const abort = new AbortController();
  const node: FakeNode = {
    port: 0,
    mode,
    requests: [],
    close: async () => {
      abort.abort();
      await server.finished;
    },
  };
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: abort.signal,
    onListen: ({ port }) => {
      node.port = port;
      resolve(node);
    },
  }, async (req) => {
    const url = new URL(req.url);
    if (req.method !== "POST" || url.pathname !== CHALLENGE_PATH) {
      return new Response("not found", { status: 404 });
    }
    const body = await req.json() as { network: number; nonce: string };
    node.requests.push(body);
    const nonce = fromHex(body.nonce, 32);
    const pk = publicKeyOf(secret);
    const answer = (key: Uint8Array, as: Uint8Array) =>
      Response.json({
        pubkey: toHex(as),
        signature: toHex(sign(key, challengePreimage(body.network, as, nonce))),
      });
    switch (node.mode) {
      case "good":
        return answer(secret, pk);
      case "bad_signature":
        return answer(other, pk);
      case "other_node":
        return answer(other, publicKeyOf(other));
      case "error_500":
        return new Response("storage server down", { status: 500 });
      case "not_json":
        return new Response("<html>hello</html>", { status: 200 });
      case "huge":
        return new Response("x".repeat(MAX_ANSWER_BYTES + 1), { status: 200 });
      case "slow":
        await new Promise((r) => setTimeout(r, 1000));
        return answer(secret, pk);
      case "redirect":
        return new Response(null, {
          status: 302,
          headers: { location: "http://127.0.0.1:1/" },
        });
    }
  });
  return promise;
}

/** A loopback port nothing listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  await new Promise((r) => setTimeout(r, 10));
  return port;
}

async function register(net: TestNet, label: string, port: number) {
  await net.registry.submit(
    net.registration(label, "op", {
      operatorStake: net.params.stakingRequirement,
      feeBasisPoints: 0,
      reserved: [],
    }).bytes,
  );
  await net.registry.submit(net.proof(label, { httpsPort: port }).bytes);
}

async function nodeRow(net: TestNet, label: string) {
  return await net.store.read.nodes.get(net.signer(label).key.hex);
}

async function evidence(net: TestNet, label: string) {
  return (await net.store.read.reachability.recent(
    net.signer(label).key.hex,
    1000,
  )).reverse();
}

async function tick(net: TestNet) {
  net.clock.advance(net.params.epochSeconds * 1000);
  return await net.registry.tick();
}

const OPTS = { timeoutMs: 2000 };

Deno.test("prober: good, bad signature, HTTP 500 and nothing listening; unreachable, decommissioned, recovered", async () => {
  const net = await testNet({ funded: ["op"] });
  const good = await fakeNode(net.signer("good").key.secret, "good");
  const badSig = await fakeNode(
    net.signer("badsig").key.secret,
    "bad_signature",
  );
  const flaky = await fakeNode(net.signer("flaky").key.secret, "error_500");
  const dead = await deadPort();
  try {
    await register(net, "good", good.port);
    await register(net, "badsig", badSig.port);
    await register(net, "flaky", flaky.port);
    await register(net, "dead", dead);

    // Round 1: everything is new, so everything is tested.
    const due = await dueNodes(net.registry);
    assert.deepEqual(due.map((d) => d.reason), ["new", "new", "new", "new"]);
    const r1 = await probeNodes(net.registry, OPTS);
    assert.equal(r1.tested, 4);
    assert.equal(r1.ok, 1);
    assert.equal(r1.failed, 3);
    assert.deepEqual(good.requests.map((q) => q.network), [net.params.id]);
    assert.match(good.requests[0]!.nonce, /^[0-9a-f]{64}$/);

    const g = await evidence(net, "good");
    assert.equal(g.length, 1);
    assert.equal(g[0]!.ok, true);
    assert.equal(g[0]!.detail, "signed challenge verified");
    assert.equal(g[0]!.address, `127.0.0.1:${good.port}`);
    assert.equal(typeof g[0]!.latencyMs, "number");
    const b = await evidence(net, "badsig");
    assert.equal(b[0]!.ok, false);
    assert.match(b[0]!.detail, /signature does not verify/);
    const f = await evidence(net, "flaky");
    assert.match(f[0]!.detail, /HTTP 500/);
    const d = await evidence(net, "dead");
    assert.match(d[0]!.detail, /^connection failed/);
    assert.equal(d[0]!.latencyMs, null);
    assert.equal(d[0]!.address, `127.0.0.1:${dead}`);

    // One failure is not enough (threshold 2).
    assert.equal((await nodeRow(net, "flaky")).unreachable, 0);
    assert.equal((await nodeRow(net, "flaky")).reachability_failures, 1);
    // Not retested twice in one epoch.
    assert.equal((await dueNodes(net.registry)).length, 0);

    // Round 2, next epoch: the failing ones are retested, the good one is not due.
    await tick(net);
    const due2 = await dueNodes(net.registry);
    assert.deepEqual(due2.map((x) => x.reason), ["retest", "retest", "retest"]);
    assert(!due2.some((x) => x.node === net.signer("good").key.hex));
    const r2 = await probeNodes(net.registry, OPTS);
    assert.equal(r2.tested, 3);
    assert.equal(r2.failed, 3);
    for (const label of ["badsig", "flaky", "dead"]) {
      const row = await nodeRow(net, label);
      assert.equal(row.unreachable, 1, label);
      assert.equal(row.status, "active", label);
    }
    const failedEvents = await net.events({
      kinds: ["reachability_failed"],
    });
    assert.equal(failedEvents.length, 3);
    const flakyEvent = failedEvents.find((e) =>
      e.node === net.signer("flaky").key.hex
    ) as RegistryEventOf<"reachability_failed">;
    assert.match(String(flakyEvent.data.detail), /HTTP 500/);
    assert.equal(flakyEvent.data.consecutiveFailures, 2);

    // The next tick decommissions the unreachable nodes, not the good one.
    const t = await tick(net);
    assert.equal(t.changes.decommissioned, 3);
    assert.equal((await nodeRow(net, "good")).status, "active");
    assert.equal((await nodeRow(net, "flaky")).status, "decommissioned");
    assert.equal(
      (await net.events({ kinds: ["decommissioned"] })).length,
      3,
    );

    // The flaky node comes back: it answers again and sends a fresh proof.
    flaky.mode = "good";
    const r3 = await probeNodes(net.registry, OPTS);
    assert.equal(r3.tested, 3); // decommissioned nodes are still tested
    const flakyNow = await nodeRow(net, "flaky");
    assert.equal(flakyNow.unreachable, 0);
    assert.equal(flakyNow.reachability_failures, 0);
    await net.registry.submit(
      net.proof("flaky", { httpsPort: flaky.port }).bytes,
    );
    const t2 = await tick(net);
    assert.equal(t2.changes.active, 1);
    assert.equal((await nodeRow(net, "flaky")).status, "active");
    assert.equal((await nodeRow(net, "dead")).status, "decommissioned");
    assert.equal(
      (await net.events({ kinds: ["recommissioned"] }))[0]?.node,
      net.signer("flaky").key.hex,
    );
    // Its evidence: two failures, then a success.
    assert.deepEqual(
      (await evidence(net, "flaky")).map((e) => e.ok),
      [false, false, true],
    );
  } finally {
    await Promise.all([good.close(), badSig.close(), flaky.close()]);
    await net.close();
  }
});

Deno.test("prober: each failure has a specific detail", async () => {
  const secret = new Uint8Array(32).fill(7);
  const node = toHex(publicKeyOf(secret));
  const cases: [Mode, RegExp][] = [
    ["other_node", /^answered as node [0-9a-f]{64}, not /],
    ["not_json", /^answer is not JSON/],
    ["huge", /larger than 4096 bytes/],
    ["slow", /^no answer within 200 ms$/],
    ["redirect", /HTTP 302/],
    ["error_500", /^answered HTTP 500 instead of 200$/],
  ];
  for (const [mode, expected] of cases) {
    const server = await fakeNode(secret, mode);
    try {
      const r = await probeNode(
        { node, ip: "127.0.0.1", port: server.port },
        3,
        { timeoutMs: 200 },
      );
      assert(r);
      assert.equal(r.ok, false, mode);
      assert.match(r.detail, expected, mode);
    } finally {
      await server.close();
    }
  }
  // Well-formed but wrong answers, through an injected fetch.
  const answers: [unknown, RegExp][] = [
    [[1, 2], /not a JSON object/],
    [{ signature: "00" }, /no "pubkey"/],
    [{ pubkey: node, signature: "zz" }, /no "signature" of 128 hex/],
    [{ pubkey: node, signature: "00".repeat(64) }, /does not verify/],
  ];
  for (const [body, expected] of answers) {
    const r = await probeNode({ node, ip: "127.0.0.1", port: 9 }, 3, {
      fetch: () => Promise.resolve(Response.json(body)),
    });
    assert.match(r!.detail, expected);
  }
  // And a good answer passes.
  const good = await fakeNode(secret, "good");
  try {
    const r = await probeNode({ node, ip: "127.0.0.1", port: good.port }, 3);
    assert.equal(r!.ok, true);
    assert.equal(good.requests[0]!.network, 3);
  } finally {
    await good.close();
  }
});

Deno.test("prober: injected fetch sees the documented request", async () => {
  const secret = new Uint8Array(32).fill(8);
  const pk = publicKeyOf(secret);
  const node = toHex(pk);
  let seen: { url: string; init: RequestInit } | null = null;
  const r = await probeNode({ node, ip: "127.0.0.1", port: 22021 }, 3, {
    fetch: (input, init) => {
      seen = { url: String(input), init: init! };
      const body = JSON.parse(String(init!.body)) as {
        network: number;
        nonce: string;
      };
      const sig = sign(
        secret,
        challengePreimage(body.network, pk, fromHex(body.nonce)),
      );
      return Promise.resolve(
        Response.json({
          pubkey: node.toUpperCase(),
          signature: toHex(sig).toUpperCase(),
        }),
      );
    },
  });
  assert.equal(r!.ok, true);
  assert(seen);
  const s = seen as { url: string; init: RequestInit };
  assert.equal(s.url, "http://127.0.0.1:22021/snode-registry/v1/challenge");
  assert.equal(s.init.method, "POST");
  assert.equal(s.init.redirect, "manual");
  assert.deepEqual(Object.keys(JSON.parse(String(s.init.body))), [
    "network",
    "nonce",
  ]);
});

Deno.test("prober: tests are spread over the interval; a new address is tested at once", async () => {
  const net = await testNet({ funded: ["op"] });
  const nodes = await Promise.all(
    ["a", "b", "c"].map((l) => fakeNode(net.signer(l).key.secret, "good")),
  );
  try {
    for (const [i, l] of ["a", "b", "c"].entries()) {
      await register(net, l, nodes[i]!.port);
    }
    const interval = net.params.proofIntervalEpochs; // 5 on devnet
    assert.equal((await probeNodes(net.registry, OPTS)).tested, 3);
    const perRound: number[] = [];
    for (let i = 0; i < interval + 3; i++) {
      await tick(net);
      perRound.push((await probeNodes(net.registry, OPTS)).tested);
    }
    // Quiet for interval - 1 epochs, then ceil(3 / 5) = 1 node per round.
    assert.deepEqual(perRound, [0, 0, 0, 0, 1, 1, 1, 0]);

    // A node that moves (new proof, new port) is tested at once.
    const moved = await fakeNode(net.signer("a").key.secret, "good");
    try {
      await tick(net);
      await tick(net);
      await net.registry.submit(
        net.proof("a", { httpsPort: moved.port }).bytes,
      );
      const due = await dueNodes(net.registry);
      const a = due.find((x) => x.node === net.signer("a").key.hex);
      assert.equal(a?.reason, "address_changed");
      assert.equal(a?.port, moved.port);
      await probeNodes(net.registry, OPTS);
      assert.equal(moved.requests.length, 1);
    } finally {
      await moved.close();
    }
  } finally {
    await Promise.all(nodes.map((n) => n.close()));
    await net.close();
  }
});

Deno.test("prober: concurrency is bounded", async () => {
  const net = await testNet({ funded: ["op"] });
  try {
    for (let i = 0; i < 6; i++) await register(net, `n${i}`, 20000 + i);
    let inFlight = 0, most = 0;
    const round = await probeNodes(net.registry, {
      concurrency: 2,
      fetch: async () => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 20));
        inFlight--;
        return new Response("no", { status: 503 });
      },
    });
    assert.equal(round.tested, 6);
    assert.equal(most, 2);
  } finally {
    await net.close();
  }
});

Deno.test("prober: an aborted round records nothing", async () => {
  const net = await testNet({ funded: ["op"] });
  const slow = await fakeNode(net.signer("s").key.secret, "slow");
  try {
    await register(net, "s", slow.port);
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 100);
    const round = await probeNodes(net.registry, {
      signal: abort.signal,
      timeoutMs: 5000,
    });
    assert.equal(round.aborted, true);
    assert.equal(round.tested, 0);
    assert.equal((await evidence(net, "s")).length, 0);
  } finally {
    await slow.close();
    await net.close();
  }
});
