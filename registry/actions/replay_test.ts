// Deterministic replay: another store, fed the registry's published inputs
// epoch by epoch through the same actions, rebuilds every list byte for
// byte - from genesis or from a state snapshot - and anything the registry
// did outside its inputs shows as a mismatch.
import assert from "node:assert/strict";
import { bytesEqual, toHex } from "../core/bytes.ts";
import { decodeEpochInputs, epochInputsHash } from "../core/inputs.ts";
import { publicKeyOf } from "../core/keys.ts";
import {
  followKeyRotation,
  keyRotationOf,
  splitNodeList,
  verifyNodeList,
} from "../core/nodelist.ts";
import { stateHash } from "../core/state.ts";
import { ATOMIC_PER_COIN } from "../core/params.ts";
import { openSqliteStore, type Store } from "../store/store.ts";
import { testKey, type TestNet, testNet } from "../testkit/mod.ts";
import { eachBackend, type TestBackend } from "../testkit/backend.ts";
import { replayEpoch, ReplayMismatch } from "./replay.ts";
import { loadSnapshot } from "./state_commitment.ts";

/** A network with registrations, contributions, proofs, reachability results, a decommission. */
async function busyNet(
  epochs: number,
  backend: TestBackend = "sqlite",
): Promise<TestNet> {
  const net = await testNet({ funded: ["op", "friend", "op2"], backend });
  const p = net.params;
  const r = net.registry;
  const tick = async () => {
    net.clock.advance(p.epochSeconds * 1000);
    await r.tick();
  };
  await r.submit(
    net.registration("n1", "op", {
      operatorStake: p.stakingRequirement,
      feeBasisPoints: 100,
      reserved: [],
    }).bytes,
  );
  await r.submit(
    net.registration("n2", "op2", {
      operatorStake: p.operatorMinimum,
      feeBasisPoints: 0,
      reserved: [],
    }).bytes,
  );
  await tick();
  await r.submit(
    net.walletMessage("friend", "contribute", {
      nodePubkey: net.signer("n2").key.public,
      amount: p.stakingRequirement - p.operatorMinimum,
    }).bytes,
  );
  await r.submit(
    net.walletMessage("friend", "faucet_request", {
      amount: 5n * ATOMIC_PER_COIN,
    }).bytes,
  );
  for (let e = 0; e < epochs; e++) {
    if (e % 3 === 0) {
      await r.submit(net.proof("n1").bytes);
      if (e < 4) await r.submit(net.proof("n2").bytes);
    }
    if (e === 2) {
      await r.recordReachability([
        {
          node: net.signer("n2").key.hex,
          address: "127.0.0.1:22021",
          ok: false,
          detail: "connection failed: refused ✗",
          latencyMs: null,
        },
        {
          node: net.signer("n1").key.hex,
          address: "127.0.0.1:22021",
          ok: true,
          detail: "signed challenge verified",
          latencyMs: 3.6,
        },
      ]);
    }
    await tick();
  }
  return net;
}

async function replayAll(
  net: TestNet,
  target: Store,
  from: number,
  to: number,
): Promise<void> {
  for (let epoch = from; epoch <= to; epoch++) {
    const doc = (await net.store.read.epochs.document(epoch))!;
    const list = (await net.store.read.lists.find(epoch))!;
    const outcome = await target.transaction((tx) =>
      replayEpoch(tx, {
        network: net.params.id,
        inputs: doc.bytes,
        list: list.bytes,
      })
    );
    assert.equal(toHex(outcome.checkpointHash), list.hash, `epoch ${epoch}`);
  }
}

eachBackend.test("replay from genesis (on SQLite) rebuilds every list byte for byte and reaches the same state", async (backend) => {
  const net = await busyNet(14, backend);
  const witness = await openSqliteStore(":memory:");
  try {
    const last = (await net.store.read.lists.latest())!.epoch;
    await replayAll(net, witness, 0, last);
    for (let e = 0; e <= last; e++) {
      const a = await net.store.read.lists.find(e);
      const b = await witness.read.lists.find(e);
      assert(bytesEqual(a!.bytes, b!.bytes), `list ${e}`);
    }
    const a = await net.store.read.epochs.snapshot("latest");
    const b = await witness.read.epochs.snapshot("latest");
    assert.equal(a!.hash, b!.hash);
    assert.equal(toHex(stateHash(a!.bytes)), a!.hash);
    // The documents chain, and carry every kind of input.
    const kinds = new Set<string>();
    let prev: Uint8Array = new Uint8Array(32);
    for (let e = 0; e <= last; e++) {
      const bytes = (await net.store.read.epochs.document(e))!.bytes;
      const doc = decodeEpochInputs(bytes, 3);
      assert(bytesEqual(doc.prevHash, prev), `document ${e} chains`);
      prev = epochInputsHash(bytes);
      for (const en of doc.entries) kinds.add(en.kind);
    }
    assert.deepEqual([...kinds].sort(), [
      "genesis",
      "reachability",
      "tick",
      "write",
    ]);
  } finally {
    await witness.close();
    await net.close();
  }
});

