import assert from "node:assert/strict";
import { toHex } from "../core/bytes.ts";
import { eachBackend } from "../testkit/backend.ts";
import { activeNode, httpNet, json, ticks } from "../testkit/http.ts";

async function problem(
  res: Response | Promise<Response>,
): Promise<{ status: number; code: string; body: Record<string, unknown> }> {
  const r = await res;
  assert.equal(r.headers.get("content-type"), "application/problem+json");
  const body = await r.json();
  assert.equal(body.status, r.status);
  return { status: r.status, code: body.code, body };
}

eachBackend.test("GET /v1/info and /v1/health describe the registry", async (backend) => {
  const h = await httpNet({ backend });
  try {
    const info = await json(h.app.request("/v1/info"));
    assert.equal(info.network, "devnet");
    assert.deepEqual(info.registryKeys, [h.net.registryKey.hex]);
    assert.equal((info.latestList as { epoch: number }).epoch, 0);
    const health = await h.app.request("/v1/health");
    assert.equal(health.status, 200);
    const body = await health.json();
    assert.equal(body.status, "ok");
    assert.equal(body.epoch, h.net.registry.epoch);
    assert.equal(body.latestList.valid, true);
    // Once the latest list expires (no ticks), health says so with a 503.
    h.net.clock.advance((h.net.params.listValiditySeconds + 1) * 1000);
    const stale = await h.app.request("/v1/health");
    assert.equal(stale.status, 503);
    assert.equal((await stale.json()).status, "stale");
  } finally {
    await h.close();
  }
});

eachBackend.test("every query parameter of GET /v1/nodes is validated: 400 bad_query", async (backend) => {
  const h = await httpNet({ backend });
  try {
    const bad = [
      "status=bogus",
      "operator=xyz",
      "operator=" + "g".repeat(64),
      "wallet=" + "ab".repeat(31),
      "swarm=-1",
      "swarm=18446744073709551616",
      "swarm=abc",
      "after=nothex",
      "limit=0",
      "limit=501",
      "limit=ten",
      "limit=1.5",
      "limit=",
      "status=active&status=exited",
    ];
    for (const q of bad) {
      const p = await problem(h.app.request(`/v1/nodes?${q}`));
      assert.equal(p.status, 400, q);
      assert.equal(p.code, "bad_query", q);
    }
    for (
      const q of [
        "limit=1",
        "limit=500",
        "swarm=18446744073709551615",
        "status=exited",
      ]
    ) {
      assert.equal((await h.app.request(`/v1/nodes?${q}`)).status, 200, q);
    }
  } finally {
    await h.close();
  }
});

eachBackend.test("nodes paginate by key with a cursor", async (backend) => {
  const h = await httpNet({ backend });
  try {
    const keys: string[] = [];
    for (let i = 0; i < 5; i++) keys.push(await activeNode(h, `n${i}`));
    keys.sort();
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 5 && (page === 0 || after !== null); page++) {
      const url: string = `/v1/nodes?limit=2${after ? `&after=${after}` : ""}`;
      const body = await json<
        { nodes: { pubkey: string }[]; next: string | null; total: number }
      >(
        h.app.request(url),
      );
      assert.equal(body.total, 5);
      seen.push(...body.nodes.map((n) => n.pubkey));
      after = body.next;
    }
    assert.deepEqual(seen, keys);
    assert.equal(after, null);
  } finally {
    await h.close();
  }
});

