import assert from "node:assert/strict";
import type { NodeSummaryView } from "../../registry/client/types.ts";
import { HistoryBuilder, samplePoints } from "./history.ts";
import { parseNodeQuery, runNodeQuery } from "./node_query.ts";
import { buildSnapshot, compareVersions } from "./snapshot.ts";

function node(i: number, over: Partial<NodeSummaryView> = {}): NodeSummaryView {
  return {
    pubkey: i.toString(16).padStart(2, "0").repeat(32),
    status: "active",
    operator: "f" + i.toString(16).padStart(63, "0"),
    swarmId: String(i % 3),
    requirement: "120000000000",
    contributed: String(120_000_000_000 - i),
    feeBasisPoints: i * 10,
    contributors: 1,
    credit: 100 - i,
    publicIp: `10.0.${i}.1`,
    storageVersion: i % 2 ? "2.9.1" : "2.10.0",
    lastProofAgeSeconds: i,
    unlockAt: null,
    ...over,
  };
}

const NODES = [
  ...Array.from({ length: 30 }, (_, i) => node(i + 1)),
  node(40, { status: "deregistered", swarmId: null }),
  node(41, { status: "exited", swarmId: null }),
  node(42, {
    status: "awaiting_contributions",
    swarmId: null,
    contributed: "30000000000",
  }),
];
const snap = buildSnapshot(NODES, {
  takenAt: 0,
  registryNow: 1000,
  epoch: 5,
  open: [{
    pubkey: NODES[32]!.pubkey,
    minContribution: "10000000000",
    openSlots: 9,
  }],
});
const q = (s: string) =>
  runNodeQuery(snap, parseNodeQuery(new URLSearchParams(s)));

Deno.test("snapshot indexes swarms, states, versions and live stake", () => {
  assert.equal(snap.swarms.size, 3);
  assert.deepEqual([...snap.swarms.keys()], ["0", "1", "2"]);
  assert.equal(snap.byStatus.active, 30);
  assert.equal(snap.versions[0]![0], "2.10.0");
  // Deregistered and exited nodes hold no live stake.
  const live = NODES.filter((n) =>
    ["active", "awaiting_contributions"].includes(n.status)
  ).reduce((a, n) => a + BigInt(n.contributed), 0n);
  assert.equal(snap.totalStaked, live);
  assert.equal(snap.nodes[0]!.lastProofAt, 999);
  assert.ok(compareVersions("2.10.0", "2.9.1") > 0);
});

Deno.test("node query: states, search, filters, sort, pages", () => {
  assert.equal(q("").total, 31, "live by default: retired nodes left out");
  assert.equal(q("state=retired").total, 2);
  assert.equal(q("state=all").total, 33);
  assert.equal(q("q=" + NODES[4]!.pubkey.slice(0, 6)).total, 1);
  assert.equal(
    q("q=" + NODES[4]!.operator.slice(0, 64)).rows[0]!.pubkey,
    NODES[4]!.pubkey,
  );
  assert.equal(q("q=10.0.7.1").rows[0]!.pubkey, NODES[6]!.pubkey);
  assert.equal(q("q=zz!").total, 0);
  assert.equal(q("swarm=1").total, 10);
  assert.equal(q("version=2.9.1").total, 15);
  assert.equal(q("open=1").total, 1);
  const byStake = q("sort=stake&dir=desc").rows.map((n) => n.contributed);
  assert.deepEqual(
    byStake,
    [...byStake].sort((a, b) => Number(BigInt(b) - BigInt(a))),
  );
  const byProof = q("sort=proof").rows.map((n) => n.lastProofAgeSeconds);
  assert.deepEqual(byProof, [...byProof].sort((a, b) => a! - b!));
  const page2 = q("per=25&page=2");
  assert.equal(page2.rows.length, 6);
  assert.equal(page2.pages, 2);
  assert.equal(q("per=25&page=99").page, 2, "clamped to the last page");
  assert.equal(
    q("per=7").rows.length,
    31,
    "an unknown page size falls back to 50",
  );
});

Deno.test("history replays stake and keeps a bounded number of points", () => {
  const h = new HistoryBuilder(16);
  let id = 0;
  const ev = (
    kind: string,
    node: string | null,
    data: Record<string, unknown>,
  ) =>
    h.add({
      id: ++id,
      epoch: id,
      createdAt: id * 1000,
      kind,
      node,
      wallets: [],
      data,
    });
  ev("registered", "a", { operatorStake: "30" });
  ev("contribution", "a", { amount: "90", contributed: "120" });
  ev("registered", "b", { operatorStake: "120" });
  ev("list_published", null, { epoch: 1, nodes: 2, active: 2 });
  assert.equal(h.points.at(-1)!.staked, 240n);
  ev("deregistered", "a", {});
  ev("list_published", null, { epoch: 2, nodes: 1, active: 1 });
  assert.equal(h.points.at(-1)!.staked, 120n);
  for (let e = 3; e < 100; e++) {
    ev("list_published", null, { epoch: e, nodes: 1, active: 1 });
  }
  assert.ok(h.points.length <= 16);
  assert.equal(h.points.at(-1)!.epoch, 99, "recent history stays exact");
  h.setSwarms(99, 4);
  assert.equal(h.find(99)!.swarms, 4);
  assert.deepEqual(samplePoints([1, 2, 3, 4, 5], 3), [1, 3, 5]);
});
