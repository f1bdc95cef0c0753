/**
 * Serving the app through `Deno.serve` (`--http-server deno`): for a
 * registry behind a reverse proxy that enforces the slow-client limits
 * itself (nginx's `client_header_timeout`, `client_body_timeout`,
 * `keepalive_timeout`, `limit_conn`; Caddy's `timeouts`).
 *
 * `Deno.serve` answers about 1.4 to 1.6 times the requests per second of Deno's
 * `node:http` on the hottest route, the latest list's 304 (bench/RESULTS.md),
 * but it has no header or request timeout, no idle keep-alive timeout and
 * no connection cap (`server.ts` says what was measured), so facing the
 * internet directly the registry uses `serveHttp` (`--http-server node`,
 * the default). Both return the same {@linkcode HttpServer}; the app, the
 * fast path's answers and the client address passed to the app are the
 * same.
 *
 * @module
 */

import { normalizeAddress } from "./client_address.ts";
import type { FetchFastHandler } from "./fast_path.ts";
import type { FetchHandler, HttpServer } from "./server.ts";
import { problem, problemResponse } from "./problem.ts";

/** Options of {@linkcode serveDeno}. */
export interface DenoServeOptions {
  /** Address to listen on. */
  hostname: string;
  /** Port; 0 picks a free one. */
  port: number;
  /** Routes answered before `fetch`: the app's `fastPathOf(app).fetch`. */
  fast?: FetchFastHandler;
  /** Unexpected errors (a failing handler, a server error). */
  onError?: (message: string, error: unknown) => void;
}

/**
 * Serve `fetch` on `hostname:port` through `Deno.serve`. Resolves once
 * listening; rejects if the address cannot be bound.
 */
// deno-lint-ignore require-await
export async function serveDeno(
  fetch: FetchHandler,
  options: DenoServeOptions,
): Promise<HttpServer> {
  const onError = options.onError ?? (() => {});
  const fast = options.fast;
  let active = 0;
  const done = () => active--;
  const server = Deno.serve({
    hostname: options.hostname,
    port: options.port,
    onListen: () => {},
    onError: (error) => {
      onError("response failed", error);
      return problemResponse(
        problem("internal", 500, "the registry could not answer"),
      );
    },
  }, (request, info) => {
    if (fast !== undefined) {
      const answer = fast(request);
      if (answer !== null) return answer;
    }
    active++;
    const remoteAddress = normalizeAddress(
      (info.remoteAddr as Deno.NetAddr).hostname ?? "",
    );
    const response = Promise.resolve(fetch(request, { remoteAddress }));
    response.then(done, done);
    return response;
  });
  const addr = server.addr as Deno.NetAddr;
  return {
    addr: { hostname: addr.hostname, port: addr.port },
    scheme: "http",
    setTls(): void {
      throw new Error(
        "this server does not serve TLS (--http-server deno runs behind a reverse proxy that terminates it)",
      );
    },
    // Deno.serve does not expose its connections: requests in progress only.
    stats: () => ({
      connections: active,
      active,
      evicted: 0,
      refused: 0,
      timedOut: 0,
      malformed: 0,
      tlsFailed: 0,
    }),
    async shutdown(graceMs: number): Promise<boolean> {
      // Deno.serve's shutdown waits for requests in flight; it cannot cut
      // them, so past the grace period the caller exits anyway.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const inTime = await Promise.race([
        server.shutdown().then(() => true),
        new Promise<boolean>((r) =>
          timer = setTimeout(() => r(false), graceMs)
        ),
      ]);
      clearTimeout(timer);
      if (!inTime) server.unref();
      return inTime;
    },
  };
}
