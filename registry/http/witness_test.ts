// The witness routes: epoch inputs (binary and JSON), state snapshots,
// co-signatures posted and attached (the list's bytes and ETag change, not
// its identity), refusals by code, and the rotation index.
import assert from "node:assert/strict";
import { toHex } from "../core/bytes.ts";
import {
  decodeEpochInputs,
  epochInputsFromJson,
  epochInputsHash,
} from "../core/inputs.ts";
import {
  signCosignature,
  splitNodeList,
  verifyCosignatures,
} from "../core/nodelist.ts";
import { decodeStateSnapshot, stateHash } from "../core/state.ts";
import { activeNode, httpNet, ticks } from "../testkit/http.ts";
import { testKey } from "../testkit/net.ts";

const W = [0, 1, 2].map((i) => testKey(`witness-${i}`));

Deno.test("witness routes: inputs, state, co-signatures, rotations", async () => {
  const h = await httpNet({
    registry: {
      witnesses: W.slice(0, 2).map((w) => ({ key: w.public, url: null })),
    },
  });
  const { net, app } = h;
  try {
    await activeNode(h, "n0");
    await ticks(net, 2);
    const latest = (await net.store.read.lists.latest())!;
    const header =
      splitNodeList((await net.store.read.lists.find(latest.epoch))!.bytes, 3)
        .header;

    // Inputs: binary, JSON, committed to by the list.
    const bin = await app.request(`/v1/epochs/${latest.epoch}/inputs`);
    assert.equal(bin.status, 200);
    const bytes = new Uint8Array(await bin.arrayBuffer());
    assert.equal(
      toHex(epochInputsHash(bytes)),
      toHex(header.commitments!.inputsHash),
    );
    assert.equal(
      bin.headers.get("x-inputs-hash"),
      toHex(epochInputsHash(bytes)),
    );
    assert.equal(decodeEpochInputs(bytes, 3).epoch, BigInt(latest.epoch));
    const json = await app.request(`/v1/epochs/latest/inputs`, {
      headers: { accept: "application/json" },
    });
    assert.equal(json.headers.get("x-epoch"), String(latest.epoch));
    const doc = epochInputsFromJson(await json.json(), 3);
    assert.equal(doc.entries.at(-1)!.kind, "tick");
    assert.equal(
      (await app.request(`/v1/epochs/99999/inputs?format=bin`)).status,
      404,
    );

    // State: the snapshot the list commits to.
    const st = await app.request(`/v1/epochs/latest/state`);
    assert.equal(st.status, 200);
    const snap = new Uint8Array(await st.arrayBuffer());
    assert.equal(toHex(stateHash(snap)), toHex(header.commitments!.stateHash));
    assert.equal(decodeStateSnapshot(snap, 3).nodes.length, 1);

    // Co-signatures: verified, attached, idempotent; the ETag changes.
    const before = await app.request(`/v1/lists/${latest.epoch}.bin`);
    const etag0 = before.headers.get("etag");
    const post = (epoch: number, body: unknown) =>
      app.request(`/v1/lists/${epoch}/cosignatures`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const id =
      splitNodeList((await net.store.read.lists.find(latest.epoch))!.bytes, 3)
        .id;
    const cos = (w: typeof W[number], time = 1_700_000_000n, hash = id) => {
      const c = signCosignature(hash, time, w.secret);
      return {
        witnessKey: w.hex,
        time: time.toString(),
        signature: toHex(c.signature),
        checkpointHash: toHex(hash),
      };
    };
    // Still gathering co-signatures: caches must revalidate.
    assert.equal(before.headers.get("cache-control"), "no-cache");
    const ok = await post(latest.epoch, cos(W[0]!));
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), {
      epoch: latest.epoch,
      checkpointHash: latest.hash,
      cosignatures: 1,
      added: true,
    });
    const again = await post(latest.epoch, cos(W[0]!, 1_700_000_009n));
    assert.equal((await again.json()).added, false);
    const after = await app.request(`/v1/lists/${latest.epoch}.bin`);
    assert.notEqual(after.headers.get("etag"), etag0);
    assert.equal(after.headers.get("x-list-hash"), latest.hash);
    assert.equal(after.headers.get("x-list-cosignatures"), "1");
    const cosigned = new Uint8Array(await after.arrayBuffer());
    assert.equal(
      verifyCosignatures(cosigned, [W[0]!.public], { expectedNetwork: 3 })
        .signers.length,
      1,
    );
    // A 304 for the old ETag no longer: the client sees the new co-signature.
    const cond = await app.request(`/v1/lists/latest.bin`, {
      headers: { "if-none-match": etag0! },
    });
    assert.equal(cond.status, 200);
    const codeOf = async (
      res: Response,
    ) => [res.status, (await res.json()).code];
    // The last configured witness co-signs: immutable from now on.
    const wrongFirst = cos(W[1]!, 5n, new Uint8Array(32).fill(1));
    const { checkpointHash: _h, ...unsaidFirst } = wrongFirst;
    assert.deepEqual(await codeOf(await post(latest.epoch, unsaidFirst)), [
      401,
      "bad_signature",
    ]);
    assert.equal((await post(latest.epoch, cos(W[1]!))).status, 200);
    assert.match(
      (await app.request(`/v1/lists/${latest.epoch}.bin`)).headers
        .get("cache-control")!,
      /immutable/,
    );
    assert.deepEqual(await codeOf(await post(latest.epoch, cos(W[2]!))), [
      403,
      "unknown_witness",
    ]);
    const wrong = cos(W[1]!, 5n, new Uint8Array(32).fill(1));
    assert.deepEqual(await codeOf(await post(latest.epoch, wrong)), [
      409,
      "checkpoint_mismatch",
    ]);
    assert.deepEqual(await codeOf(await post(99999, cos(W[1]!))), [
      404,
      "unknown_list",
    ]);
    assert.deepEqual(
      await codeOf(await post(latest.epoch, { witnessKey: "zz" })),
      [400, "bad_body"],
    );

    // Info names the witnesses and the format.
    const info = await (await app.request("/v1/info")).json();
    assert.equal(info.listFormat, 2);
    assert.deepEqual(info.witnesses.map((w: { key: string }) => w.key), [
      W[0]!.hex,
      W[1]!.hex,
    ]);

    // Rotations: none yet, then the list that announced one.
    assert.deepEqual(await (await app.request("/v1/rotations")).json(), []);
    const next = testKey("registry-next");
    await net.registry.rotateKey(next.secret);
    await ticks(net, 1);
    const rotations = await (await app.request("/v1/rotations")).json();
    assert.deepEqual(rotations, [{
      epoch: latest.epoch + 1,
      oldKey: net.registryKey.hex,
      newKey: next.hex,
    }]);
    assert.deepEqual(net.registry.publicKeys.map(toHex), [next.hex]);
  } finally {
    await h.close();
  }
});
