// The store on both backends: the same values in and out (the type mapping
// of postgres_types.ts), the exact PostgreSQL column types, writes from
// several processes serialised with event ids in commit order, the leader
// lease and its fence, and notifications of other processes' writes.
import assert from "node:assert/strict";
import pg from "pg";
import type { RegistryEvent } from "../api/events.ts";
import {
  eachBackend,
  openTestStore,
  testPostgres,
} from "../testkit/backend.ts";
import { type NodeRow, UNASSIGNED } from "./nodes.ts";
import { LeaseLostError, openStore, type Store, type Tables } from "./store.ts";

const A = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const B = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
const U64_MAX = ((1n << 64n) - 1n).toString();
const MS = Date.UTC(2026, 10, 24, 12, 0, 0, 123);

function node(pubkey: string, operator: string): NodeRow {
  return {
    pubkey,
    operator,
    fee_basis_points: 250,
    requirement: U64_MAX,
    status: "active",
    registered_at: 3,
    status_since: 4,
    active_since: 4,
    credit_base: 0,
    credit_at_decommission: null,
    last_proof_epoch: 9,
    unreachable: 1,
    reachability_failures: 2,
    unlock_at: null,
    locked_until: null,
    stakes_released_at: null,
    decommission_count: 1,
    last_reasons: 0,
    swarm_id: UNASSIGNED,
    public_ip: "203.0.113.7",
    https_port: 22021,
    quic_port: 22020,
    node_version: "11.0.0",
    storage_version: "2.10.0",
    last_proof_at: Math.floor(MS / 1000),
    last_proof_received_at: Math.floor(MS / 1000) + 1,
  };
}

/** Rows as plain objects (node:sqlite's have no prototype). */
function plain<T>(rows: T): T {
  return JSON.parse(JSON.stringify(rows));
}

async function fill(tx: Tables): Promise<RegistryEvent> {
  await tx.meta.initialise("devnet");
  await tx.wallets.post({
    wallet: A,
    delta: BigInt(U64_MAX),
    kind: "genesis",
    node: null,
    epoch: 0,
    createdAt: MS,
  });
  await tx.wallets.post({
    wallet: A,
    delta: -(BigInt(U64_MAX) - 5n),
    kind: "stake",
    node: B,
    epoch: 1,
    createdAt: MS + 1,
  });
  await tx.nodes.insert(node(B, A), [{
    node: B,
    wallet: A,
    position: 0,
    amount: (BigInt(U64_MAX) - 5n).toString(),
    reserved: "0",
    since_epoch: 1,
  }]);
  await tx.sequences.advance(A, 2 ** 53 - 1);
  await tx.history.append({
    node: B,
    epoch: 4,
    from: "awaiting_contributions",
    to: "active",
    reason: "fully staked",
    reasonBits: 0,
    credit: 0,
  });
  await tx.reachability.append({
    node: B,
    epoch: 5,
    testedAt: Math.floor(MS / 1000),
    address: "203.0.113.7:22021",
    ok: true,
    detail: "signed challenge verified",
    latencyMs: 12,
  }, 10);
  await tx.lists.insert({
    epoch: 7,
    hash: "ab".repeat(32),
    prevHash: "00".repeat(32),
    publishedAt: Math.floor(MS / 1000),
    nodeCount: 1,
    bytes: new Uint8Array([0, 1, 2, 255]),
  });
  return await tx.events.append({
    epoch: 4,
    createdAt: MS,
    kind: "active",
    node: B,
    wallets: [A, A],
    // Key order and spacing as written: PostgreSQL's json keeps the text.
    data: { z: 1, a: "é\u2028", nested: { b: [1, "2"] } },
  } as unknown as Omit<RegistryEvent, "id">);
}

