// The registry's reachability prober against the operator CLI's challenge
// handler (the node side), on a loopback server: the two halves of the
// protocol in registry/README.md agree.
import assert from "node:assert/strict";
import { toHex } from "../registry/core/bytes.ts";
import { publicKeyOf } from "../registry/core/keys.ts";
import { probeNode } from "../registry/runtime/prober.ts";
import { challengeHandler } from "../operator-cli/challenge.ts";

async function serveNode(network: number, secretKey: Uint8Array) {
  const abort = new AbortController();
  const { promise, resolve } = Promise.withResolvers<number>();
  const server = Deno.serve(
    {
      hostname: "127.0.0.1",
      port: 0,
      signal: abort.signal,
      onListen: ({ port }) => resolve(port),
    },
    challengeHandler({ network, secretKey, publicKey: publicKeyOf(secretKey) }),
  );
  const port = await promise;
  return {
    port,
    close: async () => {
      abort.abort();
      await server.finished;
    },
  };
}

Deno.test("reachability: the registry's prober and the operator CLI's handler agree", async () => {
  const secret = new Uint8Array(32).fill(42);
  const node = toHex(publicKeyOf(secret));
  const devnetNode = await serveNode(3, secret);
  try {
    const ok = await probeNode(
      { node, ip: "127.0.0.1", port: devnetNode.port },
      3,
    );
    assert.equal(ok?.ok, true, ok?.detail);
    assert.equal(ok?.detail, "signed challenge verified");
    // A node on another network refuses to sign: a failed test.
    const other = await probeNode({
      node,
      ip: "127.0.0.1",
      port: devnetNode.port,
    }, 2);
    assert.equal(other?.ok, false);
    assert.match(other!.detail, /HTTP 400/);
    // A node answering with another key fails too.
    const wrong = await probeNode({
      node: toHex(publicKeyOf(new Uint8Array(32).fill(1))),
      ip: "127.0.0.1",
      port: devnetNode.port,
    }, 3);
    assert.equal(wrong?.ok, false);
    assert.match(wrong!.detail, /^answered as node /);
  } finally {
    await devnetNode.close();
  }
});
