import assert from "node:assert/strict";
import { ATOMIC_PER_COIN } from "../core/params.ts";
import type { RegistryEvent } from "../api/events.ts";
import { eachBackend } from "../testkit/backend.ts";
import {
  activeNode,
  type HttpNet,
  httpNet,
  json,
  postMessage,
  SseReader,
} from "../testkit/http.ts";

const SSE = { accept: "text/event-stream" };

async function sseClients(h: HttpNet): Promise<number> {
  return (await json<{ sseClients: number }>(h.app.request("/v1/health")))
    .sseClients;
}

async function faucet(h: HttpNet, wallet: string, coins = 1n): Promise<void> {
  const msg = h.net.walletMessage(wallet, "faucet_request", {
    amount: coins * ATOMIC_PER_COIN,
  });
  const r = await postMessage(h.app, "/v1/faucet", msg.bytes);
  assert.equal(r.status, 200, await r.text());
}

eachBackend.test("GET /v1/events as JSON pages with after/limit and filters", async (backend) => {
  const h = await httpNet({ backend });
  try {
    const node = await activeNode(h, "n0");
    await activeNode(h, "n1");
    const all = await h.net.events({ limit: 1000 });
    assert(all.length > 6);
    const seen: RegistryEvent[] = [];
    let after = 0;
    for (;;) {
      const page = await json<
        { events: RegistryEvent[]; next: number; more: boolean }
      >(
        h.app.request(`/v1/events?after=${after}&limit=3`),
      );
      seen.push(...page.events);
      if (page.events.length > 0) {
        assert.equal(page.next, page.events.at(-1)!.id);
      } else assert.equal(page.next, after);
      after = page.next;
      if (!page.more) break;
    }
    assert.deepEqual(seen, all);
    // Filters.
    const mine = await json<{ events: RegistryEvent[] }>(
      h.app.request(`/v1/events?node=${node}&kind=registered,active`),
    );
    assert.deepEqual(mine.events.map((e) => [e.node, e.kind]), [
      [node, "registered"],
      [node, "active"],
    ]);
    const op = h.net.signer("op").key.hex;
    const byWallet = await json<{ events: RegistryEvent[] }>(
      h.app.request(`/v1/events?wallet=${op}&limit=1000`),
    );
    assert(byWallet.events.length > 0);
    assert(byWallet.events.every((e) => e.wallets.includes(op)));
    for (
      const q of [
        "kind=registered,bogus",
        "after=-1",
        "limit=0",
        "limit=1001",
        "node=12",
      ]
    ) {
      const r = await h.app.request(`/v1/events?${q}`);
      assert.equal(r.status, 400, q);
      assert.equal((await r.json()).code, "bad_query", q);
    }
  } finally {
    await h.close();
  }
});

eachBackend.test("SSE replays stored events page by page, then streams live ones, then cleans up", async (backend) => {
  const h = await httpNet({
    backend,
    app: { sseReplayPageSize: 2, heartbeatMs: 60_000 },
  });
  try {
    await activeNode(h, "n0");
    const stored = await h.net.events({ limit: 1000 });
    assert(stored.length > 4, "more than two pages to replay");
    const res = await h.app.request("/v1/events", { headers: SSE });
    assert.equal(res.status, 200);
    assert.equal(
      res.headers.get("content-type"),
      "text/event-stream; charset=utf-8",
    );
    assert.equal(res.headers.get("cache-control"), "no-cache, no-transform");
    const sse = new SseReader(res.body!);
    const opening = [await sse.next(), await sse.next()];
    assert.deepEqual(opening, [{ comment: "connected" }, { retry: "3000" }]);
    for (const e of stored) {
      const f = await sse.nextEvent();
      assert.equal(f?.id, String(e.id));
      assert.equal(f?.event, e.kind);
      assert.deepEqual(JSON.parse(f!.data!), e);
    }
    assert.equal(await sseClients(h), 1);
    // Live: a faucet request while the stream is open.
    await faucet(h, "w");
    const live = await sse.nextEvent();
    assert.equal(live?.event, "faucet");
    assert.equal(Number(live?.id), h.net.registry.lastEventId);
    assert.deepEqual(JSON.parse(live!.data!).wallets, [
      h.net.signer("w").key.hex,
    ]);
    // The client goes away: the subscription ends.
    await sse.cancel();
    assert.equal(await sseClients(h), 0);
    const metrics = await (await h.app.request("/metrics")).text();
    assert.match(metrics, /^registry_sse_clients 0$/m);
  } finally {
    await h.close();
  }
});

