import assert from "node:assert/strict";
import { ATOMIC_PER_COIN } from "../core/params.ts";
import { httpNet, json, SseReader } from "../testkit/http.ts";
import { clientKey, normalizeAddress } from "./client_address.ts";
import { parseRate } from "./rate_limit.ts";

const SSE = { accept: "text/event-stream" };

/** POST raw bytes as if from `address` (the server's ConnInfo). */
function post(
  h: { app: { request: (...a: never[]) => Response | Promise<Response> } },
  path: string,
  bytes: Uint8Array,
  address = "192.0.2.1",
  headers: Record<string, string> = {},
): Promise<Response> {
  const request = h.app.request as unknown as (
    path: string,
    init: RequestInit,
    env: unknown,
  ) => Response | Promise<Response>;
  return Promise.resolve(request(path, {
    method: "POST",
    headers: { "content-type": "application/octet-stream", ...headers },
    body: bytes as Uint8Array<ArrayBuffer>,
  }, { remoteAddress: address }));
}

async function problemOf(res: Response) {
  assert.equal(res.headers.get("content-type"), "application/problem+json");
  return await res.json() as { code: string; status: number };
}

Deno.test("client keys: IPv4 as is (mapped too), IPv6 by /64, junk kept as text", () => {
  assert.equal(clientKey("192.0.2.1"), "192.0.2.1");
  assert.equal(clientKey("::ffff:192.0.2.1"), "192.0.2.1");
  assert.equal(clientKey("2001:DB8::1"), "2001:db8:0:0::/64");
  assert.equal(clientKey("2001:db8:0:0:1:2:3:4"), "2001:db8:0:0::/64");
  assert.equal(clientKey("fe80::1%eth0"), "fe80:0:0:0::/64");
  assert.equal(clientKey("::1"), "0:0:0:0::/64");
  assert.equal(clientKey("not an address"), "not an address");
  assert.equal(normalizeAddress("[::1]"), "::1");
});

Deno.test("the faucet pays one wallet at most its rate: 300 quick requests get 3 payments, the rest 429 with Retry-After", async () => {
  let now = 0;
  const h = await httpNet({
    app: {
      rateLimits: {
        faucetPerWallet: parseRate("3/1m"),
        clock: () => now,
      },
    },
  });
  try {
    const statuses = new Map<number, number>();
    let last: Response | null = null;
    for (let i = 0; i < 300; i++) {
      const msg = h.net.walletMessage("greedy", "faucet_request", {
        amount: 1000n * ATOMIC_PER_COIN,
      });
      const r = await post(h, "/v1/faucet", msg.bytes, `198.51.100.${i % 250}`);
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      if (r.status === 429) last = r;
      else await r.body?.cancel();
    }
    assert.deepEqual(Object.fromEntries(statuses), { 200: 3, 429: 297 });
    assert.equal(last!.headers.get("retry-after"), "20");
    const p = await problemOf(last!);
    assert.equal(p.code, "rate_limited");
    assert.equal(p.status, 429);
    const wallet = h.net.signer("greedy").key.hex;
    const balance = await json<{ balance: string }>(
      h.app.request(`/v1/wallets/${wallet}`),
    );
    assert.equal(BigInt(balance.balance), 3000n * ATOMIC_PER_COIN);

    // Another wallet is not affected; the greedy one gets a token back in 20 s.
    const other = h.net.walletMessage("other", "faucet_request", {
      amount: ATOMIC_PER_COIN,
    });
    assert.equal((await post(h, "/v1/faucet", other.bytes)).status, 200);
    now += 20_000;
    const again = h.net.walletMessage("greedy", "faucet_request", {
      amount: ATOMIC_PER_COIN,
    });
    assert.equal((await post(h, "/v1/submit", again.bytes)).status, 200);
  } finally {
    await h.close();
  }
});

Deno.test("forged or refused faucet requests cost the wallet nothing; the global faucet limit holds for all wallets", async () => {
  const h = await httpNet({
    app: {
      rateLimits: {
        faucetPerWallet: parseRate("2/1h"),
        faucetGlobal: parseRate("5/1h"),
      },
    },
  });
  try {
    for (let i = 0; i < 20; i++) {
      const msg = h.net.walletMessage("victim", "faucet_request", {
        amount: ATOMIC_PER_COIN,
      });
      const forged = msg.bytes.slice();
      forged[forged.length - 1]! ^= 1;
      const r = await post(h, "/v1/faucet", forged);
      assert.equal(r.status, 401);
      assert.equal((await problemOf(r)).code, "bad_signature");
    }
    const tooMuch = h.net.walletMessage("victim", "faucet_request", {
      amount: 10n ** 9n * ATOMIC_PER_COIN,
    });
    assert.equal((await post(h, "/v1/faucet", tooMuch.bytes)).status, 422);
    for (let i = 0; i < 2; i++) {
      const msg = h.net.walletMessage("victim", "faucet_request", {
        amount: ATOMIC_PER_COIN,
      });
      assert.equal((await post(h, "/v1/faucet", msg.bytes)).status, 200);
    }
    // Global: 3 more wallets get paid, the sixth payment overall is refused.
    const codes: number[] = [];
    for (const w of ["a", "b", "c", "d"]) {
      const msg = h.net.walletMessage(w, "faucet_request", {
        amount: ATOMIC_PER_COIN,
      });
      const r = await post(h, "/v1/faucet", msg.bytes);
      codes.push(r.status);
      if (r.status === 429) {
        assert.equal((await problemOf(r)).code, "rate_limited");
        assert(Number(r.headers.get("retry-after")) > 0);
      } else await r.body?.cancel();
    }
    assert.deepEqual(codes, [200, 200, 200, 429]);
  } finally {
    await h.close();
  }
});

