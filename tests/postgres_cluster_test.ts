/**
 * Three registry processes (`registry/main.ts` with the `start` task's
 * permissions) on one PostgreSQL database: concurrent signed writes through
 * all three, the leader killed with `kill -9` mid-run, then:
 *
 * - every acknowledged write is in the database;
 * - the list chain is continuous, exactly one list per epoch;
 * - the ledger balances;
 * - the event-stream (SSE) clients of the survivors saw every event, once
 *   and in order;
 * - a survivor took over within two epochs.
 *
 * Loopback only, every wait bounded, children killed if the test fails.
 */

import assert from "node:assert/strict";
import type { RegistryEvent } from "../registry/api/events.ts";
import { fromHex } from "../registry/core/bytes.ts";
import {
  type MessageBody,
  type SignedMessage,
  signMessage,
} from "../registry/core/messages.ts";
import {
  type NodeList,
  verifyChain,
  verifyNodeList,
} from "../registry/core/nodelist.ts";
import { ATOMIC_PER_COIN, networkParams } from "../registry/core/params.ts";
import { openStore } from "../registry/store/store.ts";
import { testPostgres } from "../registry/testkit/backend.ts";
import { SseReader } from "../registry/testkit/http.ts";
import { Signer, testKey } from "../registry/testkit/net.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const EPOCH_SECONDS = 2;
const params = networkParams("devnet", { epochSeconds: EPOCH_SECONDS });

type Line = Record<string, unknown>;

/** The `start` task's deno arguments (`run`, permissions, script). */
async function startTaskArgs(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  return String(config.tasks.start).split(/\s+/).slice(1);
}

/** A registry process and its parsed log lines. */
class Process {
  readonly name: string;
  readonly child: Deno.ChildProcess;
  readonly lines: Line[] = [];
  stderr = "";
  readonly status: Promise<Deno.CommandStatus>;
  readonly #done: Promise<void>;

  constructor(name: string, args: string[], env: Record<string, string>) {
    this.name = name;
    const childEnv: Record<string, string> = { NO_COLOR: "1", ...env };
    for (const k of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME", "TMPDIR"]) {
      const v = Deno.env.get(k);
      if (v !== undefined) childEnv[k] = v;
    }
    this.child = new Deno.Command(Deno.execPath(), {
      args,
      cwd: ROOT,
      env: childEnv,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.status = this.child.status;
    this.#done = Promise.all([
      this.#read(this.child.stdout, (l) => {
        try {
          this.lines.push(JSON.parse(l));
        } catch {
          // Not a log line.
        }
      }),
      this.#read(this.child.stderr, (l) => this.stderr += l + "\n"),
    ]).then(() => {});
  }

  async #read(
    stream: ReadableStream<Uint8Array>,
    onLine: (line: string) => void,
  ): Promise<void> {
    let buffer = "";
    const decoder = new TextDecoder();
    for await (const bytes of stream) {
      buffer += decoder.decode(bytes, { stream: true });
      let i;
      while ((i = buffer.indexOf("\n")) >= 0) {
        onLine(buffer.slice(0, i));
        buffer = buffer.slice(i + 1);
      }
    }
    if (buffer) onLine(buffer);
  }

  async msg(msg: string, timeoutMs = 60_000): Promise<Line> {
    await until(
      `${this.name}: "${msg}"`,
      () => this.lines.some((l) => l.msg === msg),
      timeoutMs,
      () =>
        `log: ${
          this.lines.map((l) => l.msg).join(" | ")
        }; stderr: ${this.stderr}`,
    );
    return this.lines.find((l) => l.msg === msg)!;
  }

  get leading(): boolean {
    const last = this.lines.filter((l) =>
      typeof l.msg === "string" &&
      /^(leader lease taken|following|lost the leader lease)/.test(l.msg)
    ).at(-1);
    return last !== undefined &&
      String(last.msg).startsWith("leader lease taken");
  }

  async exit(timeoutMs = 20_000): Promise<Deno.CommandStatus> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await Promise.race([
        this.status,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`${this.name} still running`)),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
      await this.#done;
    }
  }

  async dispose(): Promise<void> {
    try {
      this.child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await this.status;
    await this.#done;
  }
}

