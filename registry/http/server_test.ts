import assert from "node:assert/strict";
import { RawClient } from "../testkit/sockets.ts";
import { serveHttp, type ServeOptions } from "./server.ts";

const LIMITS: Omit<ServeOptions, "hostname" | "port"> = {
  headerTimeoutMs: 1000,
  requestTimeoutMs: 2000,
  keepAliveTimeoutMs: 500,
  maxConnections: 1000,
  maxConnectionsPerClient: 1000,
  checkIntervalMs: 100,
};

/** A server whose app echoes the peer and reads bodies; `/slow` answers after 300 ms. */
async function server(limits: Partial<ServeOptions> = {}) {
  const errors: unknown[] = [];
  const s = await serveHttp(async (req, env) => {
    if (req.method === "POST") {
      const n = (await req.arrayBuffer()).byteLength;
      return Response.json({ got: n });
    }
    if (new URL(req.url).pathname === "/slow") {
      await new Promise((r) => setTimeout(r, 300));
    }
    return Response.json({ peer: env.remoteAddress });
  }, {
    hostname: "127.0.0.1",
    port: 0,
    ...LIMITS,
    ...limits,
    onError: (_m, e) => errors.push(e),
  });
  return { s, port: s.addr.port, errors };
}

const GET = "GET / HTTP/1.1\r\nhost: x\r\n\r\n";

