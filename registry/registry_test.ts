import assert from "node:assert/strict";
import { ATOMIC_PER_COIN } from "./core/params.ts";
import {
  decodeNodeList,
  verifyChain,
  verifyNodeList,
} from "./core/nodelist.ts";
import { eachBackend } from "./testkit/backend.ts";
import { type TestNet, testNet } from "./testkit/mod.ts";

const COIN = ATOMIC_PER_COIN;

async function balanced(net: TestNet): Promise<void> {
  const audit = await net.store.read.wallets.audit();
  assert(
    audit.balanced,
    `ledger out of balance: ${
      JSON.stringify(audit, (_, v) => typeof v === "bigint" ? v.toString() : v)
    }`,
  );
}

async function status(net: TestNet, node: string): Promise<string> {
  return (await net.store.read.nodes.get(net.signer(node).key.hex)).status;
}

async function balance(net: TestNet, wallet: string): Promise<bigint> {
  return await net.store.read.wallets.balance(net.signer(wallet).key.hex);
}

/** Tick `n` epochs, moving the clock with them. */
async function ticks(
  net: TestNet,
  n: number,
  eachEpoch?: (epoch: number) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < n; i++) {
    await eachEpoch?.(net.registry.epoch);
    net.clock.advance(net.params.epochSeconds * 1000);
    await net.registry.tick();
  }
}

eachBackend.test("a node's whole life: register, contribute, active, decommissioned, recommissioned, unlock, exit", async (backend) => {
  const net = await testNet({ backend, funded: ["op", "friend"] });
  try {
    const p = net.params;
    await balanced(net);
    // Register with a quarter, a friend completes the stake.
    await net.registry.submit(
      net.registration("node", "op", {
        operatorStake: p.operatorMinimum,
        feeBasisPoints: 500,
        reserved: [],
      }).bytes,
    );
    assert.equal(await status(net, "node"), "awaiting_contributions");
    assert.equal(await balance(net, "op"), 1000n * COIN - p.operatorMinimum);
    await balanced(net);
    const rest = p.stakingRequirement - p.operatorMinimum;
    const r = await net.registry.submit(
      net.walletMessage("friend", "contribute", {
        nodePubkey: net.signer("node").key.public,
        amount: rest,
      }).bytes,
    );
    assert.equal(r.status, "active");
    await balanced(net);
    // Proofs keep it active; it joins a swarm at the next tick.
    await net.registry.submit(net.proof("node").bytes);
    await ticks(net, 1);
    const row = await net.store.read.nodes.get(net.signer("node").key.hex);
    assert.equal(row.swarm_id, "0");
    // Stop proving: decommissioned after the validity window.
    await ticks(net, p.proofValidityEpochs + 1);
    assert.equal(await status(net, "node"), "decommissioned");
    await balanced(net);
    // Prove again: recommissioned at the next tick.
    await net.registry.submit(net.proof("node").bytes);
    await ticks(net, 1);
    assert.equal(await status(net, "node"), "active");
    // Friend asks to unlock; keep proving until it takes effect.
    await net.registry.submit(
      net.walletMessage("friend", "unlock_request", {
        nodePubkey: net.signer("node").key.public,
      }).bytes,
    );
    let lastProof = net.registry.epoch;
    await ticks(net, p.unlockDelayEpochs + 1, async (epoch) => {
      if (epoch - lastProof >= p.proofIntervalEpochs) {
        await net.registry.submit(net.proof("node").bytes);
        lastProof = epoch;
      }
    });
    assert.equal(await status(net, "node"), "exited");
    assert.equal(await balance(net, "op"), 1000n * COIN);
    assert.equal(await balance(net, "friend"), 1000n * COIN);
    await balanced(net);
    const kinds = (await net.events({
      node: net.signer("node").key.hex,
      limit: 1000,
    })).map((e) => e.kind);
    for (
      const k of [
        "registered",
        "contribution",
        "funded",
        "active",
        "decommissioned",
        "recommissioned",
        "unlock_requested",
        "unlock_effective",
        "exited",
      ]
    ) {
      assert(
        kinds.includes(k as never),
        `missing event ${k} in ${kinds.join(",")}`,
      );
    }
  } finally {
    await net.close();
  }
});

eachBackend.test("a node that never proves is decommissioned, then deregistered; stakes stay locked, then return", async (backend) => {
  const net = await testNet({ backend, funded: ["op"] });
  try {
    const p = net.params;
    await net.registry.submit(
      net.registration("node", "op", {
        operatorStake: p.stakingRequirement,
        feeBasisPoints: 0,
        reserved: [],
      }).bytes,
    );
    assert.equal(await status(net, "node"), "active");
    await ticks(net, p.proofValidityEpochs + 2);
    assert.equal(await status(net, "node"), "decommissioned");
    await ticks(net, p.initialCredit + 1);
    assert.equal(await status(net, "node"), "deregistered");
    assert.equal(await balance(net, "op"), 1000n * COIN - p.stakingRequirement);
    await balanced(net);
    await ticks(net, p.deregLockEpochs + 1);
    assert.equal(await balance(net, "op"), 1000n * COIN);
    await balanced(net);
    const events = await net.events({
      node: net.signer("node").key.hex,
      limit: 100,
    });
    const dereg = events.find((e) => e.kind === "deregistered")!;
    assert.deepEqual(dereg.data.reasons, ["uptime"]);
    assert(events.some((e) => e.kind === "stake_released"));
  } finally {
    await net.close();
  }
});

