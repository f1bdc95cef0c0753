/**
 * The client's pure pieces on their own: randomness, freshness and the
 * clock-skew diagnosis, the fallback file, swarm lookup and the 421 answer,
 * the swarm cache, the file store, and that nothing the browser build
 * imports touches `Deno.*`.
 */

import assert from "node:assert/strict";
import { fromHex, toHex } from "../core/bytes.ts";
import { publicKeyOf } from "../core/keys.ts";
import {
  buildSignedList,
  encodeNodeList,
  type NodeRecord,
} from "../core/nodelist.ts";
import { swarmForPubkey } from "../core/swarm.ts";
import { ClientError } from "./client_errors.ts";
import {
  buildFallbackList,
  departedNodes,
  fallbackListBytes,
  parseFallbackList,
} from "./fallback.ts";
import { FileStore } from "./file_store.ts";
import { explainTimeFailure, listLiveness } from "./freshness.ts";
import { randomFloat, randomInt, seededRandom, shuffled } from "./random.ts";
import { MemoryStore } from "./store.ts";
import {
  parseWrongSwarmAnswer,
  SwarmCache,
  SwarmMap,
  usableNodes,
} from "./swarms.ts";

Deno.test("randomInt is uniform and unbiased for a bound that does not divide 2^32", () => {
  const r = seededRandom("units");
  const n = 7;
  const counts = new Array(n).fill(0);
  const draws = 70_000;
  for (let i = 0; i < draws; i++) counts[randomInt(r, n)]++;
  const e = draws / n;
  const chi = counts.reduce((s, o) => s + (o - e) ** 2 / e, 0);
  // df 6: P(chi-square > 22.46) = 0.001.
  assert(chi < 22.46, `chi-square ${chi}`);
  assert.throws(() => randomInt(r, 0), RangeError);
  assert.throws(() => randomInt(r, 1.5), RangeError);
  for (let i = 0; i < 1000; i++) {
    const x = randomFloat(r);
    assert(x >= 0 && x < 1);
  }
  assert.deepEqual(
    shuffled(seededRandom(3), [1, 2, 3, 4, 5]),
    shuffled(seededRandom(3), [1, 2, 3, 4, 5]),
  );
});

const H = {
  epoch: 5n,
  validAfter: 1_000_000n,
  freshUntil: 1_000_120n,
  validUntil: 1_086_400n,
};

Deno.test("liveness: fresh, valid, reasonably live within 24 h either side, refused beyond", () => {
  assert.equal(listLiveness(H, 1_000_000 - 300), "fresh"); // clock tolerance
  assert.equal(listLiveness(H, 1_000_119), "fresh");
  assert.equal(listLiveness(H, 1_000_120), "valid");
  assert.equal(listLiveness(H, 1_086_399), "valid");
  assert.equal(listLiveness(H, 1_086_400), "reasonably_live");
  assert.equal(listLiveness(H, 1_086_400 + 86_399), "reasonably_live");
  assert.equal(listLiveness(H, 1_000_000 - 86_400), "reasonably_live");
  assert.throws(() => listLiveness(H, 1_086_400 + 86_400), {
    code: "list_expired",
    message: /valid until .* 1 d 0 h ago .* local clock/,
  });
  assert.throws(() => listLiveness(H, 1_000_000 - 86_401), {
    code: "list_not_yet_valid",
  });
  assert.throws(
    () => listLiveness(H, 1_086_400 + 3600, { reasonablyLiveSeconds: 3600 }),
    { code: "list_expired" },
  );
});

Deno.test("a time refusal is blamed on the clock only when the source's clock says so", () => {
  const ahead = 1_000_010 + 2 * 86_400 + 86_400; // 3 days on: past VU + 24 h
  const err = (() => {
    try {
      listLiveness(H, ahead);
    } catch (e) {
      return e as ClientError;
    }
    throw new Error("no refusal");
  })();
  // The source's clock is 3 days behind ours and the list is fine by it.
  const skew = explainTimeFailure(err, H, ahead, 1_000_010, "http://r");
  assert.equal(skew.code, "clock_skew");
  assert.equal(skew.skewSeconds, 3 * 86_400);
  assert.match(
    skew.message,
    /local clock is 3 d 0 h ahead of the clock of http:\/\/r/,
  );
  assert.match(skew.message, /correct the system time/);
  // The source's clock agrees with ours: the source is stale.
  const stale = explainTimeFailure(err, H, ahead, ahead - 2, "http://r");
  assert.equal(stale.code, "list_expired");
  assert.match(stale.message, /http:\/\/r serves a stale list/);
  // No Date header: nothing to add.
  assert.equal(explainTimeFailure(err, H, ahead, undefined, "http://r"), err);
  // Behind.
  const behind = 1_000_000 - 3 * 86_400;
  try {
    listLiveness(H, behind);
  } catch (e) {
    const b = explainTimeFailure(
      e as ClientError,
      H,
      behind,
      1_000_050,
      "http://r",
    );
    assert.equal(b.code, "clock_skew");
    assert.match(b.message, /behind the clock/);
  }
});

