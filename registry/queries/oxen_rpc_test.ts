import assert from "node:assert/strict";
import { toHex } from "../core/bytes.ts";
import { x25519FromEd25519 } from "../core/keys.ts";
import { eachBackend } from "../testkit/backend.ts";
import { testNet } from "../testkit/mod.ts";
import {
  cryptoRandomInt,
  encodeJsonRpc,
  getServiceNodes,
  JSONRPC_ERRORS,
  JsonRpcService,
  parseGetServiceNodesParams,
  randomPick,
  SERVICE_NODE_FIELDS,
  type ServiceNodeState,
  type TopInfo,
} from "./oxen_rpc.ts";

const TOP: TopInfo = {
  height: 7,
  block_hash: "aa".repeat(32),
  hardfork: 1,
  snode_revision: 0,
};

function state(i: number, active = true): ServiceNodeState {
  const key = i.toString(16).padStart(2, "0").repeat(32);
  return {
    service_node_pubkey: key,
    pubkey_ed25519: key,
    pubkey_x25519: key,
    registration_height: i,
    requested_unlock_height: 0,
    active,
    funded: active,
    state_height: i,
    earned_downtime_blocks: 60,
    decommission_count: 0,
    last_decommission_reason_consensus_all: 0,
    last_decommission_reason_consensus_any: 0,
    total_contributed: 1n,
    total_reserved: 1n,
    staking_requirement: 1n,
    operator_fee: 0,
    operator_address: key,
    contributors: [],
    swarm_id: 0n,
    swarm: "0",
    service_node_version: [0, 0, 0],
    storage_server_version: [0, 0, 0],
    public_ip: "0.0.0.0",
    storage_port: 0,
    storage_lmq_port: 0,
    last_uptime_proof: 0,
  };
}

const STATES = [1, 2, 3, 4, 5, 6].map((i) => state(i, i % 3 !== 0));

/** A deterministic randomInt for tests: a fixed sequence. */
function seq(...values: number[]): (n: number) => number {
  let i = 0;
  return (n) => values[i++ % values.length]! % n;
}

/** Fields upstream leaves out of an entry where they carry nothing. */
const CONDITIONAL = [
  "total_reserved",
  "last_decommission_reason_consensus_all",
  "last_decommission_reason_consensus_any",
];

Deno.test("fields: a list, an object, all by default, -name removes after all, names alone select only themselves (upstream)", () => {
  const keys = (params: unknown) => {
    const r = getServiceNodes(TOP, STATES, parseGetServiceNodesParams(params));
    const states = r.service_node_states as Record<string, unknown>[];
    return { top: Object.keys(r), node: Object.keys(states[0]!) };
  };
  const all = keys({});
  assert.deepEqual(
    all.node,
    SERVICE_NODE_FIELDS.filter((f) => !CONDITIONAL.includes(f)),
  );
  assert.deepEqual(all.top, [
    "height",
    "block_hash",
    "hardfork",
    "snode_revision",
    "status",
    "service_node_states",
  ]);
  assert.deepEqual(keys({ fields: ["all"] }), all);
  assert.deepEqual(keys({ fields: [] }), all);
  const two = keys({
    fields: ["service_node_pubkey", "public_ip", "height", "nonsense"],
  });
  assert.deepEqual(two.node, ["service_node_pubkey", "public_ip"]);
  assert.deepEqual(two.top, ["height", "status", "service_node_states"]);
  assert.deepEqual(
    keys({
      fields: { service_node_pubkey: true, swarm_id: true, active: false },
    }).node,
    ["service_node_pubkey", "swarm_id"],
  );
  const minus = keys({ fields: ["all", "-contributors", "-block_hash"] });
  assert.deepEqual(
    minus.node,
    all.node.filter((f) => f !== "contributors"),
  );
  assert(!minus.top.includes("block_hash"));
  // Without "all", "-name" entries select nothing (upstream requested()).
  const onlyMinus = keys({ fields: ["-contributors"] });
  assert.deepEqual(onlyMinus.node, []);
  assert.deepEqual(onlyMinus.top, ["status", "service_node_states"]);
  // The object form: read in key order; "all": true is everything and ends it.
  assert.deepEqual(
    keys({ fields: { "-public_ip": true, all: true } }).node,
    all.node,
  );
  assert.deepEqual(
    keys({ fields: { public_ip: true, all: false } }).node,
    ["public_ip"],
  );
  for (
    const bad of [
      { fields: [1] },
      { fields: 3 },
      { fields: "public_ip" },
      { fields: { a: "yes" } },
    ]
  ) {
    assert.throws(() => parseGetServiceNodesParams(bad), {
      code: JSONRPC_ERRORS.invalidParams,
    }, JSON.stringify(bad));
  }
});

