import assert from "node:assert/strict";
import { eachBackend } from "../testkit/backend.ts";
import { activeNode, httpNet, ticks } from "../testkit/http.ts";

eachBackend.test("GET /metrics is Prometheus text: HELP and TYPE per family, valid samples, live values", async (backend) => {
  const h = await httpNet({ backend });
  try {
    await activeNode(h, "n0");
    await activeNode(h, "n1");
    await ticks(h.net, 2);
    await h.app.request("/v1/info");
    await h.app.request("/v1/info");
    await h.app.request("/v1/nodes?limit=0");
    await h.app.request("/v1/nowhere");
    const res = await h.app.request("/metrics");
    assert.equal(res.status, 200);
    assert.equal(
      res.headers.get("content-type"),
      "text/plain; version=0.0.4; charset=utf-8",
    );
    const text = await res.text();
    assert(text.endsWith("\n"));
    const families = new Map<string, string>();
    const samples = new Map<string, number>();
    for (const line of text.trimEnd().split("\n")) {
      const help = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$/.exec(line);
      const type =
        /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (gauge|counter|summary|histogram|untyped)$/
          .exec(line);
      const sample =
        /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? (-?[0-9.e+]+|NaN|[+-]Inf)$/
          .exec(line);
      assert(help || type || sample, `not exposition format: ${line}`);
      if (type) families.set(type[1]!, type[2]!);
      if (sample) {
        const family = [...families.keys()].find((f) =>
          sample[1]!.startsWith(f)
        );
        assert(family, `sample before its TYPE: ${line}`);
        samples.set(line.slice(0, line.lastIndexOf(" ")), Number(sample[5]));
      }
    }
    assert.equal(samples.get("registry_epoch"), h.net.registry.epoch);
    assert.equal(samples.get('registry_nodes{status="active"}'), 2);
    assert.equal(samples.get('registry_nodes{status="exited"}'), 0);
    assert.equal(samples.get("registry_swarms"), 1);
    assert.equal(
      samples.get("registry_lists_published_total"),
      h.net.registry.epoch,
    );
    assert.equal(
      samples.get("registry_last_event_id"),
      h.net.registry.lastEventId,
    );
    assert.equal(samples.get("registry_ledger_balanced"), 1);
    assert(samples.get('registry_ledger_atomic{kind="staked"}')! > 0);
    assert.equal(
      samples.get(
        'http_requests_total{method="GET",route="/v1/info",status="200"}',
      ),
      2,
    );
    assert.equal(
      samples.get(
        'http_requests_total{method="GET",route="/v1/nodes",status="400"}',
      ),
      1,
    );
    assert.equal(
      samples.get(
        'http_requests_total{method="GET",route="unmatched",status="404"}',
      ),
      1,
    );
    assert.equal(
      samples.get(
        'http_requests_total{method="POST",route="/v1/nodes",status="201"}',
      ),
      2,
    );
    assert.equal(
      samples.get(
        'http_request_duration_seconds_count{method="GET",route="/v1/info"}',
      ),
      2,
    );
    assert.equal(families.get("http_requests_total"), "counter");
    assert.equal(samples.get("registry_sse_clients"), 0);
  } finally {
    await h.close();
  }
});

Deno.test("GET /v1/openapi.json is an OpenAPI 3.1 document of every route", async () => {
  const h = await httpNet();
  try {
    const res = await h.app.request("/v1/openapi.json");
    assert.equal(res.status, 200);
    const doc = await res.json();
    assert.equal(doc.openapi, "3.1.0");
    assert.equal(typeof doc.info.title, "string");
    assert.equal(typeof doc.info.version, "string");
    const expected: Record<string, string[]> = {
      "/v1/submit": ["post"],
      "/v1/nodes": ["get", "post"],
      "/v1/contributions": ["post"],
      "/v1/unlocks": ["post"],
      "/v1/proofs": ["post"],
      "/v1/faucet": ["post"],
      "/v1/info": ["get"],
      "/v1/nodes/open": ["get"],
      "/v1/nodes/{pubkey}": ["get"],
      "/v1/swarms": ["get"],
      "/v1/swarms/{id}": ["get"],
      "/v1/sessions/{sessionId}/swarm": ["get"],
      "/v1/wallets/{pubkey}": ["get"],
      "/v1/lists/{which}": ["get"],
      "/v1/lists/{which}/diff": ["get"],
      "/v1/events": ["get"],
      "/json_rpc": ["post"],
      "/v1/health": ["get"],
      "/v1/ready": ["get"],
      "/metrics": ["get"],
      "/v1/openapi.json": ["get"],
      "/v1/docs": ["get"],
    };
    assert.deepEqual(
      Object.keys(doc.paths).sort(),
      Object.keys(expected).sort(),
    );
    const ids = new Set<string>();
    for (const [path, methods] of Object.entries(expected)) {
      assert.deepEqual(Object.keys(doc.paths[path]).sort(), methods, path);
      for (const m of methods) {
        const op = doc.paths[path][m];
        assert.equal(typeof op.summary, "string", `${m} ${path}`);
        assert(Object.keys(op.responses).length > 0, `${m} ${path}`);
        assert(!ids.has(op.operationId), `duplicate ${op.operationId}`);
        ids.add(op.operationId);
        // Path parameters are declared.
        for (const name of path.match(/\{(\w+)\}/g) ?? []) {
          assert(
            op.parameters.some((
              p: { name: string; in: string; required: boolean },
            ) => `{${p.name}}` === name && p.in === "path" && p.required),
            `${path} declares ${name}`,
          );
        }
      }
    }
    // Every $ref resolves.
    const refs =
      JSON.stringify(doc).match(/"\$ref":"#\/components\/schemas\/(\w+)"/g) ??
        [];
    assert(refs.length > 10);
    for (const ref of refs) {
      const name = ref.split("/").at(-1)!.slice(0, -1);
      assert(doc.components.schemas[name], `missing schema ${name}`);
    }
    const nodesQuery = doc.paths["/v1/nodes"].get.parameters.map((
      p: { name: string },
    ) => p.name);
    assert.deepEqual(nodesQuery.sort(), [
      "after",
      "limit",
      "operator",
      "status",
      "swarm",
      "wallet",
    ]);
    assert.deepEqual(
      Object.keys(doc.paths["/v1/submit"].post.requestBody.content).sort(),
      ["application/json", "application/octet-stream"],
    );
    assert(
      doc.paths["/v1/nodes/{pubkey}"].get.responses["404"]
        .content["application/problem+json"],
    );
  } finally {
    await h.close();
  }
});