function node(i: number, extra: Partial<NodeRecord> = {}): NodeRecord {
  return {
    pubkey: publicKeyOf(new Uint8Array(32).fill(i)),
    swarmId: BigInt(i % 3) << 61n,
    ipv4: `10.0.${i}.1`,
    httpsPort: 22021,
    quicPort: 22020,
    version: [2, 11, 0],
    state: "active",
    unlockRequested: false,
    ...extra,
  };
}

const KEY = new Uint8Array(32).fill(9);
const HEADER = {
  network: 3,
  epoch: 100n,
  validAfter: 1_000_000n,
  freshUntil: 1_000_002n,
  validUntil: 1_003_600n,
  prevHash: new Uint8Array(32),
  swarmSeed: 0n,
};

Deno.test("fallback file: round trip, strict parsing, nodes probably unlocked are dropped", () => {
  const records = [
    node(1, { unlockRequested: true }),
    node(2, { unlockRequested: true }),
    node(3),
  ];
  const list = buildSignedList(HEADER, records, [KEY]);
  const bytes = encodeNodeList(list);
  const unlocks = { [toHex(records[0]!.pubkey)]: 120 };
  const f = buildFallbackList({
    bytes,
    network: "devnet",
    exportedAt: 1_000_010,
    epochSeconds: 2,
    unlockDelayEpochs: 30,
    unlocks,
  });
  const back = parseFallbackList(JSON.stringify(f));
  assert.deepEqual(back, f);
  assert.deepEqual(fallbackListBytes(back), bytes);
  // Epoch estimate 100 + (now - 1,000,000) / 2.
  assert.equal(departedNodes(f, list, 1_000_038).size, 0); // ~119
  assert.deepEqual([...departedNodes(f, list, 1_000_040)], [
    toHex(records[0]!.pubkey),
  ]); // ~120
  // Node 2's unlock epoch is unknown: it is gone once the list is older
  // than the whole unlock delay (30 epochs = 60 s).
  assert.equal(departedNodes(f, list, 1_000_060).size, 2);
  assert(!departedNodes(f, list, 9_999_999).has(toHex(records[2]!.pubkey)));

  for (
    const [bad, why] of [
      [{ ...f, format: "x" }, /format/],
      [{ ...f, network: "moon" }, /network/],
      [{ ...f, epochSeconds: 0 }, /epochSeconds/],
      [{ ...f, exportedAt: -1 }, /exportedAt/],
      [{ ...f, unlocks: { nothex: 1 } }, /unlocks/],
      [{ ...f, unlocks: { ["ab".repeat(32)]: "1" } }, /unlocks/],
      ["{", /not JSON/],
      [[], /object/],
    ] as const
  ) {
    assert.throws(() => parseFallbackList(bad), (e: unknown) => {
      assert(e instanceof ClientError);
      assert.equal(e.code, "bad_fallback");
      assert.match(e.message, why);
      return true;
    });
  }
});

Deno.test("swarm lookup agrees with core's swarmForPubkey and skips unusable members", () => {
  const records = [
    ...Array.from({ length: 12 }, (_, i) => node(i + 1)),
    node(20, { ipv4: "0.0.0.0", httpsPort: 0 }),
    node(21, { state: "decommissioned", swarmId: (1n << 64n) - 1n }),
  ];
  const list = buildSignedList(HEADER, records, [KEY]);
  assert.equal(usableNodes(list).length, 12);
  const map = new SwarmMap(list, new Set());
  assert.equal(map.size, 3);
  const ids = [0n, 1n << 61n, 2n << 61n];
  for (let i = 0; i < 50; i++) {
    const key = toHex(publicKeyOf(new Uint8Array(32).fill(100 + i)));
    const s = map.lookup("05" + key);
    assert.equal(s.swarmId, swarmForPubkey(ids, fromHex(key)));
    assert(
      s.members.every((m) => m.swarmId === s.swarmId && m.ip !== "0.0.0.0"),
    );
    assert.equal(s.members.length, 4);
  }
  // Leaving a node out (the fallback's departed ones) shrinks its swarm.
  const inSwarmOne = "05" + "2000000000000000" + "00".repeat(24); // ring 2^61
  const less = new SwarmMap(list, new Set([toHex(records[0]!.pubkey)]));
  assert.equal(map.lookup(inSwarmOne).members.length, 4);
  const members = less.lookup(inSwarmOne).members;
  assert.equal(members.length, 3);
  assert(!members.some((m) => m.pubkey === toHex(records[0]!.pubkey)));
  assert.throws(() => map.lookup("07" + "ab".repeat(32)), {
    code: "bad_session_id",
  });
  const empty = buildSignedList(HEADER, [], [KEY]);
  assert.throws(
    () => new SwarmMap(empty, new Set()).lookup("05" + "ab".repeat(32)),
    {
      code: "no_swarm",
    },
  );
});

