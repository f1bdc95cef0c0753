/**
 * One server of the serving benchmark (`bench/serving.ts` starts it as a
 * child process, so its CPU time is its own): the same signed list of
 * `--nodes` records, identity, gzip and br, served as `GET /v1/lists/latest`
 * by
 *
 * - `deno`: a bare `Deno.serve` handler (the ceiling);
 * - `node`: a bare `node:http` handler (what the server choice costs);
 * - `registry`: the registry as `registry/main.ts` composes it (SQLite file,
 *   the Hono app, `serveHttp` with the default limits and the fast path),
 *   the list stored as its latest;
 * - `registry-deno`: the same served as `--http-server deno` does
 *   (`Deno.serve`, its fast path, no slow-client limits: behind a proxy);
 * - `registry-hono`: the node:http registry without the fast path (every
 *   request through Hono), for comparison.
 *
 * The bare servers do what a minimal correct answer needs: compare
 * `If-None-Match` with the ETag, pick the coding, send the bytes with the
 * same headers. Prints `{"port", "pid", "etag", "bytes"}` on stdout once
 * listening, then serves until killed.
 *
 *     node_modules/.bin/deno run -A bench/serving_server.ts --mode deno --nodes 10000
 *
 * @module
 */

import http from "node:http";
import { parseArgs } from "node:util";
import { sha256 } from "@noble/hashes/sha2.js";
import { toHex } from "../registry/core/bytes.ts";
import {
  buildEncodedList,
  type NodeRecord,
} from "../registry/core/nodelist.ts";
import { PRESETS } from "../registry/core/params.ts";
import { createApp, fastPathOf } from "../registry/http/app.ts";
import { compress } from "../registry/http/list_cache.ts";
import { serveDeno } from "../registry/http/deno_server.ts";
import { serveHttp } from "../registry/http/server.ts";
import { Registry } from "../registry/registry.ts";
import { DEFAULTS } from "../registry/runtime/options.ts";
import { openSqliteStore } from "../registry/store/store.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    mode: { type: "string", default: "deno" },
    nodes: { type: "string", default: "10000" },
    now: { type: "string" },
  },
});
const mode = values.mode!;
const nodes = Number(values.nodes);
const params = PRESETS.devnet;
const signingKey = sha256(new TextEncoder().encode("bench-registry"));
/** Every server builds the same bytes: same nodes, epoch 1, this time. */
const listTime = Number(values.now ?? Math.floor(Date.now() / 1000));

/** A deterministic signed list of `n` active nodes, chained to `prevHash`. */
export function benchList(
  n: number,
  epoch: number,
  now: number,
  prevHash = new Uint8Array(32),
): { bytes: Uint8Array; hash: string } {
  const records: NodeRecord[] = [];
  for (let i = 0; i < n; i++) {
    records.push({
      pubkey: sha256(new TextEncoder().encode(`bench-node-${i}`)),
      swarmId: BigInt(i % Math.max(1, Math.floor(n / 7))),
      ipv4: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      httpsPort: 22021,
      quicPort: 22020,
      version: [2, 11, 0],
      state: "active",
      unlockRequested: false,
    });
  }
  const { bytes, bodyHash } = buildEncodedList(
    {
      network: params.id,
      epoch: BigInt(epoch),
      validAfter: BigInt(now),
      freshUntil: BigInt(now + 3600),
      validUntil: BigInt(now + 86_400),
      prevHash,
      swarmSeed: 1n,
    },
    records,
    [signingKey],
  );
  return { bytes, hash: toHex(bodyHash) };
}

