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
    // Every field upstream always writes; total_reserved and the reason
    // fields only where they carry something.
    const always = SERVICE_NODE_FIELDS.filter((f) =>
      f !== "total_reserved" && !f.startsWith("last_decommission_reason")
    );
    for (const s of r.service_node_states) {
      assert.deepEqual(
        Object.keys(s).filter((k) => !always.includes(k as typeof always[0])),
        Object.keys(s).filter((k) =>
          k === "total_reserved" || k.startsWith("last_decommission_reason")
        ),
      );
      for (const f of always) assert(f in s, f);
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
    // No id: still answered (oxend does; real clients send none).
    const noId = await h.app.request(
      "/json_rpc",
      rpc({ jsonrpc: "2.0", method: "get_service_nodes" }),
    );
    assert.equal(noId.status, 200);
    assert.equal((await noId.json()).id, null);
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

// Session desktop's seed bootstrap posts exactly these bytes to a seed's
// /json_rpc (no id) and validates the answer before using any node: a
// schema of strings for keys and the ip, numbers for ports and heights.
// Until the registry answered requests without an id, the client got a 204
// and fell back to its built-in list.
const SESSION_DESKTOP_BODY =
  '{"jsonrpc":"2.0","method":"get_n_service_nodes","params":{"active_only":true,"fields":{"public_ip":true,"storage_port":true,"pubkey_x25519":true,"pubkey_ed25519":true,"requested_unlock_height":true,"height":true}}}';

Deno.test("regression: Session desktop's get_n_service_nodes body, byte for byte, over a real server, as the client sees it", async () => {
  const { serveRegistry } = await import("../testkit/serve.ts");
  const served = await serveRegistry({ funded: ["op"] });
  try {
    const { net } = served;
    const p = net.params;
    // Two proven active nodes and one active node that never proved.
    for (const label of ["a", "b", "silent"]) {
      await net.registry.submit(
        net.registration(label, "op", {
          operatorStake: p.stakingRequirement,
          feeBasisPoints: 0,
          reserved: [],
        }).bytes,
      );
      if (label !== "silent") {
        await net.registry.submit(
          net.proof(label, { ipv4: "127.0.0.9", httpsPort: 22100 }).bytes,
        );
      }
    }
    await net.registry.tick();
    const res = await fetch(`${served.url}/json_rpc`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new TextEncoder().encode(SESSION_DESKTOP_BODY),
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    const body = await res.json();
    assert.equal(body.jsonrpc, "2.0");
    assert.equal(body.id, null);
    const result = body.result;
    assert.equal(typeof result.height, "number");
    const states = result.service_node_states as Record<string, unknown>[];
    assert.equal(states.length, 3);
    const hex64 = /^[0-9a-f]{64}$/;
    for (const s of states) {
      // Exactly the fields asked for, of the types the client validates.
      assert.deepEqual(Object.keys(s).sort(), [
        "pubkey_ed25519",
        "pubkey_x25519",
        "public_ip",
        "requested_unlock_height",
        "storage_port",
      ]);
      assert.match(s.pubkey_ed25519 as string, hex64);
      assert.match(s.pubkey_x25519 as string, hex64);
      assert.equal(typeof s.public_ip, "string");
      assert.equal(typeof s.storage_port, "number");
      assert.equal(typeof s.requested_unlock_height, "number");
    }
    const silent = states.find((s) =>
      s.pubkey_ed25519 === net.signer("silent").key.hex
    )!;
    // No proof yet: upstream's "0.0.0.0" and port 0, which clients drop.
    assert.deepEqual([silent.public_ip, silent.storage_port], ["0.0.0.0", 0]);
    const usable = states.filter((s) =>
      s.public_ip !== "0.0.0.0" && s.storage_port !== 0
    );
    assert.deepEqual(
      usable.map((s) => [s.public_ip, s.storage_port]),
      [["127.0.0.9", 22100], ["127.0.0.9", 22100]],
    );
  } finally {
    await served.close();
  }
});
