/**
 * The signed node lists: binary (the signed bytes, `application/octet-stream`)
 * or JSON, chosen by a `.bin`/`.json` suffix, then `?format=`, then `Accept`.
 * A list's identity never changes, only the witness co-signatures attached
 * to it, so each representation is compressed once (br or gzip by
 * `Accept-Encoding`) and cached per (epoch, co-signatures, format, encoding);
 * the ETag is strong (identity, co-signature count, format, coding:
 * `"<hash>.<format>"` until a co-signature arrives, then
 * `"<hash>.c<n>.<format>"`) and `If-None-Match` gets a 304 that
 * carries `Date`, so a skewed client learns the time (network.md §8). A list
 * by epoch is immutable once every configured witness co-signed it (until
 * then `no-cache`: revalidate by ETag); `latest` may be cached until the
 * list's fresh-until time. Diffs from an older list are served the same way.
 *
 * @module
 */

import { createRoute } from "@hono/zod-openapi";
import type { App, Deps } from "../deps.ts";
import { compress, type RepresentationCache } from "../list_cache.ts";
import {
  type Encoding,
  ifNoneMatch,
  preferredEncoding,
  preferredMediaType,
} from "../negotiate.ts";
import { HttpError } from "../problem.ts";
import {
  DiffParam,
  DiffQuery,
  ListParam,
  ListQuery,
  problems,
} from "../params.ts";

type Format = "bin" | "json";

const MEDIA: Record<Format, string> = {
  bin: "application/octet-stream",
  json: "application/json",
};

const IMMUTABLE = "public, max-age=31536000, immutable";
const VARY = "Accept, Accept-Encoding";

interface ListMeta {
  epoch: number;
  hash: string;
  /** Co-signatures attached so far: they change the bytes, not the identity. */
  cosignatures: number;
}

function listMeta(deps: Deps, which: string): Promise<ListMeta> {
  return deps.queries.lists.meta(which === "latest" ? "latest" : Number(which));
}

/**
 * The ETag base of a list: its identity and format, and for a co-signed list
 * the number of co-signatures (a v1 list, or a v2 list not co-signed yet,
 * keeps the plain form `<hash>.<format>`).
 */
function cosignedTag(meta: ListMeta, format: Format): string {
  return meta.cosignatures === 0
    ? `${meta.hash}.${format}`
    : `${meta.hash}.c${meta.cosignatures}.${format}`;
}

function etagOf(base: string, encoding: Encoding): string {
  return `"${base}${encoding === "identity" ? "" : `.${encoding}`}"`;
}

function allEtags(base: string): string[] {
  return (["identity", "br", "gzip"] as const).map((e) => etagOf(base, e));
}

