import assert from "node:assert/strict";
import { eachBackend } from "../testkit/backend.ts";
import { activeNode, httpNet, json, postMessage } from "../testkit/http.ts";

/** `/metrics` as name{labels} -> value. */
async function scrape(
  app: { request: (p: string) => Response | Promise<Response> },
): Promise<Map<string, number>> {
  const res = await app.request("/metrics");
  assert.equal(res.status, 200);
  const samples = new Map<string, number>();
  for (const line of (await res.text()).trimEnd().split("\n")) {
    if (line.startsWith("#")) continue;
    const i = line.lastIndexOf(" ");
    samples.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return samples;
}

eachBackend.test("GET /v1/ready: ready while serving with a valid list; not ready once the list expired or shutting down", async (backend) => {
  const stop = new AbortController();
  const h = await httpNet({ backend, app: { closeStreams: stop.signal } });
  try {
    const ready = await h.app.request("/v1/ready");
    assert.equal(ready.status, 200);
    assert.equal(ready.headers.get("cache-control"), "no-store");
    const body = await ready.json();
    assert.equal(body.status, "ready");
    assert.deepEqual(
      Object.values(body.checks).map((c) => (c as { ok: boolean }).ok),
      [true, true, true],
    );

    h.net.clock.advance((h.net.params.listValiditySeconds + 1) * 1000);
    const expired = await h.app.request("/v1/ready");
    assert.equal(expired.status, 503);
    const e = await expired.json();
    assert.equal(e.checks.list.ok, false);
    assert.match(e.checks.list.detail, /list 0 expired \d+ s ago/);
    assert.equal(e.checks.database.ok, true);

    stop.abort();
    const stopping = await json<{ checks: { serving: { detail: string } } }>(
      h.app.request("/v1/ready"),
    );
    assert.equal(stopping.checks.serving.detail, "shutting down");
  } finally {
    await h.close();
  }
});

eachBackend.test("a process that lost its database is alive but not ready; /metrics still answers and says so", async (backend) => {
  const h = await httpNet({ backend });
  let closed = false;
  try {
    assert.equal((await h.app.request("/v1/health")).status, 200);
    await h.net.registry.store.close();
    closed = true;
    const ready = await h.app.request("/v1/ready");
    assert.equal(ready.status, 503);
    const body = await ready.json();
    assert.equal(body.status, "unready");
    assert.equal(body.checks.database.ok, false);
    assert.match(body.checks.database.detail, /^does not answer: /);
    // Liveness: judged by the last list read, still valid.
    const health = await h.app.request("/v1/health");
    assert.equal(health.status, 200);
    assert.equal((await health.json()).latestList.epoch, 0);
    const m = await scrape(h.app);
    assert.equal(m.get("registry_database_up"), 0);
    assert.equal(m.get("registry_ready"), 0);
    assert.equal(
      m.get("registry_epoch"),
      undefined,
      "database families left out",
    );
  } finally {
    if (!closed) await h.close();
  }
});

eachBackend.test("/metrics: write latency histogram, queue depth, accepted and proofs, refused by code, database size, readiness", async (backend) => {
  const h = await httpNet({
    backend,
    app: { runtime: { epochLag: () => 2, tlsNotAfter: () => 1_900_000_000 } },
  });
  try {
    await activeNode(h, "n0");
    await activeNode(h, "n1");
    // A replayed registration: refused (sequence), and a garbage body.
    const again = h.net.registration("n0", "op", {
      operatorStake: h.net.params.stakingRequirement,
      feeBasisPoints: 0,
      reserved: [],
    });
    assert.equal(
      (await postMessage(h.app, "/v1/nodes", again.bytes)).status,
      409,
    );
    assert.equal(
      (await postMessage(h.app, "/v1/submit", new Uint8Array([1, 2, 3])))
        .status,
      400,
    );
    const m = await scrape(h.app);
    assert.equal(
      m.get('registry_writes_accepted_total{kind="register_node"}'),
      2,
    );
    assert.equal(
      m.get('registry_writes_accepted_total{kind="uptime_proof"}'),
      2,
    );
    assert.equal(m.get("registry_proofs_accepted_total"), 2);
    const rejected = [...m].filter(([k]) =>
      k.startsWith("registry_writes_rejected_total")
    );
    assert.equal(
      rejected.reduce((s, [, v]) => s + v, 0),
      2,
      JSON.stringify(rejected),
    );
    assert.equal(
      m.get('registry_write_duration_seconds_bucket{le="+Inf"}'),
      m.get("registry_write_duration_seconds_count"),
    );
    // Refusals inside the registry (the replay, the undecodable body) are
    // timed too: 4 applied + 2.
    assert.equal(m.get("registry_write_duration_seconds_count"), 6);
    assert.equal(m.get("registry_write_queue_depth"), 0);
    assert(m.get("registry_database_size_bytes")! > 0);
    assert.equal(m.get("registry_ready"), 1);
    assert.equal(m.get("registry_database_up"), 1);
    assert.equal(m.get("registry_latest_list_valid"), 1);
    assert.equal(m.get("registry_epoch_lag"), 2);
    assert.equal(
      m.get("registry_epoch_length_seconds"),
      h.net.params.epochSeconds,
    );
    assert.equal(
      m.get("registry_tls_certificate_expiry_timestamp_seconds"),
      1_900_000_000,
    );
    assert.equal(m.get("registry_sse_clients"), 0);
  } finally {
    await h.close();
  }
});