Deno.test("server: half a header, nothing at all, half a body: 408 problem+json and closed in bounded time; idle keep-alive closed", async () => {
  const { s, port } = await server();
  const clients: RawClient[] = [];
  try {
    const halfHeader = await RawClient.open(port);
    const silent = await RawClient.open(port);
    const halfBody = await RawClient.open(port);
    const idle = await RawClient.open(port);
    clients.push(halfHeader, silent, halfBody, idle);
    await halfHeader.send("GET / HTTP/1.1\r\nhost: x\r\n");
    await halfBody.send(
      "POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\nab",
    );
    await idle.send(GET);
    assert(await idle.waitFor(/"peer":"127\.0\.0\.1"/));
    // Idle keep-alive: 500 ms (+ the 100 ms check interval, + slack).
    assert(await idle.closedWithin(3000), "idle keep-alive closed");
    assert(idle.closedAfterMs! >= 400, `idle closed at ${idle.closedAfterMs}`);
    for (const c of [halfHeader, silent]) {
      assert(await c.closedWithin(4000), "closed after the header timeout");
      assert(c.closedAfterMs! >= 900 && c.closedAfterMs! < 4000);
      assert.equal(c.status, 408);
      assert.match(c.received, /content-type: application\/problem\+json/);
      assert.equal(c.json().code, "request_timeout");
    }
    assert(
      await halfBody.closedWithin(5000),
      "closed after the request timeout",
    );
    assert(halfBody.closedAfterMs! >= 1900, `${halfBody.closedAfterMs}`);
    assert.equal(halfBody.status, 408);
    assert.equal(halfBody.json().code, "request_timeout");
    for (let i = 0; i < 100 && s.stats().connections > 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(s.stats().connections, 0);
    assert(s.stats().timedOut >= 3);
  } finally {
    for (const c of clients) await c.close();
    await s.shutdown(1000);
  }
});

Deno.test("server: a trickling header is cut at the header timeout however steadily it trickles", async () => {
  const { s, port } = await server();
  const c = await RawClient.open(port);
  try {
    const line = "GET / HTTP/1.1\r\nhost: x\r\nx-pad: " + "a".repeat(100);
    for (const ch of line) {
      if (!(await c.send(ch)) || c.closed) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert(await c.closedWithin(3000));
    assert(c.closedAfterMs! < 3000, `${c.closedAfterMs}`);
    assert.equal(c.status, 408);
  } finally {
    await c.close();
    await s.shutdown(1000);
  }
});

Deno.test("server: oversized and malformed requests get 431 and 400 problem+json", async () => {
  const { s, port } = await server({ maxHeaderBytes: 1024 });
  try {
    const big = await RawClient.open(port);
    await big.send(
      `GET / HTTP/1.1\r\nhost: x\r\nx-big: ${"b".repeat(4000)}\r\n\r\n`,
    );
    assert(await big.closedWithin(3000));
    assert.equal(big.status, 431);
    assert.equal(big.json().code, "header_too_large");
    const junk = await RawClient.open(port);
    await junk.send("\x00\x01garbage\r\n\r\n");
    assert(await junk.closedWithin(3000));
    assert.equal(junk.status, 400);
    assert.equal(junk.json().code, "malformed_request");
    await big.close();
    await junk.close();
  } finally {
    await s.shutdown(1000);
  }
});

Deno.test("server: at the per-client cap a new connection evicts the oldest idle one; with none idle it is refused 429", async () => {
  const { s, port } = await server({ maxConnectionsPerClient: 4 });
  const clients: RawClient[] = [];
  try {
    for (let i = 0; i < 4; i++) {
      const c = await RawClient.open(port);
      clients.push(c);
      await c.send("GET / HTTP/1.1\r\n"); // slow clients, never finishing
      await new Promise((r) => setTimeout(r, 20));
    }
    const real = await RawClient.open(port);
    await real.send(GET);
    assert(await real.waitFor(/"peer"/), "a real request gets through");
    assert(await clients[0]!.closedWithin(2000), "the oldest slow one went");
    assert(!clients[1]!.closed);
    assert.equal(s.stats().evicted, 1);
    await real.close();
    for (const c of clients) await c.close();

    // Four requests in progress (bodies still coming): nothing to evict.
    const busy: RawClient[] = [];
    for (let i = 0; i < 4; i++) {
      const c = await RawClient.open(port);
      busy.push(c);
      await c.send("POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\n1");
    }
    await new Promise((r) => setTimeout(r, 200));
    const refused = await RawClient.open(port);
    assert(await refused.closedWithin(2000));
    assert.equal(refused.status, 429);
    assert.match(refused.received, /retry-after: 1/);
    assert.equal(refused.json().code, "too_many_connections");
    await refused.close();
    // They finish normally.
    for (const c of busy) await c.send("234567890");
    for (const c of busy) assert(await c.waitFor(/"got":10/));
    for (const c of busy) await c.close();
  } finally {
    for (const c of clients) await c.close();
    await s.shutdown(1000);
  }
});

Deno.test("server: the global cap answers 503 server_busy when every connection is busy", async () => {
  const { s, port } = await server({ maxConnections: 2 });
  const busy: RawClient[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      const c = await RawClient.open(port);
      busy.push(c);
      await c.send("POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\n1");
    }
    await new Promise((r) => setTimeout(r, 200));
    const refused = await RawClient.open(port);
    assert(await refused.closedWithin(2000));
    assert.equal(refused.status, 503);
    assert.equal(refused.json().code, "server_busy");
    await refused.close();
  } finally {
    for (const c of busy) await c.close();
    await s.shutdown(1000);
  }
});

Deno.test("server: shutdown lets a request in flight finish and closes idle connections at once", async () => {
  const { s, port } = await server();
  const idle = await RawClient.open(port);
  const slow = await RawClient.open(port);
  try {
    await idle.send(GET);
    assert(await idle.waitFor(/"peer"/));
    await slow.send("GET /slow HTTP/1.1\r\nhost: x\r\n\r\n");
    await new Promise((r) => setTimeout(r, 50));
    const started = performance.now();
    assert.equal(await s.shutdown(3000), true);
    assert(performance.now() - started < 2000);
    assert(
      await slow.waitFor(/"peer"/, 1000),
      "the request in flight got its answer",
    );
    assert(await idle.closedWithin(1000));
  } finally {
    await idle.close();
    await slow.close();
  }
});
