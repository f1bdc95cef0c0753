/**
 * End-to-end tests of the service: `registry/main.ts` run as a subprocess
 * with the permissions of the `start` task, on 127.0.0.1 and a free port,
 * in a temporary data directory. Every wait is bounded; a child that
 * outlives its test is killed.
 */

import assert from "node:assert/strict";
import { sha256 } from "@noble/hashes/sha2.js";
import { fromHex } from "./core/bytes.ts";
import { publicKeyOf } from "./core/keys.ts";
import { signMessage } from "./core/messages.ts";
import { verifyNodeList } from "./core/nodelist.ts";
import { networkParams } from "./core/params.ts";
import { Registry } from "./registry.ts";
import { openSqliteStore } from "./store/store.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const W1 = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

/** The `start` task's deno arguments (`run`, permissions, script). */
async function startTaskArgs(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  const words = String(config.tasks.start).split(/\s+/);
  assert.match(words[0]!, /(^|\/)deno$/);
  assert.equal(words[1], "run");
  assert.equal(words.at(-1), "registry/main.ts");
  assert(!words.includes("--allow-all") && !words.includes("-A"));
  return words.slice(1);
}

/** The environment of a child: nothing of ours but what deno needs. */
function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { NO_COLOR: "1" };
  for (const k of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME", "TMPDIR"]) {
    const v = Deno.env.get(k);
    if (v !== undefined) env[k] = v;
  }
  return { ...env, ...extra };
}

type Line = Record<string, unknown>;

/** A running service, its log lines parsed as they come. */
class Service {
  readonly child: Deno.ChildProcess;
  readonly lines: Line[] = [];
  readonly junk: string[] = [];
  stderr = "";
  readonly status: Promise<Deno.CommandStatus>;
  readonly #done: Promise<void>;
  #wake: () => void = () => {};

  constructor(args: string[], env: Record<string, string>) {
    this.child = new Deno.Command(Deno.execPath(), {
      args,
      cwd: ROOT,
      env: childEnv(env),
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const out = this.#read(this.child.stdout, (line) => {
      try {
        this.lines.push(JSON.parse(line));
      } catch {
        this.junk.push(line);
      }
    });
    const err = this.#read(this.child.stderr, (line) => {
      this.stderr += line + "\n";
    });
    this.#done = Promise.all([out, err]).then(() => {});
    this.status = this.child.status;
  }

  static async start(
    extraArgs: string[],
    env: Record<string, string> = {},
  ): Promise<Service> {
    return new Service([...await startTaskArgs(), ...extraArgs], env);
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
      this.#wake();
    }
    if (buffer) onLine(buffer);
    this.#wake();
  }

  /** Wait for a log line matching `pred`. */
  async waitFor(
    pred: (line: Line) => boolean,
    what: string,
    timeoutMs = 60_000,
  ): Promise<Line> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    this.status.then(() => exited = true);
    for (;;) {
      const found = this.lines.find(pred);
      if (found) return found;
      if (exited) {
        throw new Error(`exited before "${what}"; stderr: ${this.stderr}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `no "${what}" within ${timeoutMs} ms; log: ${
            JSON.stringify(this.lines.map((l) => l.msg))
          }; stderr: ${this.stderr}`,
        );
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 100));
        this.#wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  }

  msg(msg: string, timeoutMs?: number): Promise<Line> {
    return this.waitFor((l) => l.msg === msg, msg, timeoutMs);
  }

  /** Wait for the exit (bounded), with the output read to the end. */
  async exit(timeoutMs = 45_000): Promise<Deno.CommandStatus> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`still running after ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      const status = await Promise.race([this.status, timeout]);
      await this.#done;
      return status;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kill it if it still runs; always reap it. */
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

/** Run to completion (bounded) and collect the output. */
async function runOnce(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...await startTaskArgs(), ...args],
    cwd: ROOT,
    env: childEnv(env),
    clearEnv: true,
    stdin: "null",
    signal: AbortSignal.timeout(30_000),
  }).output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "registry-e2e-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function getJson(base: string, path: string): Promise<Line> {
  const res = await fetch(base + path, { signal: AbortSignal.timeout(5000) });
  assert.equal(res.status, 200, `${path}: ${res.status}`);
  return await res.json();
}

