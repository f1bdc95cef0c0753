// Several registries on one PostgreSQL database, in one process (the
// multi-process suite with real processes and kill -9 is
// tests/postgres_cluster_test.ts): writes through any of them, replay
// protection across them, every event delivered once and in order to each
// one's subscribers, one key per database, list 0 published once, and no
// tick without the leader lease.
import assert from "node:assert/strict";
import type { RegistryEvent } from "./api/events.ts";
import { RegistryError } from "./api/errors.ts";
import { type NodeList, verifyChain, verifyNodeList } from "./core/nodelist.ts";
import {
  type MessageBody,
  type SignedMessage,
  signMessage,
} from "./core/messages.ts";
import { ATOMIC_PER_COIN, PRESETS } from "./core/params.ts";
import { Registry } from "./registry.ts";
import { LeaseLostError, openStore, type Store } from "./store/store.ts";
import { testPostgres } from "./testkit/backend.ts";
import { Signer, TestClock, testKey } from "./testkit/net.ts";

const params = PRESETS.devnet;

interface Shared {
  registries: Registry[];
  stores: Store[];
  clock: TestClock;
  /** Events each registry's subscriber got, in order. */
  heard: RegistryEvent[][];
  /** The last event each registry had delivered when subscribed to. */
  from: number[];
  close(): Promise<void>;
}

async function shared(
  n: number,
  options: { database?: boolean } = {},
): Promise<Shared> {
  const db = await testPostgres(options.database ? "database" : "schema");
  const clock = new TestClock();
  const stores: Store[] = [];
  const registries: Registry[] = [];
  const heard: RegistryEvent[][] = [];
  const from: number[] = [];
  const close = async () => {
    for (const s of stores) await s.close().catch(() => {});
    await db.drop();
  };
  try {
    for (let i = 0; i < n; i++) {
      stores.push(await openStore(db.location, { poolSize: 3 }));
    }
    // All at once, as processes starting together do.
    registries.push(
      ...await Promise.all(stores.map((store) =>
        Registry.open({
          store,
          params,
          signingKeys: [testKey("registry").secret],
          clock: clock.read,
          genesis: [{ wallet: testKey("rich").hex, amount: 1000n }],
        })
      )),
    );
    for (const registry of registries) {
      const mine: RegistryEvent[] = [];
      heard.push(mine);
      from.push(registry.lastEventId);
      registry.subscribe((events) => mine.push(...events));
    }
  } catch (e) {
    await close();
    throw e;
  }
  return { registries, stores, clock, heard, from, close };
}

function faucet(signer: Signer, coins = 1n): SignedMessage {
  return signMessage({
    kind: "faucet_request",
    ...signer.common(),
    wallet: signer.key.public,
    amount: coins * ATOMIC_PER_COIN,
  } as MessageBody, [signer.key.secret]);
}

Deno.test("shared database: writes through every registry; each one's subscribers get every event once, in order", async () => {
  const s = await shared(3);
  try {
    const [r0, r1, r2] = s.registries as [Registry, Registry, Registry];
    const signers = Array.from(
      { length: 6 },
      (_, i) => new Signer(testKey(`w${i}`), params.id, s.clock.read),
    );
    // Each wallet writes in sequence; wallets write concurrently, each
    // write through a different registry than its previous one.
    await Promise.all(signers.map(async (signer, w) => {
      for (let k = 0; k < 5; k++) {
        await s.registries[(w + k) % 3]!.submit(faucet(signer).bytes);
      }
    }));
    const lease = await s.stores[1]!.tryLease();
    assert(lease);
    s.clock.advance(params.epochSeconds * 1000);
    await r1.tick({ lease });
    await lease.release();
    await r0.submit(faucet(signers[0]!).bytes);
    for (const r of s.registries) await r.sync();
    const all = await s.stores[2]!.read.events.list({ limit: 1000 });
    assert.equal(all.filter((e) => e.kind === "faucet").length, 31);
    for (const [i, heard] of s.heard.entries()) {
      const stored = all.filter((e) => e.id > s.from[i]!);
      assert.deepEqual(
        heard.map((e) => e.id),
        stored.map((e) => e.id),
        `registry ${i} heard every event once, in id order`,
      );
      assert.deepEqual(heard, stored);
    }
    for (const r of [r0, r1, r2]) {
      assert.equal(r.epoch, 2);
      assert.equal(r.lastEventId, all.at(-1)!.id);
    }
    const audit = await s.stores[0]!.read.wallets.audit();
    assert(audit.balanced);
    assert.equal(audit.minted, 1000n + 31n * ATOMIC_PER_COIN);
  } finally {
    await s.close();
  }
});

