import assert from "node:assert/strict";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import {
  applyNodeListDiff,
  decodeNodeList,
  nodeListToJson,
  verifyNodeList,
} from "../core/nodelist.ts";
import { ListReader } from "../queries/lists.ts";
import { eachBackend } from "../testkit/backend.ts";
import { activeNode, httpNet, postMessage, ticks } from "../testkit/http.ts";

async function bytesOf(res: Response): Promise<Uint8Array> {
  return new Uint8Array(await res.arrayBuffer());
}

eachBackend.test("lists: binary or JSON by suffix, ?format= or Accept; the bytes verify", async (backend) => {
  const h = await httpNet({ backend });
  const { net, app } = h;
  try {
    for (let i = 0; i < 3; i++) await activeNode(h, `n${i}`);
    await ticks(net, 2);
    const views = new ListReader(net.registry);
    const latest = await views.stored("latest");
    const byEpoch = await views.stored(latest.epoch - 1);
    const cases: [string, Record<string, string>, "bin" | "json"][] = [
      ["/v1/lists/latest", {}, "bin"],
      ["/v1/lists/latest", { accept: "*/*" }, "bin"],
      ["/v1/lists/latest", { accept: "application/octet-stream" }, "bin"],
      ["/v1/lists/latest", { accept: "application/json" }, "json"],
      ["/v1/lists/latest", {
        accept: "application/json;q=0.5, application/octet-stream",
      }, "bin"],
      ["/v1/lists/latest", { accept: "text/html, application/*;q=0.1" }, "bin"],
      ["/v1/lists/latest.bin", { accept: "application/json" }, "bin"],
      ["/v1/lists/latest.json", {}, "json"],
      ["/v1/lists/latest?format=json", {}, "json"],
      ["/v1/lists/latest?format=binary", { accept: "application/json" }, "bin"],
      ["/v1/lists/latest.bin?format=json", {}, "bin"],
    ];
    for (const [url, headers, format] of cases) {
      const res = await app.request(url, { headers });
      assert.equal(res.status, 200, url);
      assert.equal(res.headers.get("x-list-epoch"), String(latest.epoch));
      if (format === "bin") {
        assert.equal(
          res.headers.get("content-type"),
          "application/octet-stream",
          url,
        );
        assert.deepEqual(await bytesOf(res), latest.bytes, url);
      } else {
        assert.equal(res.headers.get("content-type"), "application/json", url);
        assert.deepEqual(
          await res.json(),
          nodeListToJson(decodeNodeList(latest.bytes, net.params.id)),
          url,
        );
      }
    }
    const old = await app.request(`/v1/lists/${byEpoch.epoch}.bin`);
    assert.deepEqual(await bytesOf(old), byEpoch.bytes);
    // The served bytes verify against the registry key and show the nodes.
    const { list } = verifyNodeList(latest.bytes, [net.registryKey.public], {
      expectedNetwork: net.params.id,
    });
    assert.equal(list.records.length, 3);

    const notAcceptable = await app.request("/v1/lists/latest", {
      headers: { accept: "text/html" },
    });
    assert.equal(notAcceptable.status, 406);
    assert.equal((await notAcceptable.json()).code, "not_acceptable");
    for (
      const bad of [
        "/v1/lists/latest?format=xml",
        "/v1/lists/nope",
        "/v1/lists/1.txt",
        "/v1/lists/-1",
      ]
    ) {
      const r = await app.request(bad);
      assert.equal(r.status, 400, bad);
      assert.match((await r.json()).code, /^bad_(query|param)$/, bad);
    }
    const missing = await app.request("/v1/lists/999");
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).code, "unknown_list");
  } finally {
    await h.close();
  }
});

