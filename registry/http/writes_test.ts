import assert from "node:assert/strict";
import { signMessage } from "../core/messages.ts";
import { ATOMIC_PER_COIN } from "../core/params.ts";
import { eachBackend } from "../testkit/backend.ts";
import {
  activeNode,
  httpNet,
  json,
  postMessage,
  stateSnapshot,
  ticks,
} from "../testkit/http.ts";

const COIN = ATOMIC_PER_COIN;

eachBackend.test("writes end to end: register, contribute, prove, unlock, faucet; the node detail shows it all", async (backend) => {
  const h = await httpNet({ backend });
  const { net, app } = h;
  try {
    const p = net.params;
    const node = net.signer("node").key.hex;
    // Register with the operator's quarter, as JSON {"message": hex}.
    const reg = net.registration("node", "op", {
      operatorStake: p.operatorMinimum,
      feeBasisPoints: 500,
      reserved: [],
    });
    const r1 = await postMessage(app, "/v1/nodes", reg.bytes, "json");
    assert.equal(r1.status, 201);
    assert.equal(r1.headers.get("location"), `/v1/nodes/${node}`);
    const s1 = await r1.json();
    assert.deepEqual(s1, {
      id: reg.id,
      kind: "register_node",
      epoch: net.registry.epoch,
      node,
      status: "awaiting_contributions",
    });
    // It is open for contributions, with its minimum.
    const open = await json<{ pubkey: string; minContribution: string }[]>(
      app.request("/v1/nodes/open"),
    );
    assert.deepEqual(open.map((n) => n.pubkey), [node]);
    const remaining = p.stakingRequirement - p.operatorMinimum;
    assert.equal(open[0]!.minContribution, (remaining / 9n).toString());
    // A friend completes the stake, as raw bytes.
    const contribution = net.walletMessage("friend", "contribute", {
      nodePubkey: net.signer("node").key.public,
      amount: remaining,
    });
    const r2 = await postMessage(app, "/v1/contributions", contribution.bytes);
    assert.equal(r2.status, 200);
    assert.equal((await r2.json()).status, "active");
    // Proofs, and a second node so the first has a swarm mate.
    const r3 = await postMessage(app, "/v1/proofs", net.proof("node").bytes);
    assert.equal(r3.status, 200);
    const mate = await activeNode(h, "node2");
    await ticks(net, 1);

    const detail = await json<Record<string, unknown>>(
      app.request(`/v1/nodes/${node.toUpperCase()}`),
    );
    assert.equal(detail.pubkey, node);
    assert.equal(detail.status, "active");
    assert.equal(detail.swarmId, "0");
    assert.equal(detail.feeBasisPoints, 500);
    assert.deepEqual(detail.swarmMates, [mate]);
    const stakes = detail.stakes as {
      wallet: string;
      amount: string;
      operator: boolean;
    }[];
    assert.deepEqual(
      stakes.map((s) => [s.wallet, s.amount, s.operator]),
      [
        [net.signer("op").key.hex, p.operatorMinimum.toString(), true],
        [net.signer("friend").key.hex, remaining.toString(), false],
      ],
    );
    const history = detail.history as { from: string | null; to: string }[];
    assert.deepEqual(history.map((x) => [x.from, x.to]), [
      [null, "awaiting_contributions"],
      ["awaiting_contributions", "active"],
    ]);
    const outlook = detail.outlook as { next: string; text: string };
    assert.equal(typeof outlook.text, "string");
    assert(outlook.text.length > 0);
    assert.equal((detail.proof as { publicIp: string }).publicIp, "127.0.0.1");
    assert.equal((detail.funding as { funded: boolean }).funded, true);

    // Filters see it.
    const byWallet = await json<{ nodes: { pubkey: string }[]; total: number }>(
      app.request(`/v1/nodes?wallet=${net.signer("friend").key.hex}`),
    );
    assert.deepEqual(byWallet.nodes.map((n) => n.pubkey), [node]);
    const active = await json<{ total: number }>(
      app.request("/v1/nodes?status=active&limit=1"),
    );
    assert.equal(active.total, 2);

    // The friend asks to unlock.
    const unlock = net.walletMessage("friend", "unlock_request", {
      nodePubkey: net.signer("node").key.public,
    });
    const r4 = await postMessage(app, "/v1/unlocks", unlock.bytes);
    assert.equal(r4.status, 200);
    const after = await json<{ unlock: { unlockAt: number } | null }>(
      app.request(`/v1/nodes/${node}`),
    );
    assert.equal(
      after.unlock?.unlockAt,
      net.registry.epoch + p.unlockDelayEpochs,
    );
    const wallet = await json<
      { staked: string; stakes: { unlocksAt: unknown }[] }
    >(
      app.request(`/v1/wallets/${net.signer("friend").key.hex}`),
    );
    assert.equal(wallet.staked, remaining.toString());
    assert.notEqual(wallet.stakes[0]!.unlocksAt, null);

    // The faucet, through /v1/faucet and through /v1/submit.
    const f1 = net.walletMessage("w", "faucet_request", { amount: 5n * COIN });
    assert.equal((await postMessage(app, "/v1/faucet", f1.bytes)).status, 200);
    const f2 = net.walletMessage("w", "faucet_request", { amount: 7n * COIN });
    const r5 = await postMessage(app, "/v1/submit", f2.bytes, "json");
    assert.equal(r5.status, 200);
    assert.equal((await r5.json()).kind, "faucet_request");
    const w = await json<{ balance: string }>(
      app.request(`/v1/wallets/${net.signer("w").key.hex}`),
    );
    assert.equal(w.balance, (12n * COIN).toString());
    assert((await net.store.read.wallets.audit()).balanced);
  } finally {
    await h.close();
  }
});

