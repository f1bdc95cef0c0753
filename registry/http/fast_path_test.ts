import assert from "node:assert/strict";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { signCosignature, splitNodeList } from "../core/nodelist.ts";
import { ListReader } from "../queries/lists.ts";
import { activeNode, httpNet, ticks } from "../testkit/http.ts";
import { testKey } from "../testkit/net.ts";
import { createApp, fastPathOf } from "./app.ts";
import { serveDeno } from "./deno_server.ts";
import { type HttpServer, serveHttp } from "./server.ts";

const LIMITS = {
  hostname: "127.0.0.1",
  port: 0,
  headerTimeoutMs: 5000,
  requestTimeoutMs: 10000,
  keepAliveTimeoutMs: 1000,
  maxConnections: 100,
  maxConnectionsPerClient: 100,
};

type ServerKind = "node" | "deno";

/**
 * Serve `app` with `kind`'s server, with its fast path (counting the
 * requests it answers in `answered`) or without.
 */
function serve(
  kind: ServerKind,
  app: ReturnType<typeof createApp>,
  answered?: { n: number },
): Promise<HttpServer> {
  const fast = fastPathOf(app);
  if (kind === "deno") {
    return serveDeno(app.fetch, {
      hostname: "127.0.0.1",
      port: 0,
      ...(answered
        ? {
          fast: (request: Request) => {
            const r = fast.fetch(request);
            if (r !== null) answered.n++;
            return r;
          },
        }
        : {}),
    });
  }
  return serveHttp(app.fetch, {
    ...LIMITS,
    ...(answered
      ? { fast: (req, res) => fast.node(req, res) && ++answered.n > 0 }
      : {}),
  });
}

/** Two apps over one registry: one served with the fast path (its answers counted), one without. */
async function servedPair(
  kind: ServerKind,
  registry: Parameters<typeof createApp>[0],
) {
  const answered = { n: 0 };
  const fast = await serve(kind, createApp(registry), answered);
  const slow = await serve(kind, createApp(registry));
  return { fast, slow, answered };
}

interface Raw {
  status: number;
  headers: Map<string, string>;
  body: Uint8Array;
}

/** One HTTP/1.1 request on its own connection, read to the end. */
async function raw(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<Raw> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const lines = [`GET ${path} HTTP/1.1`, "host: x", "connection: close"];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  await conn.write(new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n"));
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(65536);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    chunks.push(buf.slice(0, n));
  }
  conn.close();
  const all = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  const text = new TextDecoder("latin1").decode(all);
  const end = text.indexOf("\r\n\r\n");
  const [statusLine, ...fields] = text.slice(0, end).split("\r\n");
  const map = new Map<string, string>();
  for (const f of fields) {
    const i = f.indexOf(":");
    map.set(f.slice(0, i).toLowerCase(), f.slice(i + 1).trim());
  }
  return {
    status: Number(statusLine!.split(" ")[1]),
    headers: map,
    body: all.subarray(end + 4),
  };
}

function decoded(r: Raw): Uint8Array {
  const coding = r.headers.get("content-encoding");
  if (coding === "gzip") return new Uint8Array(gunzipSync(r.body));
  if (coding === "br") return new Uint8Array(brotliDecompressSync(r.body));
  return r.body;
}