eachBackend.test("lists: strong ETag, 304 with Date, immutable by epoch, latest fresh until its fresh-until", async (backend) => {
  const h = await httpNet({ backend });
  const { net, app } = h;
  try {
    await activeNode(h, "n0");
    await ticks(net, 1);
    const first = await app.request("/v1/lists/latest.json");
    const etag = first.headers.get("etag")!;
    const hash = first.headers.get("x-list-hash")!;
    assert.equal(etag, `"${hash}.json"`);
    assert.equal(first.headers.get("vary"), "Accept, Accept-Encoding");
    // Published this instant, fresh for one epoch.
    assert.equal(
      first.headers.get("cache-control"),
      `public, max-age=${net.params.epochSeconds}`,
    );
    const bin = await app.request("/v1/lists/latest.bin");
    assert.equal(bin.headers.get("etag"), `"${hash}.bin"`);

    net.clock.advance(1000);
    const again = await app.request("/v1/lists/latest.json", {
      headers: { "if-none-match": etag },
    });
    assert.equal(again.status, 304);
    assert.equal(await again.text(), "");
    assert.equal(again.headers.get("etag"), etag);
    assert.equal(
      again.headers.get("date"),
      new Date(net.clock.now).toUTCString(),
    );
    assert.equal(
      again.headers.get("cache-control"),
      `public, max-age=${net.params.epochSeconds - 1}`,
    );
    // Weak form and lists of tags match too; another format's tag does not.
    assert.equal(
      (await app.request("/v1/lists/latest.json", {
        headers: { "if-none-match": `"x", W/${etag}` },
      })).status,
      304,
    );
    assert.equal(
      (await app.request("/v1/lists/latest.json", {
        headers: { "if-none-match": `"${hash}.bin"` },
      })).status,
      200,
    );
    // A gzip client revalidating with its tag gets a 304 carrying the gzip tag.
    const gz = await app.request("/v1/lists/latest.json", {
      headers: { "accept-encoding": "gzip" },
    });
    const gzTag = gz.headers.get("etag")!;
    assert.equal(gzTag, `"${hash}.json.gzip"`);
    const gz304 = await app.request("/v1/lists/latest.json", {
      headers: { "accept-encoding": "gzip", "if-none-match": gzTag },
    });
    assert.equal(gz304.status, 304);
    assert.equal(gz304.headers.get("etag"), gzTag);

    // By epoch: immutable. After a tick, latest moves on and the old tag no longer matches.
    const epoch = first.headers.get("x-list-epoch")!;
    const byEpoch = await app.request(`/v1/lists/${epoch}.json`);
    assert.equal(
      byEpoch.headers.get("cache-control"),
      "public, max-age=31536000, immutable",
    );
    assert.equal(byEpoch.headers.get("etag"), etag);
    await ticks(net, 1);
    const moved = await app.request("/v1/lists/latest.json", {
      headers: { "if-none-match": etag },
    });
    assert.equal(moved.status, 200);
    assert.notEqual(moved.headers.get("etag"), etag);
    // Past its fresh-until time, latest may not be cached.
    net.clock.advance(net.params.epochSeconds * 3000);
    const late = await app.request("/v1/lists/latest.json");
    assert.equal(late.headers.get("cache-control"), "public, max-age=0");
  } finally {
    await h.close();
  }
});

eachBackend.test("lists: gzip and br negotiated by Accept-Encoding decompress to the same bytes", async (backend) => {
  const h = await httpNet({ backend });
  const { net, app } = h;
  try {
    for (let i = 0; i < 20; i++) await activeNode(h, `n${i}`);
    await ticks(net, 1);
    for (const format of ["bin", "json"] as const) {
      const plainRes = await app.request(`/v1/lists/latest.${format}`);
      assert.equal(plainRes.headers.get("content-encoding"), null);
      const plain = await bytesOf(plainRes);
      const cases: [string, string | null, (b: Uint8Array) => Uint8Array][] = [
        ["gzip", "gzip", (b) => new Uint8Array(gunzipSync(b))],
        ["br", "br", (b) => new Uint8Array(brotliDecompressSync(b))],
        [
          "gzip, deflate, br",
          "br",
          (b) => new Uint8Array(brotliDecompressSync(b)),
        ],
        ["br;q=0.5, gzip", "gzip", (b) => new Uint8Array(gunzipSync(b))],
        ["br;q=0, gzip;q=0", null, (b) => b],
        ["identity", null, (b) => b],
        ["*", "br", (b) => new Uint8Array(brotliDecompressSync(b))],
      ];
      for (const [accept, coding, decode] of cases) {
        const res = await app.request(`/v1/lists/latest.${format}`, {
          headers: { "accept-encoding": accept },
        });
        assert.equal(
          res.headers.get("content-encoding"),
          coding,
          `${format} ${accept}`,
        );
        const body = await bytesOf(res);
        assert.deepEqual(decode(body), plain, `${format} ${accept}`);
        if (coding !== null) {
          assert(body.length < plain.length, `${format} ${accept} compresses`);
        }
        // Served again from the cache: identical bytes.
        const again = await bytesOf(
          await app.request(`/v1/lists/latest.${format}`, {
            headers: { "accept-encoding": accept },
          }),
        );
        assert.deepEqual(again, body);
      }
    }
    const metrics = await (await app.request("/metrics")).text();
    const cached = Number(
      /^registry_list_cache_bytes (\d+)$/m.exec(metrics)?.[1],
    );
    assert(cached > 0);
  } finally {
    await h.close();
  }
});

