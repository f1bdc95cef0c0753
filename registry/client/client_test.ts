/**
 * The registry client against a real registry served on 127.0.0.1 port 0:
 * typed reads, problem+json refusals as RegistryApiError, unreachable and
 * silent servers as RegistryUnreachableError, writes, the SSE event stream,
 * and verified list fetching (k of n, chain, diffs, several sources, a
 * doctored list).
 */

import assert from "node:assert/strict";
import { toHex } from "../core/bytes.ts";
import { publicKeyOf } from "../core/keys.ts";
import { signMessage } from "../core/messages.ts";
import {
  buildSignedList,
  decodeNodeList,
  encodeNodeList,
} from "../core/nodelist.ts";
import { serveRegistry } from "../testkit/mod.ts";
import {
  fetchVerifiedList,
  RegistryApiError,
  RegistryClient,
  RegistryUnreachableError,
} from "./mod.ts";

function served() {
  return serveRegistry({ funded: ["op"], heartbeatMs: 200 });
}

function closedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test({
  name: "RegistryClient reads, writes and reports errors by kind",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const s = await served();
    const client = new RegistryClient(s.url + "/", { timeoutMs: 5000 });
    try {
      await t.step("info and typed reads", async () => {
        const info = await client.info();
        assert.equal(info.network, "devnet");
        assert.deepEqual(info.registryKeys, [s.net.registryKey.hex]);
        assert.equal((await client.nodes()).total, 0);
        assert.deepEqual(await client.openNodes(), []);
      });

      await t.step("a write, then the wallet view", async () => {
        const sk = s.net.signer("carol").key;
        const msg = signMessage({
          kind: "faucet_request",
          network: 3,
          timestamp: Math.floor(Date.now() / 1000),
          sequence: 1,
          wallet: sk.public,
          amount: 5_000_000_000n,
        }, [sk.secret]);
        const r = await client.submit(msg.bytes, "faucet_request");
        assert.equal(r.kind, "faucet_request");
        assert.equal(r.id, msg.id);
        assert.equal((await client.wallet(sk.hex)).balance, "5000000000");
        // The same bytes again: a replay, refused with the registry's code.
        await assert.rejects(client.submit(msg.bytes), (e: unknown) => {
          assert(e instanceof RegistryApiError);
          assert.equal(e.code, "replayed");
          assert.equal(e.status, 409);
          return true;
        });
      });

      await t.step("problem+json becomes RegistryApiError", async () => {
        await assert.rejects(client.node("ab".repeat(32)), (e: unknown) => {
          assert(e instanceof RegistryApiError);
          assert.equal(e.code, "unknown_node");
          assert.equal(e.status, 404);
          assert.match(e.detail, /no node/);
          return true;
        });
      });

      await t.step("a closed port is unreachable, quickly", async () => {
        const c = new RegistryClient(`http://127.0.0.1:${closedPort()}`, {
          timeoutMs: 2000,
          retries: 1,
          retryDelayMs: 10,
        });
        await assert.rejects(c.info(), (e: unknown) => {
          assert(e instanceof RegistryUnreachableError);
          assert.equal(e.reason, "connection");
          return true;
        });
      });

      await t.step("a server that never answers times out", async () => {
        const stop = new AbortController();
        const silent = Deno.serve(
          {
            hostname: "127.0.0.1",
            port: 0,
            onListen: () => {},
            signal: stop.signal,
          },
          () =>
            new Promise<Response>((r) =>
              setTimeout(() => r(new Response("late")), 3000)
            ),
        );
        try {
          const c = new RegistryClient(
            `http://127.0.0.1:${(silent.addr as Deno.NetAddr).port}`,
            { timeoutMs: 200, retries: 0 },
          );
          await assert.rejects(c.info(), {
            name: "RegistryUnreachableError",
            reason: "timeout",
          });
        } finally {
          stop.abort();
          await silent.finished;
        }
      });

      await t.step(
        "something that is not the API is a bad response",
        async () => {
          const stop = new AbortController();
          const other = Deno.serve({
            hostname: "127.0.0.1",
            port: 0,
            onListen: () => {},
            signal: stop.signal,
          }, () =>
            new Response("<html>hello</html>", {
              headers: { "content-type": "text/html" },
            }));
          try {
            const c = new RegistryClient(
              `http://127.0.0.1:${(other.addr as Deno.NetAddr).port}`,
            );
            await assert.rejects(c.info(), {
              name: "RegistryUnreachableError",
              reason: "bad_response",
            });
          } finally {
            stop.abort();
            await other.finished;
          }
        },
      );

      await t.step(
        "the event stream delivers new events and stops on abort",
        async () => {
          const stop = new AbortController();
          const sk = s.net.signer("dave").key;
          const seen: string[] = [];
          const done = (async () => {
            for await (
              const e of client.eventStream({
                wallet: sk.hex,
                signal: stop.signal,
              })
            ) {
              seen.push(e.kind);
              if (e.kind === "faucet") stop.abort();
            }
          })();
          await new Promise((r) => setTimeout(r, 300));
          const msg = signMessage({
            kind: "faucet_request",
            network: 3,
            timestamp: Math.floor(Date.now() / 1000),
            sequence: 1,
            wallet: sk.public,
            amount: 1n,
          }, [sk.secret]);
          await client.submit(msg.bytes);
          const timer = setTimeout(() => stop.abort(), 5000);
          await done;
          clearTimeout(timer);
          assert.deepEqual(seen, ["faucet"]);
        },
      );
    } finally {
      await s.close();
    }
  },
});