eachBackend.test("store: every value comes back as it went in", async (backend) => {
  const { store, close } = await openTestStore(backend);
  try {
    const appended = await store.transaction(fill);
    const read = store.read;
    assert.equal(await read.meta.network(), "devnet");
    assert.equal(await read.meta.epoch(), 0);
    assert.equal(await read.wallets.balance(A), 5n);
    assert.deepEqual(plain(await read.wallets.find(A)), {
      pubkey: A,
      balance: "5",
      created_epoch: 0,
    });
    assert.deepEqual(await read.wallets.audit(), {
      minted: BigInt(U64_MAX),
      spendable: 5n,
      staked: BigInt(U64_MAX) - 5n,
      balanced: true,
    });
    assert.deepEqual(plain(await read.nodes.get(B)), node(B, A));
    assert.deepEqual(plain(await read.nodes.many([B, A])), [node(B, A)]);
    assert.deepEqual(plain(await read.nodes.stakes(B)), [{
      node: B,
      wallet: A,
      position: 0,
      amount: (BigInt(U64_MAX) - 5n).toString(),
      reserved: "0",
      since_epoch: 1,
    }]);
    assert.deepEqual(plain(await read.nodes.page({ wallet: A, limit: 10 })), {
      rows: [node(B, A)],
      total: 1,
    });
    assert.deepEqual(plain(await read.nodes.page({ after: B, limit: 10 })), {
      rows: [],
      total: 1,
    });
    assert.deepEqual(await read.nodes.countByStatus(), { active: 1 });
    assert.deepEqual(plain(await read.nodes.activeSwarms()), [
      { pubkey: B, swarm_id: UNASSIGNED },
    ]);
    assert.equal(await read.nodes.swarmCount(), 0);
    assert.deepEqual(plain(await read.nodes.addressed()), [{
      pubkey: B,
      public_ip: "203.0.113.7",
      https_port: 22021,
      unreachable: 1,
      reachability_failures: 2,
    }]);
    assert.equal(await read.sequences.last(A), 2 ** 53 - 1);
    assert.equal(await read.sequences.last(B), -1);
    assert.equal((await read.history.of(B))[0]!.to, "active");
    assert.deepEqual(await read.reachability.recent(B, 5), [{
      node: B,
      epoch: 5,
      testedAt: Math.floor(MS / 1000),
      address: "203.0.113.7:22021",
      ok: true,
      detail: "signed challenge verified",
      latencyMs: 12,
    }]);
    assert.deepEqual(
      await read.reachability.latestPerNode(),
      new Map([[B, { epoch: 5, address: "203.0.113.7:22021" }]]),
    );
    const list = await read.lists.find(7);
    assert.deepEqual(list, {
      epoch: 7,
      hash: "ab".repeat(32),
      prevHash: "00".repeat(32),
      publishedAt: Math.floor(MS / 1000),
      nodeCount: 1,
      bytes: new Uint8Array([0, 1, 2, 255]),
    });
    assert.equal(await read.events.lastId(), appended.id);
    const events = await read.events.list({ wallet: A });
    assert.deepEqual(events, [{ ...appended, wallets: [A] }]);
    assert.equal(
      JSON.stringify(events[0]!.data),
      '{"z":1,"a":"é\u2028","nested":{"b":[1,"2"]}}',
    );
    assert.deepEqual(await read.events.list({ node: A }), []);
    // An event's wallets come back in the order they were given.
    const two = await store.transaction((tx) =>
      tx.events.append({
        epoch: 4,
        createdAt: MS,
        kind: "faucet",
        node: null,
        wallets: [B, A, B],
        data: { amount: "1" },
      } as Omit<RegistryEvent, "id">)
    );
    assert.deepEqual(two.wallets, [B, A]);
    assert.deepEqual(
      (await read.events.list({ after: appended.id }))[0]!.wallets,
      [B, A],
    );
    // A list is published once per epoch: the key refuses a second.
    await assert.rejects(store.transaction((tx) =>
      tx.lists.insert({
        epoch: 7,
        hash: "cd".repeat(32),
        prevHash: "ab".repeat(32),
        publishedAt: 0,
        nodeCount: 0,
        bytes: new Uint8Array(),
      })
    ));
    assert.equal((await read.lists.latest())!.hash, "ab".repeat(32));
  } finally {
    await close();
  }
});

/** A `pg` client on a test database's URL. */
async function client(url: string): Promise<pg.Client> {
  const u = new URL(url);
  const options = u.searchParams.get("options");
  u.searchParams.delete("options");
  const c = new pg.Client({
    connectionString: u.toString(),
    ...(options ? { options } : {}),
  });
  await c.connect();
  return c;
}

Deno.test("store: PostgreSQL columns have the exact types", async () => {
  const db = await testPostgres();
  const store = await openStore(db.location);
  const c = await client(db.location);
  try {
    const { rows } = await c.query<
      { table_name: string; column_name: string; type: string }
    >(`select table_name, column_name,
         case when data_type = 'numeric'
           then 'numeric(' || numeric_precision || ',' || numeric_scale || ')'
           else data_type end as type
       from information_schema.columns
       where table_schema = current_schema() and table_name not like 'kysely%'`);
    const type = (t: string, col: string) =>
      rows.find((r) => r.table_name === t && r.column_name === col)?.type;
    const expect: [string, string, string][] = [
      ["wallets", "pubkey", "bytea"],
      ["wallets", "balance", "numeric(20,0)"],
      ["ledger", "delta", "numeric(20,0)"],
      ["ledger", "created_at", "timestamp with time zone"],
      ["ledger", "id", "bigint"],
      ["sequences", "signer", "bytea"],
      ["sequences", "last_sequence", "bigint"],
      ["nodes", "pubkey", "bytea"],
      ["nodes", "operator", "bytea"],
      ["nodes", "requirement", "numeric(20,0)"],
      ["nodes", "swarm_id", "numeric(20,0)"],
      ["nodes", "unreachable", "boolean"],
      ["nodes", "last_proof_at", "timestamp with time zone"],
      ["nodes", "registered_at", "bigint"],
      ["stakes", "amount", "numeric(20,0)"],
      ["stakes", "wallet", "bytea"],
      ["reachability", "ok", "boolean"],
      ["reachability", "tested_at", "timestamp with time zone"],
      ["events", "data", "json"],
      ["events", "node", "bytea"],
      ["events", "created_at", "timestamp with time zone"],
      ["event_wallets", "wallet", "bytea"],
      ["lists", "hash", "bytea"],
      ["lists", "encoded", "bytea"],
      ["lists", "published_at", "timestamp with time zone"],
    ];
    for (const [t, col, want] of expect) {
      assert.equal(type(t, col), want, `${t}.${col}`);
    }
    // Keys are stored as their 32 bytes, times as instants.
    await store.transaction(fill);
    const raw = await c.query(
      "select pubkey, balance::text, extract(epoch from created_at) * 1000 as ms from wallets join ledger on ledger.wallet = wallets.pubkey order by ledger.id limit 1",
    );
    assert.equal(raw.rows[0].pubkey.toString("hex"), A);
    assert.equal(raw.rows[0].balance, "5");
    assert.equal(Number(raw.rows[0].ms), MS);
  } finally {
    await c.end();
    await store.close();
    await db.drop();
  }
});

