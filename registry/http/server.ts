/**
 * Serving the app: HTTP/1.1 with the limits a public service needs against
 * slow and greedy clients.
 *
 * `Deno.serve` (Deno 2.9) has no header or request timeout, no idle
 * keep-alive timeout and no connection cap: measured, it kept a half-sent
 * header, a half-sent body, a silent connection and an idle keep-alive
 * connection open for as long as the probe ran, and all of 200 connections
 * trickling a byte every 2 s (`bench/slow_clients_probe.ts`). Deno's
 * `node:http` is a port of Node's server with its timeouts
 * (`headersTimeout`, `requestTimeout`, `keepAliveTimeout`, checked every
 * `connectionsCheckingInterval`), so the app is served through it, by the
 * `@hono/node-server` adapter. On top of it this module
 *
 * - caps connections, per client address and in all; at a cap a new
 *   connection first evicts the oldest connection of the same scope with no
 *   request in progress (a slow or silent client, or an idle keep-alive
 *   connection), so a flood of slow connections cannot lock out real
 *   requests such as `/v1/health`; with nothing to evict it is answered
 *   `429 too_many_connections` or `503 server_busy` and closed;
 * - answers a timed-out, oversized or malformed request with problem+json
 *   (`request_timeout` 408, `header_too_large` 431, `malformed_request` 400)
 *   and closes the connection;
 * - passes the peer address to the app as the Hono `env`
 *   ({@linkcode ConnInfo});
 * - with `tls`, serves HTTPS through `node:https` (the same server with
 *   the same limits; the TLS handshake must finish within the header
 *   timeout, and counts against the caps from the first byte), and swaps
 *   the certificate for new connections with {@linkcode HttpServer.setTls}
 *   (`setSecureContext`): connections already open keep theirs.
 *
 * @module
 */

import http from "node:http";
import https from "node:https";
import type { Socket } from "node:net";
import { getRequestListener } from "@hono/node-server";
import {
  clientKey,
  type ConnInfo,
  normalizeAddress,
} from "./client_address.ts";
import type { FastHandler } from "./fast_path.ts";
import { problem } from "./problem.ts";
import { ERRORS, type HttpErrorCode } from "../api/errors.ts";

/** Connection limits and timeouts. */
export interface ServerLimits {
  /** A request's headers must be complete this long after it started (the connection opened, or the previous response ended), ms. */
  headerTimeoutMs: number;
  /** The whole request, body included, must be complete this long after it started, ms. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long, ms. */
  keepAliveTimeoutMs: number;
  /** Connections open at once. */
  maxConnections: number;
  /** Connections open at once from one client address (IPv6: one /64). */
  maxConnectionsPerClient: number;
  /** Largest request line plus headers, bytes. Default 16 KiB. */
  maxHeaderBytes?: number;
}

/** Options of {@linkcode serveHttp}. */
export interface ServeOptions extends ServerLimits {
  /** Address to listen on. */
  hostname: string;
  /** Port; 0 picks a free one. */
  port: number;
  /** Peers exempt from the per-client cap (trusted reverse proxies). */
  trustedProxies?: ReadonlySet<string>;
  /** How often timeouts are checked, ms (bounds how late they fire). Default 1,000. */
  checkIntervalMs?: number;
  /** Unexpected errors (a failing handler, a server error). */
  onError?: (message: string, error: unknown) => void;
  /**
   * Routes answered in the `node:http` handler before `fetch` (no
   * `Request`/`Response` built): the app's `fastPathOf(app)`.
   */
  fast?: FastHandler;
  /** Serve HTTPS with this certificate chain and key (PEM); default plain HTTP. */
  tls?: TlsCredentials;
}

/** A certificate chain and its private key, PEM. */
export interface TlsCredentials {
  cert: string;
  key: string;
}

/** Counters of the connection layer. */
export interface ServerStats {
  /** Connections open now. */
  connections: number;
  /** Of which have a request in progress. */
  active: number;
  /** Connections closed to make room for a new one. */
  evicted: number;
  /** Connections refused at a cap. */
  refused: number;
  /** Requests answered 408 (incomplete in time). */
  timedOut: number;
  /** Requests answered 400/431 by the HTTP parser. */
  malformed: number;
  /** TLS handshakes that failed or timed out. */
  tlsFailed: number;
}

/** A running server. */
export interface HttpServer {
  /** Where it listens. */
  readonly addr: { hostname: string; port: number };
  /** `https` when serving TLS, else `http`. */
  readonly scheme: "http" | "https";
  /**
   * Serve new connections with this certificate (HTTPS only; open
   * connections keep the one they started with). Throws when not serving
   * TLS.
   */
  setTls(tls: TlsCredentials): void;
  /** Counters of the connection layer. */
  stats(): ServerStats;
  /**
   * Stop accepting connections, close idle ones, let requests in flight
   * finish for up to `graceMs`, then close the rest. Resolves true when
   * everything closed in time.
   */
  shutdown(graceMs: number): Promise<boolean>;
}

