/**
 * The hottest routes answered before the Hono app: `GET /v1/lists/latest`
 * (and `latest.bin`) and `GET /v1/health`. Each is a few header strings
 * and bytes already in memory ({@linkcode LatestList}); routing them
 * through the app cost more than everything else they do
 * (bench/RESULTS.md). One decision ({@linkcode FastPath}), two adapters:
 * the `node:http` handler's (`serveHttp`, no `Request`/`Response` built at
 * all) and `Deno.serve`'s (`serveDeno`, a `Response` built directly).
 *
 * The answers are the Hono routes' exactly: the same status, body and
 * headers (ETag, Vary, Cache-Control, Date from the registry's clock, CORS,
 * X-List-Epoch/Hash), and the same request counters for `/metrics`
 * (`fast_path_test.ts` compares the two). Anything else - another format
 * or query, `HEAD`, a coding not compressed yet, no list held yet - is left
 * to the app (the handler returns false).
 *
 * @module
 */

import type http from "node:http";
import type { AppState } from "./deps.ts";
import {
  latestCacheControl,
  type LatestEntry,
  type LatestList,
  listEtagBase,
} from "./latest_list.ts";
import {
  type Encoding,
  ifNoneMatch,
  preferredEncoding,
  preferredMediaType,
} from "./negotiate.ts";

/** Answers a `node:http` request in full and returns true, or returns false and leaves it alone. */
export type FastHandler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
) => boolean;

/** Answers a fetch `Request` with a `Response`, or null to leave it to the app. */
export type FetchFastHandler = (request: Request) => Response | null;

/** The fast routes of one app, for either server. */
export interface FastPath {
  node: FastHandler;
  fetch: FetchFastHandler;
}

/** What the fast routes read. */
export interface FastPathDeps {
  latest: LatestList;
  state: AppState;
  /** Unix seconds by the registry's clock. */
  nowSeconds(): number;
  /** The health body's live fields. */
  health(): { network: string; epoch: number; lastEventId: number };
}

/** A fast route's whole answer. */
interface FastAnswer {
  route: string;
  status: number;
  headers: Record<string, string>;
  body: Uint8Array | null;
}

const BIN = "application/octet-stream";
const JSON_TYPE = "application/json";
const VARY = "Accept, Accept-Encoding";
/** Response headers a browser may read (the app's CORS policy uses it too). */
export const CORS_EXPOSE =
  "ETag, Date, X-List-Epoch, X-List-Hash, X-List-Cosignatures, X-Epoch, X-Inputs-Hash, X-State-Hash";
const LISTS_ROUTE = "GET /v1/lists/:which";
const HEALTH_ROUTE = "GET /v1/health";

/** The ETag of the latest binary list in a coding (as `routes/lists.ts`). */
function listEtag(
  hash: string,
  cosignatures: number,
  encoding: Encoding,
): string {
  const base = listEtagBase(hash, cosignatures, "bin");
  return `"${base}${encoding === "identity" ? "" : `.${encoding}`}"`;
}

