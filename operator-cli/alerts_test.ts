import assert from "node:assert/strict";
import type {
  InfoView,
  NodeDetailView,
  RegistryEventView,
} from "../registry/client/types.ts";
import { AlertEngine, compareVersions, OutageTracker } from "./alerts.ts";

const info: InfoView = {
  network: "devnet",
  networkId: 3,
  epoch: 100,
  epochSeconds: 2,
  now: 1_000_000,
  registryKeys: [],
  latestList: null,
  nodes: { active: 1 },
  swarms: 1,
  rules: {
    stakingRequirement: "120000000000",
    operatorMinimum: "30000000000",
    maxContributors: 10,
    proofIntervalEpochs: 5,
    proofValidityEpochs: 11,
    proofMinSpacingEpochs: 2,
    clockToleranceSeconds: 300,
    unlockDelayEpochs: 30,
    smallContributorLockEpochs: 60,
    deregLockEpochs: 60,
    initialCredit: 60,
    maxCredit: 1440,
    faucet: true,
    minimumNodeVersion: null,
  },
};

function node(patch: Partial<NodeDetailView> = {}): NodeDetailView {
  return {
    pubkey: "aa".repeat(32),
    status: "active",
    operator: "bb".repeat(32),
    swarmId: "0",
    requirement: "120000000000",
    contributed: "120000000000",
    feeBasisPoints: 0,
    contributors: 1,
    credit: 100,
    publicIp: "127.0.0.1",
    storageVersion: "2.10.0",
    lastProofAgeSeconds: 1,
    unlockAt: null,
    x25519: "cc".repeat(32),
    registeredAt: 0,
    statusSince: 50,
    funding: {
      funded: true,
      remaining: "0",
      openSlots: 0,
      minContribution: "0",
      maxContribution: "0",
      reservedOutstanding: "0",
    },
    stakes: [],
    creditMax: 1440,
    failing: [],
    decommissionCount: 0,
    lastDecommissionReasons: [],
    proof: {
      publicIp: "127.0.0.1",
      httpsPort: 1,
      quicPort: 2,
      nodeVersion: "11.0.0",
      storageVersion: "2.10.0",
      epoch: 99,
      timestamp: 999_998,
      ageSeconds: 2,
      expiresAtEpoch: 111,
    },
    unlock: null,
    lockedUntil: null,
    reachability: { unreachable: false, consecutiveFailures: 0, tests: [] },
    swarmMates: [],
    history: [],
    outlook: {
      next: "decommission",
      atEpoch: 111,
      atTime: null,
      credit: 100,
      text: "fine",
    },
    ...patch,
  };
}

Deno.test("low credit alerts once, and again only after it recovers", () => {
  const e = new AlertEngine({ creditBelow: 30 });
  const low = node({ credit: 20 });
  assert.deepEqual(e.onStatus(low, info, 0).map((a) => a.kind), ["credit_low"]);
  assert.deepEqual(e.onStatus(node({ credit: 29 }), info, 1), []);
  assert.deepEqual(e.onStatus(node({ credit: 31 }), info, 2), []); // inside the hysteresis band
  assert.deepEqual(e.onStatus(node({ credit: 40 }), info, 3), []);
  assert.deepEqual(e.onStatus(low, info, 4).map((a) => a.kind), ["credit_low"]);
});

Deno.test("proofs missed in a row: one alert until a proof arrives", () => {
  const e = new AlertEngine({ missedProofs: 2 });
  const stale = (age: number) =>
    node({ proof: { ...node().proof!, ageSeconds: age, timestamp: 5 } });
  assert.deepEqual(e.onStatus(stale(15), info, 0), []); // 1 interval (10 s)
  assert.deepEqual(e.onStatus(stale(25), info, 1).map((a) => a.kind), [
    "proofs_missed",
  ]);
  assert.deepEqual(e.onStatus(stale(35), info, 2), []);
  assert.deepEqual(e.onStatus(stale(3), info, 3), []);
  assert.equal(e.onStatus(stale(21), info, 4).length, 1);
});

