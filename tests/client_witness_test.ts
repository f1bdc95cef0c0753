/**
 * The messenger client pinning witnesses (k of n co-signatures) against a
 * real HTTP server on 127.0.0.1 port 0 in front of a test registry whose
 * clock the test moves: a list still gathering co-signatures is not taken,
 * the newest recent one that has them is, and past the fallback depth the
 * client refuses (keeping what it holds).
 */

import assert from "node:assert/strict";
import { signCosignature, splitNodeList } from "../registry/core/nodelist.ts";
import { createApp } from "../registry/http/app.ts";
import { ticks } from "../registry/testkit/http.ts";
import { testKey, type TestNet, testNet } from "../registry/testkit/net.ts";
import { Client, type ClientOptions } from "../registry/client/client.ts";
import { ClientError } from "../registry/client/client_errors.ts";
import { seededRandom } from "../registry/client/random.ts";
import { MemoryStore } from "../registry/client/store.ts";

const WITNESSES = [0, 1, 2].map((i) => testKey(`client-witness-${i}`));

/** Co-sign the stored list of `epoch` by witnesses `which`. */
async function cosign(net: TestNet, epoch: number, which: number[]) {
  const stored = (await net.store.read.lists.find(epoch))!;
  const id = splitNodeList(stored.bytes, net.params.id).id;
  const time = BigInt(Math.floor(net.clock.now / 1000));
  for (const i of which) {
    await net.registry.attachCosignature({
      epoch,
      witnessKey: WITNESSES[i]!.public,
      time,
      signature: signCosignature(id, time, WITNESSES[i]!.secret).signature,
    });
  }
}

async function latestEpoch(net: TestNet): Promise<number> {
  return (await net.store.read.lists.latest())!.epoch;
}

Deno.test({
  name:
    "client with pinned witnesses: takes the newest co-signed list while the latest gathers, refuses past the fallback depth",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const net = await testNet({
      registry: {
        witnesses: WITNESSES.map((w) => ({ key: w.public, url: null })),
      },
    });
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      createApp(net.registry).fetch,
    );
    const url = `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`;
    const base = {
      network: "devnet",
      sources: [url],
      pinnedKeys: [net.registryKey.hex],
      witnessKeys: WITNESSES.map((w) => w.hex),
      witnessThreshold: 2,
      now: () => net.clock.now,
      retries: 0,
      timeoutMs: 5000,
      random: seededRandom("witness-client"),
    } satisfies Partial<ClientOptions>;
    try {
      await ticks(net, 2);
      const cosigned = await latestEpoch(net);
      await cosign(net, cosigned, [0, 2]);
      await ticks(net, 1); // the latest list: no co-signatures yet
      const gathering = await latestEpoch(net);
      assert.equal(gathering, cosigned + 1);

      let client: Client;
      await t.step(
        "bootstrap takes the co-signed list before the latest",
        async () => {
          client = await Client.bootstrap({
            ...base,
            store: new MemoryStore(),
          });
          assert.equal(client.epoch, cosigned);
          assert.equal(client.origin, "source");
        },
      );

      await t.step("once co-signed, a refresh moves to it", async () => {
        await cosign(net, gathering, [0]);
        const one = await client.refresh();
        assert.equal(
          one.epoch,
          cosigned,
          "one co-signature of two is not enough",
        );
        assert.equal(one.changed, false);
        assert.equal(one.via, "unchanged");
        assert.equal(one.cosignatureFallback?.latestEpoch, gathering);
        assert.match(
          one.cosignatureFallback!.reason,
          /fewer than 2 of the 3 pinned witnesses/,
        );
        await cosign(net, gathering, [1]);
        const two = await client.refresh();
        assert.equal(two.epoch, gathering);
        assert.equal(two.changed, true);
        assert.deepEqual(two.chain, {
          checked: true,
          fromEpoch: cosigned,
          links: 1,
        });
        assert.equal(two.cosignatureFallback, undefined);
      });

      await t.step("two lists gathering: still the held one", async () => {
        await ticks(net, 2);
        const r = await client.refresh();
        assert.equal(r.epoch, gathering);
        assert.equal(r.cosignatureFallback?.latestEpoch, gathering + 2);
      });

      await t.step(
        "the middle one co-signed: the walk stops there",
        async () => {
          await cosign(net, gathering + 1, [1, 2]);
          const r = await client.refresh();
          assert.equal(r.epoch, gathering + 1);
          assert.equal(r.cosignatureFallback?.latestEpoch, gathering + 2);
        },
      );

      await t.step(
        "past the fallback depth: refused, the list in use kept",
        async () => {
          await ticks(net, 2); // gathering + 2 .. + 3 uncosigned, + 1 held
          await assert.rejects(client.refresh(), (e: unknown) => {
            assert(e instanceof ClientError, String(e));
            return true;
          });
          assert.equal(client.epoch, gathering + 1);
          // A new client with no fallback refuses the latest outright.
          await assert.rejects(
            Client.bootstrap({
              ...base,
              store: new MemoryStore(),
              maxCosignatureFallback: 0,
            }),
            (e: unknown) => e instanceof ClientError,
          );
          // With the default depth it still finds the held list's epoch? No:
          // three lists after it are uncosigned, beyond a depth of 2.
          await assert.rejects(
            Client.bootstrap({ ...base, store: new MemoryStore() }),
            (e: unknown) => e instanceof ClientError,
          );
        },
      );
    } finally {
      await server.shutdown();
      await net.close();
    }
  },
});
