/**
 * `snode list export-fallback` end to end: a real registry subprocess on
 * 127.0.0.1 port 0 with ten nodes, one of them unlocking; the CLI as a
 * subprocess writes the fallback file; a messenger client whose sources are
 * all down starts from it and drops the unlocking node once its unlock
 * epoch has passed by the estimate.
 */

import assert from "node:assert/strict";
import { toHex } from "../registry/core/bytes.ts";
import { publicKeyOf } from "../registry/core/keys.ts";
import { verifyNodeList } from "../registry/core/nodelist.ts";
import { Client } from "../registry/client/client.ts";
import {
  fallbackListBytes,
  parseFallbackList,
} from "../registry/client/fallback.ts";
import {
  addressed,
  registerNodes,
  requestUnlock,
  startRegistry,
  type TestNode,
  waitForList,
} from "../registry/client/test_util.ts";

const MAIN = new URL("./main.ts", import.meta.url).pathname;

async function cli(args: string[], home: string, registry: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "-r", registry, ...args],
    env: {
      HOME: home,
      SNODE_HOME: home,
      NO_COLOR: "1",
      PATH: Deno.env.get("PATH") ?? "",
    },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test({
  name:
    "list export-fallback writes a verified fallback list a client starts from",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const registry = await startRegistry({ epochSeconds: 1 });
    const home = await Deno.makeTempDir({ prefix: "snode-home-" });
    try {
      const nodes: TestNode[] = Array.from({ length: 10 }, (_, i) => {
        const secret = crypto.getRandomValues(new Uint8Array(32));
        return {
          secret,
          pubkey: toHex(publicKeyOf(secret)),
          ip: `127.0.${i + 1}.1`,
          port: 22021,
        };
      });
      await registerNodes(registry.url, nodes);
      await requestUnlock(registry.url, nodes[0]!);
      await waitForList(
        registry.url,
        (l) => addressed(l) === 10 && l.records.some((r) => r.unlockRequested),
      );

      const file = `${home}/fallback.json`;
      const run = await cli(
        [
          "list",
          "export-fallback",
          "--out",
          file,
          "--registry-key",
          registry.publicKey,
          "--json",
        ],
        home,
        registry.url,
      );
      assert.equal(run.code, 0, run.stderr);
      const summary = JSON.parse(run.stdout);
      assert.equal(summary.file, file);
      assert.equal(summary.network, "devnet");
      assert.equal(summary.nodes, 10);
      assert.equal(summary.unlocks, 1);

      const text = await Deno.readTextFile(file);
      const fallback = parseFallbackList(text);
      assert.equal(fallback.epochSeconds, 1);
      assert.equal(fallback.unlockDelayEpochs, 30);
      const unlockAt = fallback.unlocks[nodes[0]!.pubkey]!;
      assert(Number.isInteger(unlockAt));
      const v = verifyNodeList(
        fallbackListBytes(fallback),
        [publicKeyOf(registry.secretKey)],
        { expectedNetwork: 3 },
      );
      assert.equal(Number(v.list.header.epoch), summary.epoch);
      assert(unlockAt > summary.epoch && unlockAt <= summary.epoch + 30);

      // A client build shipping the file, with every source down.
      const va = Number(v.list.header.validAfter);
      const start = (seconds: number) =>
        Client.bootstrap({
          network: "devnet",
          sources: ["http://127.0.0.1:9"],
          pinnedKeys: [registry.publicKey],
          fallback: text,
          retries: 0,
          now: () => seconds * 1000,
        });
      const fresh = await start(va + 1);
      assert.equal(fresh.origin, "fallback");
      assert.equal(fresh.nodes().length, 10);
      const late = await start(va + (unlockAt - summary.epoch) + 1);
      assert.equal(late.nodes().length, 9);
      assert(!late.nodes().some((n) => n.pubkey === nodes[0]!.pubkey));

      // The wrong pinned key: verification fails (exit status 5).
      const wrong = await cli(
        [
          "list",
          "export-fallback",
          "--out",
          `${home}/other.json`,
          "--registry-key",
          toHex(publicKeyOf(new Uint8Array(32).fill(3))),
        ],
        home,
        registry.url,
      );
      assert.equal(wrong.code, 5, wrong.stderr);
      assert.match(wrong.stderr, /insufficient_signatures|signatures/);
      await assert.rejects(Deno.stat(`${home}/other.json`));
    } finally {
      await registry.close();
      await Deno.remove(home, { recursive: true });
    }
  },
});