Deno.test("a decommission seen by event and by poll alerts once", () => {
  const e = new AlertEngine();
  const ev: RegistryEventView = {
    id: 7,
    epoch: 101,
    createdAt: 0,
    kind: "decommissioned",
    node: "aa".repeat(32),
    wallets: [],
    data: {
      reasons: ["uptime"],
      reasonBits: 1,
      credit: 40,
      deregisterAt: 141,
      deregisterAtTime: 0,
    },
  };
  const first = e.onEvent(ev, 0);
  assert.equal(first.length, 1);
  assert.equal(first[0]!.severity, "critical");
  assert.match(first[0]!.message, /DECOMMISSIONED.*uptime/);
  const polled = e.onStatus(
    node({ status: "decommissioned", statusSince: 101 }),
    info,
    1,
  );
  assert.deepEqual(polled.filter((a) => a.kind === "decommissioned"), []);
  assert.deepEqual(e.onEvent(ev, 2), []);
});

Deno.test("deregistration soon, and unlock windows 48/24/6 h each once", () => {
  const e = new AlertEngine({ deregWithinEpochs: 30 });
  const soon = node({
    status: "decommissioned",
    statusSince: 95, // no proof since (the last was at epoch 99 - 10)
    proof: { ...node().proof!, epoch: 89, ageSeconds: 22 },
    outlook: {
      next: "deregister",
      atEpoch: 120,
      atTime: null,
      credit: 20,
      text: "x",
    },
  });
  assert(
    e.onStatus(soon, info, 0).some((a) => a.kind === "deregistration_soon"),
  );
  assert(
    !e.onStatus(soon, info, 1).some((a) => a.kind === "deregistration_soon"),
  );

  const u = new AlertEngine();
  const unlocking = node({
    unlock: { unlockAt: 500, unlockAtTime: 10_000_000 },
  });
  const at = (left: number) =>
    u.onStatus(unlocking, info, 10_000_000 - left)
      .filter((a) => a.kind === "unlock_soon").map((a) => a.data.window);
  assert.deepEqual(at(72 * 3600), []);
  assert.deepEqual(at(47 * 3600), [48]);
  assert.deepEqual(at(40 * 3600), []);
  assert.deepEqual(at(5 * 3600), [6]); // 24 h was skipped over: only the nearest window
  assert.deepEqual(at(3600), []);
});

Deno.test("new contributions and outdated versions", () => {
  const e = new AlertEngine({ minVersion: "2.11.0" });
  const c = e.onEvent({
    id: 9,
    epoch: 1,
    createdAt: 0,
    kind: "contribution",
    node: "aa".repeat(32),
    wallets: [],
    data: {
      wallet: "dd".repeat(32),
      amount: "30000000000",
      contributed: "60000000000",
    },
  }, 0);
  assert.match(c[0]!.message, /new contribution of 30 coins/);
  assert.deepEqual(e.onStatus(node(), info, 0).map((a) => a.kind), [
    "outdated_version",
  ]);
  assert.deepEqual(e.onStatus(node(), info, 1), []);
  assert(compareVersions("2.9.9", "2.10.0") < 0);
});

