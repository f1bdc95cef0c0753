import assert from "node:assert/strict";
import { ATOMIC_PER_COIN } from "./core/params.ts";
import type { RegistryEvent } from "./api/events.ts";
import { testNet } from "./testkit/mod.ts";

Deno.test("group commit: concurrent writes share transactions; a refused write changes nothing and the others commit, answered in order", async () => {
  const net = await testNet({ funded: ["op"] });
  try {
    const seen: RegistryEvent[] = [];
    net.registry.subscribe((events) => seen.push(...events));
    const before = { ...net.registry.writeStats };
    // 40 faucet requests from 20 wallets, every fourth one replayed (its
    // sequence already used by the one before it): refused.
    const messages = [];
    for (let i = 0; i < 30; i++) {
      const m = net.walletMessage(`w${i % 20}`, "faucet_request", {
        amount: ATOMIC_PER_COIN,
      });
      messages.push(m);
      if (i % 4 === 3) messages.push(m);
    }
    const order: number[] = [];
    const results = await Promise.allSettled(
      messages.map((m, i) =>
        net.registry.submit(m.bytes).finally(() => order.push(i))
      ),
    );
    const refused = results.filter((r) => r.status === "rejected");
    assert.equal(refused.length, 7);
    for (const r of refused) {
      assert.equal((r as PromiseRejectedResult).reason.code, "replayed");
    }
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
      "answered in order",
    );
    const after = { ...net.registry.writeStats };
    assert(after.largestGroup > 1, "writes were grouped");
    assert(after.groups - before.groups < messages.length);
    // Every accepted write is stored, once, with its event, in order.
    const faucet = await net.eventsOf("faucet");
    assert.equal(faucet.length, 30);
    assert.deepEqual(
      seen.filter((e) => e.kind === "faucet").map((e) => e.id),
      faucet.map((e) => e.id),
    );
    for (let i = 0; i < 20; i++) {
      const paid = i < 10 ? 2n : 1n;
      assert.equal(
        await net.store.read.wallets.balance(net.signer(`w${i}`).key.hex),
        paid * ATOMIC_PER_COIN,
      );
    }
    const audit = await net.store.read.wallets.audit();
    assert(audit.balanced);
    // A tick between writes runs alone and moves the epoch once.
    const epoch = net.registry.epoch;
    await Promise.all([
      net.registry.submit(
        net.walletMessage("w0", "faucet_request", { amount: 1n }).bytes,
      ),
      net.registry.tick(),
      net.registry.submit(
        net.walletMessage("w1", "faucet_request", { amount: 1n }).bytes,
      ),
    ]);
    assert.equal(net.registry.epoch, epoch + 1);
    const last = await net.eventsOf("faucet", { after: faucet.at(-1)!.id });
    assert.deepEqual(last.map((e) => e.epoch), [epoch, epoch + 1]);
  } finally {
    await net.close();
  }
});
