// The witness work's tables on both databases: epoch inputs in order,
// documents and snapshots with their hashes, the pending rotation and the
// rotation index, co-signature counts, a witness's decisions (one per
// epoch, ever), proofs and facts, and the state rows loaded and read back.
import assert from "node:assert/strict";
import { eachBackend, openTestStore } from "../testkit/backend.ts";

const H = (b: string) => b.repeat(32);

eachBackend.test("store: epoch inputs, documents, snapshots, rotations, witness decisions", async (backend) => {
  const { store, close } = await openTestStore(backend);
  try {
    await store.transaction(async (tx) => {
      await tx.epochs.appendInput({
        epoch: 3,
        kind: "write",
        atMs: 1_700_000_000_123,
        payload: new Uint8Array([1, 2]),
      });
      await tx.epochs.appendInput({
        epoch: 3,
        kind: "reachability",
        atMs: 1_700_000_000_124,
        payload: new Uint8Array([3]),
      });
      await tx.epochs.appendInput({
        epoch: 4,
        kind: "write",
        atMs: 1_700_000_000_125,
        payload: new Uint8Array([4]),
      });
      await tx.epochs.insertDocument({
        epoch: 3,
        hash: H("ab"),
        bytes: new Uint8Array([9, 0, 255]),
      });
      await tx.epochs.insertSnapshot({
        epoch: 3,
        hash: H("cd"),
        bytes: new Uint8Array([7]),
      });
      await tx.epochs.setPendingRotation(new Uint8Array(128).fill(5));
      await tx.epochs.recordRotation({
        epoch: 12,
        oldKey: H("01"),
        newKey: H("02"),
      });
      await tx.epochs.recordRotation({
        epoch: 2,
        oldKey: H("00"),
        newKey: H("01"),
      });
    });
    const read = store.read;
    assert.deepEqual(await read.epochs.inputs(3), [
      {
        epoch: 3,
        kind: "write",
        atMs: 1_700_000_000_123,
        payload: new Uint8Array([1, 2]),
      },
      {
        epoch: 3,
        kind: "reachability",
        atMs: 1_700_000_000_124,
        payload: new Uint8Array([3]),
      },
    ]);
    assert.deepEqual(await read.epochs.document(3), {
      epoch: 3,
      hash: H("ab"),
      bytes: new Uint8Array([9, 0, 255]),
    });
    assert.deepEqual(await read.epochs.latestDocument(), {
      epoch: 3,
      hash: H("ab"),
    });
    assert.deepEqual(await read.epochs.snapshot("latest"), {
      epoch: 3,
      hash: H("cd"),
      bytes: new Uint8Array([7]),
    });
    assert.deepEqual(
      await read.epochs.pendingRotation(),
      new Uint8Array(128).fill(5),
    );
    assert.deepEqual(await read.epochs.rotations(), [
      { epoch: 2, oldKey: H("00"), newKey: H("01") },
      { epoch: 12, oldKey: H("01"), newKey: H("02") },
    ]);
    await store.transaction(async (tx) => {
      await tx.epochs.dropInputsThrough(3);
      await tx.epochs.setPendingRotation(undefined);
      await tx.witness.decide({
        epoch: 3,
        checkpointHash: H("ef"),
        checkpoint: new Uint8Array([1]),
        cosignedAt: 1_700_000_001,
        signature: new Uint8Array(64).fill(2),
      });
      await tx.witness.addProof({
        epoch: 3,
        role: "registry",
        signer: H("aa"),
        proof: "{}",
        foundAt: 1_700_000_002,
      });
      await tx.witness.setFact("registry_keys", H("aa"));
      await tx.witness.setFact("registry_keys", H("bb"));
    });
    assert.deepEqual((await read.epochs.inputs(4)).length, 1);
    assert.deepEqual(await read.epochs.inputs(3), []);
    assert.equal(await read.epochs.pendingRotation(), undefined);
    assert.deepEqual(await read.witness.latestDecision(), {
      epoch: 3,
      checkpointHash: H("ef"),
      checkpoint: new Uint8Array([1]),
      cosignedAt: 1_700_000_001,
      signature: new Uint8Array(64).fill(2),
    });
    assert.deepEqual(await read.witness.proofs(), [{
      epoch: 3,
      role: "registry",
      signer: H("aa"),
      proof: "{}",
      foundAt: 1_700_000_002,
    }]);
    assert.equal(await read.witness.fact("registry_keys"), H("bb"));
    // One decision per epoch, ever: a second one fails and changes nothing.
    await assert.rejects(
      store.transaction((tx) =>
        tx.witness.decide({
          epoch: 3,
          checkpointHash: H("12"),
          checkpoint: new Uint8Array([2]),
          cosignedAt: 5,
          signature: new Uint8Array(64),
        })
      ),
    );
    assert.equal((await read.witness.decision(3))!.checkpointHash, H("ef"));
  } finally {
    await close();
  }
});
