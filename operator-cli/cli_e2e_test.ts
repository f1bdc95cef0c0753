/**
 * The operator's whole journey, end to end: the CLI as a real subprocess
 * against a real registry on 127.0.0.1 port 0. Keys, faucet, register,
 * a second wallet's contribution, active in `node status --json`, the agent
 * (answering the registry's reachability test, sending proofs), a verified
 * and chained list, the agent stopped and the decommission alert on the
 * terminal and at a webhook, and a contribution signed offline and
 * submitted.
 */

import assert from "node:assert/strict";
import { probeNodes } from "../registry/runtime/prober.ts";
import {
  Background,
  cli,
  cliEnv,
  closedPort,
  phraseFromGrid,
  serveRegistry,
  webhookReceiver,
} from "./test_util.ts";

const FAST = "--insecure-fast-kdf";

function json<T = Record<string, unknown>>(text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`not JSON: ${text}`);
  }
}

Deno.test({
  name: "an operator runs a node's whole life through the CLI",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const reg = await serveRegistry();
    const home = await Deno.makeTempDir({ prefix: "snode-e2e-" });
    const hook = webhookReceiver();
    const env = cliEnv(home, reg.url);
    const run = (args: string[], opts: { stdin?: string } = {}) =>
      cli(args, env, opts);
    let nodeKey = "";
    let agent: Background | undefined;
    try {
      await t.step(
        "keys: a node key, and a wallet whose phrase is typed back",
        async () => {
          const n = await run(["keys", "new", "node", FAST, "--json"]);
          assert.equal(n.code, 0, n.stderr);
          nodeKey = json<{ publicKey: string }>(n.stdout).publicKey;
          assert.match(nodeKey, /^[0-9a-f]{64}$/);
          const st = await Deno.stat(`${home}/keys/node.json`);
          assert.equal(st.mode! & 0o777, 0o600);

          // The phrase is shown once and must be typed back: answer on stdin.
          const child = new Deno.Command(Deno.execPath(), {
            args: [
              "run",
              "-A",
              new URL("./main.ts", import.meta.url).pathname,
              "keys",
              "new",
              "wallet",
              FAST,
            ],
            env,
            clearEnv: true,
            stdin: "piped",
            stdout: "piped",
            stderr: "piped",
          }).spawn();
          const reader = child.stdout.getReader();
          let shown = "";
          const deadline = Date.now() + 30_000;
          while (!/24\. [a-z]+/.test(shown) && Date.now() < deadline) {
            const { value, done } = await reader.read();
            if (done) break;
            shown += new TextDecoder().decode(value);
          }
          const phrase = phraseFromGrid(shown);
          assert.equal(phrase.split(" ").length, 24);
          assert.doesNotMatch(phrase, /\?/);
          const w = child.stdin.getWriter();
          await w.write(new TextEncoder().encode(phrase.toUpperCase() + "\n"));
          await w.close();
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            shown += new TextDecoder().decode(value);
          }
          const status = await child.status;
          await child.stderr.cancel();
          assert.equal(status.code, 0, shown);
          assert.match(shown, /created wallet key "wallet"/);

          // A wrong phrase typed back saves nothing.
          const bad = await run([
            "keys",
            "new",
            "wallet",
            "--name",
            "bob",
            FAST,
          ], {
            stdin: "abandon ".repeat(23) + "art\n\n\n",
          });
          assert.equal(bad.code, 4, bad.stderr);
          await assert.rejects(Deno.stat(`${home}/keys/bob.json`));

          const a = await run([
            "keys",
            "new",
            "wallet",
            "--name",
            "alice",
            FAST,
            "--no-confirm-phrase",
            "--json",
          ]);
          assert.equal(a.code, 0, a.stderr);
          assert.equal(
            json<{ recoveryPhrase: string }>(a.stdout).recoveryPhrase.split(" ")
              .length,
            24,
          );

          const shownKeys = await run(["keys", "show", "--json"]);
          assert.deepEqual(
            json<{ keys: { name: string }[] }>(shownKeys.stdout).keys.map((k) =>
              k.name
            ),
            ["alice", "node", "wallet"],
          );
          // Secrets only on request.
          const pub = await run(["keys", "export", "node"]);
          assert.equal(pub.stdout.trim(), nodeKey);
          const sec = await run([
            "keys",
            "export",
            "node",
            "--reveal-secret",
            "--json",
          ]);
          assert.equal(sec.code, 0, sec.stderr);
          assert.match(
            json<{ secretKey: string }>(sec.stdout).secretKey,
            /^[0-9a-f]{64}$/,
          );
        },
      );

      await t.step("fund both wallets from the faucet", async () => {
        const f = await run(["wallet", "faucet", "--amount", "200", "--json"]);
        assert.equal(f.code, 0, f.stderr);
        const g = await run([
          "wallet",
          "faucet",
          "--wallet",
          "alice",
          "--amount",
          "100",
        ]);
        assert.equal(g.code, 0, g.stderr);
        const b = await run(["wallet", "balance", "--json"]);
        assert.equal(
          json<{ balance: string }>(b.stdout).balance,
          "200000000000",
        );
      });

      await t.step(
        "register, then a second wallet's contribution makes it active",
        async () => {
          const r = await run([
            "node",
            "register",
            "--stake",
            "60",
            "--fee",
            "5%",
            "--json",
          ]);
          assert.equal(r.code, 0, r.stderr);
          assert.equal(
            json<{ status: string }>(r.stdout).status,
            "awaiting_contributions",
          );

          const open = await run(["stake", "open", "--json"]);
          const listed = json<
            {
              nodes: {
                pubkey: string;
                minContribution: string;
                feeBasisPoints: number;
              }[];
            }
          >(open.stdout).nodes;
          assert.equal(listed[0]?.pubkey, nodeKey);
          assert.equal(listed[0]?.feeBasisPoints, 500);

          const c = await run([
            "stake",
            "contribute",
            "--node",
            nodeKey,
            "--amount",
            "60",
            "--wallet",
            "alice",
            "--json",
          ]);
          assert.equal(c.code, 0, c.stderr);
          assert.equal(json<{ status: string }>(c.stdout).status, "active");

          const s = await run(["node", "status", "--json"]);
          const nodes = json<
            {
              nodes: {
                status: string;
                stakes: unknown[];
                outlook: { text: string };
              }[];
            }
          >(s.stdout).nodes;
          assert.equal(nodes[0]?.status, "active");
          assert.equal(nodes[0]?.stakes.length, 2);
          const byWallet = await run([
            "node",
            "status",
            "--wallet",
            "alice",
            "--json",
          ]);
          assert.equal(
            json<{ nodes: unknown[] }>(byWallet.stdout).nodes.length,
            1,
          );
          const human = await run(["node", "status"]);
          assert.match(human.stdout, /state +active/);
          assert.match(human.stdout, /credit +60 of 1440 epochs/);
        },
      );

      await t.step(
        "the agent sends proofs and answers the reachability test",
        async () => {
          const port = closedPort();
          agent = new Background([
            "node",
            "agent",
            "--ip",
            "127.0.0.1",
            "--https-port",
            String(port),
            "--listen",
            "127.0.0.1",
            "--proof-interval",
            "1",
            "--poll",
            "1",
            "--webhook",
            hook.url,
          ], env);
          await agent.waitFor(
            (o) => /proof accepted: node is active/.test(o),
            "a proof",
          );
          await agent.waitFor(
            (o) => /answering reachability challenges on 127\.0\.0\.1/.test(o),
            "the challenge server",
          );
          const round = await probeNodes(reg.net.registry, { timeoutMs: 5000 });
          assert.equal(round.tested, 1);
          assert.equal(round.ok, 1, JSON.stringify(round.results));
          const s = await run(["node", "status", "--json"]);
          const n = json<
            {
              nodes: {
                proof: { publicIp: string; httpsPort: number } | null;
                reachability: { tests: { ok: boolean }[] };
              }[];
            }
          >(s.stdout).nodes[0]!;
          assert.equal(n.proof?.publicIp, "127.0.0.1");
          assert.equal(n.proof?.httpsPort, port);
          assert.equal(n.reachability.tests[0]?.ok, true);
        },
      );

      await t.step(
        "list fetch verifies k-of-n against the pinned key and chains to the saved list",
        async () => {
          const key = reg.net.registryKey.hex;
          await reg.net.registry.tick();
          const a = await run([
            "list",
            "fetch",
            "--registry-key",
            key,
            "--json",
          ]);
          assert.equal(a.code, 0, a.stderr);
          const first = json<
            { epoch: number; chain: { checked: boolean }; nodes: number }
          >(a.stdout);
          assert.equal(first.chain.checked, false);
          assert.equal(first.nodes, 1);
          await reg.net.registry.tick();
          await reg.net.registry.tick();
          const b = await run([
            "list",
            "fetch",
            "--registry-key",
            key,
            "--json",
          ]);
          assert.equal(b.code, 0, b.stderr);
          const second = json<
            {
              epoch: number;
              chain: { checked: boolean; links: number };
              viaDiff: boolean;
            }
          >(b.stdout);
          assert.equal(second.epoch, first.epoch + 2);
          assert.deepEqual([second.chain.checked, second.chain.links], [
            true,
            2,
          ]);
          assert.equal(second.viaDiff, true);
          const v = await run(["list", "verify", "--registry-key", key]);
          assert.equal(v.code, 0, v.stderr);
          assert.match(
            v.stdout,
            /valid: list \d+, 1 nodes, signed by 1 of 1 pinned keys/,
          );
          // A key that did not sign: refused, exit 5.
          const w = await run([
            "list",
            "verify",
            "--registry-key",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
          ]);
          assert.equal(w.code, 5, w.stderr);
          assert.match(w.stderr, /insufficient_signatures/);
        },
      );

      await t.step(
        "stop the agent; the decommission alert reaches the terminal and the webhook",
        async () => {
          const code = await agent!.stop("SIGTERM");
          assert.equal(code, 0, agent!.stderr);
          assert.match(agent!.stdout, /agent stopped/);
          agent = undefined;
          const watch = new Background([
            "node",
            "watch",
            "--poll",
            "1",
            "--webhook",
            hook.url,
          ], env);
          try {
            await watch.waitFor(
              (_o, e) => /watching 1 node/.test(e),
              "watch to start",
            );
            // Epochs pass without proofs: the last proof expires.
            for (let i = 0; i < 14; i++) await reg.net.registry.tick();
            await watch.waitFor(
              (o) => /CRITICAL \[decommissioned\]/.test(o),
              "the decommission alert",
            );
            const deadline = Date.now() + 10_000;
            while (
              !hook.received.some((a) => a.kind === "decommissioned") &&
              Date.now() < deadline
            ) {
              await new Promise((r) => setTimeout(r, 100));
            }
            const alert = hook.received.find((a) =>
              a.kind === "decommissioned"
            );
            assert(alert, JSON.stringify(hook.received));
            assert.equal(alert.node, nodeKey);
            assert.equal(alert.severity, "critical");
            // Debounced: one decommission alert, not one per poll.
            await new Promise((r) => setTimeout(r, 2500));
            assert.equal(watch.stdout.match(/\[decommissioned\]/g)?.length, 1);
          } finally {
            assert.equal(await watch.stop("SIGINT"), 0);
          }
        },
      );

      await t.step(
        "a contribution signed offline is submitted later and accepted",
        async () => {
          assert.equal(
            (await run([
              "wallet",
              "faucet",
              "--wallet",
              "alice",
              "--amount",
              "100",
            ])).code,
            0,
          );
          const r2 = await run([
            "keys",
            "new",
            "node",
            "--name",
            "node2",
            FAST,
          ]);
          assert.equal(r2.code, 0, r2.stderr);
          const reg2 = await run([
            "node",
            "register",
            "--node-key",
            "node2",
            "--stake",
            "30",
            "--json",
          ]);
          assert.equal(reg2.code, 0, reg2.stderr);
          const node2 = json<{ node: string }>(reg2.stdout).node;
          // The offline machine has no registry at all.
          const offlineEnv = {
            ...env,
            SNODE_REGISTRY: `http://127.0.0.1:${closedPort()}`,
          };
          const out = `${home}/contribution.json`;
          const s = await cli([
            "stake",
            "contribute",
            "--node",
            node2,
            "--amount",
            "90",
            "--wallet",
            "alice",
            "--offline",
            "--network",
            "devnet",
            "--out",
            out,
          ], offlineEnv);
          assert.equal(s.code, 0, s.stderr);
          const payload = json<
            { kind: string; message: string; summary: string }
          >(await Deno.readTextFile(out));
          assert.equal(payload.kind, "contribute");
          assert.match(payload.summary, /contribute 90 coins/);
          const sub = await run(["submit", out, "--json"]);
          assert.equal(sub.code, 0, sub.stderr);
          assert.equal(json<{ status: string }>(sub.stdout).status, "active");
          // The same payload again is a replay: refused, one clear line.
          const again = await run(["submit", out]);
          assert.equal(again.code, 1);
          assert.match(again.stderr, /^error: .*\(replayed\)\n$/);
        },
      );
    } finally {
      if (agent) await agent.stop("SIGKILL");
      await hook.close();
      await reg.close();
      await Deno.remove(home, { recursive: true });
    }
  },
});