async function latestListEpoch(base: string): Promise<number> {
  const res = await fetch(`${base}/v1/lists/latest.json`, {
    signal: AbortSignal.timeout(5000),
  });
  assert.equal(res.status, 200);
  await res.body?.cancel();
  return Number(res.headers.get("x-list-epoch"));
}

Deno.test("service: bad flags and values exit 2 with one error line; --help, --version", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/bad.json`,
      '[{"wallet": "00", "amount": "1"}]',
    );
    const cases: [string[], Record<string, string>, RegExp][] = [
      [["--port", "http"], {}, /^error: --port: "http" is not a TCP port/],
      [["--bogus"], {}, /^error: unknown option --bogus \(see --help\)$/],
      [
        [],
        { REGISTRY_EPOCH_SECONDS: "0" },
        /^error: REGISTRY_EPOCH_SECONDS: 0 is out of range/,
      ],
      [["--network", "mainnet"], {}, /^error: mainnet needs a passphrase/],
      [
        ["--genesis", `${dir}/missing.json`, "--data-dir", `${dir}/d1`],
        {},
        /^error: cannot read genesis file/,
      ],
      [
        ["--genesis", `${dir}/bad.json`, "--data-dir", `${dir}/d2`],
        {},
        /^error: genesis file .*bad\.json, entry 0: "wallet"/,
      ],
      [
        ["--passphrase-file", `${dir}/nope`, "--data-dir", `${dir}/d3`],
        {},
        /^error: cannot read the passphrase file .*nope \(--passphrase-file\)/,
      ],
      [
        ["--data-dir", `${dir}/d4`],
        { REGISTRY_PASSPHRASE: "short" },
        /^error: the passphrase from REGISTRY_PASSPHRASE is unusable/,
      ],
      // Neither an endless device nor a FIFO is read (one would grow memory
      // without bound, the other hang start-up).
      [
        ["--data-dir", `${dir}/d5`],
        { REGISTRY_PASSPHRASE_FILE: "/dev/zero" },
        /^error: the passphrase file \/dev\/zero \(REGISTRY_PASSPHRASE_FILE\) is not a regular file/,
      ],
      [
        ["--passphrase-file", `${dir}/fifo`, "--data-dir", `${dir}/d6`],
        {},
        /^error: the passphrase file .*fifo \(--passphrase-file\) is not a regular file/,
      ],
    ];
    const mkfifo = await new Deno.Command("mkfifo", {
      args: [`${dir}/fifo`],
    }).output();
    assert(mkfifo.success);
    const results = await Promise.all(
      cases.map(([args, env]) => runOnce(args, env)),
    );
    results.forEach((r, i) => {
      const [args, , expected] = cases[i]!;
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      const lines = r.stderr.trimEnd().split("\n");
      assert.equal(
        lines.length,
        1,
        `one line for ${args.join(" ")}: ${r.stderr}`,
      );
      assert.match(lines[0]!, expected);
      assert(!/\bat .*:\d+:\d+/.test(r.stderr), "no stack trace");
    });
    // Nothing was created for the failed starts but the data directories.
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory) {
        for await (const f of Deno.readDir(`${dir}/${e.name}`)) {
          assert.fail(`unexpected ${e.name}/${f.name}`);
        }
      }
    }
  });
  // A data directory others may write is refused (status 1), untouched.
  await withDir(async (dir) => {
    await Deno.chmod(dir, 0o777);
    const r = await runOnce(["--data-dir", dir, "--port", "0"]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(
      r.stderr,
      `error: the data directory ${dir} is writable by other users (mode 0777): refusing to use it; if it is yours, run chmod 700 ${dir}\n`,
    );
    for await (const e of Deno.readDir(dir)) assert.fail(`created ${e.name}`);
  });
  const help = await runOnce(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^snode-registry: /);
  assert.match(help.stdout, /--passphrase-file PATH/);
  const version = await runOnce(["--version"]);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^snode-registry \d+\.\d+\.\d+\n$/);
});

Deno.test("service: starts, serves, ticks, restarts with the same key, shuts down cleanly", async () => {
  await withDir(async (dir) => {
    const data = `${dir}/data`;
    const genesis = `${dir}/genesis.json`;
    await Deno.writeTextFile(
      genesis,
      JSON.stringify([{ wallet: W1, amount: "1234.5" }]),
    );
    const args = [
      "--port",
      "0",
      "--data-dir",
      data,
      "--epoch-seconds",
      "1",
      "--genesis",
      genesis,
    ];

    // First run: devnet generates the passphrase and the key, and credits genesis.
    let registryKey: string;
    let stoppedAt: number;
    const first = await Service.start(args);
    try {
      const listening = await first.msg("listening");
      const base = String(listening.url);
      registryKey = String(listening.registryKey);
      assert.match(registryKey, /^[0-9a-f]{64}$/);
      assert.equal(listening.network, "devnet");
      assert.equal(listening.host, "127.0.0.1");
      assert(Number(listening.port) > 0);
      assert.equal(listening.epochSeconds, 1);
      assert(
        first.lines.some((l) =>
          l.level === "warn" && /GENERATED A PASSPHRASE/.test(String(l.msg))
        ),
      );
      assert.equal(
        (await first.msg("generated the registry signing key")).registryKey,
        registryKey,
      );
      assert.equal(
        (await first.msg("created the database")).genesisAllocations,
        1,
      );
      for (const l of first.lines) {
        assert.match(
          String(l.time),
          /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
        );
        assert(["debug", "info", "warn", "error"].includes(String(l.level)));
      }

      const health = await getJson(base, "/v1/health");
      assert.equal(health.status, "ok");
      assert.equal(health.network, "devnet");
      const info = await getJson(base, "/v1/info");
      assert.deepEqual(info.registryKeys, [registryKey]);
      assert.equal(info.epochSeconds, 1);
      const wallet = await getJson(base, `/v1/wallets/${W1}`);
      assert.equal(wallet.balance, "1234500000000");

      // The binary list verifies under the logged key.
      const res = await fetch(`${base}/v1/lists/latest.bin`, {
        signal: AbortSignal.timeout(5000),
      });
      assert.equal(res.status, 200);
      const verified = verifyNodeList(new Uint8Array(await res.arrayBuffer()), [
        fromHex(registryKey, 32),
      ], {
        expectedNetwork: 3,
      });
      assert.equal(verified.signers.length, 1);

      // Epochs advance by the wall clock, and each tick is logged.
      const e1 = await latestListEpoch(base);
      const tick = await first.waitFor(
        (l) => l.msg === "tick" && Number(l.epoch) > e1,
        "a tick after the first list",
      );
      assert.match(String(tick.hash), /^[0-9a-f]{64}$/);
      assert.equal(tick.nodes, 0);
      assert.deepEqual(tick.changes, {});
      assert(await latestListEpoch(base) > e1);

      // A second registry on the same data directory is refused.
      const twin = await runOnce(["--port", "0", "--data-dir", data]);
      assert.equal(twin.code, 1);
      assert.match(
        twin.stderr,
        /^error: cannot open the database .*registry\.db: database is locked \(is another registry running on this data directory\?\)\n$/,
      );

      // An open event stream does not hold shutdown up.
      const sse = await fetch(`${base}/v1/events`, {
        headers: { accept: "text/event-stream" },
        signal: AbortSignal.timeout(10_000),
      });
      assert.equal(sse.status, 200);
      const reader = sse.body!.getReader();
      await reader.read();

      first.child.kill("SIGTERM");
      const status = await first.exit();
      assert.equal(status.code, 0, first.stderr);
      const shutting = await first.msg("shutting down", 0);
      assert.equal(shutting.signal, "SIGTERM");
      stoppedAt = Number((await first.msg("stopped", 0)).epoch);
      assert(
        !first.lines.some((l) => l.level === "error"),
        JSON.stringify(first.lines),
      );
      assert(!first.lines.some((l) => /grace period/.test(String(l.msg))));
      // The stream ended with the server.
      for (;;) if ((await reader.read()).done) break;
    } finally {
      await first.dispose();
    }

    // The data directory.
    const mode = async (name: string) =>
      (await Deno.stat(`${data}/${name}`)).mode! & 0o777;
    assert.equal(await mode("registry-key.json"), 0o600);
    assert.equal(await mode("registry-key.passphrase"), 0o600);
    assert((await Deno.stat(`${data}/registry.db`)).isFile);

    // Second run: same key, genesis ignored, epochs carry on; SIGINT stops it.
    const second = await Service.start(args);
    try {
      const listening = await second.msg("listening");
      assert.equal(listening.registryKey, registryKey);
      assert(Number(listening.epoch) >= stoppedAt);
      assert(
        second.lines.some((l) =>
          l.msg === "the database already exists: the genesis file is ignored"
        ),
      );
      assert(
        !second.lines.some((l) =>
          l.msg === "generated the registry signing key"
        ),
      );
      const wallet = await getJson(String(listening.url), `/v1/wallets/${W1}`);
      assert.equal(wallet.balance, "1234500000000");
      second.child.kill("SIGINT");
      assert.equal((await second.exit()).code, 0, second.stderr);
      assert.equal((await second.msg("stopped", 0)).signal, "SIGINT");
    } finally {
      await second.dispose();
    }

    // A wrong passphrase: exit 1, one clear line.
    const wrong = await runOnce(["--port", "0", "--data-dir", data], {
      REGISTRY_PASSPHRASE: "not the passphrase",
    });
    assert.equal(wrong.code, 1);
    assert.equal(
      wrong.stderr,
      `error: wrong passphrase for ${data}/registry-key.json\n`,
    );
  });
});

Deno.test("service: --http-server deno serves the same API (fast path, writes, event streams) and shuts down cleanly", async () => {
  await withDir(async (dir) => {
    const service = await Service.start([
      "--port",
      "0",
      "--data-dir",
      `${dir}/data`,
      "--epoch-seconds",
      "1",
      "--http-server",
      "deno",
    ]);
    try {
      const listening = await service.msg("listening");
      assert.equal(listening.httpServer, "deno");
      const limits = listening.limits as Line;
      assert.equal(
        limits.headerTimeoutMs,
        undefined,
        "not enforced: not shown",
      );
      assert.equal(limits.maxStreams, 256);
      // On loopback: no warning about missing slow-client limits.
      assert(
        !service.lines.some((l) =>
          l.level === "warn" && /http-server/.test(String(l.msg))
        ),
      );
      const base = String(listening.url);
      const key = fromHex(String(listening.registryKey), 32);

      assert.equal((await getJson(base, "/v1/health")).status, "ok");
      // The latest list, verified, then revalidated with its ETag.
      const res = await fetch(`${base}/v1/lists/latest`, {
        signal: AbortSignal.timeout(5000),
      });
      assert.equal(res.status, 200);
      const etag = res.headers.get("etag")!;
      verifyNodeList(new Uint8Array(await res.arrayBuffer()), [key], {
        expectedNetwork: 3,
      });
      const again = await fetch(`${base}/v1/lists/latest`, {
        headers: { "if-none-match": etag },
        signal: AbortSignal.timeout(5000),
      });
      if (again.status === 200) {
        // A new epoch's list was published in between: it has a new ETag.
        assert.notEqual(again.headers.get("etag"), etag);
      } else assert.equal(again.status, 304);
      await again.body?.cancel();

      // An event stream sees a signed write accepted over this server.
      const sse = await fetch(`${base}/v1/events`, {
        headers: { accept: "text/event-stream" },
        signal: AbortSignal.timeout(20_000),
      });
      assert.equal(sse.status, 200);
      const reader = sse.body!.pipeThrough(new TextDecoderStream()).getReader();
      const secret = sha256(new TextEncoder().encode("deno-server-wallet"));
      const faucet = signMessage({
        kind: "faucet_request",
        network: 3,
        timestamp: Math.floor(Date.now() / 1000),
        sequence: 1,
        wallet: publicKeyOf(secret),
        amount: 7_000_000_000n,
      }, [secret]);
      const post = await fetch(`${base}/v1/faucet`, {
        method: "POST",
        headers: { "content-type": "application/octet-stream" },
        body: faucet.bytes as Uint8Array<ArrayBuffer>,
        signal: AbortSignal.timeout(5000),
      });
      assert.equal(post.status, 200, await post.clone().text());
      await post.body?.cancel();
      let seen = "";
      while (!seen.includes("event: faucet\n")) {
        const { value, done } = await reader.read();
        assert(!done, `the stream ended before the payment: ${seen}`);
        seen += value;
      }
      // Bad input: a stable problem code, as on the node:http server.
      const bad = await fetch(`${base}/v1/faucet`, {
        method: "POST",
        headers: { "content-type": "application/octet-stream" },
        body: new Uint8Array([1, 2, 3]),
        signal: AbortSignal.timeout(5000),
      });
      assert.equal(bad.status, 400);
      assert.equal(
        bad.headers.get("content-type"),
        "application/problem+json",
      );
      await bad.body?.cancel();

      // An open event stream does not hold shutdown up.
      service.child.kill("SIGTERM");
      assert.equal((await service.exit()).code, 0, service.stderr);
      assert(
        !service.lines.some((l) => l.level === "error"),
        JSON.stringify(service.lines),
      );
      assert(!service.lines.some((l) => /grace period/.test(String(l.msg))));
      for (;;) if ((await reader.read()).done) break;
    } finally {
      await service.dispose();
    }
  });
});

Deno.test("service: a second signal exits at once", async () => {
  await withDir(async (dir) => {
    const svc = await Service.start([
      "--port",
      "0",
      "--data-dir",
      dir,
      "--probe",
      "off",
    ], {
      REGISTRY_PASSPHRASE: "correct horse battery",
    });
    let conn: Deno.TcpConn | null = null;
    try {
      const listening = await svc.msg("listening");
      // A write whose body never completes keeps a request in flight.
      conn = await Deno.connect({
        hostname: "127.0.0.1",
        port: Number(listening.port),
      });
      await conn.write(
        new TextEncoder().encode(
          "POST /v1/submit HTTP/1.1\r\nhost: x\r\ncontent-type: application/octet-stream\r\ncontent-length: 100\r\n\r\nab",
        ),
      );
      await new Promise((r) => setTimeout(r, 200));
      svc.child.kill("SIGTERM");
      await svc.msg("shutting down");
      await new Promise((r) => setTimeout(r, 200));
      const started = Date.now();
      svc.child.kill("SIGTERM");
      const status = await svc.exit(3000);
      assert.equal(status.code, 143);
      assert(Date.now() - started < 2000);
      assert(svc.lines.some((l) => l.msg === "second signal: exiting now"));
      assert(!svc.lines.some((l) => l.msg === "stopped"));
    } finally {
      conn?.close();
      await svc.dispose();
    }
  });
});

Deno.test("service: an existing database is never given a new key silently, nor opened for another network", async () => {
  await withDir(async (dir) => {
    // A mainnet database whose key is gone.
    const store = await openSqliteStore(`${dir}/registry.db`);
    const registry = await Registry.open({
      store,
      params: networkParams("mainnet"),
      signingKeys: [new Uint8Array(32).fill(1)],
      clock: Date.now,
    });
    assert.equal(registry.epoch, 1);
    await store.close();

    const env = { REGISTRY_PASSPHRASE: "correct horse battery" };
    const mainnet = await runOnce([
      "--network",
      "mainnet",
      "--data-dir",
      dir,
      "--port",
      "0",
    ], env);
    assert.equal(mainnet.code, 1);
    assert.match(
      mainnet.stderr,
      /^error: the registry key .*registry-key\.json is missing: .*registry\.db exists/,
    );
    assert.equal(mainnet.stderr.split("\n").length, 2);

    // Devnet may make a key, but will not open mainnet's database.
    const devnet = await runOnce(["--data-dir", dir, "--port", "0"], env);
    assert.equal(devnet.code, 1);
    assert.match(
      devnet.stderr,
      /^error: cannot open the database .*: this database belongs to mainnet, not devnet\n$/,
    );
  });
});