Deno.test("entries leave out total_reserved, contributors[].reserved and decommission reasons where upstream does", () => {
  const plain = state(1);
  const reserved: ServiceNodeState = {
    ...state(2),
    total_contributed: 5n,
    total_reserved: 9n,
    last_decommission_reason_consensus_all: 1,
    last_decommission_reason_consensus_any: 1,
    contributors: [
      { address: "aa", amount: 5n, reserved: 9n },
      { address: "bb", amount: 3n, reserved: 3n },
    ],
  };
  const entries = getServiceNodes(
    TOP,
    [plain, reserved],
    parseGetServiceNodesParams({}),
  ).service_node_states as Record<string, unknown>[];
  for (const f of CONDITIONAL) assert(!(f in entries[0]!), f);
  assert.equal(entries[1]!.total_reserved, 9n);
  assert.equal(entries[1]!.last_decommission_reason_consensus_all, 1);
  assert.deepEqual(entries[1]!.contributors, [
    { address: "aa", amount: 5n, reserved: 9n },
    { address: "bb", amount: 3n },
  ]);
});

Deno.test("active_only, service_node_pubkeys and their validation", () => {
  const run = (params: unknown) =>
    (getServiceNodes(TOP, STATES, parseGetServiceNodesParams(params))
      .service_node_states as ServiceNodeState[]).map((s) =>
        s.registration_height
      );
  assert.deepEqual(run({}), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(run({ active_only: true }), [1, 2, 4, 5]);
  assert.deepEqual(
    run({
      service_node_pubkeys: [
        STATES[4]!.service_node_pubkey.toUpperCase(),
        "ff".repeat(32),
      ],
    }),
    [5],
  );
  assert.deepEqual(
    run({
      service_node_pubkeys: [STATES[2]!.service_node_pubkey],
      active_only: true,
    }),
    [],
  );
  for (
    const bad of [
      [],
      { active_only: "yes" },
      { limit: 1.5 },
      { limit: "3" },
      { service_node_pubkeys: ["abc"] },
      { service_node_pubkeys: "ab" },
      { poll_block_hash: 42 },
    ]
  ) {
    assert.throws(() => parseGetServiceNodesParams(bad), {
      code: JSONRPC_ERRORS.invalidParams,
    }, JSON.stringify(bad));
  }
});

Deno.test("limit > 0 is a random subset, < 0 everything shuffled, 0 everything in key order", () => {
  const heights = (limit: number, randomInt: (n: number) => number) =>
    (getServiceNodes(
      TOP,
      STATES,
      parseGetServiceNodesParams({ limit }),
      randomInt,
    )
      .service_node_states as ServiceNodeState[]).map((s) =>
        s.registration_height
      );
  // Partial Fisher-Yates with a known sequence: swap 0<->(0+5), then 1<->(1+0).
  assert.deepEqual(heights(2, seq(5, 0)), [6, 2]);
  assert.deepEqual(heights(100, seq(0)), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(heights(0, seq(3)), [1, 2, 3, 4, 5, 6]);
  const shuffled = heights(-1, seq(5, 4, 3, 2, 1, 0));
  assert.deepEqual([...shuffled].sort(), [1, 2, 3, 4, 5, 6]);
  assert.notDeepEqual(shuffled, [1, 2, 3, 4, 5, 6]);
  // With real randomness: every node gets picked, and subsets differ.
  const picked = new Set<number>();
  const subsets = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const h = heights(2, cryptoRandomInt);
    assert.equal(new Set(h).size, 2);
    h.forEach((x) => picked.add(x));
    subsets.add(h.join());
  }
  assert.equal(picked.size, 6);
  assert(subsets.size > 5);
});

Deno.test("cryptoRandomInt and randomPick stay in range", () => {
  for (const n of [1, 2, 3, 7, 1000, 2 ** 32]) {
    for (let i = 0; i < 50; i++) {
      const x = cryptoRandomInt(n);
      assert(Number.isInteger(x) && x >= 0 && x < n);
    }
  }
  assert.throws(() => cryptoRandomInt(0), RangeError);
  assert.deepEqual(randomPick([1, 2, 3], 0, cryptoRandomInt), []);
  assert.deepEqual(randomPick([], 5, cryptoRandomInt), []);
});

Deno.test("poll_block_hash: unchanged when equal to block_hash, else the full answer", () => {
  const same = getServiceNodes(
    TOP,
    STATES,
    parseGetServiceNodesParams({
      poll_block_hash: TOP.block_hash.toUpperCase(),
    }),
  );
  assert.deepEqual(same, { ...TOP, status: "OK", unchanged: true });
  // Not polling: "" and the null hash (all zeros), even before any list.
  for (const poll of ["", "0".repeat(64)]) {
    const zeroTop = { ...TOP, block_hash: "0".repeat(64) };
    const r = getServiceNodes(
      zeroTop,
      STATES,
      parseGetServiceNodesParams({ poll_block_hash: poll }),
    );
    assert.equal("unchanged" in r, false, JSON.stringify(poll));
    assert.equal((r.service_node_states as unknown[]).length, 6);
  }
  // A changed hash always comes with block_hash, selected or not.
  const changed = getServiceNodes(
    TOP,
    STATES,
    parseGetServiceNodesParams({
      poll_block_hash: "cc".repeat(32),
      fields: ["height", "public_ip"],
    }),
  );
  assert.equal(changed.unchanged, false);
  assert.equal(changed.block_hash, TOP.block_hash);
  const other = getServiceNodes(
    TOP,
    STATES,
    parseGetServiceNodesParams({ poll_block_hash: "bb".repeat(32) }),
  );
  assert.equal(other.unchanged, false);
  assert.equal((other.service_node_states as unknown[]).length, 6);
});

Deno.test("u64 values are written as exact JSON numbers", () => {
  const text = encodeJsonRpc({
    swarm_id: 2n ** 64n - 1n,
    amount: 25_000_000_000_000n,
    ok: true,
  });
  assert.equal(
    text,
    '{"swarm_id":18446744073709551615,"amount":25000000000000,"ok":true}',
  );
  const exact = JSON.parse(
    text,
    (_k, v, ctx?: { source?: string }) =>
      typeof v === "number" && ctx?.source ? BigInt(ctx.source) : v,
  );
  assert.equal(exact.swarm_id, 2n ** 64n - 1n);
});

eachBackend.test("JsonRpcService maps registry nodes with upstream names, one snapshot per list", async (backend) => {
  const net = await testNet({ backend, funded: ["op", "friend"] });
  try {
    const rpc = new JsonRpcService(net.registry);
    const p = net.params;
    const call = async (method: string, params: unknown = {}) =>
      JSON.parse(
        (await rpc.handle(
          JSON.stringify({ jsonrpc: "2.0", id: 9, method, params }),
        ))!,
        (_k, v, ctx?: { source?: string }) =>
          typeof v === "number" && ctx?.source && !Number.isSafeInteger(v)
            ? BigInt(ctx.source)
            : v,
      );
    // A proven active node and an open one.
    await net.registry.submit(
      net.registration("a", "op", {
        operatorStake: p.stakingRequirement,
        feeBasisPoints: 250,
        reserved: [],
      }).bytes,
    );
    await net.registry.submit(net.proof("a").bytes);
    await net.registry.submit(
      net.registration("b", "op", {
        operatorStake: p.operatorMinimum,
        feeBasisPoints: 1000,
        reserved: [{
          wallet: net.signer("friend").key.public,
          amount: p.operatorMinimum,
        }],
      }).bytes,
    );
    net.clock.advance(p.epochSeconds * 1000);
    const tick = await net.registry.tick();

    const r = await call("get_service_nodes");
    assert.equal(r.id, 9);
    assert.equal(r.jsonrpc, "2.0");
    const res = r.result;
    assert.equal(res.height, tick.epoch);
    assert.equal(res.block_hash, tick.hash);
    assert.equal(res.status, "OK");
    const byKey = new Map<string, Record<string, unknown>>(
      res.service_node_states.map((
        s: Record<string, unknown>,
      ) => [s.service_node_pubkey, s]),
    );
    const a = byKey.get(net.signer("a").key.hex)!;
    assert.deepEqual(
      Object.keys(a),
      SERVICE_NODE_FIELDS.filter((f) => !CONDITIONAL.includes(f)),
    );
    assert.equal(a.pubkey_ed25519, net.signer("a").key.hex);
    assert.equal(
      a.pubkey_x25519,
      toHex(x25519FromEd25519(net.signer("a").key.public)),
    );
    assert.equal(a.active, true);
    assert.equal(a.funded, true);
    assert.equal(a.registration_height, 1);
    assert.equal(a.requested_unlock_height, 0);
    // 250 basis points (2.5 %) are 25,000 millionths, upstream's unit.
    assert.equal(a.operator_fee, 25_000);
    assert.equal(a.swarm, "0");
    assert.equal(a.operator_address, net.signer("op").key.hex);
    assert.equal(a.total_contributed, Number(p.stakingRequirement));
    assert.equal(a.staking_requirement, Number(p.stakingRequirement));
    assert.equal(a.swarm_id, 0);
    assert.equal(a.public_ip, "127.0.0.1");
    assert.equal(a.storage_port, 22021);
    assert.equal(a.storage_lmq_port, 22020);
    assert.deepEqual(a.service_node_version, [11, 0, 0]);
    assert.deepEqual(a.storage_server_version, [2, 10, 0]);
    // When the registry received the proof (the clock has moved on since).
    assert.equal(a.last_uptime_proof, net.clock.now / 1000 - p.epochSeconds);
    assert.equal(a.earned_downtime_blocks, p.initialCredit);
    assert.deepEqual(a.contributors, [{
      address: net.signer("op").key.hex,
      amount: Number(p.stakingRequirement),
    }]);
    // Awaiting contributions: not active, not funded, no swarm, no proof.
    const b = byKey.get(net.signer("b").key.hex)!;
    assert.equal(b.active, false);
    assert.equal(b.funded, false);
    assert.equal(b.swarm_id, 2n ** 64n - 1n);
    assert.equal(b.public_ip, "0.0.0.0");
    assert.equal(b.storage_port, 0);
    assert.equal(b.storage_lmq_port, 0);
    assert.equal(b.last_uptime_proof, 0);
    assert.equal(b.total_contributed, Number(p.operatorMinimum));
    assert.equal(b.total_reserved, Number(2n * p.operatorMinimum));
    assert.deepEqual(b.contributors, [
      // reserved only where it differs from the amount, as upstream
      { address: net.signer("op").key.hex, amount: Number(p.operatorMinimum) },
      {
        address: net.signer("friend").key.hex,
        amount: 0,
        reserved: Number(p.operatorMinimum),
      },
    ]);
    assert.deepEqual(
      (await call("get_n_service_nodes", { active_only: true })).result
        .service_node_states
        .map((s: { service_node_pubkey: string }) => s.service_node_pubkey),
      [net.signer("a").key.hex],
    );

    // A node registered now shows with the next list, not under this block_hash.
    await net.registry.submit(
      net.registration("c", "op", {
        operatorStake: p.stakingRequirement,
        feeBasisPoints: 0,
        reserved: [],
      }).bytes,
    );
    const polled = await call("get_service_nodes", {
      poll_block_hash: tick.hash,
    });
    assert.deepEqual(polled.result, {
      height: tick.epoch,
      block_hash: tick.hash,
      hardfork: 1,
      snode_revision: 0,
      status: "OK",
      unchanged: true,
    });
    assert.equal(
      (await call("get_service_nodes")).result.service_node_states.length,
      2,
    );
    net.clock.advance(p.epochSeconds * 1000);
    const next = await net.registry.tick();
    const fresh = await call("get_service_nodes", {
      poll_block_hash: tick.hash,
    });
    assert.equal(fresh.result.unchanged, false);
    assert.equal(fresh.result.block_hash, next.hash);
    assert.equal(fresh.result.service_node_states.length, 3);
  } finally {
    await net.close();
  }
});

eachBackend.test("JsonRpcService errors: parse, invalid request, unknown method, bad params; batches and notifications", async (backend) => {
  const net = await testNet({ backend });
  try {
    const rpc = new JsonRpcService(net.registry);
    const answer = async (body: string) =>
      JSON.parse((await rpc.handle(body))!);
    assert.deepEqual(
      (await answer("{nope")).error.code,
      JSONRPC_ERRORS.parseError,
    );
    assert.equal((await answer("{nope")).id, null);
    assert.equal(
      (await answer("[]")).error.code,
      JSONRPC_ERRORS.invalidRequest,
    );
    assert.equal(
      (await answer("42")).error.code,
      JSONRPC_ERRORS.invalidRequest,
    );
    assert.equal(
      (await answer('{"jsonrpc":"1.0","method":"get_service_nodes","id":1}'))
        .error.code,
      JSONRPC_ERRORS.invalidRequest,
    );
    assert.equal(
      (await answer('{"jsonrpc":"2.0","id":{},"method":"x"}')).error.code,
      JSONRPC_ERRORS.invalidRequest,
    );
    const unknown = await answer(
      '{"jsonrpc":"2.0","id":"q","method":"get_info"}',
    );
    assert.deepEqual([unknown.id, unknown.error.code], [
      "q",
      JSONRPC_ERRORS.methodNotFound,
    ]);
    const bad = await answer(
      '{"jsonrpc":"2.0","id":2,"method":"get_service_nodes","params":{"limit":"x"}}',
    );
    assert.deepEqual([bad.id, bad.error.code], [
      2,
      JSONRPC_ERRORS.invalidParams,
    ]);
    // A request without an id is answered with "id": null, as oxend does
    // (Session desktop sends none); a batch answers every request.
    const noId = await answer('{"jsonrpc":"2.0","method":"get_service_nodes"}');
    assert.equal(noId.id, null);
    assert.equal(noId.result.status, "OK");
    const alias = await answer(
      '{"jsonrpc":"2.0","id":9,"method":"get_all_service_nodes","params":{"fields":["height"]}}',
    );
    assert.deepEqual(alias.result, {
      height: 0,
      status: "OK",
      service_node_states: [],
    });
    const batch = await answer(JSON.stringify([
      {
        jsonrpc: "2.0",
        id: 1,
        method: "get_service_nodes",
        params: { fields: ["height"] },
      },
      { jsonrpc: "2.0", method: "get_service_nodes" },
      { jsonrpc: "2.0", id: 3, method: "nope" },
    ]));
    assert.deepEqual(batch.map((x: { id: number }) => x.id), [1, null, 3]);
    assert.deepEqual(batch[0].result, {
      height: 0,
      status: "OK",
      service_node_states: [],
    });
    assert.equal(batch[1].result.status, "OK");
    assert.equal(batch[2].error.code, JSONRPC_ERRORS.methodNotFound);
  } finally {
    await net.close();
  }
});