Deno.test("deregistration soon fires only when the operator can act, and says what to do", () => {
  const e = new AlertEngine({ deregWithinEpochs: 30 });
  const dereg = (atEpoch: number) => ({
    next: "deregister",
    atEpoch,
    atTime: null,
    credit: 4,
    text: "active with 4 epochs of credit; ... deregistered at epoch 111",
  });
  const kinds = (n: NodeDetailView, at: number) =>
    e.onStatus(n, info, at).filter((a) => a.kind === "deregistration_soon");

  // Just recommissioned with little credit, proving every interval: the
  // outlook says "deregister" but there is nothing to do.
  const proving = node({
    statusSince: 100,
    credit: 4,
    outlook: dereg(111),
  });
  assert.deepEqual(kinds(proving, 0), []);
  assert.deepEqual(kinds({ ...proving, outlook: dereg(112) }, 1), []);

  // Its proof is overdue (interval 10 s, last 31 s ago): now it matters.
  const late = node({
    statusSince: 100,
    credit: 4,
    proof: { ...node().proof!, ageSeconds: 31 },
    outlook: dereg(111),
  });
  const a = kinds(late, 2);
  assert.equal(a.length, 1);
  assert.equal(a[0]!.severity, "critical");
  assert.match(a[0]!.message, /unless you act: send an uptime proof/);
  assert.match(a[0]!.message, /snode node agent/);
  // Once, until the condition clears; a proof clears it.
  assert.deepEqual(kinds(late, 3), []);
  assert.deepEqual(kinds(proving, 4), []);

  // Unreachable: says where and what to check.
  const unreachable = node({
    statusSince: 100,
    credit: 4,
    outlook: dereg(101),
    reachability: {
      unreachable: true,
      consecutiveFailures: 2,
      tests: [{
        epoch: 99,
        testedAt: 0,
        address: "203.0.113.7:22021",
        ok: false,
        detail: "connection refused",
        latencyMs: null,
      }],
    },
  });
  const u = kinds(unreachable, 5);
  assert.equal(u.length, 1);
  assert.match(
    u[0]!.message,
    /make the node reachable at 203\.0\.113\.7:22021 \(connection refused\)/,
  );

  // Decommissioned but proved since, and reachable: recommissioned at the
  // next epoch whatever the operator does - no alert.
  const f = new AlertEngine();
  const returning = node({
    status: "decommissioned",
    statusSince: 95,
    outlook: dereg(120),
  });
  assert.deepEqual(
    f.onStatus(returning, info, 0).filter((x) =>
      x.kind === "deregistration_soon"
    ),
    [],
  );
});

Deno.test("outdated node version against the registry's minimumNodeVersion, when it publishes one", () => {
  const withMin = (v: string | null) =>
    ({
      ...info,
      rules: { ...info.rules, minimumNodeVersion: v },
    }) as InfoView;
  const kinds = (e: AlertEngine, i: InfoView) =>
    e.onStatus(node(), i, 0).filter((a) => a.kind === "outdated_version");
  // The node proves with 11.0.0.
  const old = kinds(new AlertEngine(), withMin("11.2.0"));
  assert.equal(old.length, 1);
  assert.match(
    old[0]!.message,
    /service node 11\.0\.0 is older than the network's minimum 11\.2\.0/,
  );
  assert.equal(old[0]!.data.component, "node");
  assert.deepEqual(kinds(new AlertEngine(), withMin("11.0.0")), []);
  assert.deepEqual(kinds(new AlertEngine(), withMin(null)), []);
  assert.deepEqual(kinds(new AlertEngine(), info), []); // not published
});

Deno.test("registry unreachable after a bounded time, once, and reachable again after", () => {
  const t = new OutageTracker({ url: "http://r", afterSeconds: 60 });
  const t0 = 1_000_000_000_000;
  assert.deepEqual(t.ok(t0), []); // never down: nothing to say
  assert.deepEqual(t.failed(t0, "connection refused"), []); // a blip
  assert.equal(t.down, true);
  assert.deepEqual(t.failed(t0 + 59_000, "connection refused"), []);
  const down = t.failed(t0 + 60_000, "connection refused");
  assert.equal(down.length, 1);
  assert.equal(down[0]!.kind, "registry_unreachable");
  assert.equal(down[0]!.node, null);
  assert.match(
    down[0]!.message,
    /registry http:\/\/r unreachable for 1m 0s \(connection refused\)/,
  );
  assert.deepEqual(t.failed(t0 + 120_000, "timeout"), []); // once per outage
  const up = t.ok(t0 + 125_000);
  assert.equal(up.length, 1);
  assert.equal(up[0]!.kind, "registry_reachable");
  assert.match(up[0]!.message, /reachable again after 2m 5s/);
  assert.equal(t.down, false);
  // A short outage says nothing either way.
  assert.deepEqual(t.failed(t0 + 200_000, "x"), []);
  assert.deepEqual(t.ok(t0 + 210_000), []);
});
