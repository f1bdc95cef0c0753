import assert from "node:assert/strict";
import { verifyChain, verifyNodeList } from "../core/nodelist.ts";
import { decodeNodeList } from "../core/nodelist.ts";
import { type TestNet, testNet } from "../testkit/mod.ts";
import { applyListDelta, encodeListDelta } from "./lists.ts";
import { splitNodeList } from "../core/nodelist.ts";

/** One epoch of churn, the same on every net it is given: nodes join, prove from new addresses, and the epoch closes. */
async function epochOfChurn(net: TestNet, e: number): Promise<void> {
  const p = net.params;
  for (let i = 0; i < 3; i++) {
    const node = `n${e}-${i}`;
    await net.registry.submit(
      net.registration(node, "op", {
        operatorStake: p.stakingRequirement,
        feeBasisPoints: 0,
        reserved: [],
      }).bytes,
    );
    await net.registry.submit(
      net.proof(node, { ipv4: `10.1.${e}.${i}` }).bytes,
    );
  }
  // Older nodes prove again from a new address (spacing allows it every 2 epochs).
  if (e >= 2 && e % 2 === 0) {
    for (let i = 0; i < 3; i++) {
      await net.registry.submit(
        net.proof(`n${e - 2}-${i}`, { ipv4: `10.2.${e}.${i}` }).bytes,
      );
    }
  }
  net.clock.advance(p.epochSeconds * 1000);
  await net.registry.tick();
}

async function keptBytes(net: TestNet): Promise<Map<number, Uint8Array>> {
  const out = new Map<number, Uint8Array>();
  const latest = (await net.store.read.lists.latest())!.epoch;
  for (let e = 0; e <= latest; e++) {
    const l = await net.store.read.lists.find(e);
    if (l) out.set(e, l.bytes);
  }
  return out;
}

Deno.test("lists stored as snapshots and deltas read back byte for byte, every retained epoch, through pruning", async () => {
  // Twins fed the same writes: one stores every list in full (as before
  // deltas existed), one a snapshot every 4 epochs.
  const opts = { funded: ["op"], fundedCoins: 100_000n };
  const full = await testNet({
    ...opts,
    registry: { listSnapshotEvery: 1, listRetention: 12 },
  });
  const delta = await testNet({
    ...opts,
    registry: { listSnapshotEvery: 4, listRetention: 12 },
  });
  try {
    for (let e = 0; e < 30; e++) {
      await epochOfChurn(full, e);
      await epochOfChurn(delta, e);
      const a = await keptBytes(full);
      const b = await keptBytes(delta);
      assert.deepEqual(
        [...b.keys()],
        [...a.keys()],
        `epoch ${e}: same lists kept`,
      );
      for (const [epoch, bytes] of a) {
        assert.deepEqual(b.get(epoch), bytes, `list ${epoch} after epoch ${e}`);
      }
    }
    const kept = await keptBytes(delta);
    assert.equal(kept.size, 12);
    // The kept lists still chain and verify.
    const lists = [...kept.values()].map((b) => decodeNodeList(b, 3));
    for (let i = 1; i < lists.length; i++) {
      verifyChain(lists[i - 1]!, lists[i]!);
    }
    verifyNodeList(kept.get(Math.max(...kept.keys()))!, [
      delta.registryKey.public,
    ], { expectedNetwork: 3 });
    const stats = await delta.store.read.lists.storage();
    assert.equal(stats.lists, 12);
    assert(stats.deltas >= 8, `${stats.deltas} deltas`);
    assert(
      stats.storedBytes < (await full.store.read.lists.storage()).storedBytes,
    );
  } finally {
    await full.close();
    await delta.close();
  }
});

Deno.test("lists kept before a change of storage are served unchanged after it", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/registry.db`;
  const opts = { funded: ["op"], fundedCoins: 100_000n };
  try {
    const before = await testNet({
      ...opts,
      path,
      registry: { listSnapshotEvery: 1 },
    });
    for (let e = 0; e < 6; e++) await epochOfChurn(before, e);
    const old = await keptBytes(before);
    await before.close();
    const after = await testNet({
      ...opts,
      path,
      registry: { listSnapshotEvery: 3 },
    });
    try {
      const still = await keptBytes(after);
      for (const [epoch, bytes] of old) {
        assert.deepEqual(still.get(epoch), bytes, `list ${epoch}`);
      }
      // New lists are deltas on top of the old full rows; all read back.
      after.clock.advance(6 * after.params.epochSeconds * 1000);
      for (let e = 6; e < 12; e++) {
        await after.registry.tick();
        after.clock.advance(after.params.epochSeconds * 1000);
      }
      const all = await keptBytes(after);
      for (const [epoch, bytes] of old) assert.deepEqual(all.get(epoch), bytes);
      const lists = [...all.values()].map((b) => decodeNodeList(b, 3));
      for (let i = 1; i < lists.length; i++) {
        verifyChain(lists[i - 1]!, lists[i]!);
      }
      assert((await after.store.read.lists.storage()).deltas >= 3);
    } finally {
      await after.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a list delta carries the new header and signatures and only the changed records", async () => {
  const net = await testNet({ funded: ["op"], fundedCoins: 100_000n });
  try {
    await epochOfChurn(net, 0);
    await epochOfChurn(net, 1);
    const a = (await net.store.read.lists.find(1))!.bytes;
    const b = (await net.store.read.lists.find(2))!.bytes;
    const d = encodeListDelta(splitNodeList(a).recordBytes, b);
    assert.deepEqual(applyListDelta(a, d), b);
    assert(d.length < b.length);
    assert.throws(() => applyListDelta(new Uint8Array(0), d));
  } finally {
    await net.close();
  }
});

Deno.test("events older than their retention are deleted at each tick; ids are never reused", async () => {
  const net = await testNet({
    funded: ["op"],
    fundedCoins: 100_000n,
    registry: { eventRetention: 3 },
  });
  try {
    for (let e = 0; e < 8; e++) await epochOfChurn(net, e);
    const events = await net.events({ limit: 10_000 });
    const epoch = net.registry.epoch;
    assert(events.length > 0);
    assert(
      events.every((ev) => ev.epoch > epoch - 1 - 3),
      "only 3 epochs kept",
    );
    const lastId = net.registry.lastEventId;
    await epochOfChurn(net, 8);
    const next = await net.events({ after: lastId });
    assert(next.length > 0 && next[0]!.id > lastId);
  } finally {
    await net.close();
  }
});