Deno.test("GET /v1/docs renders every endpoint and problem code, with no external assets", async () => {
  const h = await httpNet();
  try {
    const res = await h.app.request("/v1/docs");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
    assert.match(
      res.headers.get("content-security-policy") ?? "",
      /default-src 'none'/,
    );
    const html = await res.text();
    const doc = await (await h.app.request("/v1/openapi.json")).json();
    for (const path of Object.keys(doc.paths)) {
      assert(html.includes(`<code>${path}</code>`), path);
    }
    assert(!/<script|src="http|href="http/i.test(html));
    // Each problem's type points at an anchor of this page.
    const p = await (await h.app.request("/v1/nodes?limit=0")).json();
    assert.equal(p.type, "/v1/docs#problem-bad_query");
    for (
      const code of [
        "bad_query",
        "bad_signature",
        "replayed",
        "stale_timestamp",
        "wrong_kind",
        "internal",
        "diff_unavailable",
      ]
    ) {
      assert(html.includes(`id="problem-${code}"`), code);
    }
  } finally {
    await h.close();
  }
});

eachBackend.test("a real server on loopback: lists compressed, 304 with Date, SSE live and its end on disconnect", async (backend) => {
  const h = await httpNet({ backend, app: { heartbeatMs: 60_000 } });
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    h.app.fetch,
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  try {
    await activeNode(h, "n0");
    await ticks(h.net, 1);
    const health = await fetch(`${base}/v1/health`);
    assert.equal((await health.json()).status, "ok");

    // fetch negotiates compression itself and hands back the decoded bytes.
    const plain = new Uint8Array(
      await (await fetch(`${base}/v1/lists/latest.bin`, {
        headers: { "accept-encoding": "identity" },
      }))
        .arrayBuffer(),
    );
    const gz = await fetch(`${base}/v1/lists/latest.bin`, {
      headers: { "accept-encoding": "gzip" },
    });
    assert.equal(gz.status, 200);
    assert.deepEqual(new Uint8Array(await gz.arrayBuffer()), plain);
    const etag = gz.headers.get("etag")!;
    const again = await fetch(`${base}/v1/lists/latest.bin`, {
      headers: { "accept-encoding": "gzip", "if-none-match": etag },
    });
    assert.equal(again.status, 304);
    await again.body?.cancel();
    // The registry's clock, not the server machine's: a skewed client learns it.
    assert.equal(
      again.headers.get("date"),
      new Date(h.net.clock.now).toUTCString(),
    );

    // SSE over the network: replay, a live event, then the client leaves.
    const ac = new AbortController();
    const last = h.net.registry.lastEventId;
    const stream = await fetch(`${base}/v1/events`, {
      headers: {
        accept: "text/event-stream",
        "last-event-id": String(last - 1),
      },
      signal: ac.signal,
    });
    assert.equal(stream.status, 200);
    const reader = stream.body!.pipeThrough(new TextDecoderStream())
      .getReader();
    let text = "";
    const until = async (needle: string) => {
      const deadline = Date.now() + 5000;
      while (!text.includes(needle)) {
        assert(Date.now() < deadline, `no ${needle} in ${text}`);
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
    };
    await until(`id: ${last}\n`);
    const faucet = h.net.walletMessage("w", "faucet_request", {
      amount: 1_000_000_000n,
    });
    const posted = await fetch(`${base}/v1/faucet`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: faucet.bytes as Uint8Array<ArrayBuffer>,
    });
    assert.equal(posted.status, 200);
    await posted.body?.cancel();
    await until("event: faucet\n");
    assert.equal(h.net.registry.lastEventId, last + 1);
    assert((await (await fetch(`${base}/v1/health`)).json()).sseClients === 1);
    ac.abort();
    await reader.cancel().catch(() => {});
    let clients = 1;
    for (let i = 0; i < 100 && clients !== 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      clients = (await (await fetch(`${base}/v1/health`)).json()).sseClients;
    }
    assert.equal(clients, 0, "the server noticed the client left");

    // Bad input over the wire is a problem, not a crash.
    const bad = await fetch(`${base}/v1/nodes`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: new Uint8Array([1, 4, 3]),
    });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).code, "wrong_kind");
  } finally {
    await server.shutdown();
    await h.close();
  }
});
