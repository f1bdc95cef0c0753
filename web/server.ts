/**
 * The explorer's HTTP server: Hono routes for the pages, the explorer's own
 * event stream and list downloads, hashed static assets; ETags, gzip/br and
 * security headers (a CSP that runs only our own scripts) on every answer.
 *
 * @module
 */

import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";
import { sha256 } from "@noble/hashes/sha2.js";
import { Hono } from "hono";
import {
  RegistryApiError,
  RegistryUnreachableError,
} from "../registry/client/errors.ts";
import type { InfoView } from "../registry/client/types.ts";
import { toHex } from "../registry/core/bytes.ts";
import { type Assets, buildAssets } from "./bundle.ts";
import { ExplorerData, type ExplorerDataOptions } from "./lib/source.ts";
import { type Ctx, errorPage, type Handler, PageError } from "./render.tsx";
import { about } from "./routes/about.tsx";
import { events, eventStream } from "./routes/events.tsx";
import { overview } from "./routes/index.tsx";
import { listDiffFile, listFile, lists } from "./routes/lists/index.tsx";
import { node } from "./routes/nodes/[pubkey].tsx";
import { nodes } from "./routes/nodes/index.tsx";
import { search } from "./routes/search.tsx";
import { sessions } from "./routes/sessions/index.tsx";
import { swarm } from "./routes/swarms/[id].tsx";
import { swarms } from "./routes/swarms/index.tsx";
import { wallet } from "./routes/wallets/[pubkey].tsx";

const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** The Content-Security-Policy: our own scripts, styles and connections only. */
export const CSP: string = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "permissions-policy":
    "camera=(), microphone=(), geolocation=(), interest-cohort=()",
};

const COMPRESSIBLE = /^(text\/|application\/(json|javascript)|image\/svg)/;

