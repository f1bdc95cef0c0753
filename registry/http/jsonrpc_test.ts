import assert from "node:assert/strict";
import { SERVICE_NODE_FIELDS } from "../queries/oxen_rpc.ts";
import { eachBackend } from "../testkit/backend.ts";
import { activeNode, httpNet, ticks } from "../testkit/http.ts";

function rpc(body: unknown) {
  return {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  };
}

eachBackend.test("POST /json_rpc answers get_service_nodes with upstream names", async (backend) => {
  const h = await httpNet({ backend });
  try {
    const keys: string[] = [];
    for (let i = 0; i < 4; i++) keys.push(await activeNode(h, `n${i}`));
    // One registered but not funded: in the answer, not active, 0.0.0.0.
    const open = h.net.registration("open", "op", {
      operatorStake: h.net.params.operatorMinimum,
      feeBasisPoints: 0,
      reserved: [],
    });
    await h.app.request("/v1/nodes", {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: open.bytes as Uint8Array<ArrayBuffer>,
    });
    await ticks(h.net, 1);
    const tick = (await h.net.eventsOf("list_published", { limit: 1000 }))
      .at(-1)!;

    const res = await h.app.request(
      "/json_rpc",
      rpc({ jsonrpc: "2.0", id: "x", method: "get_service_nodes" }),
    );
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/json");
    const text = await res.text();
    // The unassigned swarm id keeps all its digits on the wire.
    assert.match(text, /"swarm_id":18446744073709551615/);
    const body = JSON.parse(text);
    assert.equal(body.id, "x");
    const r = body.result;
    assert.equal(r.height, tick.data.epoch);
    assert.equal(r.block_hash, tick.data.hash);
    assert.equal(r.status, "OK");
    assert.equal(r.service_node_states.length, 5);
    for (const s of r.service_node_states) {
      assert.deepEqual(Object.keys(s), [...SERVICE_NODE_FIELDS]);
    }
    const active = r.service_node_states.filter((s: { active: boolean }) =>
      s.active
    );
    assert.deepEqual(
      active.map((s: { service_node_pubkey: string }) => s.service_node_pubkey),
      [...keys].sort(),
    );
    const unproven = r.service_node_states.find((s: { active: boolean }) =>
      !s.active
    );
    assert.deepEqual(
      [
        unproven.public_ip,
        unproven.storage_port,
        unproven.storage_lmq_port,
        unproven.last_uptime_proof,
      ],
      ["0.0.0.0", 0, 0, 0],
    );

    // active_only + fields + limit: a random subset of 2 active nodes, two fields.
    const sub = await (await h.app.request(
      "/json_rpc",
      rpc({
        jsonrpc: "2.0",
        id: 1,
        method: "get_n_service_nodes",
        params: {
          active_only: true,
          limit: 2,
          fields: { public_ip: true, service_node_pubkey: true },
        },
      }),
    )).json();
    assert.equal(sub.result.service_node_states.length, 2);
    for (const s of sub.result.service_node_states) {
      assert.deepEqual(Object.keys(s).sort(), [
        "public_ip",
        "service_node_pubkey",
      ]);
      assert(keys.includes(s.service_node_pubkey));
    }
    assert.deepEqual(Object.keys(sub.result).sort(), [
      "service_node_states",
      "status",
    ]);
    // poll_block_hash: unchanged.
    const poll = await (await h.app.request(
      "/json_rpc",
      rpc({
        jsonrpc: "2.0",
        id: 2,
        method: "get_service_nodes",
        params: { poll_block_hash: r.block_hash },
      }),
    )).json();
    assert.equal(poll.result.unchanged, true);
    assert.equal(poll.result.service_node_states, undefined);
    // Errors are JSON-RPC errors with HTTP 200.
    const cases: [string, number][] = [
      ["{oops", -32700],
      [JSON.stringify({ jsonrpc: "2.0", id: 3, method: "get_height" }), -32601],
      [
        JSON.stringify({
          jsonrpc: "2.0",
          id: 4,
          method: "get_service_nodes",
          params: { active_only: 1 },
        }),
        -32602,
      ],
      [JSON.stringify({ jsonrpc: "2.0", id: 5 }), -32600],
    ];
    for (const [text, code] of cases) {
      const e = await h.app.request("/json_rpc", rpc(text));
      assert.equal(e.status, 200, text);
      assert.equal((await e.json()).error.code, code, text);
    }
    const notification = await h.app.request(
      "/json_rpc",
      rpc({ jsonrpc: "2.0", method: "get_service_nodes" }),
    );
    assert.equal(notification.status, 204);
    const big = await h.app.request(
      "/json_rpc",
      rpc("[" + "1,".repeat(40_000) + "1]"),
    );
    assert.equal(big.status, 413);
    assert.equal((await big.json()).code, "payload_too_large");
  } finally {
    await h.close();
  }
});

eachBackend.test("POST /json_rpc limit < 0 returns every node shuffled with the injected randomness", async (backend) => {
  // randomInt(n) = n - 1: each step of the Fisher-Yates swaps position i with the last.
  const h = await httpNet({ backend, app: { randomInt: (n) => n - 1 } });
  try {
    const keys: string[] = [];
    for (let i = 0; i < 4; i++) keys.push(await activeNode(h, `n${i}`));
    await ticks(h.net, 1);
    const res = await (await h.app.request(
      "/json_rpc",
      rpc({
        jsonrpc: "2.0",
        id: 1,
        method: "get_service_nodes",
        params: { limit: -1, fields: ["service_node_pubkey"] },
      }),
    )).json();
    const got = res.result.service_node_states.map((
      s: { service_node_pubkey: string },
    ) => s.service_node_pubkey);
    const sorted = [...keys].sort();
    // Swap i with the last each time: [a,b,c,d] -> [d,b,c,a] -> [d,a,c,b] -> [d,a,b,c].
    assert.deepEqual(got, [sorted[3], sorted[0], sorted[1], sorted[2]]);
  } finally {
    await h.close();
  }
});