eachBackend.test("diffs apply to their base to give exactly the latest list; old bases are unavailable", async (backend) => {
  const h = await httpNet({ backend, registry: { listRetention: 4 } });
  const { net, app } = h;
  try {
    const views = new ListReader(net.registry);
    for (let i = 0; i < 4; i++) await activeNode(h, `n${i}`);
    await ticks(net, 1);
    const base = await views.stored("latest");
    // Changes: new nodes, an address change, a node unlocking.
    await activeNode(h, "n4");
    await ticks(net, 1);
    await postMessage(
      app,
      "/v1/proofs",
      net.proof("n0", { ipv4: "127.0.0.2" }).bytes,
    )
      .then(async (r) => assert.equal(r.status, 200, await r.text()));
    await activeNode(h, "n5");
    await ticks(net, 1);
    const latest = await views.stored("latest");
    assert(latest.epoch > base.epoch + 1);

    for (
      const url of [
        `/v1/lists/latest/diff?from=${base.epoch}`,
        `/v1/lists/${latest.epoch}/diff?from=${base.epoch}`,
      ]
    ) {
      const res = await app.request(url, {
        headers: { "accept-encoding": "gzip" },
      });
      assert.equal(res.status, 200, url);
      assert.equal(res.headers.get("content-type"), "application/octet-stream");
      assert.equal(res.headers.get("content-encoding"), "gzip");
      const diff = new Uint8Array(gunzipSync(await bytesOf(res)));
      const rebuilt = applyNodeListDiff(base.bytes, diff, net.params.id);
      assert.deepEqual(rebuilt, latest.bytes, url);
      assert(diff.length < latest.bytes.length);
      verifyNodeList(rebuilt, [net.registryKey.public], {
        expectedNetwork: net.params.id,
      });
      const etag = res.headers.get("etag")!;
      const again = await app.request(url, {
        headers: { "if-none-match": etag, "accept-encoding": "gzip" },
      });
      assert.equal(again.status, 304);
    }
    // A diff from the previous list, uncompressed.
    const prev = await views.stored(latest.epoch - 1);
    const step = await bytesOf(
      await app.request(`/v1/lists/latest/diff?from=${prev.epoch}`),
    );
    assert.deepEqual(
      applyNodeListDiff(prev.bytes, step, net.params.id),
      latest.bytes,
    );

    // Errors: not older, missing from, pruned base, unknown target.
    const same = await app.request(
      `/v1/lists/latest/diff?from=${latest.epoch}`,
    );
    assert.deepEqual([same.status, (await same.json()).code], [
      400,
      "bad_request",
    ]);
    const noFrom = await app.request("/v1/lists/latest/diff");
    assert.deepEqual([noFrom.status, (await noFrom.json()).code], [
      400,
      "bad_query",
    ]);
    const unknownTarget = await app.request("/v1/lists/999/diff?from=1");
    assert.deepEqual(
      [unknownTarget.status, (await unknownTarget.json()).code],
      [404, "unknown_list"],
    );
    await ticks(net, 4);
    const pruned = await app.request(
      `/v1/lists/latest/diff?from=${base.epoch}`,
    );
    assert.equal(pruned.status, 404);
    assert.equal((await pruned.json()).code, "diff_unavailable");
  } finally {
    await h.close();
  }
});