/** Compress with the client's preferred coding (br, then gzip), in place of the body. */
async function compressed(res: Response, req: Request): Promise<Response> {
  const type = res.headers.get("content-type") ?? "";
  if (
    !res.body || res.headers.has("content-encoding") ||
    !COMPRESSIBLE.test(type) || type.startsWith("text/event-stream")
  ) return res;
  const accept = req.headers.get("accept-encoding") ?? "";
  const coding = /\bbr\b/.test(accept)
    ? "br"
    : /\bgzip\b/.test(accept)
    ? "gzip"
    : null;
  const headers = new Headers(res.headers);
  headers.append("vary", "Accept-Encoding");
  const body = new Uint8Array(await res.arrayBuffer());
  if (coding === null || body.length < 1024) {
    return new Response(body, { status: res.status, headers });
  }
  const out = coding === "br"
    ? await brotliAsync(body, {
      params: {
        // Pages change every few seconds: a fast setting beats the last byte.
        [constants.BROTLI_PARAM_QUALITY]: 5,
        [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    })
    : await gzipAsync(body, { level: 6 });
  headers.set("content-encoding", coding);
  headers.delete("content-length");
  return new Response(new Uint8Array(out), { status: res.status, headers });
}

/** A weak ETag over the body for pages and JSON; 304 when it matches. */
async function withEtag(res: Response, req: Request): Promise<Response> {
  if (
    res.status !== 200 || !res.body || res.headers.has("etag") ||
    (req.method !== "GET" && req.method !== "HEAD")
  ) return res;
  const type = res.headers.get("content-type") ?? "";
  if (type.startsWith("text/event-stream")) return res;
  const body = new Uint8Array(await res.arrayBuffer());
  const etag = `W/"${toHex(sha256(body)).slice(0, 24)}"`;
  const headers = new Headers(res.headers);
  headers.set("etag", etag);
  if (!headers.has("cache-control")) headers.set("cache-control", "no-cache");
  const inm = req.headers.get("if-none-match");
  if (
    inm && inm.split(",").map((s) => s.trim().replace(/^W\//, "")).includes(
      etag.replace(/^W\//, ""),
    )
  ) {
    headers.delete("content-type");
    return new Response(null, { status: 304, headers });
  }
  return new Response(body, { status: res.status, headers });
}

/** What {@linkcode createExplorerApp} needs. */
export interface ExplorerDeps {
  data: ExplorerData;
  assets: Assets;
  /** Aborts when the explorer stops (ends open event streams). */
  signal?: AbortSignal;
  /** Log an unexpected error. */
  onError?: (error: unknown, request: Request) => void;
}

/** The explorer's Hono app. */
export function createExplorerApp(deps: ExplorerDeps): Hono {
  const app = new Hono();
  const { data, assets } = deps;

  app.use("*", async (c, next) => {
    await next();
    let res = c.res;
    res = await withEtag(res, c.req.raw);
    res = await compressed(res, c.req.raw);
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) {
      if (!res.headers.has(k)) res.headers.set(k, v);
    }
    c.res = undefined;
    c.res = res;
  });

  const staticFiles = new Map([
    [assets.js.path, assets.js],
    [assets.css.path, assets.css],
    ...assets.files,
  ]);
  app.get("/static/*", (c) => {
    const asset = staticFiles.get(c.req.path);
    if (!asset) return c.text("not found", 404);
    const immutable = asset.path !== "/static/favicon.svg";
    return new Response(asset.body as Uint8Array<ArrayBuffer>, {
      headers: {
        "content-type": asset.type,
        "cache-control": immutable
          ? "public, max-age=31536000, immutable"
          : "public, max-age=86400",
      },
    });
  });

  const route = (handler: Handler) =>
  async (c: {
    req: { raw: Request; param: () => Record<string, string> };
  }) => {
    const ctx: Ctx = {
      data,
      assets,
      url: new URL(c.req.raw.url),
      req: c.req.raw,
      params: c.req.param(),
      signal: deps.signal ?? new AbortController().signal,
    };
    try {
      return await handler(ctx);
    } catch (e) {
      return failure(ctx, e, deps);
    }
  };

  app.get("/", route(overview));
  app.get("/nodes", route(nodes));
  app.get("/nodes/:pubkey", route(node));
  app.get("/swarms", route(swarms));
  app.get("/swarms/:id", route(swarm));
  app.get("/sessions", route(sessions));
  app.get("/sessions/:id", route(sessions));
  app.get("/wallets/:pubkey", route(wallet));
  app.get("/lists", route(lists));
  app.get("/lists/:file{[a-z0-9]+\\.bin}", route(listFile));
  app.get("/lists/:epoch{[0-9]+}/diff.bin", route(listDiffFile));
  app.get("/events", route(events));
  app.get("/events/stream", route(eventStream));
  app.get("/search", route(search));
  app.get("/about", route(about));
  app.get("/healthz", (c) => c.json({ ok: true }));
  app.notFound(route(() => {
    throw new PageError(
      404,
      "Page not found",
      "There is no page at this address.",
    );
  }));
  return app;
}

async function failure(ctx: Ctx, e: unknown, deps: ExplorerDeps) {
  let info: InfoView | null = null;
  try {
    info = await ctx.data.info(5_000);
  } catch {
    // The registry may be the problem.
  }
  if (e instanceof PageError) return errorPage(ctx, e, info);
  if (e instanceof RegistryApiError && e.status === 404) {
    return errorPage(ctx, new PageError(404, "Not found", e.detail), info);
  }
  if (e instanceof RegistryApiError && e.status === 400) {
    return errorPage(ctx, new PageError(400, "Bad request", e.detail), info);
  }
  if (e instanceof RegistryUnreachableError) {
    return errorPage(
      ctx,
      new PageError(
        502,
        "The registry did not answer",
        `The explorer could not read the registry at ${ctx.data.registryUrl}: ${e.message}. Try again in a moment.`,
      ),
      info,
    );
  }
  deps.onError?.(e, ctx.req);
  return errorPage(
    ctx,
    new PageError(
      500,
      "Something went wrong",
      "The explorer failed to build this page. The error was logged.",
    ),
    info,
  );
}

/** Options of {@linkcode startExplorer}. */
export interface ExplorerOptions extends ExplorerDataOptions {
  /** The registry's base URL, e.g. `http://127.0.0.1:8080`. */
  registryUrl: string;
  /** TCP port; 0 picks a free one. Default 8090. */
  port?: number;
  /** Address to listen on. Default `127.0.0.1`. */
  hostname?: string;
  /** Stops the explorer. */
  signal?: AbortSignal;
  /** Follow the registry's events (live updates, history). Default true. */
  follow?: boolean;
  /** Called once listening. */
  onListen?: (url: string) => void;
  /** Log an unexpected error. Default: `console.error`. */
  onError?: (error: unknown, request: Request) => void;
}

/** A running explorer. */
export interface RunningExplorer {
  /** Where it listens, e.g. `http://127.0.0.1:8090`. */
  url: string;
  /** The data layer (for tests and the benchmark). */
  data: ExplorerData;
  /** Stop serving and following; resolves when everything has stopped. */
  shutdown(): Promise<void>;
  /** Resolves when the explorer has stopped (after `shutdown` or the signal). */
  finished: Promise<void>;
}

/**
 * Start the explorer: build the assets, follow the registry's events and
 * serve the pages.
 *
 * @example
 * ```ts ignore
 * const explorer = await startExplorer({ registryUrl: "http://127.0.0.1:8080", port: 0 });
 * console.log(explorer.url);
 * await explorer.shutdown();
 * ```
 */
export async function startExplorer(
  options: ExplorerOptions,
): Promise<RunningExplorer> {
  const assets = await buildAssets();
  const data = new ExplorerData(options.registryUrl, options);
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const follower = options.follow === false
    ? Promise.resolve()
    : data.index.run(stop.signal);
  const app = createExplorerApp({
    data,
    assets,
    signal: stop.signal,
    onError: options.onError ??
      ((e, req) => console.error(`error: ${req.method} ${req.url}:`, e)),
  });
  let url = "";
  const server = Deno.serve({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 8090,
    signal: stop.signal,
    onListen: () => {},
  }, app.fetch);
  const host = server.addr.hostname.includes(":")
    ? `[${server.addr.hostname}]`
    : server.addr.hostname;
  url = `http://${host}:${server.addr.port}`;
  options.onListen?.(url);
  const finished = Promise.all([server.finished, follower]).then(() => {
    options.signal?.removeEventListener("abort", onAbort);
  });
  return {
    url,
    data,
    shutdown: async () => {
      stop.abort();
      await finished;
    },
    finished,
  };
}