eachBackend.test("swarms, the swarm of a Session ID, and their errors", async (backend) => {
  const h = await httpNet({ backend });
  try {
    const sid = "05" + "ab".repeat(32);
    // No active node yet: no swarm to map to.
    assert.equal(
      (await problem(h.app.request(`/v1/sessions/${sid}/swarm`))).code,
      "unknown_swarm",
    );
    const keys: string[] = [];
    for (let i = 0; i < 3; i++) keys.push(await activeNode(h, `n${i}`));
    await ticks(h.net, 1);
    const swarms = await json<
      { id: string; size: number; members: string[] }[]
    >(
      h.app.request("/v1/swarms"),
    );
    assert.deepEqual(swarms.map((s) => [s.id, s.size]), [["0", 3]]);
    const one = await json(h.app.request("/v1/swarms/0"));
    assert.deepEqual(one.members, [...keys].sort());
    assert.equal((await h.app.request("/v1/swarms/000")).status, 200);
    assert.equal(
      (await problem(h.app.request("/v1/swarms/7"))).code,
      "unknown_swarm",
    );
    assert.equal(
      (await problem(h.app.request("/v1/swarms/x"))).code,
      "bad_param",
    );
    const mine = await json<
      { swarmId: string; members: { pubkey: string; publicIp: string }[] }
    >(
      h.app.request(`/v1/sessions/${sid}/swarm`),
    );
    assert.equal(mine.swarmId, "0");
    assert.equal(mine.members.length, 3);
    assert.equal(mine.members[0]!.publicIp, "127.0.0.1");
    // A group id maps by its key too.
    assert.equal(
      (await h.app.request(`/v1/sessions/03${"ab".repeat(32)}/swarm`)).status,
      200,
    );
    for (
      const bad of [
        "07" + "ab".repeat(32),
        "05" + "ab".repeat(31),
        "05zz",
        "hello",
      ]
    ) {
      const p = await problem(h.app.request(`/v1/sessions/${bad}/swarm`));
      assert.equal(p.status, 400, bad);
      assert.equal(p.code, "bad_session_id", bad);
    }
  } finally {
    await h.close();
  }
});

eachBackend.test("unknown things are 404 problems; malformed keys 400", async (backend) => {
  const h = await httpNet({ backend });
  try {
    const k = "11".repeat(32);
    assert.deepEqual(
      [(await problem(h.app.request(`/v1/nodes/${k}`))).code],
      ["unknown_node"],
    );
    assert.equal((await problem(h.app.request(`/v1/nodes/${k}`))).status, 404);
    assert.equal(
      (await problem(h.app.request("/v1/nodes/abc"))).code,
      "bad_param",
    );
    // A wallet key must be a valid point; a valid one never funded is unknown.
    const w = await problem(
      h.app.request(`/v1/wallets/${h.net.signer("nobody").key.hex}`),
    );
    assert.deepEqual([w.status, w.code], [404, "unknown_wallet"]);
    const notPoint = await problem(
      h.app.request(`/v1/wallets/${"ff".repeat(32)}`),
    );
    assert.deepEqual([notPoint.status, notPoint.code], [400, "bad_public_key"]);
    const nf = await problem(h.app.request("/v1/nothing/here"));
    assert.deepEqual([nf.status, nf.code], [404, "not_found"]);
    assert.equal((await problem(h.app.request("/v2/info"))).code, "not_found");
  } finally {
    await h.close();
  }
});

eachBackend.test("a wrong method is 405 with Allow", async (backend) => {
  const h = await httpNet({ backend });
  try {
    const r = await h.app.request("/v1/info", { method: "DELETE" });
    assert.equal(r.status, 405);
    assert.equal(r.headers.get("allow"), "GET, HEAD");
    assert.equal((await r.json()).code, "method_not_allowed");
    const w = await h.app.request("/v1/submit");
    assert.equal(w.status, 405);
    assert.equal(w.headers.get("allow"), "POST");
    const j = await h.app.request("/json_rpc");
    assert.equal(j.status, 405);
    assert.equal(
      (await h.app.request(`/v1/nodes/${"11".repeat(32)}`, { method: "POST" }))
        .status,
      405,
    );
  } finally {
    await h.close();
  }
});

eachBackend.test("GET routes allow any origin; writes do not", async (backend) => {
  const h = await httpNet({ backend });
  try {
    const r = await h.app.request("/v1/info", {
      headers: { origin: "https://explorer.example" },
    });
    assert.equal(r.headers.get("access-control-allow-origin"), "*");
    assert.match(r.headers.get("access-control-expose-headers") ?? "", /ETag/);
    // Errors of GET routes too, so a browser can read the problem.
    const e = await h.app.request("/v1/nodes?limit=0");
    assert.equal(e.headers.get("access-control-allow-origin"), "*");
    const pre = await h.app.request("/v1/events", {
      method: "OPTIONS",
      headers: { "access-control-request-headers": "last-event-id" },
    });
    assert.equal(pre.status, 204);
    assert.match(
      pre.headers.get("access-control-allow-headers") ?? "",
      /Last-Event-ID/,
    );
    assert.equal(pre.headers.get("access-control-allow-methods"), "GET, HEAD");
    const w = await h.app.request("/v1/submit", {
      method: "POST",
      body: new Uint8Array(0),
    });
    assert.equal(w.headers.get("access-control-allow-origin"), null);
  } finally {
    await h.close();
  }
});