eachBackend.test("every published list verifies and chains to the previous one", async (backend) => {
  const net = await testNet({ backend, funded: ["op"] });
  try {
    for (let i = 0; i < 8; i++) {
      await net.registry.submit(
        net.registration(`node${i}`, "op", {
          operatorStake: net.params.stakingRequirement,
          feeBasisPoints: 0,
          reserved: [],
        }).bytes,
      );
      await net.registry.submit(net.proof(`node${i}`).bytes);
    }
    await ticks(net, 3);
    const latest = (await net.store.read.lists.latest())!.epoch;
    const lists = [];
    for (let e = 0; e <= latest; e++) {
      lists.push((await net.store.read.lists.find(e))!);
    }
    assert(lists.length >= 4);
    let prev = null;
    for (const row of lists) {
      const { list } = verifyNodeList(row.bytes, [net.registryKey.public], {
        expectedNetwork: net.params.id,
      });
      if (prev) verifyChain(prev, list);
      prev = list;
    }
    const last = decodeNodeList(lists.at(-1)!.bytes, net.params.id);
    assert.equal(last.records.length, 8);
    assert(
      last.records.every((r) =>
        r.state === "active" && r.swarmId === 0n && r.ipv4 === "127.0.0.1"
      ),
    );
  } finally {
    await net.close();
  }
});

eachBackend.test("refused writes change nothing: forged, replayed, wrong network, stale, broken rules", async (backend) => {
  const net = await testNet({ backend, funded: ["op"] });
  try {
    const p = net.params;
    const snapshot = async () =>
      JSON.stringify(await net.store.read.inspect.state());
    const before = await snapshot();
    const reg = net.registration("node", "op", {
      operatorStake: p.operatorMinimum - 1n,
      feeBasisPoints: 0,
      reserved: [],
    });
    await assert.rejects(net.registry.submit(reg.bytes), {
      code: "operator_stake_too_low",
    });
    const forged = net.registration("node", "op", {
      operatorStake: p.operatorMinimum,
      feeBasisPoints: 0,
      reserved: [],
    }).bytes.slice();
    forged[forged.length - 1]! ^= 1;
    await assert.rejects(net.registry.submit(forged), {
      code: "bad_signature",
    });
    const poor = net.registration("node", "nobody", {
      operatorStake: p.operatorMinimum,
      feeBasisPoints: 0,
      reserved: [],
    });
    await assert.rejects(net.registry.submit(poor.bytes), {
      code: "insufficient_balance",
    });
    const stale = net.registration("node", "op", {
      operatorStake: p.operatorMinimum,
      feeBasisPoints: 0,
      reserved: [],
    });
    net.clock.advance(301_000);
    await assert.rejects(net.registry.submit(stale.bytes), {
      code: "stale_timestamp",
    });
    assert.equal(await snapshot(), before);
    const ok = net.registration("node", "op", {
      operatorStake: p.operatorMinimum,
      feeBasisPoints: 0,
      reserved: [],
    });
    await net.registry.submit(ok.bytes);
    await assert.rejects(net.registry.submit(ok.bytes), { code: "replayed" });
  } finally {
    await net.close();
  }
});

eachBackend.test("the faucet mints only on devnet and only within its limit", async (backend) => {
  const net = await testNet({ backend });
  try {
    await net.registry.submit(
      net.walletMessage("w", "faucet_request", { amount: 50n * COIN }).bytes,
    );
    assert.equal(await balance(net, "w"), 50n * COIN);
    await assert.rejects(
      net.registry.submit(
        net.walletMessage("w", "faucet_request", { amount: 5000n * COIN })
          .bytes,
      ),
      { code: "faucet_limit" },
    );
    await balanced(net);
  } finally {
    await net.close();
  }
});

Deno.test("a configured minimum node version refuses older proofs (outdated_version) and is published in info", async () => {
  const net = await testNet({
    funded: ["op"],
    registry: { minimumNodeVersion: [11, 1, 0] },
  });
  try {
    const p = net.params;
    await net.registry.submit(
      net.registration("node", "op", {
        operatorStake: p.stakingRequirement,
        feeBasisPoints: 0,
        reserved: [],
      }).bytes,
    );
    const before = JSON.stringify(await net.store.read.inspect.state());
    await assert.rejects(
      net.registry.submit(
        net.proof("node", { nodeVersion: [11, 0, 9] }).bytes,
      ),
      {
        code: "outdated_version",
        message: /11\.0\.9 is older than .* 11\.1\.0/,
      },
    );
    assert.equal(
      JSON.stringify(await net.store.read.inspect.state()),
      before,
    );
    const ok = await net.registry.submit(
      net.proof("node", { nodeVersion: [11, 1, 0] }).bytes,
    );
    assert.equal(ok.status, "active");
    const { info } = await import("./queries/info.ts");
    assert.equal((await info(net.registry)).rules.minimumNodeVersion, "11.1.0");
  } finally {
    await net.close();
  }
});
