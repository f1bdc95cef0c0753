// Backup and restore as an operator meets them: a registry (the start
// task's permissions) takes signed writes from several writers; mid-load,
// `deno task backup` (the task as deno.json defines it) copies the database
// through the admin socket; the backup is restored with `deno task restore`
// into a new data directory, checked (integrity, every write acknowledged
// before the backup began, the ledger, the list chain) and a registry
// started on it. Restores of another network and over an existing database
// are refused. Loopback only; bounded in time.
import assert from "node:assert/strict";
import { fromHex, toHex } from "../../registry/core/bytes.ts";
import { type MessageBody, signMessage } from "../../registry/core/messages.ts";
import {
  decodeNodeList,
  verifyChain,
  verifyNodeList,
} from "../../registry/core/nodelist.ts";
import { ATOMIC_PER_COIN, PRESETS } from "../../registry/core/params.ts";
import { openSqliteStore } from "../../registry/store/store.ts";
import { testKey } from "../../registry/testkit/net.ts";
import {
  latencySummary,
  NO_RATE_LIMITS,
  RegistryProcess,
  report,
} from "../fault/registry_process.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const P = PRESETS.devnet;
const WRITERS = 4;
const PASSPHRASE = { REGISTRY_PASSPHRASE: "backup test passphrase" };