Deno.test("shared database: one signed message sent to every registry at once is applied once", async () => {
  const s = await shared(3);
  try {
    const signer = new Signer(testKey("w"), params.id, s.clock.read);
    for (let round = 0; round < 5; round++) {
      const msg = faucet(signer);
      const results = await Promise.allSettled(
        s.registries.map((r) => r.submit(msg.bytes)),
      );
      assert.equal(
        results.filter((r) => r.status === "fulfilled").length,
        1,
        `round ${round}: exactly one accepted`,
      );
      for (const r of results) {
        if (r.status === "rejected") {
          assert(r.reason instanceof RegistryError);
          assert.equal(r.reason.code, "replayed");
        }
      }
    }
    assert.equal(
      await s.stores[0]!.read.wallets.balance(signer.key.hex),
      5n * ATOMIC_PER_COIN,
    );
  } finally {
    await s.close();
  }
});

Deno.test("shared database: registries opening a new database together publish list 0 once; a different key is refused", async () => {
  const s = await shared(3, { database: true });
  try {
    const lists = [];
    for (let e = 0; e < 3; e++) {
      lists.push(await s.stores[0]!.read.lists.find(e));
    }
    assert(lists[0]);
    assert.equal(lists[1], undefined);
    for (const r of s.registries) assert.equal(r.epoch, 1);
    await assert.rejects(
      Registry.open({
        store: s.stores[0]!,
        params,
        signingKeys: [testKey("another registry").secret],
        clock: s.clock.read,
      }),
      /signed with the registry key [0-9a-f]{64}, not [0-9a-f]{64}/,
    );
  } finally {
    await s.close();
  }
});

Deno.test("shared database: a tick needs the leader lease; the chain goes on from whoever holds it", async () => {
  const s = await shared(2, { database: true });
  try {
    const [r0, r1] = s.registries as [Registry, Registry];
    const lease0 = await s.stores[0]!.tryLease();
    assert(lease0);
    assert.equal(await s.stores[1]!.tryLease(), null);
    await r0.tick({ lease: lease0 });
    await lease0.release();
    // The old leader's lease is gone: its tick changes nothing.
    const before = await s.stores[0]!.read.inspect.state();
    await assert.rejects(r0.tick({ lease: lease0 }), LeaseLostError);
    assert.deepEqual(await s.stores[0]!.read.inspect.state(), before);
    const lease1 = await s.stores[1]!.tryLease();
    assert(lease1);
    await r1.sync();
    await r1.tick({ lease: lease1 });
    await r1.tick({ lease: lease1 });
    await lease1.release();
    await r0.sync();
    assert.equal(r0.epoch, 4);
    // One list per epoch, each chained to the one before.
    let prev: NodeList | undefined;
    for (let e = 0; e < 4; e++) {
      const stored = await s.stores[0]!.read.lists.find(e);
      assert(stored, `list ${e}`);
      const { list } = verifyNodeList(stored.bytes, [
        testKey("registry").public,
      ], {
        expectedNetwork: params.id,
      });
      assert.equal(Number(list.header.epoch), e);
      if (prev) verifyChain(prev, list);
      prev = list;
    }
    assert.equal(await s.stores[0]!.read.lists.find(4), undefined);
  } finally {
    await s.close();
  }
});
