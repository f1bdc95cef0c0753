/**
 * The agent and the watcher when things go wrong, end to end: the CLI as a
 * subprocess, a real registry on 127.0.0.1 port 0 behind a relay the test
 * takes down and brings back (same port, same data).
 *
 * - a registry down at start is waited for, with alerts, not exit 3
 *   (`--fail-fast` keeps exit 3 for scripts);
 * - `node watch` says "registry unreachable" after a bounded time and
 *   "reachable again" after, on the terminal and the webhook;
 * - right after a recommission, no `deregistration_soon` while the node
 *   proves;
 * - the agent stops proving once the node has exited.
 */

import assert from "node:assert/strict";
import {
  Background,
  cli,
  cliEnv,
  closedPort,
  Relay,
  serveRegistry,
  webhookReceiver,
} from "./test_util.ts";

const FAST = "--insecure-fast-kdf";

async function until(test: () => boolean, what: string, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

Deno.test({
  name: "agent and watch through registry outages, a recommission and an exit",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const reg = await serveRegistry();
    const relay = new Relay(reg.url);
    const hook = webhookReceiver();
    const home = await Deno.makeTempDir({ prefix: "snode-outage-" });
    const direct = cliEnv(home, reg.url);
    const relayed = cliEnv(home, relay.url);
    const running: Background[] = [];
    const start = (args: string[], env: Record<string, string>) => {
      const b = new Background(args, env);
      running.push(b);
      return b;
    };
    const agentArgs = (extra: string[] = []) => [
      "node",
      "agent",
      "--ip",
      "127.0.0.1",
      "--https-port",
      String(closedPort()),
      "--listen",
      "127.0.0.1",
      "--proof-interval",
      "1",
      "--poll",
      "1",
      ...extra,
    ];
    try {
      for (
        const args of [
          ["keys", "new", "node", FAST],
          ["keys", "new", "wallet", FAST, "--no-confirm-phrase"],
          ["wallet", "faucet", "--amount", "200"],
          ["node", "register", "--stake", "120"],
        ]
      ) {
        const r = await cli(args, direct);
        assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
      }

      await t.step("--fail-fast: exit 3 at once, as before", async () => {
        relay.stop();
        const a = await cli(agentArgs(["--fail-fast"]), relayed);
        assert.equal(a.code, 3, a.stderr);
        assert.match(a.stderr, /\(unreachable\)$/m);
        const w = await cli(["node", "watch", "--once"], relayed);
        assert.equal(w.code, 3, w.stderr);
      });

      await t.step(
        "the agent waits for a registry down at start, alerts, and starts when it is back",
        async () => {
          const agent = start(
            agentArgs([
              "--unreachable-after",
              "1",
              "--webhook",
              hook.url,
            ]),
            relayed,
          );
          await agent.waitFor(
            (_o, e) => /waiting for the registry, try 2/.test(e),
            "a retry",
          );
          await agent.waitFor(
            (o) =>
              /WARNING +\[registry_unreachable\] registry http:\/\/127\.0\.0\.1:\d+ unreachable/
                .test(o),
            "the unreachable alert",
          );
          assert.equal(agent.child.pid > 0, true);
          relay.start();
          await agent.waitFor(
            (o) => /\[registry_reachable\] registry .* reachable again/.test(o),
            "the reachable-again alert",
          );
          await agent.waitFor(
            (o) => /proof accepted: node is active/.test(o),
            "a proof",
          );
          await until(
            () =>
              ["registry_unreachable", "registry_reachable"].every((k) =>
                hook.received.some((a) => a.kind === k)
              ),
            "both alerts at the webhook",
          );
          assert.equal(await agent.stop("SIGTERM"), 0, agent.stderr);
        },
      );

      await t.step(
        "watch: registry unreachable after a bounded time, reachable again after, on the terminal and the webhook",
        async () => {
          hook.received.length = 0;
          const watch = start([
            "node",
            "watch",
            "--poll",
            "1",
            "--unreachable-after",
            "2",
            "--webhook",
            hook.url,
          ], relayed);
          await watch.waitFor((_o, e) => /watching 1 node/.test(e), "watch");
          const down = Date.now();
          relay.stop();
          await watch.waitFor(
            (o) => /\[registry_unreachable\]/.test(o),
            "the unreachable alert",
          );
          const took = Date.now() - down;
          assert(took >= 1500 && took < 12_000, `alerted after ${took} ms`);
          // Once per outage, not once per failed poll.
          await new Promise((r) => setTimeout(r, 2000));
          assert.equal(watch.stdout.match(/registry_unreachable/g)?.length, 1);
          relay.start();
          await watch.waitFor(
            (o) =>
              /\[registry_reachable\] .*reachable again after \d+s/.test(o),
            "the reachable-again alert",
          );
          await until(
            () => hook.received.some((a) => a.kind === "registry_reachable"),
            "the webhook",
          );
          const kinds = hook.received.map((a) => a.kind);
          assert.deepEqual(
            kinds.filter((k) => String(k).startsWith("registry_")),
            ["registry_unreachable", "registry_reachable"],
          );
          assert.equal(await watch.stop("SIGINT"), 0, watch.stderr);
        },
      );

      await t.step(
        "after a recommission, no deregistration_soon while the node proves",
        async () => {
          // No agent: epochs pass, the last proof expires, decommissioned.
          for (let i = 0; i < 14; i++) await reg.net.registry.tick();
          const s = await cli(["node", "status", "--json"], direct);
          assert.equal(JSON.parse(s.stdout).nodes[0].status, "decommissioned");
          const watch = start(["node", "watch", "--poll", "1"], direct);
          await watch.waitFor((o) => /\[decommissioned\]/.test(o), "decom");
          const agent = start(agentArgs(), direct);
          await agent.waitFor((o) => /proof accepted/.test(o), "a proof");
          await reg.net.registry.tick();
          const r = await cli(["node", "status", "--json"], direct);
          const n = JSON.parse(r.stdout).nodes[0];
          assert.equal(n.status, "active");
          // What made the old watcher cry wolf: little credit, so the
          // outlook reads "deregistered if it fails".
          assert.equal(n.outlook.next, "deregister");
          await watch.waitFor((o) => /\[recommissioned\]/.test(o), "recom");
          await new Promise((r) => setTimeout(r, 3500)); // three polls
          assert.doesNotMatch(
            watch.stdout.slice(watch.stdout.indexOf("[recommissioned]")),
            /deregistration_soon/,
            watch.stdout,
          );
          assert.equal(await watch.stop("SIGINT"), 0);
          running.push(agent); // still running: the next step uses it
        },
      );

      await t.step(
        "the agent stops proving once the node has exited",
        async () => {
          const agent = running.at(-1)!;
          const u = await cli(["node", "unlock"], direct);
          assert.equal(u.code, 0, u.stderr);
          // Epochs pass a few at a time, so the agent keeps the node up
          // with its proofs until the unlock takes effect.
          const pub = (await cli(["keys", "export", "node"], direct)).stdout
            .trim();
          const status = async () =>
            (await (await fetch(`${reg.url}/v1/nodes/${pub}`)).json()).status;
          const proofs = () =>
            agent.stdout.match(/proof accepted/g)?.length ?? 0;
          while (await status() !== "exited") {
            const seen = proofs();
            for (let i = 0; i < 4; i++) await reg.net.registry.tick();
            if (await status() === "exited") break;
            await agent.waitFor(() => proofs() > seen, "a proof between ticks");
          }
          await agent.waitFor(
            (o) => /node has exited .*no more proofs/.test(o),
            "the agent to stop proving",
          );
          const before = agent.stdout + agent.stderr;
          await new Promise((r) => setTimeout(r, 3000));
          const after = (agent.stdout + agent.stderr).slice(before.length);
          assert.doesNotMatch(after, /proof|node_not_live/, after);
          assert.equal(await agent.stop("SIGTERM"), 0, agent.stderr);
        },
      );
    } finally {
      for (const b of running) await b.stop("SIGKILL");
      relay.stop();
      await hook.close();
      await reg.close();
      await Deno.remove(home, { recursive: true });
    }
  },
});