Deno.test("the 421 answer: upstream's field names, legacy port, junk skipped, nothing usable refused", () => {
  const a = parseWrongSwarmAnswer({
    snodes: [
      {
        address: "x.snode",
        pubkey_legacy: "11".repeat(32),
        pubkey_x25519: "22".repeat(32),
        pubkey_ed25519: "AB".repeat(32),
        port: "22021",
        port_https: 22021,
        port_omq: 22020,
        ip: "10.1.2.3",
      },
      { pubkey_ed25519: "cd".repeat(32), ip: "10.1.2.4", port: "22100" },
      { pubkey_ed25519: "ab".repeat(32), ip: "10.1.2.5", port_https: 1 }, // duplicate
      { pubkey_ed25519: "ef".repeat(32), ip: "300.1.2.3", port_https: 1 },
      { pubkey_ed25519: "ef".repeat(32), ip: "0.0.0.0", port_https: 0 },
      "junk",
    ],
    swarm: "ffffffffffffffff",
    t: 1700000000000,
    hf: [19, 3],
  });
  assert.equal(a.swarmId, (1n << 64n) - 1n);
  assert.deepEqual(
    a.members.map((m) => [m.pubkey, m.ip, m.httpsPort, m.quicPort]),
    [
      ["ab".repeat(32), "10.1.2.3", 22021, 22020],
      ["cd".repeat(32), "10.1.2.4", 22100, 0],
    ],
  );
  for (
    const bad of [null, [], "x", {}, { snodes: "x" }, {
      snodes: [{ ip: "1.2.3.4" }],
    }]
  ) {
    assert.throws(() => parseWrongSwarmAnswer(bad), {
      code: "bad_swarm_answer",
    });
  }
});

Deno.test("the swarm cache persists, is bounded, and forgets entries older than a new list", async () => {
  const store = new MemoryStore();
  const cache = new SwarmCache(store, 2);
  const member = {
    pubkey: "ab".repeat(32),
    ip: "10.0.0.1",
    httpsPort: 1,
    quicPort: 2,
    version: [1, 2, 3] as const,
    swarmId: 7n,
  };
  await cache.set("a", {
    swarmId: 7n,
    members: [member],
    from: "node",
    learnedAt: 10,
  });
  await cache.set("b", {
    swarmId: null,
    members: [],
    from: "node",
    learnedAt: 20,
  });
  await cache.set("c", {
    swarmId: 9n,
    members: [],
    from: "node",
    learnedAt: 30,
  });
  const again = new SwarmCache(store, 2);
  await again.load();
  assert.equal(again.get("a"), undefined, "oldest evicted");
  assert.equal(again.get("b")?.swarmId, null);
  assert.equal(again.get("c")?.swarmId, 9n);
  await again.set("a", {
    swarmId: 7n,
    members: [member],
    from: "node",
    learnedAt: 40,
  });
  const third = new SwarmCache(store);
  await third.load();
  assert.deepEqual(third.get("a")?.members, [member]);
  await third.dropBefore(35);
  assert.equal(third.get("c"), undefined);
  assert.equal(third.get("a")?.learnedAt, 40);
  await store.set("swarms.json", new TextEncoder().encode("{not json"));
  await new SwarmCache(store).load(); // a corrupt cache is ignored
});

Deno.test("FileStore: atomic files, missing keys, bad keys refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const s = new FileStore(dir + "/sub/");
    assert.equal(await s.get("list.bin"), undefined);
    await s.set("list.bin", new Uint8Array([1, 2]));
    await s.set("list.bin", new Uint8Array([3]));
    assert.deepEqual(await s.get("list.bin"), new Uint8Array([3]));
    assert.equal((await Deno.stat(`${dir}/sub/list.bin`)).mode! & 0o777, 0o600);
    const names = [];
    for await (const e of Deno.readDir(`${dir}/sub`)) names.push(e.name);
    assert.deepEqual(names, ["list.bin"], "no temporary files left");
    await s.delete("list.bin");
    await s.delete("list.bin");
    assert.equal(await s.get("list.bin"), undefined);
    await assert.rejects(s.set("../x", new Uint8Array()), TypeError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the client's browser-facing modules (mod.ts and everything it imports) use no Deno APIs", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL("./mod.ts", import.meta.url).pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { local?: string }[];
  };
  const registryDir = new URL("../", import.meta.url).pathname;
  const local = info.modules.map((m) => m.local ?? "").filter((p) =>
    p.startsWith(registryDir)
  );
  assert(local.some((p) => p.endsWith("client/paths.ts")));
  assert(
    !local.some((p) => p.endsWith("file_store.ts")),
    "file_store.ts stays out of mod.ts",
  );
  for (const path of local) {
    const code = (await Deno.readTextFile(path))
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/\/\/.*$/gm, "");
    assert(!/\bDeno\./.test(code), `${path} uses Deno APIs`);
  }
});
