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
import { RegistryError } from "../../api/errors.ts";
import type { App, Deps } from "../deps.ts";
import {
  latestCacheControl,
  type LatestEntry,
  listEtagBase,
} from "../latest_list.ts";
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
  /** The stored bytes' identity (epoch, hash, length, co-signatures): cache keys use it, as co-signatures may be added to a published list. */
  identity: string;
  /** `latest` only: the list held in memory. */
  latest?: LatestEntry;
}

async function listMeta(deps: Deps, which: string): Promise<ListMeta> {
  if (which !== "latest") {
    const m = await deps.queries.lists.meta(Number(which));
    return { ...m, identity: `${m.epoch}/${m.hash}/${m.size}` };
  }
  const latest = await deps.latest.get();
  if (!latest) {
    throw new RegistryError("unknown_list", "no list has been published yet");
  }
  return {
    epoch: latest.epoch,
    hash: latest.hash,
    cosignatures: latest.cosignatures,
    identity: latest.identity,
    latest,
  };
}

function cosignedTag(meta: ListMeta, format: Format): string {
  return listEtagBase(meta.hash, meta.cosignatures, format);
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

  async function cacheControl(meta: ListMeta): Promise<string> {
    if (meta.latest) {
      return latestCacheControl(meta.latest, registry.nowSeconds());
    }
    // A v2 list still gathering co-signatures changes: caches revalidate
    // it (by its ETag) until every configured witness has co-signed.
    if (meta.cosignatures >= registry.witnesses.length) return IMMUTABLE;
    const list = await queries.lists.list(meta.epoch);
    return list.header.commitments !== undefined ? "no-cache" : IMMUTABLE;
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
      const cacheControlValue = await cacheControl(meta);
      return respond(
        c.req.raw,
        // The identity and the number of co-signatures: a client holding
        // the list with fewer co-signatures sees it changed.
        cosignedTag(meta, fmt),
        encoding,
        {
          "content-type": MEDIA[fmt],
          "cache-control": cacheControlValue,
          "x-list-epoch": String(meta.epoch),
          "x-list-hash": meta.hash,
          "x-list-cosignatures": String(meta.cosignatures),
        },
        () =>
          meta.latest && fmt === "bin"
            ? meta.latest.encode(encoding)
            : cache.get(
              `list/${meta.identity}/${fmt}/${encoding}`,
              async () => {
                const plain = await cache.get(
                  `list/${meta.identity}/${fmt}/identity`,
                  async () =>
                    fmt === "bin"
                      ? (await queries.lists.stored(meta.epoch)).bytes
                      : new TextEncoder().encode(
                        JSON.stringify(await queries.lists.json(meta.epoch)),
                      ),
                );
                return await compress(plain, encoding);
              },
            ),
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
      const plainKey = `diff/${from}/${meta.identity}/identity`;
      const plain = () =>
        cache.get(
          plainKey,
          async () => (await queries.lists.diff(from, meta.epoch)).bytes,
        );
      await plain();
      const cacheControlValue = await cacheControl(meta);
      return respond(
        c.req.raw,
        `diff.${from}.${cosignedTag(meta, "bin")}`,
        encoding,
        {
          "content-type": MEDIA.bin,
          "cache-control": cacheControlValue,
          "x-list-epoch": String(meta.epoch),
          "x-list-hash": meta.hash,
          "x-list-cosignatures": String(meta.cosignatures),
        },
        () =>
          cache.get(
            `diff/${from}/${meta.identity}/${encoding}`,
            async () => await compress(await plain(), encoding),
          ),
      );
    },
  );
}