for (const kind of ["node", "deno"] as const) {
  Deno.test(`fast path (${kind} server): the latest list and health answer as the app does, headers, bodies and counters`, async () => {
    const h = await httpNet();
    const { net } = h;
    const { fast, slow, answered } = await servedPair(kind, net.registry);
    try {
      for (let i = 0; i < 3; i++) await activeNode(h, `n${i}`);
      await ticks(net, 2);
      const latest = await new ListReader(net.registry).stored("latest");
      const etag = (await raw(slow.addr.port, "/v1/lists/latest")).headers.get(
        "etag",
      )!;
      await raw(fast.addr.port, "/v1/lists/latest"); // the counters stay even
      const cases: [string, Record<string, string>][] = [
        ["/v1/lists/latest", {}],
        ["/v1/lists/latest.bin", {}],
        ["/v1/lists/latest", { accept: "*/*" }],
        ["/v1/lists/latest", { accept: "application/octet-stream" }],
        ["/v1/lists/latest", { accept: "application/json" }],
        ["/v1/lists/latest", { "if-none-match": etag }],
        ["/v1/lists/latest", { "if-none-match": `W/${etag}, "other"` }],
        ["/v1/lists/latest", { "if-none-match": '"other"' }],
        ["/v1/lists/latest", { "accept-encoding": "gzip" }],
        ["/v1/lists/latest", { "accept-encoding": "br, gzip" }],
        ["/v1/lists/latest", {
          "accept-encoding": "br",
          "if-none-match": etag,
        }],
        ["/v1/lists/latest?format=json", {}],
        ["/v1/health", {}],
      ];
      // Twice: the first request of a coding may compute it (in the app).
      for (let round = 0; round < 2; round++) {
        for (const [path, headers] of cases) {
          const a = await raw(fast.addr.port, path, headers);
          const b = await raw(slow.addr.port, path, headers);
          const label = `${path} ${JSON.stringify(headers)}`;
          assert.equal(a.status, b.status, label);
          assert.deepEqual(
            [...a.headers].sort(),
            [...b.headers].sort(),
            label,
          );
          assert.deepEqual(decoded(a), decoded(b), label);
          if (a.status === 200 && path.startsWith("/v1/lists/latest")) {
            if (!path.includes("json") && !headers.accept?.includes("json")) {
              assert.deepEqual(decoded(a), latest.bytes, label);
            }
          }
        }
      }
      // Second round: every list and health request but the JSON ones.
      assert(answered.n >= 10, `the fast path answered ${answered.n}`);
      const metrics = async (port: number) =>
        new TextDecoder().decode((await raw(port, "/metrics")).body)
          .split("\n").filter((l) => l.startsWith("http_requests_total"))
          .filter((l) => !l.includes("/metrics")).join("\n");
      assert.equal(
        await metrics(fast.addr.port),
        await metrics(slow.addr.port),
      );

      // A new list replaces the held one at once.
      await ticks(net, 1);
      const next = await new ListReader(net.registry).stored("latest");
      assert.notEqual(next.hash, latest.hash);
      for (let i = 0; i < 3; i++) {
        const r = await raw(fast.addr.port, "/v1/lists/latest");
        assert.equal(r.headers.get("x-list-hash"), next.hash);
        assert.deepEqual(r.body, next.bytes);
      }
      const stale = await raw(fast.addr.port, "/v1/lists/latest", {
        "if-none-match": etag,
      });
      assert.equal(stale.status, 200, "an old ETag no longer matches");
    } finally {
      await fast.shutdown(100);
      await slow.shutdown(100);
      await h.close();
    }
  });

  Deno.test(`fast path (${kind} server): a co-signature attached to the latest list changes its ETag and Cache-Control at once, as in the app`, async () => {
    const witnesses = [0, 1].map((i) => testKey(`fast-witness-${i}`));
    const h = await httpNet({
      registry: {
        witnesses: witnesses.map((w) => ({ key: w.public, url: null })),
      },
    });
    const { net } = h;
    const { fast, slow, answered } = await servedPair(kind, net.registry);
    const same = async (
      label: string,
      headers: Record<string, string> = {},
    ) => {
      const a = await raw(fast.addr.port, "/v1/lists/latest", headers);
      const b = await raw(slow.addr.port, "/v1/lists/latest", headers);
      assert.equal(a.status, b.status, label);
      assert.deepEqual([...a.headers].sort(), [...b.headers].sort(), label);
      assert.deepEqual(a.body, b.body, label);
      return a;
    };
    try {
      await activeNode(h, "n0");
      await ticks(net, 2);
      const meta = (await net.store.read.lists.latest())!;
      const id = splitNodeList(
        (await net.store.read.lists.find(meta.epoch))!.bytes,
        net.registry.params.id,
      ).id;
      await raw(fast.addr.port, "/v1/lists/latest"); // held in memory now
      const first = await same("gathering");
      assert.equal(first.headers.get("cache-control"), "no-cache");
      assert.equal(first.headers.get("x-list-cosignatures"), "0");
      const etag0 = first.headers.get("etag")!;

      const cosign = (i: number) =>
        net.registry.attachCosignature({
          epoch: meta.epoch,
          witnessKey: witnesses[i]!.public,
          time: 1_700_000_000n,
          signature: signCosignature(id, 1_700_000_000n, witnesses[i]!.secret)
            .signature,
        });
      await cosign(0);
      const one = await same("one co-signature");
      assert.equal(one.headers.get("x-list-cosignatures"), "1");
      assert.equal(one.headers.get("etag"), `"${meta.hash}.c1.bin"`);
      assert.equal(one.headers.get("cache-control"), "no-cache");
      const old = await same("the old ETag", { "if-none-match": etag0 });
      assert.equal(
        old.status,
        200,
        "a client holding no co-signature refetches",
      );

      await cosign(1);
      const all = await same("every witness co-signed");
      assert.equal(all.headers.get("x-list-cosignatures"), "2");
      assert.match(all.headers.get("cache-control")!, /^public, max-age=\d+$/);
      const cond = await same("revalidated", {
        "if-none-match": all.headers.get("etag")!,
      });
      assert.equal(cond.status, 304);
      assert(answered.n >= 4, `the fast path answered ${answered.n}`);
    } finally {
      await fast.shutdown(100);
      await slow.shutdown(100);
      await h.close();
    }
  });
}