eachBackend.test("fuzzed paths, queries and bodies never get a 500", async (backend) => {
  const h = await httpNet({ backend });
  try {
    await activeNode(h, "n0");
    await ticks(h.net, 1);
    // A fixed-seed generator: the same inputs every run.
    let seed = 0x9e3779b9;
    const rand = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 2 ** 32;
    };
    const pick = <T>(xs: readonly T[]): T =>
      xs[Math.floor(rand() * xs.length)]!;
    const junk = () => {
      const alphabet = "0123456789abcdefABCDEFxyz%-_.~/?&=;:,+ \u00e9\u2603";
      let s = "";
      const n = Math.floor(rand() * 80);
      for (let i = 0; i < n; i++) s += pick([...alphabet]);
      return s;
    };
    const bytes = () => {
      const n = Math.floor(rand() * 700);
      const b = new Uint8Array(n);
      crypto.getRandomValues(b);
      // Sometimes a plausible header: version 1, a real kind, devnet.
      if (n > 3 && rand() < 0.5) b.set([1, 1 + Math.floor(rand() * 5), 3]);
      return b;
    };
    const getPaths = [
      "/v1/nodes?",
      "/v1/nodes/",
      "/v1/swarms/",
      "/v1/sessions/",
      "/v1/wallets/",
      "/v1/lists/",
      "/v1/lists/latest/diff?from=",
      "/v1/events?after=",
      "/v1/events?kind=",
      "/v1/nodes?limit=",
      "/v1/",
    ];
    const postPaths = [
      "/v1/submit",
      "/v1/nodes",
      "/v1/contributions",
      "/v1/unlocks",
      "/v1/proofs",
      "/v1/faucet",
      "/json_rpc",
    ];
    const statuses = new Map<number, number>();
    for (let i = 0; i < 400; i++) {
      let res: Response;
      if (rand() < 0.5) {
        const url = pick(getPaths) + encodeURI(junk()).replaceAll("#", "%23");
        res = await h.app.request(url, {
          headers: {
            accept: pick([
              "*/*",
              "application/json",
              "text/event-stream",
              "x/y",
              "",
            ]),
          },
        });
        if (res.headers.get("content-type")?.startsWith("text/event-stream")) {
          await res.body?.cancel();
          continue;
        }
      } else {
        const type = pick([
          "application/octet-stream",
          "application/json",
          "text/plain",
          "",
        ]);
        const body = type === "application/json"
          ? pick([
            JSON.stringify({ message: toHex(bytes()) }),
            JSON.stringify({ message: junk() }),
            junk(),
            JSON.stringify({
              jsonrpc: "2.0",
              id: 1,
              method: "get_service_nodes",
              params: { limit: rand() * 10, fields: [junk()] },
            }),
          ])
          : bytes();
        res = await h.app.request(pick(postPaths), {
          method: "POST",
          headers: type ? { "content-type": type } : {},
          body,
        });
      }
      const text = await res.text();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      assert(res.status < 500, `${res.status}: ${text}`);
      if (res.status >= 400) {
        assert.equal(
          res.headers.get("content-type"),
          "application/problem+json",
          text,
        );
      }
    }
    assert.deepEqual(h.logged, []);
    // The fuzz reached both success and refusal paths.
    assert([...statuses.keys()].some((s) => s < 300));
    assert([...statuses.keys()].some((s) => s >= 400));
  } finally {
    await h.close();
  }
});

eachBackend.test("an unexpected error is a 500 internal problem with no trace, and is logged", async (backend) => {
  const h = await httpNet({ backend });
  try {
    // Break the database under the app: every query now fails.
    await h.net.store.close();
    const r = await h.app.request("/v1/info");
    assert.equal(r.status, 500);
    const body = await r.json();
    assert.equal(body.code, "internal");
    assert.equal(typeof body.errorId, "string");
    assert(!JSON.stringify(body).includes("at "), "no stack trace");
    assert.equal(h.logged.length, 1);
    assert.match(
      (h.logged[0] as { message: string }).message,
      new RegExp(body.errorId),
    );
  } finally {
    // Already closed above.
  }
});