async function until(
  what: string,
  ok: () => boolean | Promise<boolean>,
  timeoutMs: number,
  detail: () => string = () => "",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what} ${detail()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** An SSE client of one process: every event it got, in order. */
class Listener {
  readonly events: RegistryEvent[] = [];
  readonly #abort = new AbortController();
  readonly done: Promise<void>;

  constructor(url: string) {
    this.done = (async () => {
      const res = await fetch(`${url}/v1/events?after=0`, {
        headers: { accept: "text/event-stream" },
        signal: this.#abort.signal,
      });
      assert.equal(res.status, 200);
      const reader = new SseReader(res.body!);
      for (;;) {
        const frame = await reader.nextEvent(600_000);
        if (frame === null) return;
        this.events.push(JSON.parse(frame.data!));
      }
    })().catch(() => {
      // The process died or the test stopped listening.
    });
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.done;
  }
}

function sign(
  body: Record<string, unknown>,
  keys: Uint8Array[],
): SignedMessage {
  return signMessage(body as unknown as MessageBody, keys);
}

Deno.test({
  name:
    "three registries on one PostgreSQL: concurrent writes, the leader killed with kill -9, nothing lost",
  // Children and sockets are cleaned up by the test itself.
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const db = await testPostgres("database");
  const dataDir = await Deno.makeTempDir({ prefix: "registry-cluster-" });
  const passphrase = `${dataDir}/passphrase`;
  await Deno.writeTextFile(passphrase, "correct horse battery staple\n");
  const processes: Process[] = [];
  const listeners: Listener[] = [];
  const args = [
    ...await startTaskArgs(),
    "--port",
    "0",
    "--epoch-seconds",
    String(EPOCH_SECONDS),
    "--probe",
    "off",
    // One data directory for all three: with PostgreSQL it holds only the
    // registry key, which every process of a database must share.
    "--data-dir",
    dataDir,
    "--passphrase-file",
    passphrase,
  ];
  const start = (name: string) => {
    const p = new Process(name, args, { DATABASE_URL: db.location });
    processes.push(p);
    return p;
  };
  try {
    // The first creates the key and the database; the others join it.
    const first = start("p0");
    const registryKey = fromHex(
      String((await first.msg("listening")).registryKey),
      32,
    );
    start("p1");
    start("p2");
    const urls = new Map<Process, string>();
    for (const p of processes) {
      urls.set(p, String((await p.msg("listening")).url));
      listeners.push(new Listener(urls.get(p)!));
    }
    await until(
      "exactly one leader",
      () =>
        processes.filter((p) => p.leading).length === 1 &&
        processes.every((p) =>
          p.leading ||
          p.lines.some((l) => String(l.msg).startsWith("following"))
        ),
      30_000,
    );
    const leader = processes.find((p) => p.leading)!;
    const survivors = processes.filter((p) => p !== leader);

    // Writers: each wallet asks the faucet for a distinct amount each time
    // (so each write is recognisable), later registers a node with it, each
    // request to the next live process in turn.
    const alive = new Set(processes);
    const acked = new Map<string, bigint[]>();
    const registered: string[] = [];
    let writes = 0;
    let stopWriting = false;
    let turn = 0;
    const post = async (path: string, msg: SignedMessage): Promise<number> => {
      const live = processes.filter((p) => alive.has(p));
      const p = live[turn++ % live.length]!;
      try {
        const res = await fetch(urls.get(p)! + path, {
          method: "POST",
          headers: { "content-type": "application/octet-stream" },
          body: msg.bytes as Uint8Array<ArrayBuffer>,
          signal: AbortSignal.timeout(10_000),
        });
        await res.body?.cancel();
        return res.status;
      } catch {
        return 0; // not acknowledged (the process died under it)
      }
    };
    const writer = async (w: number) => {
      const wallet = new Signer(testKey(`wallet ${w}`), params.id, Date.now);
      const node = new Signer(testKey(`node ${w}`), params.id, Date.now);
      acked.set(wallet.key.hex, []);
      for (let k = 0; !stopWriting; k++) {
        if (k === 6) {
          const status = await post(
            "/v1/nodes",
            sign({
              kind: "register_node",
              ...wallet.common(),
              nodePubkey: node.key.public,
              operator: wallet.key.public,
              operatorStake: params.stakingRequirement,
              feeBasisPoints: 0,
              reserved: [],
            }, [node.key.secret, wallet.key.secret]),
          );
          if (status === 201) registered.push(node.key.hex);
          continue;
        }
        const amount = 100n * ATOMIC_PER_COIN + BigInt(k);
        const status = await post(
          "/v1/faucet",
          sign({
            kind: "faucet_request",
            ...wallet.common(),
            wallet: wallet.key.public,
            amount,
          }, [wallet.key.secret]),
        );
        if (status === 200) acked.get(wallet.key.hex)!.push(amount);
        writes++;
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const writers = Array.from({ length: 6 }, (_, w) => writer(w));

    await until("40 writes", () => writes >= 40, 60_000);
    const lastBefore = await openStore(db.location, { poolSize: 1 }).then(
      async (s) => {
        try {
          return (await s.read.lists.latest())!.epoch;
        } finally {
          await s.close();
        }
      },
    );
    alive.delete(leader);
    leader.child.kill("SIGKILL");
    const killedAt = Date.now();
    await leader.status;

    await until(
      "a survivor takes over",
      () => survivors.some((p) => p.leading),
      10_000,
    );
    const successor = survivors.find((p) => p.leading)!;
    // The next list comes within two epochs of the kill.
    await until(
      "the successor's first tick",
      () => successor.lines.some((l) => l.msg === "tick"),
      10_000,
    );
    const firstTick = successor.lines.find((l) => l.msg === "tick")!;
    const takeoverMs = Date.parse(String(firstTick.time)) - killedAt;
    assert(
      takeoverMs <= 2 * EPOCH_SECONDS * 1000 + 1000,
      `the next list ${takeoverMs} ms after the kill`,
    );
    const taken = successor.lines.findLast((l) =>
      String(l.msg).startsWith("leader lease taken")
    )!;
    assert(
      Number(taken.lastList) >= lastBefore,
      "the successor continues from the last list",
    );
    await until("more writes", () => writes >= 100, 60_000);
    stopWriting = true;
    await Promise.all(writers);
    // A few more epochs after the writes.
    await until(
      "two ticks by the successor",
      () => successor.lines.filter((l) => l.msg === "tick").length >= 2,
      20_000,
    );

    const store = await openStore(db.location, { poolSize: 2 });
    try {
      const lastId = await store.read.events.lastId();
      // The survivors' streams get to the newest event...
      for (const p of survivors) {
        const l = listeners[processes.indexOf(p)]!;
        await until(
          `${p.name}'s event stream reaches event ${lastId}`,
          () => (l.events.at(-1)?.id ?? 0) >= lastId,
          20_000,
        );
      }
      // ...and stop there, ticks being stopped.
      for (const p of survivors) p.child.kill("SIGTERM");
      for (const p of survivors) assert.equal((await p.exit()).code, 0);
      const events = await store.read.events.list({ limit: 10_000 });
      const final = await store.read.events.lastId();
      assert.equal(events.at(-1)!.id, final);

      // Every acknowledged write is there.
      for (const [wallet, amounts] of acked) {
        const paid = events.filter((e) =>
          e.kind === "faucet" && e.wallets.includes(wallet)
        ).map((e) => BigInt((e.data as { amount: string }).amount));
        for (const a of amounts) {
          assert(paid.includes(a), `acknowledged faucet ${a} for ${wallet}`);
        }
      }
      for (const node of registered) {
        assert(await store.read.nodes.find(node), `registered node ${node}`);
      }

      // One list per epoch, chained, none published twice.
      const latest = (await store.read.lists.latest())!.epoch;
      let prev: NodeList | undefined;
      for (let e = 0; e <= latest; e++) {
        const stored = await store.read.lists.find(e);
        assert(stored, `list ${e}`);
        const { list } = verifyNodeList(stored.bytes, [registryKey], {
          expectedNetwork: params.id,
        });
        if (prev) verifyChain(prev, list);
        prev = list;
      }
      const published = events.filter((e) => e.kind === "list_published")
        .map((e) => (e.data as { epoch: number }).epoch);
      assert.deepEqual(
        published,
        Array.from({ length: latest + 1 }, (_, i) => i),
      );

      // The ledger balances.
      const audit = await store.read.wallets.audit();
      assert(audit.balanced, "ledger balanced");
      assert(audit.staked > 0n);

      // The survivors' event streams saw every event, once, in order.
      for (const p of survivors) {
        const seen = listeners[processes.indexOf(p)]!.events.map((e) => e.id);
        assert.deepEqual(seen, events.map((e) => e.id), `${p.name}'s stream`);
      }
      console.log(
        `${writes} writes, ${
          [...acked.values()].flat().length
        } faucet writes acknowledged, ${registered.length} nodes, ${
          latest + 1
        } lists, ${events.length} events; takeover after ${takeoverMs} ms`,
      );
    } finally {
      await store.close();
    }
  } finally {
    for (const l of listeners) await l.stop();
    for (const p of processes) await p.dispose();
    await Deno.remove(dataDir, { recursive: true });
    await db.drop();
  }
});

Deno.test({
  name:
    "a registry on PostgreSQL: an unreachable server, or a key other than the database's, stops the start with status 1",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const db = await testPostgres("database");
  const dirs = [
    await Deno.makeTempDir({ prefix: "registry-pg-a-" }),
    await Deno.makeTempDir({ prefix: "registry-pg-b-" }),
  ];
  const processes: Process[] = [];
  const run = (dir: string, url: string) => {
    const p = new Process(dir, [
      ...args,
      "--port",
      "0",
      "--probe",
      "off",
      "--data-dir",
      dir,
    ], { DATABASE_URL: url });
    processes.push(p);
    return p;
  };
  const args = await startTaskArgs();
  try {
    // Nothing listens on port 1: the start fails, naming the database
    // without its password.
    const down = run(dirs[0]!, "postgres://registry:s3cret@127.0.0.1:1/none");
    assert.equal((await down.exit(30_000)).code, 1);
    assert.match(
      down.stderr,
      /^error: cannot open the database postgres:\/\/registry:\*\*\*@127\.0\.0\.1:1\/none: .+\n$/,
    );
    assert(!down.stderr.includes("s3cret"));

    // The first process records its key; one with another key is refused.
    const first = run(dirs[0]!, db.location);
    const key = String((await first.msg("listening")).registryKey);
    first.child.kill("SIGTERM");
    assert.equal((await first.exit()).code, 0);
    const other = run(dirs[1]!, db.location);
    assert.equal((await other.exit(60_000)).code, 1);
    assert.match(
      other.stderr,
      new RegExp(
        `^error: cannot open the database .*: this database's lists are signed with the registry key ${key}, not [0-9a-f]{64}: every registry process on one database needs the same key`,
      ),
    );
  } finally {
    for (const p of processes) await p.dispose();
    for (const d of dirs) await Deno.remove(d, { recursive: true });
    await db.drop();
  }
});
