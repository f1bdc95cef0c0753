/**
 * A real registry served over HTTP on 127.0.0.1, port 0, for tests of
 * programs that talk to it (the CLI, the client library, the explorer):
 * SQLite in memory, the real clock, private addresses allowed.
 *
 * @module
 */

import { createApp } from "../http/app.ts";
import type { RegistryOptions } from "../registry.ts";
import { type TestNet, testNet } from "./net.ts";

/** A registry served over HTTP on loopback. */
export interface ServedRegistry {
  net: TestNet;
  /** `http://127.0.0.1:<port>`. */
  url: string;
  close(): Promise<void>;
}

/** Start a devnet registry on 127.0.0.1:0 with the real clock. */
export async function serveRegistry(
  options: {
    funded?: string[];
    registry?: Partial<RegistryOptions>;
    /** SSE heartbeat interval, ms. Default 1,000. */
    heartbeatMs?: number;
  } = {},
): Promise<ServedRegistry> {
  const net = await testNet({
    ...(options.funded ? { funded: options.funded } : {}),
    registry: {
      clock: Date.now,
      allowPrivateAddresses: true,
      ...options.registry,
    },
  });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    createApp(net.registry, { heartbeatMs: options.heartbeatMs ?? 1000 })
      .fetch,
  );
  const addr = server.addr as Deno.NetAddr;
  return {
    net,
    url: `http://127.0.0.1:${addr.port}`,
    async close() {
      await server.shutdown();
      await net.close();
    },
  };
}