/** The fast routes of one app. */
export function fastPaths(deps: FastPathDeps): FastPath {
  const { latest, state } = deps;
  // The Date header changes once a second: format it once a second.
  let dateSecond = -1;
  let dateText = "";
  const date = (now: number) => {
    if (now !== dateSecond) {
      dateSecond = now;
      dateText = new Date(now * 1000).toUTCString();
    }
    return dateText;
  };
  const count = (route: string, status: number, start: number) => {
    const key = `${route} ${status}`;
    state.requests.set(key, (state.requests.get(key) ?? 0) + 1);
    const d = state.durations.get(route);
    const seconds = (performance.now() - start) / 1000;
    if (d) {
      d.sum += seconds;
      d.count++;
    } else state.durations.set(route, { sum: seconds, count: 1 });
  };

  // Per held list: its ETags, worked out once.
  let tagsOf: LatestEntry | null = null;
  let tags: Record<Encoding, string> & {
    all: string[];
    epoch: string;
    cosignatures: string;
  } = {
    identity: "",
    br: "",
    gzip: "",
    all: [],
    epoch: "",
    cosignatures: "",
  };
  function list(
    entry: LatestEntry,
    acceptEncoding: string | undefined,
    inm: string | undefined,
  ): FastAnswer | null {
    if (tagsOf !== entry) {
      tagsOf = entry;
      const t = {
        identity: listEtag(entry.hash, entry.cosignatures, "identity"),
        br: listEtag(entry.hash, entry.cosignatures, "br"),
        gzip: listEtag(entry.hash, entry.cosignatures, "gzip"),
      };
      tags = {
        ...t,
        all: [t.identity, t.br, t.gzip],
        epoch: String(entry.epoch),
        cosignatures: String(entry.cosignatures),
      };
    }
    const encoding = preferredEncoding(acceptEncoding);
    const now = deps.nowSeconds();
    const headers: Record<string, string> = {
      "access-control-allow-origin": "*",
      "access-control-expose-headers": CORS_EXPOSE,
      "cache-control": latestCacheControl(entry, now),
      "date": date(now),
      "etag": tags[encoding],
      "vary": VARY,
      "x-list-epoch": tags.epoch,
      "x-list-hash": entry.hash,
      "x-list-cosignatures": tags.cosignatures,
    };
    if (
      inm !== undefined &&
      (inm === tags.identity || ifNoneMatch(inm, tags.all))
    ) {
      return { route: LISTS_ROUTE, status: 304, headers, body: null };
    }
    const body = entry.encoded(encoding);
    if (body === undefined) {
      // Not compressed yet: the app computes it (once) and answers.
      return null;
    }
    headers["content-type"] = BIN;
    if (encoding !== "identity") headers["content-encoding"] = encoding;
    headers["content-length"] = String(body.length);
    return { route: LISTS_ROUTE, status: 200, headers, body };
  }

  function health(): FastAnswer | null {
    const entry = latest.current();
    if (entry === null) return null;
    const now = deps.nowSeconds();
    const valid = now < entry.validUntil;
    const live = deps.health();
    const body = new TextEncoder().encode(JSON.stringify({
      status: valid ? "ok" : "stale",
      network: live.network,
      epoch: live.epoch,
      now,
      latestList: {
        epoch: entry.epoch,
        hash: entry.hash,
        ageSeconds: Math.max(0, now - entry.publishedAt),
        fresh: now < entry.freshUntil,
        valid,
      },
      lastEventId: live.lastEventId,
      sseClients: state.sseClients,
    }));
    return {
      route: HEALTH_ROUTE,
      status: valid ? 200 : 503,
      headers: {
        "access-control-allow-origin": "*",
        "access-control-expose-headers": CORS_EXPOSE,
        "cache-control": "no-store",
        "content-type": JSON_TYPE,
        "date": date(now),
        "content-length": String(body.length),
      },
      body,
    };
  }

  /** The answer to `GET path` (path and query as sent), or null for the app. */
  function answer(
    path: string,
    header: (name: string) => string | undefined,
  ): FastAnswer | null {
    if (path === "/v1/lists/latest" || path === "/v1/lists/latest.bin") {
      const entry = latest.current();
      if (entry === null) return null;
      if (path === "/v1/lists/latest") {
        const accept = header("accept");
        if (
          accept !== undefined && accept !== "*/*" && accept !== BIN &&
          preferredMediaType(accept, [BIN, JSON_TYPE]) !== BIN
        ) return null;
      }
      return list(entry, header("accept-encoding"), header("if-none-match"));
    }
    if (path === "/v1/health") return health();
    return null;
  }

  return {
    node(req, res) {
      if (req.method !== "GET") return false;
      const start = performance.now();
      const headers = req.headers;
      const a = answer(
        req.url ?? "",
        (name) => headers[name] as string | undefined,
      );
      if (a === null) return false;
      res.writeHead(a.status, a.headers);
      if (a.body === null) res.end();
      else res.end(a.body);
      count(a.route, a.status, start);
      return true;
    },
    fetch(request) {
      if (request.method !== "GET") return null;
      const start = performance.now();
      // The path and query as sent: after the scheme's "//" and the authority.
      const url = request.url;
      const path = url.slice(url.indexOf("/", url.indexOf("//") + 2));
      const headers = request.headers;
      const a = answer(path, (name) => headers.get(name) ?? undefined);
      if (a === null) return null;
      // Deno.serve sets Content-Length itself (and refuses a wrong one).
      delete a.headers["content-length"];
      const response = new Response(
        a.body as Uint8Array<ArrayBuffer> | null,
        { status: a.status, headers: a.headers },
      );
      count(a.route, a.status, start);
      return response;
    },
  };
}