Deno.test("replay from a snapshot reaches the same state commitment as from genesis", async () => {
  const net = await busyNet(12);
  const fromGenesis = await openSqliteStore(":memory:");
  const fromSnapshot = await openSqliteStore(":memory:");
  try {
    const last = (await net.store.read.lists.latest())!.epoch;
    await replayAll(net, fromGenesis, 0, last);
    const start = last - 5;
    const snap = (await net.store.read.epochs.snapshot(start))!;
    const list = (await net.store.read.lists.find(start))!;
    const doc = (await net.store.read.epochs.document(start))!;
    // The snapshot is the one list `start` commits to.
    const header = splitNodeList(list.bytes, 3).header;
    assert(bytesEqual(header.commitments!.stateHash, stateHash(snap.bytes)));
    await fromSnapshot.transaction(async (tx) => {
      await loadSnapshot(tx, snap.bytes, 3);
      await tx.meta.initialise("devnet");
      await tx.meta.setEpoch(start + 1);
      await tx.lists.insert({ ...list, bytes: list.bytes });
      await tx.epochs.insertDocument(doc);
    });
    await replayAll(net, fromSnapshot, start + 1, last);
    const a = await fromGenesis.read.epochs.snapshot("latest");
    const b = await fromSnapshot.read.epochs.snapshot("latest");
    assert.equal(a!.epoch, last);
    assert.equal(a!.hash, b!.hash);
  } finally {
    await fromGenesis.close();
    await fromSnapshot.close();
    await net.close();
  }
});

Deno.test("a list that does not follow from its inputs is caught, and nothing is kept", async () => {
  const net = await busyNet(4);
  const witness = await openSqliteStore(":memory:");
  try {
    let last = (await net.store.read.lists.latest())!.epoch;
    await replayAll(net, witness, 0, last);
    // The registry's operator edits a balance behind the rules' back.
    await net.store.transaction((tx) =>
      tx.wallets.post({
        wallet: testKey("friend").hex,
        delta: 1n,
        kind: "faucet",
        node: null,
        epoch: net.registry.epoch,
        createdAt: net.clock.now,
      })
    );
    net.clock.advance(2000);
    await net.registry.tick();
    last += 1;
    const doc = (await net.store.read.epochs.document(last))!;
    const list = (await net.store.read.lists.find(last))!;
    const before = await witness.read.meta.epoch();
    await assert.rejects(
      witness.transaction((tx) =>
        replayEpoch(tx, { network: 3, inputs: doc.bytes, list: list.bytes })
      ),
      (e: unknown) =>
        e instanceof ReplayMismatch && e.code === "list_differs" &&
        /stateHash/.test(e.message),
    );
    assert.equal(
      await witness.read.meta.epoch(),
      before,
      "the failed replay rolled back",
    );
    // Inputs that are not the ones the list commits to are refused too.
    const other = (await net.store.read.epochs.document(last - 1))!;
    await assert.rejects(
      witness.transaction((tx) =>
        replayEpoch(tx, { network: 3, inputs: other.bytes, list: list.bytes })
      ),
      (e: unknown) =>
        e instanceof ReplayMismatch && e.code === "inputs_mismatch",
    );
  } finally {
    await witness.close();
    await net.close();
  }
});

Deno.test("a key rotation is an input: replayed, announced once, followed by the chain", async () => {
  const net = await busyNet(2);
  const witness = await openSqliteStore(":memory:");
  try {
    const next = testKey("registry-next");
    await net.registry.rotateKey(next.secret);
    net.clock.advance(2000);
    const summary = await net.registry.tick();
    assert.equal(summary.rotation?.newKey, next.hex);
    net.clock.advance(2000);
    await net.registry.tick();
    const last = (await net.store.read.lists.latest())!.epoch;
    await replayAll(net, witness, 0, last);
    const announced = await net.store.read.lists.find(summary.epoch);
    const after = await net.store.read.lists.find(last);
    let keys = [publicKeyOf(net.registryKey.secret)];
    const v = verifyNodeList(announced!.bytes, keys, { expectedNetwork: 3 });
    assert.deepEqual(keyRotationOf(v.list.header)?.newKey, next.public);
    keys = followKeyRotation(v.list, keys);
    verifyNodeList(after!.bytes, keys, { expectedNetwork: 3 });
    assert.throws(
      () =>
        verifyNodeList(after!.bytes, [publicKeyOf(net.registryKey.secret)], {
          expectedNetwork: 3,
        }),
      { code: "insufficient_signatures" },
    );
    assert.deepEqual(await net.store.read.epochs.rotations(), [
      { epoch: summary.epoch, oldKey: net.registryKey.hex, newKey: next.hex },
    ]);
  } finally {
    await witness.close();
    await net.close();
  }
});
