/**
 * The hottest routes answered in the `node:http` request handler, before
 * the Hono app: `GET /v1/lists/latest` (and `latest.bin`) and
 * `GET /v1/health`. Each is a few header strings and bytes already in
 * memory ({@linkcode LatestList}); building a `Request` and a `Response`
 * for them cost more than everything else they do (bench/RESULTS.md).
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

/** Answers a request in full and returns true, or returns false and leaves it alone. */
export type FastHandler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
) => boolean;

/** What the fast routes read. */
export interface FastPathDeps {
  latest: LatestList;
  state: AppState;
  /** Unix seconds by the registry's clock. */
  nowSeconds(): number;
  /** The health body's live fields. */
  health(): { network: string; epoch: number; lastEventId: number };
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
export function fastPaths(deps: FastPathDeps): FastHandler {
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
    req: http.IncomingMessage,
    res: http.ServerResponse,
    start: number,
  ): boolean {
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
    const encoding = preferredEncoding(req.headers["accept-encoding"]);
    const inm = req.headers["if-none-match"];
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
      res.writeHead(304, headers);
      res.end();
      count(LISTS_ROUTE, 304, start);
      return true;
    }
    const body = entry.encoded(encoding);
    if (body === undefined) {
      // Not compressed yet: the app computes it (once) and answers.
      return false;
    }
    headers["content-type"] = BIN;
    if (encoding !== "identity") headers["content-encoding"] = encoding;
    headers["content-length"] = String(body.length);
    res.writeHead(200, headers);
    res.end(body);
    count(LISTS_ROUTE, 200, start);
    return true;
  }

  function health(res: http.ServerResponse, start: number): boolean {
    const entry = latest.current();
    if (entry === null) return false;
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
    const status = valid ? 200 : 503;
    res.writeHead(status, {
      "access-control-allow-origin": "*",
      "access-control-expose-headers": CORS_EXPOSE,
      "cache-control": "no-store",
      "content-type": JSON_TYPE,
      "date": date(now),
      "content-length": String(body.length),
    });
    res.end(body);
    count(HEALTH_ROUTE, status, start);
    return true;
  }

  return (req, res) => {
    if (req.method !== "GET") return false;
    const url = req.url;
    if (url === "/v1/lists/latest" || url === "/v1/lists/latest.bin") {
      const entry = latest.current();
      if (entry === null) return false;
      if (url === "/v1/lists/latest") {
        const accept = req.headers["accept"];
        if (
          accept !== undefined && accept !== "*/*" && accept !== BIN &&
          preferredMediaType(accept, [BIN, JSON_TYPE]) !== BIN
        ) return false;
      }
      return list(entry, req, res, performance.now());
    }
    if (url === "/v1/health") return health(res, performance.now());
    return false;
  };
}