/** Register the list routes. */
export function listRoutes(
  app: App,
  deps: Deps,
  cache: RepresentationCache,
): void {
  const { registry, queries } = deps;

  async function cacheControl(which: string, meta: ListMeta): Promise<string> {
    const list = await queries.lists.list(meta.epoch);
    // A v2 list still gathering co-signatures changes: caches revalidate
    // it (by its ETag) until every configured witness has co-signed.
    const gathering = list.header.commitments !== undefined &&
      meta.cosignatures < registry.witnesses.length;
    if (gathering) return "no-cache";
    if (which !== "latest") return IMMUTABLE;
    const left = Number(list.header.freshUntil) - registry.nowSeconds();
    return `public, max-age=${Math.max(0, left)}`;
  }

  function respond(
    req: Request,
    etagBase: string,
    encoding: Encoding,
    headers: Record<string, string>,
    body: () => Promise<Uint8Array>,
  ): Promise<Response> | Response {
    const etag = etagOf(etagBase, encoding);
    const h: Record<string, string> = { etag, vary: VARY, ...headers };
    if (
      ifNoneMatch(
        req.headers.get("if-none-match") ?? undefined,
        allEtags(etagBase),
      )
    ) {
      delete h["content-type"];
      return new Response(null, { status: 304, headers: h });
    }
    if (encoding !== "identity") h["content-encoding"] = encoding;
    return body().then((bytes) =>
      new Response(bytes as Uint8Array<ArrayBuffer>, {
        status: 200,
        headers: h,
      })
    );
  }

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/lists/{which}",
      tags: ["lists"],
      operationId: "getList",
      summary: "A signed node list: latest or by epoch, binary or JSON",
      description:
        "`which` is `latest` or an epoch, optionally suffixed `.bin` or `.json`. The representation is the suffix's, else `?format=`, else the `Accept` header's choice between application/octet-stream (the default) and application/json. Compressed with br or gzip per `Accept-Encoding`. Strong ETag; `If-None-Match` answers 304 with `Date`. A list by epoch is immutable; `latest` is cacheable until its fresh-until time.",
      request: { params: ListParam, query: ListQuery },
      responses: {
        200: {
          description:
            "the list (binary: the signed bytes, verifiable against the registry keys of /v1/info)",
          content: {
            "application/octet-stream": {
              schema: { type: "string", format: "binary" },
            },
            "application/json": { schema: { type: "object" } },
          },
        },
        304: { description: "not modified (If-None-Match matched)" },
        ...problems(400, 404, 406),
      },
    }),
    async (c) => {
      const { which: raw } = c.req.valid("param");
      const m = /^(latest|[0-9]+)(?:\.(bin|json))?$/.exec(raw)!;
      const which = m[1]!;
      const query = c.req.valid("query").format;
      let format: Format | null = (m[2] as Format | undefined) ??
        (query === undefined ? null : query === "json" ? "json" : "bin");
      if (format === null) {
        const chosen = preferredMediaType(c.req.header("accept"), [
          MEDIA.bin,
          MEDIA.json,
        ]);
        if (chosen === null) {
          throw new HttpError(
            "not_acceptable",
            "lists are served as application/octet-stream or application/json",
          );
        }
        format = chosen === MEDIA.json ? "json" : "bin";
      }
      const meta = await listMeta(deps, which);
      const encoding = preferredEncoding(c.req.header("accept-encoding"));
      const fmt = format;
      const version = `${meta.epoch}.${meta.cosignatures}`;
      return respond(
        c.req.raw,
        // The identity and the number of co-signatures: a client holding
        // the list with fewer co-signatures sees it changed.
        cosignedTag(meta, fmt),
        encoding,
        {
          "content-type": MEDIA[fmt],
          "cache-control": await cacheControl(which, meta),
          "x-list-epoch": String(meta.epoch),
          "x-list-hash": meta.hash,
          "x-list-cosignatures": String(meta.cosignatures),
        },
        () =>
          cache.get(`list/${version}/${fmt}/${encoding}`, async () => {
            const plain = await cache.get(
              `list/${version}/${fmt}/identity`,
              async () =>
                fmt === "bin"
                  ? (await queries.lists.stored(meta.epoch)).bytes
                  : new TextEncoder().encode(
                    JSON.stringify(await queries.lists.json(meta.epoch)),
                  ),
            );
            return await compress(plain, encoding);
          }),
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/lists/{which}/diff",
      tags: ["lists"],
      operationId: "getListDiff",
      summary: "The binary diff from list `from` to this list",
      description:
        "Applying it to list `from` (core's applyNodeListDiff) gives this list byte for byte, signatures included. 404 `diff_unavailable` when list `from` is no longer kept: fetch the full list.",
      request: { params: DiffParam, query: DiffQuery },
      responses: {
        200: {
          description: "the diff",
          content: {
            "application/octet-stream": {
              schema: { type: "string", format: "binary" },
            },
          },
        },
        304: { description: "not modified" },
        ...problems(400, 404),
      },
    }),
    async (c) => {
      const { which } = c.req.valid("param");
      const { from } = c.req.valid("query");
      const meta = await listMeta(deps, which);
      const encoding = preferredEncoding(c.req.header("accept-encoding"));
      // Check availability before answering 304 to a stale base.
      const version = `${meta.epoch}.${meta.cosignatures}`;
      const plainKey = `diff/${from}/${version}/identity`;
      const plain = () =>
        cache.get(
          plainKey,
          async () => (await queries.lists.diff(from, meta.epoch)).bytes,
        );
      await plain();
      return respond(
        c.req.raw,
        `diff.${from}.${cosignedTag(meta, "bin")}`,
        encoding,
        {
          "content-type": MEDIA.bin,
          "cache-control": await cacheControl(which, meta),
          "x-list-epoch": String(meta.epoch),
          "x-list-hash": meta.hash,
          "x-list-cosignatures": String(meta.cosignatures),
        },
        () =>
          cache.get(
            `diff/${from}/${version}/${encoding}`,
            async () => await compress(await plain(), encoding),
          ),
      );
    },
  );
}