Deno.test("writes are limited per client address (socket, or X-Forwarded-For from a trusted proxy only)", async () => {
  let now = 0;
  const h = await httpNet({
    app: {
      rateLimits: { writes: parseRate("5/10s"), clock: () => now },
      trustedProxies: ["10.0.0.1"],
    },
  });
  try {
    const junk = new Uint8Array([1, 2, 3]);
    const send = async (address: string, xff?: string) => {
      const r = await post(
        h,
        "/v1/submit",
        junk,
        address,
        xff ? { "x-forwarded-for": xff } : {},
      );
      const p = await problemOf(r);
      return p.code;
    };
    const a: string[] = [];
    for (let i = 0; i < 7; i++) a.push(await send("192.0.2.1"));
    assert.deepEqual(a.slice(0, 5).every((c) => c !== "rate_limited"), true);
    assert.deepEqual(a.slice(5), ["rate_limited", "rate_limited"]);
    // A different address, and the same address's IPv6 /64 neighbours.
    assert.notEqual(await send("192.0.2.2"), "rate_limited");
    for (let i = 0; i < 5; i++) await send(`2001:db8:1:2::${i + 1}`);
    assert.equal(await send("2001:db8:1:2:ffff::9"), "rate_limited");
    assert.notEqual(await send("2001:db8:1:3::1"), "rate_limited");
    // An untrusted peer's X-Forwarded-For is ignored: still 192.0.2.1.
    assert.equal(await send("192.0.2.1", "203.0.113.9"), "rate_limited");
    // Through the trusted proxy each forwarded client has its own bucket,
    // and a spoofed left-most entry does not help.
    for (let i = 0; i < 5; i++) {
      assert.notEqual(await send("10.0.0.1", "203.0.113.9"), "rate_limited");
    }
    assert.equal(
      await send("10.0.0.1", "1.2.3.4, 203.0.113.9"),
      "rate_limited",
    );
    assert.notEqual(await send("10.0.0.1", "203.0.113.10"), "rate_limited");
    now += 2000;
    assert.notEqual(await send("192.0.2.1"), "rate_limited");
  } finally {
    await h.close();
  }
});

Deno.test("event streams are capped per client (429) and in all (503) with Retry-After; a closed one frees its slot; shutdown ends them", async () => {
  const closeStreams = new AbortController();
  const h = await httpNet({
    app: {
      heartbeatMs: 60_000,
      maxStreams: 3,
      maxStreamsPerClient: 2,
      closeStreams: closeStreams.signal,
    },
  });
  const request = h.app.request as unknown as (
    path: string,
    init: RequestInit,
    env: unknown,
  ) => Promise<Response>;
  const open = (address: string) =>
    request("/v1/events", { headers: SSE }, { remoteAddress: address });
  const readers: SseReader[] = [];
  try {
    for (const a of ["192.0.2.1", "192.0.2.1"]) {
      const r = await open(a);
      assert.equal(r.status, 200);
      const sse = new SseReader(r.body!);
      assert.deepEqual(await sse.next(), { comment: "connected" });
      readers.push(sse);
    }
    const third = await open("192.0.2.1");
    assert.equal(third.status, 429);
    assert.equal(third.headers.get("retry-after"), "5");
    assert.equal((await problemOf(third)).code, "too_many_streams");
    const other = await open("192.0.2.2");
    assert.equal(other.status, 200);
    readers.push(new SseReader(other.body!));
    const full = await open("192.0.2.3");
    assert.equal(full.status, 503);
    assert.equal(full.headers.get("retry-after"), "5");
    assert.equal((await problemOf(full)).code, "server_busy");
    const health = await json<{ sseClients: number }>(
      h.app.request("/v1/health"),
    );
    assert.equal(health.sseClients, 3);
    // A client going away frees its slot.
    await readers.shift()!.cancel();
    const again = await open("192.0.2.1");
    assert.equal(again.status, 200);
    readers.push(new SseReader(again.body!));
    // Shutdown ends every stream and refuses new ones.
    closeStreams.abort();
    for (const r of readers) {
      for (;;) if ((await r.next()) === null) break;
    }
    const late = await open("192.0.2.9");
    assert.equal(late.status, 503);
    assert.equal((await problemOf(late)).code, "shutting_down");
    assert.equal(
      (await json<{ sseClients: number }>(h.app.request("/v1/health")))
        .sseClients,
      0,
    );
  } finally {
    for (const r of readers) await r.cancel().catch(() => {});
    await h.close();
  }
});
