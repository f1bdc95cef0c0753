// The cluster runtime in one process: on SQLite it is the epoch runner; on
// a shared PostgreSQL database exactly one of several registries runs the
// epochs, and when it stops another takes over within two epochs and goes
// on with the chain. (Real processes and kill -9:
// tests/postgres_cluster_test.ts.)
import assert from "node:assert/strict";
import {
  type NodeList,
  verifyChain,
  verifyNodeList,
} from "../core/nodelist.ts";
import { networkParams } from "../core/params.ts";
import { Registry } from "../registry.ts";
import { openStore, type Store } from "../store/store.ts";
import { testPostgres } from "../testkit/backend.ts";
import { testKey } from "../testkit/net.ts";
import { Cluster } from "./cluster.ts";
import { Logger } from "./log.ts";

const params = networkParams("devnet", { epochSeconds: 1 });
const key = testKey("registry");

interface Member {
  store: Store;
  registry: Registry;
  cluster: Cluster;
  lines: Record<string, unknown>[];
}

async function member(location: string): Promise<Member> {
  const store = await openStore(location, { poolSize: 3 });
  const registry = await Registry.open({
    store,
    params,
    signingKeys: [key.secret],
    clock: Date.now,
  });
  const lines: Record<string, unknown>[] = [];
  const cluster = new Cluster(registry, {
    probe: { enabled: false, concurrency: 1, timeoutMs: 100 },
    log: new Logger({ sink: (l) => lines.push(JSON.parse(l)) }),
    leaseRetryMs: 100,
    pollMs: 200,
  });
  return { store, registry, cluster, lines };
}

async function until(
  what: string,
  ok: () => boolean | Promise<boolean>,
  ms: number,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

Deno.test("cluster: on SQLite the process leads at once and ticks", async () => {
  const m = await member(":memory:");
  try {
    m.cluster.start();
    await until("two ticks", () => m.registry.epoch >= 3, 5000);
    assert(m.cluster.leading);
    // Nothing about leases in the log: SQLite has no followers.
    assert(!m.lines.some((l) => /lease|following/.test(String(l.msg))));
  } finally {
    await m.cluster.stop();
    await m.store.close();
  }
});

Deno.test("cluster: one of three registries on PostgreSQL runs the epochs; when it stops, another takes over within two epochs and continues the chain", async () => {
  const db = await testPostgres("database");
  const members: Member[] = [];
  try {
    for (let i = 0; i < 3; i++) members.push(await member(db.location));
    for (const m of members) m.cluster.start();
    const leaders = () => members.filter((m) => m.cluster.leading);
    await until("a leader", () => leaders().length === 1, 5000);
    const first = leaders()[0]!;
    await until("two ticks", () => first.registry.epoch >= 3, 5000);
    // The followers follow: their epoch cursor moves with the leader's ticks.
    for (const m of members) {
      await until("followers catch up", () => m.registry.epoch >= 3, 3000);
    }
    assert.equal(leaders().length, 1);

    await first.cluster.stop();
    const stoppedAt = Date.now();
    const lastOfFirst = (await first.store.read.lists.latest())!.epoch;
    const rest = members.filter((m) => m !== first);
    await until("a new leader", () => leaders().length === 1, 3000);
    const second = leaders()[0]!;
    await until(
      "a list from the new leader",
      async () => (await second.store.read.lists.latest())!.epoch > lastOfFirst,
      3000,
    );
    assert(
      Date.now() - stoppedAt <= 2 * params.epochSeconds * 1000 + 500,
      "the next list came within two epochs",
    );
    assert(
      second.lines.some((l) =>
        l.msg === "following: another process runs the epochs"
      ),
    );
    assert(
      second.lines.some((l) =>
        l.msg === "leader lease taken: this process runs the epochs"
      ),
    );
    await until(
      "two more ticks",
      () => second.registry.epoch >= lastOfFirst + 3,
      5000,
    );
    for (const m of rest) await m.cluster.stop();

    // One list per epoch, 0 to the last, each chained to the one before.
    const latest = (await second.store.read.lists.latest())!.epoch;
    let prev: NodeList | undefined;
    for (let e = 0; e <= latest; e++) {
      const stored = await second.store.read.lists.find(e);
      assert(stored, `list ${e} is there`);
      const { list } = verifyNodeList(stored.bytes, [key.public], {
        expectedNetwork: params.id,
      });
      if (prev) verifyChain(prev, list);
      prev = list;
    }
    const published = (await second.store.read.events.list({
      kinds: ["list_published"],
      limit: 1000,
    })).map((e) => (e.data as { epoch: number }).epoch);
    assert.deepEqual(
      published,
      Array.from({ length: latest + 1 }, (_, i) => i),
    );
  } finally {
    for (const m of members) {
      await m.cluster.stop();
      await m.store.close();
    }
    await db.drop();
  }
});