eachBackend.test("POST /v1/submit takes any kind and answers a registration with 201 and Location", async (backend) => {
  const h = await httpNet({ backend });
  const { net, app } = h;
  try {
    const reg = net.registration("n", "op", {
      operatorStake: net.params.stakingRequirement,
      feeBasisPoints: 0,
      reserved: [],
    });
    const res = await postMessage(app, "/v1/submit", reg.bytes);
    assert.equal(res.status, 201);
    assert.equal(
      res.headers.get("location"),
      `/v1/nodes/${net.signer("n").key.hex}`,
    );
    const proof = await postMessage(app, "/v1/submit", net.proof("n").bytes);
    assert.equal(proof.status, 200);
    assert.equal((await proof.json()).kind, "uptime_proof");
  } finally {
    await h.close();
  }
});

eachBackend.test("refused writes answer problem+json with the right code and change nothing", async (backend) => {
  const h = await httpNet({ backend });
  const { net, app } = h;
  try {
    const p = net.params;
    const fields = {
      operatorStake: p.operatorMinimum,
      feeBasisPoints: 0,
      reserved: [],
    };
    const before = await stateSnapshot(net);
    const expect = async (
      res: Response | Promise<Response>,
      status: number,
      code: string,
    ): Promise<Record<string, unknown>> => {
      const r = await res;
      assert.equal(r.headers.get("content-type"), "application/problem+json");
      const body = await r.json();
      assert.equal(r.status, status, JSON.stringify(body));
      assert.equal(body.code, code);
      assert.equal(body.status, status);
      assert.equal(typeof body.title, "string");
      assert.equal(typeof body.detail, "string");
      assert.equal(body.type, `/v1/docs#problem-${code}`);
      assert.equal(await stateSnapshot(net), before, `${code} changed state`);
      return body;
    };

    // Forged: one bit of the operator's signature flipped.
    const forged = net.registration("node", "op", fields).bytes.slice();
    forged[forged.length - 1]! ^= 1;
    await expect(postMessage(app, "/v1/nodes", forged), 401, "bad_signature");
    // Wrong network: a mainnet message sent to devnet.
    const op = net.signer("op");
    const node = net.signer("node");
    const mainnet = signMessage({
      kind: "register_node",
      ...op.common(),
      network: 1,
      nodePubkey: node.key.public,
      operator: op.key.public,
      ...fields,
    }, [node.key.secret, op.key.secret]);
    await expect(
      postMessage(app, "/v1/nodes", mainnet.bytes),
      400,
      "wrong_network",
    );
    // Stale: signed, then the registry's clock moves past the tolerance.
    const stale = net.registration("node", "op", fields);
    net.clock.advance((p.clockToleranceSeconds + 1) * 1000);
    const staleBody = await expect(
      postMessage(app, "/v1/nodes", stale.bytes),
      422,
      "stale_timestamp",
    );
    assert.equal(staleBody.now, net.registry.nowSeconds());
    // Wrong kind: a proof to the registration route.
    await expect(
      postMessage(app, "/v1/nodes", net.proof("node").bytes),
      400,
      "wrong_kind",
    );
    await expect(
      postMessage(
        app,
        "/v1/faucet",
        net.walletMessage("op", "unlock_request", {
          nodePubkey: node.key.public,
        })
          .bytes,
      ),
      400,
      "wrong_kind",
    );
    // Oversized, malformed hex, malformed JSON, wrong shape, wrong type, empty.
    await expect(
      postMessage(app, "/v1/submit", new Uint8Array(4097)),
      413,
      "payload_too_large",
    );
    await expect(
      app.request("/v1/submit", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ message: "zz" + "00".repeat(100) }),
      }),
      400,
      "bad_hex",
    );
    await expect(
      app.request("/v1/submit", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{not json",
      }),
      400,
      "bad_json",
    );
    await expect(
      app.request("/v1/submit", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(["00"]),
      }),
      400,
      "bad_body",
    );
    await expect(
      app.request("/v1/submit", {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: "hello",
      }),
      415,
      "unsupported_media_type",
    );
    await expect(
      postMessage(app, "/v1/submit", new Uint8Array(0)),
      400,
      "truncated",
    );

    // A valid registration goes through once; the same bytes again are a replay.
    const ok = net.registration("node", "op", fields);
    assert.equal((await postMessage(app, "/v1/nodes", ok.bytes)).status, 201);
    const after = await stateSnapshot(net);
    const replay = await postMessage(app, "/v1/nodes", ok.bytes);
    assert.equal(replay.status, 409);
    assert.equal((await replay.json()).code, "replayed");
    assert.equal(await stateSnapshot(net), after);
    // A rule broken by well-formed input: the friend cannot contribute 1 atomic unit.
    const tiny = net.walletMessage("friend", "contribute", {
      nodePubkey: node.key.public,
      amount: 1n,
    });
    const r = await postMessage(app, "/v1/contributions", tiny.bytes);
    assert.equal(r.status, 422);
    assert.equal((await r.json()).code, "contribution_too_small");
    assert.equal(await stateSnapshot(net), after);
    assert.deepEqual(h.logged, []);
  } finally {
    await h.close();
  }
});