async function bare(
  kind: "deno" | "node",
): Promise<{ port: number; etag: string; size: number }> {
  const { bytes, hash } = benchList(nodes, 1, listTime);
  const coded = {
    identity: bytes,
    gzip: await compress(bytes, "gzip"),
    br: await compress(bytes, "br"),
  };
  const etags = {
    identity: `"${hash}.bin"`,
    gzip: `"${hash}.bin.gzip"`,
    br: `"${hash}.bin.br"`,
  };
  const pick = (ae: string | null | undefined) =>
    ae?.includes("br") ? "br" : ae?.includes("gzip") ? "gzip" : "identity";
  const headersOf = (coding: keyof typeof coded) => {
    const h: Record<string, string> = {
      "cache-control": "public, max-age=3600",
      "date": new Date().toUTCString(),
      "etag": etags[coding],
      "vary": "Accept, Accept-Encoding",
      "x-list-epoch": "1",
      "x-list-hash": hash,
    };
    return h;
  };
  if (kind === "deno") {
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (req) => {
        const coding = pick(req.headers.get("accept-encoding"));
        const h = headersOf(coding);
        const inm = req.headers.get("if-none-match");
        if (inm !== null && Object.values(etags).includes(inm)) {
          return new Response(null, { status: 304, headers: h });
        }
        h["content-type"] = "application/octet-stream";
        if (coding !== "identity") h["content-encoding"] = coding;
        return new Response(coded[coding] as Uint8Array<ArrayBuffer>, {
          status: 200,
          headers: h,
        });
      },
    );
    return {
      port: (server.addr as Deno.NetAddr).port,
      etag: etags.identity,
      size: bytes.length,
    };
  }
  const server = http.createServer((req, res) => {
    const coding = pick(req.headers["accept-encoding"]);
    const h = headersOf(coding);
    const inm = req.headers["if-none-match"];
    if (inm !== undefined && Object.values(etags).includes(inm)) {
      res.writeHead(304, h);
      res.end();
      return;
    }
    h["content-type"] = "application/octet-stream";
    if (coding !== "identity") h["content-encoding"] = coding;
    h["content-length"] = String(coded[coding].length);
    res.writeHead(200, h);
    res.end(coded[coding]);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address() as { port: number };
  return { port: addr.port, etag: etags.identity, size: bytes.length };
}

async function registry(
  server: "node" | "deno",
  fastPath: boolean,
): Promise<{ port: number; etag: string; size: number }> {
  const dir = await Deno.makeTempDir({ prefix: "serving-bench-" });
  const store = await openSqliteStore(`${dir}/registry.db`, {
    exclusive: true,
  });
  const reg = await Registry.open({
    store,
    params,
    signingKeys: [signingKey],
    clock: Date.now,
  });
  // The bare servers' bytes, stored as the list after list 0.
  const { bytes, hash } = benchList(nodes, 1, listTime);
  await store.transaction((tx) =>
    tx.lists.insert({
      epoch: 1,
      hash,
      prevHash: "00".repeat(32),
      publishedAt: listTime,
      nodeCount: nodes,
      bytes,
    })
  );
  const app = createApp(reg, {});
  const served = server === "deno"
    ? await serveDeno(app.fetch, {
      hostname: "127.0.0.1",
      port: 0,
      ...(fastPath ? { fast: fastPathOf(app).fetch } : {}),
    })
    : await serveHttp(app.fetch, {
      hostname: "127.0.0.1",
      port: 0,
      headerTimeoutMs: DEFAULTS.headerTimeoutMs,
      requestTimeoutMs: DEFAULTS.requestTimeoutMs,
      keepAliveTimeoutMs: DEFAULTS.keepAliveTimeoutMs,
      maxConnections: DEFAULTS.maxConnections,
      maxConnectionsPerClient: DEFAULTS.maxConnectionsPerClient,
      ...(fastPath ? { fast: fastPathOf(app).node } : {}),
    });
  // Warm: load the latest list and compress it once, as the first clients would.
  for (const ae of ["identity", "gzip", "br"]) {
    await (await app.request("/v1/lists/latest", {
      headers: { "accept-encoding": ae },
    })).arrayBuffer();
  }
  return { port: served.addr.port, etag: `"${hash}.bin"`, size: bytes.length };
}

if (import.meta.main) {
  const started = mode === "deno" || mode === "node"
    ? await bare(mode)
    : await registry(
      mode === "registry-deno" ? "deno" : "node",
      mode !== "registry-hono",
    );
  console.log(JSON.stringify({
    port: started.port,
    pid: Deno.pid,
    etag: started.etag,
    bytes: started.size,
  }));
}