/** The app's `fetch`, given the connection info as its `env`. */
export type FetchHandler = (
  request: Request,
  env: ConnInfo,
) => Response | Promise<Response>;

interface Tracked {
  socket: Socket;
  /** Per-client key; null for a trusted proxy (exempt from the per-client cap). */
  key: string | null;
  /** Requests in progress (0 or 1 on HTTP/1.1 without pipelining). */
  active: number;
  /** When it last became idle (or opened), ms. */
  idleSince: number;
}

/** A raw HTTP/1.1 problem+json response that closes the connection. */
function rawProblem(
  code: HttpErrorCode,
  detail: string,
  retryAfter?: number,
): Uint8Array {
  const status = ERRORS[code].status;
  const body = JSON.stringify(problem(code, status, detail));
  const reason = http.STATUS_CODES[status] ?? "Error";
  const length = new TextEncoder().encode(body).length;
  return new TextEncoder().encode(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/problem+json\r\ncache-control: no-store\r\n${
      retryAfter === undefined ? "" : `retry-after: ${retryAfter}\r\n`
    }content-length: ${length}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** Write a final answer and close; destroy if the peer does not take it within a second. */
function answerAndClose(socket: Socket, bytes: Uint8Array): void {
  if (socket.destroyed) return;
  const timer = setTimeout(() => socket.destroy(), 1000);
  socket.once("close", () => clearTimeout(timer));
  try {
    socket.end(bytes);
  } catch {
    socket.destroy();
  }
}

/**
 * Serve `fetch` on `hostname:port` with the limits of `options`. Resolves
 * once listening; rejects if the address cannot be bound.
 */
export async function serveHttp(
  fetch: FetchHandler,
  options: ServeOptions,
): Promise<HttpServer> {
  const onError = options.onError ?? (() => {});
  const fast = options.fast;
  const trusted = options.trustedProxies ?? new Set<string>();
  const tracked = new Map<Socket, Tracked>();
  const perClient = new Map<string, number>();
  const counters = {
    evicted: 0,
    refused: 0,
    timedOut: 0,
    malformed: 0,
    tlsFailed: 0,
  };
  let closing = false;

  const listener = getRequestListener(
    (request, env) => {
      const socket = (env as { incoming: http.IncomingMessage }).incoming
        .socket;
      return fetch(request, {
        remoteAddress: normalizeAddress(socket?.remoteAddress ?? ""),
      });
    },
    {
      overrideGlobalObjects: false,
      errorHandler: (error) => {
        // Only reached when no Request could be built (e.g. a bad Host).
        const p = problem(
          "malformed_request",
          400,
          error instanceof Error ? error.message : "malformed request",
        );
        return new Response(JSON.stringify(p), {
          status: 400,
          headers: {
            "content-type": "application/problem+json",
            "cache-control": "no-store",
          },
        });
      },
    },
  );

  const serverOptions: http.ServerOptions = {
    headersTimeout: options.headerTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
    keepAliveTimeout: options.keepAliveTimeoutMs,
    connectionsCheckingInterval: options.checkIntervalMs ?? 1000,
    maxHeaderSize: options.maxHeaderBytes ?? 16 * 1024,
  };
  const handler: http.RequestListener = (req, res) => {
    // Over TLS the request's socket wraps the TCP socket that was tracked.
    const t = tracked.get(req.socket) ??
      tracked.get((req.socket as Socket & { _parent?: Socket })._parent!);
    if (t) {
      t.active++;
      res.once("close", () => {
        t.active--;
        t.idleSince = performance.now();
        if (closing && t.active === 0) t.socket.destroy();
      });
    }
    if (fast !== undefined && fast(req, res)) return;
    listener(req, res).catch((e) => onError("response failed", e));
  };
  const server: http.Server = options.tls
    ? https.createServer({
      ...serverOptions,
      cert: options.tls.cert,
      key: options.tls.key,
      // A connection that never finishes its handshake is cut like one that
      // never finishes its headers.
      handshakeTimeout: options.headerTimeoutMs,
    }, handler)
    : http.createServer(serverOptions, handler);
  if (options.tls) {
    // A failed handshake (a client that does not trust the certificate, a
    // port scanner, a timeout) is the client's problem: the socket is closed.
    server.on("tlsClientError", (_e: Error, socket: Socket) => {
      counters.tlsFailed++;
      socket.destroy();
    });
  }
  // The defaults of Node's server, set explicitly: what this module documents.
  server.headersTimeout = options.headerTimeoutMs;
  server.requestTimeout = options.requestTimeoutMs;
  server.keepAliveTimeout = options.keepAliveTimeoutMs;

  /** Close the oldest idle connection matching `pred`; false if there is none. */
  const evict = (pred: (t: Tracked) => boolean): boolean => {
    let oldest: Tracked | null = null;
    for (const t of tracked.values()) {
      if (
        t.active === 0 && pred(t) && (!oldest || t.idleSince < oldest.idleSince)
      ) {
        oldest = t;
      }
    }
    if (!oldest) return false;
    counters.evicted++;
    untrack(oldest);
    oldest.socket.destroy();
    return true;
  };

  const untrack = (t: Tracked) => {
    if (!tracked.delete(t.socket)) return;
    if (t.key !== null) {
      const n = (perClient.get(t.key) ?? 1) - 1;
      if (n <= 0) perClient.delete(t.key);
      else perClient.set(t.key, n);
    }
  };

  // Before the handshake a TLS connection cannot be answered in HTTP: it is
  // closed (the client sees a reset and retries, as after a 503).
  const refuse = (socket: Socket, bytes: Uint8Array) =>
    options.tls ? socket.destroy() : answerAndClose(socket, bytes);

  server.on("connection", (socket: Socket) => {
    const address = normalizeAddress(socket.remoteAddress ?? "");
    const key = trusted.has(address) ? null : clientKey(address);
    if (
      key !== null &&
      (perClient.get(key) ?? 0) >= options.maxConnectionsPerClient &&
      !evict((t) => t.key === key)
    ) {
      counters.refused++;
      refuse(
        socket,
        rawProblem(
          "too_many_connections",
          `this client has ${options.maxConnectionsPerClient} connections open, all busy`,
          1,
        ),
      );
      return;
    }
    if (tracked.size >= options.maxConnections && !evict(() => true)) {
      counters.refused++;
      refuse(
        socket,
        rawProblem(
          "server_busy",
          `the registry has ${options.maxConnections} connections open, all busy`,
          1,
        ),
      );
      return;
    }
    const t: Tracked = { socket, key, active: 0, idleSince: performance.now() };
    tracked.set(socket, t);
    if (key !== null) perClient.set(key, (perClient.get(key) ?? 0) + 1);
    socket.once("close", () => untrack(t));
  });

  server.on(
    "clientError",
    (error: Error & { code?: string }, socket: Socket) => {
      const writable = socket.writable &&
        !(socket as Socket & { _httpMessage?: { headersSent?: boolean } })
          ._httpMessage?.headersSent;
      if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") counters.timedOut++;
      else if (error.code !== "ECONNRESET" && error.code !== "EPIPE") {
        counters.malformed++;
      }
      if (!writable || error.code === "ECONNRESET" || error.code === "EPIPE") {
        socket.destroy();
        return;
      }
      const [code, detail]: [HttpErrorCode, string] =
        error.code === "ERR_HTTP_REQUEST_TIMEOUT"
          ? [
            "request_timeout",
            `a request's headers must arrive within ${options.headerTimeoutMs} ms and the whole request within ${options.requestTimeoutMs} ms`,
          ]
          : error.code === "HPE_HEADER_OVERFLOW"
          ? [
            "header_too_large",
            `the request line and headers are over ${
              options.maxHeaderBytes ?? 16 * 1024
            } bytes`,
          ]
          : ["malformed_request", "not a well-formed HTTP/1.1 request"];
      answerAndClose(socket, rawProblem(code, detail));
    },
  );

  server.on("error", (e) => onError("server error", e));

  await new Promise<void>((resolve, reject) => {
    const fail = (e: Error) => reject(e);
    server.once("error", fail);
    server.listen(options.port, options.hostname, () => {
      server.off("error", fail);
      resolve();
    });
  });
  const address = server.address();
  const addr = typeof address === "object" && address !== null
    ? { hostname: address.address, port: address.port }
    : { hostname: options.hostname, port: options.port };

  return {
    addr,
    scheme: options.tls ? "https" : "http",
    setTls(tls: TlsCredentials): void {
      if (!options.tls) {
        throw new Error("this server does not serve TLS");
      }
      (server as https.Server).setSecureContext({
        cert: tls.cert,
        key: tls.key,
      });
    },
    stats: () => {
      let active = 0;
      for (const t of tracked.values()) if (t.active > 0) active++;
      return { connections: tracked.size, active, ...counters };
    },
    async shutdown(graceMs: number): Promise<boolean> {
      closing = true;
      // Deno's node:http calls close()'s callback once the listener is
      // closed, without waiting for connections: wait for them here.
      const listenerClosed = new Promise<void>((r) => server.close(() => r()));
      for (const t of [...tracked.values()]) {
        if (t.active === 0) t.socket.destroy();
      }
      const deadline = performance.now() + graceMs;
      while (tracked.size > 0 && performance.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const inTime = tracked.size === 0;
      for (const t of [...tracked.values()]) t.socket.destroy();
      await listenerClosed;
      return inTime;
    },
  };
}