Deno.test("store: writes from several processes are serialised, and event ids follow commit order", async () => {
  const db = await testPostgres();
  const stores: Store[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      stores.push(await openStore(db.location, { poolSize: 4 }));
    }
    await stores[0]!.transaction((tx) => tx.meta.initialise("devnet"));
    // Each write reads a counter and writes it back one higher (a lost
    // update if two interleaved), with an event carrying the new value.
    const bump = (store: Store) =>
      store.transaction(async (tx) => {
        const n = await tx.sequences.last(A) + 1;
        await new Promise((r) => setTimeout(r, Math.random() * 3));
        await tx.sequences.advance(A, n);
        await tx.events.append({
          epoch: 0,
          createdAt: MS,
          kind: "genesis",
          node: null,
          wallets: [],
          data: { amount: String(n) },
        } as Omit<RegistryEvent, "id">);
      });
    const writes = 30;
    await Promise.all(
      stores.flatMap((s) => Array.from({ length: writes }, () => bump(s))),
    );
    assert.equal(await stores[1]!.read.sequences.last(A), 3 * writes - 1);
    const events = await stores[2]!.read.events.list({ limit: 1000 });
    assert.equal(events.length, 3 * writes);
    // In id order the counter only goes up: ids were taken in commit order.
    assert.deepEqual(
      events.map((e) => Number((e.data as { amount: string }).amount)),
      Array.from({ length: 3 * writes }, (_, i) => i),
    );
  } finally {
    for (const s of stores) await s.close();
    await db.drop();
  }
});

Deno.test("store: one leader lease per database; a fenced write needs it; a dropped connection loses it", async () => {
  // A database of its own: the lease is per database.
  const db = await testPostgres("database");
  const a = await openStore(db.location, { poolSize: 2 });
  const b = await openStore(db.location, { poolSize: 2 });
  try {
    await a.transaction((tx) => tx.meta.initialise("devnet"));
    const leaseA = await a.tryLease();
    assert(leaseA?.held);
    assert.equal(await b.tryLease(), null);
    await a.transaction((tx) => tx.meta.setEpoch(1), { fence: leaseA });
    // B cannot fence with a lease it does not hold.
    await leaseA.release();
    assert(!leaseA.held);
    await assert.rejects(
      b.transaction((tx) => tx.meta.setEpoch(2), { fence: leaseA }),
      LeaseLostError,
    );
    assert.equal(await a.read.meta.epoch(), 1);
    const leaseB = await b.tryLease();
    assert(leaseB?.held);
    assert.equal(await a.tryLease(), null);
    // The server ends the lease's session (as when its process dies): the
    // lease is lost and the other process can take it.
    const c = await client(db.location);
    await c.query(
      "select pg_terminate_backend(pid) from pg_locks where locktype = 'advisory' and objid = 2 and database = (select oid from pg_database where datname = current_database())",
    );
    await c.end();
    await leaseB.lost;
    assert(!leaseB.held);
    await assert.rejects(
      b.transaction((tx) => tx.meta.setEpoch(2), { fence: leaseB }),
      LeaseLostError,
    );
    const again = await a.tryLease();
    assert(again?.held);
    await again.release();
  } finally {
    await a.close();
    await b.close();
    await db.drop();
  }
});

Deno.test("store: another process's write is announced; SQLite announces nothing", async () => {
  // A database of its own: notifications are per database.
  const db = await testPostgres("database");
  const a = await openStore(db.location, { poolSize: 2 });
  const b = await openStore(db.location, { poolSize: 2 });
  const sqlite = await openStore(":memory:");
  try {
    assert(a.shared && b.shared && !sqlite.shared);
    const heard = Promise.withResolvers<void>();
    let calls = 0;
    const stop = b.watch(() => {
      if (++calls >= 2) heard.resolve(); // the first call is the catch-up
    });
    // The listening connection is up once the catch-up call came.
    for (let i = 0; i < 100 && calls === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(calls, 1);
    await a.transaction((tx) => tx.meta.initialise("devnet"));
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      heard.promise,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("no notification")), 5000);
      }),
    ]).finally(() => clearTimeout(timer));
    stop();
    const lease = await sqlite.tryLease();
    assert(lease?.held);
    await lease.release();
  } finally {
    await a.close();
    await b.close();
    await sqlite.close();
    await db.drop();
  }
});