/** Run a deno.json task's command line (with our deno), capture its output. */
export async function runTask(
  task: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks;
  const words = String(tasks[task]).split(/\s+/);
  const base: Record<string, string> = { NO_COLOR: "1" };
  for (const k of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME", "TMPDIR"]) {
    const v = Deno.env.get(k);
    if (v !== undefined) base[k] = v;
  }
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...words.slice(1), ...args],
    cwd: ROOT,
    env: { ...base, ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

interface Acked {
  kind: "faucet_request" | "register_node";
  signer: string;
  sequence: number;
  wallet: string;
  amount: bigint;
  node?: string;
  /** performance.now() when the answer arrived. */
  at: number;
}

function sign(
  body: Record<string, unknown>,
  keys: Uint8Array[],
  sequence: number,
): Uint8Array {
  return signMessage(
    {
      ...body,
      network: P.id,
      timestamp: Math.floor(Date.now() / 1000),
      sequence,
    } as unknown as MessageBody,
    keys,
  ).bytes;
}

Deno.test({
  name:
    "backup under write load: the restored copy has every write acknowledged before the backup, a balanced ledger and a verifying list chain; a registry starts on it",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "ops-backup-" });
    const data = `${dir}/data`;
    const restored = `${dir}/restored`;
    const backupFile = `${dir}/registry-backup.db`;
    const processes: RegistryProcess[] = [];
    try {
      const registry = await RegistryProcess.start([
        "--port",
        "0",
        "--data-dir",
        data,
        "--epoch-seconds",
        "1",
        "--probe",
        "off",
        ...NO_RATE_LIMITS,
      ], PASSPHRASE);
      processes.push(registry);
      const registryKey = fromHex(
        JSON.parse(await Deno.readTextFile(`${data}/registry-key.json`))
          .publicKey,
        32,
      );

      // ------------------------------------------------------------ load
      const acked: Acked[] = [];
      const latency: { at: number; ms: number }[] = [];
      const stop = { now: false };
      let nodes = 0;
      const post = async (bytes: Uint8Array) => {
        const t0 = performance.now();
        const r = await fetch(`${registry.url}/v1/submit`, {
          method: "POST",
          headers: { "content-type": "application/octet-stream" },
          body: bytes as Uint8Array<ArrayBuffer>,
          signal: AbortSignal.timeout(10_000),
        });
        await r.body?.cancel();
        latency.push({ at: t0, ms: performance.now() - t0 });
        return r.status;
      };
      const writer = async (i: number) => {
        const wallet = testKey(`backup-writer-${i}`);
        let sequence = 0;
        let balance = 0n;
        while (!stop.now) {
          if (balance >= P.stakingRequirement && sequence % 7 === 6) {
            const node = testKey(`backup-node-${nodes++}`);
            const seq = ++sequence;
            const status = await post(sign(
              {
                kind: "register_node",
                nodePubkey: node.public,
                operator: wallet.public,
                operatorStake: P.stakingRequirement,
                feeBasisPoints: 0,
                reserved: [],
              },
              [node.secret, wallet.secret],
              seq,
            ));
            assert.equal(status, 201);
            balance -= P.stakingRequirement;
            acked.push({
              kind: "register_node",
              signer: wallet.hex,
              sequence: seq,
              wallet: wallet.hex,
              amount: -P.stakingRequirement,
              node: node.hex,
              at: performance.now(),
            });
          } else {
            const amount = BigInt(100 + (sequence % 50)) * ATOMIC_PER_COIN;
            const seq = ++sequence;
            const status = await post(sign(
              {
                kind: "faucet_request",
                wallet: wallet.public,
                amount,
              },
              [wallet.secret],
              seq,
            ));
            assert.equal(status, 200);
            balance += amount;
            acked.push({
              kind: "faucet_request",
              signer: wallet.hex,
              sequence: seq,
              wallet: wallet.hex,
              amount,
              at: performance.now(),
            });
          }
        }
      };
      const loops = Array.from({ length: WRITERS }, (_, i) => writer(i));

      let cut = 0;
      let backupDone = 0;
      let backupOut = "";
      await t.step("deno task backup while the writers write", async () => {
        // Sustained load first: at least 50 acknowledged writes and two
        // lists published (counted, not timed, so a loaded machine only
        // makes it slower).
        const deadline = Date.now() + 60_000;
        const epochs = new Set<number>();
        while (
          (acked.length < 50 || epochs.size < 2) && Date.now() < deadline
        ) {
          const health = await fetch(`${registry.url}/v1/health`);
          const epoch = (await health.json()).latestList?.epoch;
          if (typeof epoch === "number") epochs.add(epoch);
          await new Promise((r) => setTimeout(r, 100));
        }
        cut = performance.now();
        const b = await runTask("backup", [
          "--out",
          backupFile,
          "--data-dir",
          data,
        ]);
        backupDone = performance.now();
        backupOut = b.stdout;
        assert.equal(b.code, 0, b.stderr);
        assert.match(b.stdout, /taken by the running registry/);
        assert.match(b.stdout, /network devnet/);
        assert.equal((await Deno.stat(backupFile)).mode! & 0o777, 0o600);
        await new Promise((r) => setTimeout(r, 500));
        stop.now = true;
        await Promise.all(loops);
        assert.equal(await registry.stop(), 0);
      });
      const before = acked.filter((a) => a.at < cut);
      assert(before.length >= 50, `sustained load: ${before.length} writes`);

      await t.step(
        "a restore of another network, or over a database, is refused",
        async () => {
          const other = await runTask("restore", [
            "--from",
            backupFile,
            "--data-dir",
            restored,
            "--network",
            "testnet",
          ]);
          assert.equal(other.code, 1);
          assert.match(
            other.stderr,
            /is a backup of the devnet registry, not testnet/,
          );
          await assert.rejects(Deno.stat(`${restored}/registry.db`));
          const over = await runTask("restore", [
            "--from",
            backupFile,
            "--data-dir",
            data,
            "--network",
            "devnet",
          ]);
          assert.equal(over.code, 1);
          assert.match(over.stderr, /already has a database: pass --replace/);
        },
      );

      await t.step(
        "deno task restore into a new data directory; the copy checks out",
        async () => {
          const r = await runTask("restore", [
            "--from",
            backupFile,
            "--data-dir",
            restored,
            "--network",
            "devnet",
          ]);
          assert.equal(r.code, 0, r.stderr);
          assert.match(r.stdout, /has no registry-key\.json/);
          const store = await openSqliteStore(`${restored}/registry.db`);
          try {
            assert.deepEqual(await store.read.inspect.integrityCheck(), ["ok"]);
            assert((await store.read.wallets.audit()).balanced, "ledger");
            for (const a of before) {
              assert(
                (await store.read.sequences.last(a.signer)) >= a.sequence,
                `acknowledged ${a.kind} ${
                  a.signer.slice(0, 8)
                } #${a.sequence} missing`,
              );
              if (a.node) assert(await store.read.nodes.find(a.node), a.node);
            }
            // Each wallet's balance is its acknowledged writes up to the cut:
            // the backup is a prefix of the acknowledged history.
            for (let i = 0; i < WRITERS; i++) {
              const w = testKey(`backup-writer-${i}`).hex;
              const last = await store.read.sequences.last(w);
              const expected = acked.filter((a) =>
                a.wallet === w && a.sequence <= last
              ).reduce((s, a) => s + a.amount, 0n);
              assert.equal(await store.read.wallets.balance(w), expected, w);
            }
            const latest = (await store.read.lists.latest())!;
            let next = await store.read.lists.find(latest.epoch);
            let links = 0;
            while (next) {
              const v = verifyNodeList(next.bytes, [registryKey], {
                expectedNetwork: P.id,
              });
              assert.equal(toHex(v.bodyHash), next.hash);
              const prev = await store.read.lists.find(next.epoch - 1);
              if (!prev) break;
              verifyChain(
                decodeNodeList(prev.bytes, P.id),
                decodeNodeList(next.bytes, P.id),
              );
              next = prev;
              links++;
            }
            assert(links >= 1, "the chain has links");
            const present = acked.filter((a) => a.at >= cut).length;
            const during = latency.filter((l) =>
              l.at >= cut && l.at < backupDone
            ).map((l) => l.ms);
            const outside = latency.filter((l) => l.at < cut).map((l) => l.ms);
            report("backup", {
              acknowledgedBeforeBackup: before.length,
              acknowledgedAfterItBegan: present,
              backupBytes: (await Deno.stat(backupFile)).size,
              backupTaskMs: Math.round(backupDone - cut),
              writesWaited: /waited (\d+) ms/.exec(backupOut)?.[1] + " ms",
              writeLatencyBefore: latencySummary(outside),
              writeLatencyDuringBackup: latencySummary(during),
              listLinksVerified: links,
            });
          } finally {
            await store.close();
          }
        },
      );

      await t.step(
        "a registry starts on the restored directory and continues",
        async () => {
          await Deno.copyFile(
            `${data}/registry-key.json`,
            `${restored}/registry-key.json`,
          );
          await Deno.chmod(`${restored}/registry-key.json`, 0o600);
          const again = await RegistryProcess.start([
            "--port",
            "0",
            "--data-dir",
            restored,
            "--epoch-seconds",
            "1",
            "--probe",
            "off",
          ], PASSPHRASE);
          processes.push(again);
          const listening = again.lines.find((l) => l.msg === "listening")!;
          assert.equal(listening.registryKey, toHex(registryKey));
          const health = await fetch(`${again.url}/v1/health`);
          assert.equal(health.status, 200);
          await health.body?.cancel();
          const w = testKey("backup-writer-0").hex;
          const wallet = await (await fetch(`${again.url}/v1/wallets/${w}`))
            .json();
          assert(BigInt(wallet.balance) > 0n);
          assert.equal(await again.stop(), 0);
        },
      );

      await t.step(
        "with no registry running, deno task backup copies the file directly",
        async () => {
          const b = await runTask("backup", [
            "--out",
            `${dir}/offline.db`,
            "--data-dir",
            restored,
          ]);
          assert.equal(b.code, 0, b.stderr);
          assert.match(b.stdout, /no registry running on it/);
          const again = await runTask("backup", [
            "--out",
            `${dir}/offline.db`,
            "--data-dir",
            restored,
          ]);
          assert.equal(again.code, 1);
          assert.match(again.stderr, /exists: choose a new file/);
        },
      );
    } finally {
      for (const p of processes) await p.kill().catch(() => {});
      await Deno.remove(dir, { recursive: true });
    }
  },
});