eachBackend.test("SSE filters by node, wallet and kind, live too", async (backend) => {
  const h = await httpNet({ backend, app: { heartbeatMs: 60_000 } });
  try {
    const n0 = await activeNode(h, "n0");
    const res = await h.app.request(
      `/v1/events?node=${n0}&kind=registered,active,unlock_requested`,
      { headers: SSE },
    );
    const sse = new SseReader(res.body!);
    assert.deepEqual(
      [(await sse.nextEvent())?.event, (await sse.nextEvent())?.event],
      ["registered", "active"],
    );
    // Another node's events and other kinds do not come through; this one does.
    await activeNode(h, "n1");
    await faucet(h, "w");
    const unlock = h.net.walletMessage("op", "unlock_request", {
      nodePubkey: h.net.signer("n0").key.public,
    });
    assert.equal(
      (await postMessage(h.app, "/v1/unlocks", unlock.bytes)).status,
      200,
    );
    const next = await sse.nextEvent();
    assert.equal(next?.event, "unlock_requested");
    assert.equal(JSON.parse(next!.data!).node, n0);
    await sse.cancel();

    const w = h.net.signer("w").key.hex;
    const byWallet = new SseReader(
      (await h.app.request(`/v1/events?wallet=${w}`, { headers: SSE })).body!,
    );
    const f = await byWallet.nextEvent();
    assert.equal(f?.event, "faucet");
    await faucet(h, "other");
    await faucet(h, "w", 2n);
    const g = await byWallet.nextEvent();
    assert.equal(
      JSON.parse(g!.data!).data.amount,
      (2n * ATOMIC_PER_COIN).toString(),
    );
    await byWallet.cancel();
    assert.equal(await sseClients(h), 0);
  } finally {
    await h.close();
  }
});

eachBackend.test("SSE resumes after Last-Event-ID (over ?after=) and sends heartbeats", async (backend) => {
  const h = await httpNet({ backend, app: { heartbeatMs: 20 } });
  try {
    await activeNode(h, "n0");
    const stored = await h.net.events({ limit: 1000 });
    const resumeFrom = stored[3]!.id;
    const res = await h.app.request("/v1/events?after=0", {
      headers: { ...SSE, "last-event-id": String(resumeFrom) },
    });
    const sse = new SseReader(res.body!);
    assert.equal((await sse.nextEvent())?.id, String(stored[4]!.id));
    // With nothing else to send, heartbeats keep the connection alive.
    let comment: string | undefined;
    for (let i = 0; i < 50 && comment !== "heartbeat"; i++) {
      const f = await sse.next();
      comment = f?.comment;
    }
    assert.equal(comment, "heartbeat");
    assert.equal(await sseClients(h), 1);
    await sse.cancel();
    assert.equal(await sseClients(h), 0);

    // ?after= alone resumes too; a malformed Last-Event-ID is refused.
    const byQuery = new SseReader(
      (await h.app.request(`/v1/events?after=${stored.at(-1)!.id - 1}`, {
        headers: SSE,
      })).body!,
    );
    assert.equal((await byQuery.nextEvent())?.id, String(stored.at(-1)!.id));
    await byQuery.cancel();
    const bad = await h.app.request("/v1/events", {
      headers: { ...SSE, "last-event-id": "yesterday" },
    });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).code, "bad_header");
    assert.equal(await sseClients(h), 0);
  } finally {
    await h.close();
  }
});
