/**
 * Every page of the explorer rendered in-process (`startExplorer` on
 * 127.0.0.1 port 0) against a real registry subprocess on port 0, populated
 * with real signed writes: statuses, content, 400/404 pages, search, sort,
 * filters, pagination, list downloads that verify with core, the explorer's
 * event stream, caching, compression and security headers.
 */

import assert from "node:assert/strict";
import { fromHex } from "../registry/core/bytes.ts";
import {
  applyNodeListDiff,
  decodeNodeList,
  verifyChain,
  verifyNodeList,
} from "../registry/core/nodelist.ts";
import { ATOMIC_PER_COIN } from "../registry/core/params.ts";
import { startExplorer } from "./server.ts";
import { keyOf, seededRegistry, Signer } from "./testing/registry.ts";

async function get(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(url, { redirect: "manual", ...init });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** The page's text without tags, whitespace collapsed. */
function textOf(html: string): string {
  return html.replace(/<[^>]+>/g, " ").replace(/&amp;/g, "&").replace(
    /\s+/g,
    " ",
  );
}

Deno.test({
  name: "explorer pages render against a real registry",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const timeout = setTimeout(() => {
      console.error("routes_test: timed out after 120 s");
      Deno.exit(1);
    }, 120_000);
    const seeded = await seededRegistry({
      active: 15,
      open: 1,
    });
    const { registry, client, nodes } = seeded;
    const explorer = await startExplorer({
      registryUrl: registry.url,
      port: 0,
      snapshotMaxAgeMs: 0,
      staleWhileRevalidate: false,
      onError: (e) => {
        throw e;
      },
    });
    const base = explorer.url;
    await explorer.data.index.ready();
    const open = nodes.find((n) => n.status === "awaiting_contributions")!;
    const shared = nodes.find((n) => n.contributor !== null)!;
    try {
      await t.step("overview", async () => {
        const r = await get(base + "/");
        assert.equal(r.status, 200);
        const text = textOf(r.text);
        assert.match(text, /Network overview/);
        assert.match(text, /15 nodes are active in 2 swarms/);
        assert.match(r.text, /data-island="LiveEvents"/);
        assert.match(r.text, /<svg[^>]+role="img"/);
        assert.match(text, /Software versions/);
        assert.match(text, /2\.10\.0/);
        assert.match(text, /Proof freshness/);
        assert.match(r.text, /<main id="main"/);
        // Security headers and our own script only.
        const csp = r.headers.get("content-security-policy") ?? "";
        assert.match(csp, /script-src 'self'/);
        assert.doesNotMatch(csp, /unsafe-inline/);
        assert.equal(r.headers.get("x-content-type-options"), "nosniff");
        assert.doesNotMatch(
          r.text,
          /<script(?![^>]*type="module" src="\/static\/)/,
        );
      });

      await t.step("ETag, 304 and compression", async () => {
        const r = await get(base + "/about");
        const etag = r.headers.get("etag");
        assert.ok(etag, "an etag");
        const again = await fetch(base + "/about", {
          headers: { "if-none-match": etag! },
        });
        await again.body?.cancel();
        assert.equal(again.status, 304);
        const gz = await fetch(base + "/nodes", {
          headers: { "accept-encoding": "gzip" },
        });
        // fetch decodes; the header says what was sent.
        assert.equal(gz.headers.get("content-encoding"), "gzip");
        await gz.text();
        const br = await fetch(base + "/nodes", {
          headers: { "accept-encoding": "br" },
        });
        assert.equal(br.headers.get("content-encoding"), "br");
        assert.match(await br.text(), /Nodes/);
      });

      await t.step("static assets are hashed and immutable", async () => {
        const page = await get(base + "/lists");
        const js = /src="(\/static\/islands\.[0-9a-f]+\.js)"/.exec(page.text);
        const css = /href="(\/static\/app\.[0-9a-f]+\.css)"/.exec(page.text);
        assert.ok(js && css);
        const a = await get(base + js[1]);
        assert.equal(a.status, 200);
        assert.match(a.headers.get("cache-control")!, /immutable/);
        assert.match(a.headers.get("content-type")!, /javascript/);
        assert.ok(a.text.length > 1000);
        assert.equal((await get(base + css[1])).status, 200);
        assert.equal((await get(base + "/static/nope.js")).status, 404);
      });

      await t.step("nodes: table, search, sort, filters, pages", async () => {
        const all = await get(base + "/nodes");
        assert.equal(all.status, 200);
        assert.match(textOf(all.text), /16 nodes \(in the network/);
        const key = nodes[3]!.node.hex;
        const found = await get(base + `/nodes?q=${key.slice(0, 10)}`);
        assert.match(textOf(found.text), /1 node /);
        assert.match(found.text, new RegExp(`/nodes/${key}`));
        const byOperator = await get(
          base + `/nodes?q=${nodes[3]!.operator.hex.slice(0, 12)}`,
        );
        assert.match(byOperator.text, new RegExp(`/nodes/${key}`));
        const byIp = await get(base + "/nodes?q=10.0.0.3");
        assert.match(byIp.text, new RegExp(`/nodes/${key}`));
        const awaiting = await get(
          base + "/nodes?state=awaiting_contributions",
        );
        assert.match(textOf(awaiting.text), /1 node /);
        const openOnly = await get(base + "/nodes?open=1");
        assert.match(textOf(openOnly.text), /Min\. contribution/);
        assert.match(openOnly.text, new RegExp(`/nodes/${open.node.hex}`));
        const retired = await get(base + "/nodes?state=retired");
        assert.match(textOf(retired.text), /0 nodes/);
        // Sorted by stake, ascending: the open node (30 coins) comes first.
        const sorted = await get(base + "/nodes?sort=stake&dir=asc");
        const first = /href="\/nodes\/([0-9a-f]{64})"/.exec(sorted.text)!;
        assert.equal(first[1], open.node.hex);
        assert.match(sorted.text, /aria-sort="ascending"/);
        const version = await get(base + "/nodes?version=2.9.1");
        assert.match(textOf(version.text), /3 nodes/);
        const paged = await get(base + "/nodes?per=25&state=all");
        assert.doesNotMatch(paged.text, /Page 1 of/); // 16 rows fit
        const small = await get(base + "/nodes?page=9");
        assert.equal(small.status, 200);
        // Nonsense parameters fall back to the defaults.
        assert.equal(
          (await get(base + "/nodes?sort=evil&state=x")).status,
          200,
        );
      });

      await t.step(
        "node page: state, stake, history, evidence, CLI",
        async () => {
          const r = await get(base + `/nodes/${shared.node.hex}`);
          assert.equal(r.status, 200);
          const text = textOf(r.text);
          assert.match(text, /What happens next/);
          assert.match(text, /Credit:/);
          assert.match(text, /Stake and contributors/);
          assert.match(
            r.text,
            new RegExp(`/wallets/${shared.contributor!.hex}`),
          );
          assert.match(text, /operator fee 5%/);
          assert.match(text, /State history/);
          assert.match(text, /fully funded/);
          assert.match(text, /Uptime proofs/);
          assert.match(text, /Reachability evidence/);
          assert.match(text, /Swarm mates/);
          assert.match(text, /snode -r .* node status/);
          const o = await get(base + `/nodes/${open.node.hex}`);
          assert.match(textOf(o.text), /Open for contributions/);
          assert.match(textOf(o.text), /at least 10 coins/); // (120-30)/9
          assert.match(textOf(o.text), /stake contribute --node/);
        },
      );

      await t.step(
        "unknown node is a useful 404, malformed a 400",
        async () => {
          const unknown = await get(base + `/nodes/${"ab".repeat(32)}`);
          assert.equal(unknown.status, 404);
          assert.match(textOf(unknown.text), /No node with the key/);
          const bad = await get(base + "/nodes/xyz");
          assert.equal(bad.status, 400);
          assert.match(textOf(bad.text), /64 hexadecimal digits/);
          const prefix = await get(base + "/nodes/abc123");
          assert.match(prefix.text, /href="\/nodes\?q=abc123/);
          const page404 = await get(base + "/no/such/page");
          assert.equal(page404.status, 404);
          assert.match(textOf(page404.text), /Page not found/);
        },
      );

      await t.step("swarms and one swarm", async () => {
        const r = await get(base + "/swarms");
        assert.equal(r.status, 200);
        const ids = [...r.text.matchAll(/href="\/swarms\/(\d+)"/g)].map((m) =>
          m[1]
        );
        assert.ok(ids.length >= 2);
        const one = await get(base + `/swarms/${ids[0]}`);
        assert.equal(one.status, 200);
        assert.match(textOf(one.text), /active nodes store the messages/);
        assert.equal((await get(base + "/swarms/12345")).status, 404);
        assert.equal((await get(base + "/swarms/-1")).status, 400);
        assert.equal(
          (await get(base + "/swarms/99999999999999999999")).status,
          400,
        );
      });

      await t.step("Session ID lookup", async () => {
        const form = await get(base + "/sessions");
        assert.equal(form.status, 200);
        const id = "05" +
          "3506f4a71324b7dd114eddbf4e311f39dde243e1f2cb97c40db1961f70ebaae8";
        const r = await get(base + `/sessions?id=${id}`);
        assert.equal(r.status, 200);
        assert.match(textOf(r.text), /Stored by swarm/);
        const viaPath = await get(base + `/sessions/${id}`);
        assert.equal(viaPath.status, 200);
        const bad = await get(base + "/sessions?id=07" + "ab".repeat(32));
        assert.equal(bad.status, 400);
        assert.match(textOf(bad.text), /starts with 05 .* not 07/);
        const short = await get(base + "/sessions?id=05abc");
        assert.equal(short.status, 400);
        assert.match(
          textOf(short.text),
          /66 hexadecimal digits; this one has 5/,
        );
      });

      await t.step("wallet: every node with totals", async () => {
        const r = await get(base + `/wallets/${shared.contributor!.hex}`);
        assert.equal(r.status, 200);
        const text = textOf(r.text);
        assert.match(text, /contributor/);
        assert.match(text, /90 coins/);
        assert.match(r.text, new RegExp(`/nodes/${shared.node.hex}`));
        const op = await get(base + `/wallets/${nodes[0]!.operator.hex}`);
        assert.match(textOf(op.text), /1 \(1 operated\)/);
        const unknown = await get(base + `/wallets/${keyOf("nobody").hex}`);
        assert.equal(unknown.status, 404);
        assert.equal((await get(base + "/wallets/123")).status, 400);
      });

      await t.step(
        "lists page and downloads that verify with core",
        async () => {
          const r = await get(base + "/lists");
          assert.equal(r.status, 200);
          const text = textOf(r.text);
          assert.match(text, /Latest list: epoch \d+/);
          assert.match(text, new RegExp(registry.registryKey));
          assert.match(r.text, /data-island="VerifyList"/);
          assert.match(text, /Diff size/);
          const info = await client.info();
          const keys = [fromHex(registry.registryKey, 32)];
          const latest = new Uint8Array(
            await (await fetch(base + "/lists/latest.bin")).arrayBuffer(),
          );
          const v = verifyNodeList(latest, keys, { expectedNetwork: 3 });
          const e = Number(v.list.header.epoch);
          const prev = new Uint8Array(
            await (await fetch(base + `/lists/${e - 1}.bin`)).arrayBuffer(),
          );
          verifyChain(decodeNodeList(prev, 3), v.list);
          const diff = new Uint8Array(
            await (await fetch(base + `/lists/${e}/diff.bin?from=${e - 1}`))
              .arrayBuffer(),
          );
          assert.deepEqual(applyNodeListDiff(prev, diff, 3), latest);
          assert.ok(info.latestList!.epoch >= e);
          assert.equal((await get(base + "/lists/999999.bin")).status, 404);
        },
      );

      await t.step("events: newest first, filters, pages", async () => {
        const r = await get(base + "/events");
        assert.equal(r.status, 200);
        assert.match(r.text, /data-island="LiveEvents"/);
        const registered = await get(base + "/events?kind=registered");
        const ids = [...registered.text.matchAll(/data-event-id="(\d+)"/g)].map(
          (m) => Number(m[1]),
        );
        assert.equal(ids.length, 16);
        assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
        assert.doesNotMatch(registered.text, /kind-list_published/);
        const byNode = await get(base + `/events?node=${shared.node.hex}`);
        assert.match(textOf(byNode.text), /contribution/);
        const byWallet = await get(
          base + `/events?wallet=${shared.contributor!.hex}`,
        );
        assert.match(textOf(byWallet.text), /faucet paid 200 coins/);
        const older = /href="(\/events\?before=\d+)"/.exec(r.text);
        assert.ok(older, "an older page");
        const page2 = await get(base + older[1]!.replaceAll("&amp;", "&"));
        assert.equal(page2.status, 200);
        assert.match(page2.text, /Newest/);
        assert.equal((await get(base + "/events?kind=nonsense")).status, 400);
        assert.equal((await get(base + "/events?node=zz")).status, 400);
      });

      await t.step(
        "the explorer's event stream delivers a new event",
        async () => {
          const ac = new AbortController();
          const res = await fetch(
            base +
              `/events/stream?after=${explorer.data.index.lastId}&kind=faucet`,
            { signal: ac.signal, headers: { accept: "text/event-stream" } },
          );
          assert.match(res.headers.get("content-type")!, /text\/event-stream/);
          const reader = res.body!.pipeThrough(new TextDecoderStream())
            .getReader();
          const wallet = keyOf("stream-wallet");
          await client.submit(
            new Signer().sign({
              kind: "faucet_request",
              wallet: wallet.public,
              amount: 5n * ATOMIC_PER_COIN,
            }, [wallet]),
            "faucet_request",
          );
          let seen = "";
          const until = Date.now() + 15_000;
          while (!seen.includes(wallet.hex) && Date.now() < until) {
            const { value, done } = await reader.read();
            if (done) break;
            seen += value;
          }
          ac.abort();
          await reader.cancel().catch(() => {});
          assert.match(seen, /"kind":"faucet"/);
          assert.match(seen, new RegExp(wallet.hex));
        },
      );

      await t.step("search sends each kind of input to its page", async () => {
        const loc = async (q: string) =>
          (await fetch(base + `/search?q=${encodeURIComponent(q)}`, {
            redirect: "manual",
          })).headers.get("location");
        assert.equal(
          await loc(nodes[0]!.node.hex),
          `/nodes/${nodes[0]!.node.hex}`,
        );
        assert.equal(
          await loc(nodes[0]!.operator.hex),
          `/wallets/${nodes[0]!.operator.hex}`,
        );
        assert.match((await loc("05" + "ab".repeat(32)))!, /^\/sessions\?id=/);
        assert.match((await loc("10.0.0"))!, /^\/nodes\?q=10\.0\.0/);
      });

      await t.step("about names the registry and network", async () => {
        const r = await get(base + "/about");
        assert.equal(r.status, 200);
        const text = textOf(r.text);
        assert.match(text, new RegExp(registry.url.replaceAll(".", "\\.")));
        assert.match(text, /devnet \(network id 3\)/);
        assert.match(text, /decommissioned/);
      });
    } finally {
      await explorer.shutdown();
      await seeded.stop();
      clearTimeout(timeout);
    }
  },
});