Deno.test({
  name:
    "fetchVerifiedList checks signatures, the chain and diffs across sources",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const s = await served();
    const trusted = [s.net.registryKey.public];
    const dead = `http://127.0.0.1:${closedPort()}`;
    try {
      let saved: Uint8Array = new Uint8Array();
      await t.step(
        "first good answer wins; a dead source is reported",
        async () => {
          const got = await fetchVerifiedList({
            urls: [dead, s.url],
            network: 3,
            trustedKeys: trusted,
            timeoutMs: 2000,
            retries: 0,
            nowSeconds: Math.floor(Date.now() / 1000),
          });
          assert.equal(got.source, s.url);
          assert.deepEqual(got.signers, [s.net.registryKey.hex]);
          assert.equal(got.chain.checked, false);
          assert.equal(got.fresh, true);
          assert.equal(got.failures.length, 1);
          saved = got.bytes;
        },
      );

      await t.step(
        "the next list comes as a diff and chains over the gap",
        async () => {
          await s.net.registry.tick();
          await s.net.registry.tick();
          await s.net.registry.tick();
          const got = await fetchVerifiedList({
            urls: [s.url],
            network: 3,
            trustedKeys: trusted,
            previous: saved,
          });
          assert.equal(got.viaDiff, true);
          assert.deepEqual(got.chain, {
            checked: true,
            fromEpoch: Number(decodeNodeList(saved, 3).header.epoch),
            links: 3,
          });
        },
      );

      await t.step("a list no pinned key signed is refused", async () => {
        await assert.rejects(
          fetchVerifiedList({
            urls: [s.url],
            network: 3,
            trustedKeys: [publicKeyOf(new Uint8Array(32).fill(7))],
          }),
          { code: "insufficient_signatures" },
        );
      });

      await t.step(
        "a different signed list for a saved epoch is a split view",
        async () => {
          const latest = decodeNodeList(
            await new RegistryClient(s.url).listBytes(),
            3,
          );
          // The same epoch, signed by the same key, with other content.
          const forged = buildSignedList(
            { ...latest.header, swarmSeed: latest.header.swarmSeed + 1n },
            latest.records,
            [s.net.registryKey.secret],
          );
          await assert.rejects(
            fetchVerifiedList({
              urls: [s.url],
              network: 3,
              trustedKeys: trusted,
              previous: encodeNodeList(forged),
            }),
            (e: unknown) => {
              assert.equal((e as { code?: string }).code, "chain_broken");
              assert.match((e as Error).message, /split view/);
              return true;
            },
          );
          assert.equal(
            toHex(forged.header.prevHash),
            toHex(latest.header.prevHash),
          );
        },
      );
    } finally {
      await s.close();
    }
  },
});
