/**
 * Zod schemas of the API's request parameters (query and path), which
 * validate the inputs and document them in the OpenAPI document. The
 * response shapes are the wire contract in `../api/`.
 *
 * @module
 */

import { z } from "@hono/zod-openapi";
import { EVENT_KINDS } from "../api/events.ts";
import { NODE_STATUSES, ProblemSchema } from "../api/views.ts";

export { EVENT_KINDS };

const HEX64 = /^[0-9a-fA-F]{64}$/;
const U64_MAX = (1n << 64n) - 1n;

/** A 32-byte key as 64 hex digits (either case; answered in lower case). */
export const Hex64 = z.string().regex(HEX64, "expected 64 hex digits")
  .openapi({
    example: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
  });

/** A u64 as a decimal string. */
export const U64 = z.string().regex(/^[0-9]{1,20}$/, "expected a decimal u64")
  // Checks run on after a failed regex: BigInt only sees digits.
  .refine(
    (s) => !/^[0-9]+$/.test(s) || BigInt(s) <= U64_MAX,
    "larger than 2^64-1",
  )
  .openapi({ type: "string", pattern: "^[0-9]{1,20}$", example: "0" });

/** A non-negative integer from a query string. */
function queryInt(min: number, max: number) {
  return z.string().regex(/^[0-9]{1,15}$/, "expected a non-negative integer")
    .transform(Number)
    .refine((n) => n >= min && n <= max, `expected ${min}..${max}`)
    .openapi({ type: "integer", minimum: min, maximum: max });
}

/** Query of `GET /v1/nodes`. */
export const NodesQuery = z.object({
  status: z.enum(NODE_STATUSES).optional().openapi({
    description: "only nodes in this status",
  }),
  operator: Hex64.optional().openapi({ description: "operator wallet" }),
  wallet: Hex64.optional().openapi({
    description: "nodes this wallet has a stake or reservation in",
  }),
  swarm: U64.optional().openapi({ description: "swarm id" }),
  after: Hex64.optional().openapi({
    description: "cursor: the `next` of the previous page (a node key)",
  }),
  limit: queryInt(1, 500).optional().openapi({
    description: "page size, 1..500 (default 100)",
  }),
});

/** Path parameter: a node key. */
export const PubkeyParam = z.object({
  pubkey: Hex64.openapi({ param: { name: "pubkey", in: "path" } }),
});

/** Path parameter: a swarm id. */
export const SwarmIdParam = z.object({
  id: U64.openapi({ param: { name: "id", in: "path" } }),
});

/** Path parameter: a Session ID (validated by core's `parseSessionId`). */
export const SessionIdParam = z.object({
  sessionId: z.string().openapi({
    param: { name: "sessionId", in: "path" },
    description: "05 (account) or 03 (group) + 64 hex digits",
    example: "05" + "ab".repeat(32),
  }),
});

/** Path parameter of a list: `latest` or an epoch, optionally `.bin`/`.json`. */
export const ListParam = z.object({
  which: z.string().regex(
    /^(latest|[0-9]{1,15})(\.(bin|json))?$/,
    "expected latest or an epoch, optionally with .bin or .json",
  ).openapi({
    param: { name: "which", in: "path" },
    example: "latest.json",
  }),
});

/** Path parameter of a diff's target: `latest` or an epoch. */
export const DiffParam = z.object({
  which: z.string().regex(
    /^(latest|[0-9]{1,15})$/,
    "expected latest or an epoch",
  )
    .openapi({ param: { name: "which", in: "path" }, example: "latest" }),
});

/** Query of a list. */
export const ListQuery = z.object({
  format: z.enum(["bin", "binary", "json"]).optional().openapi({
    description:
      "representation; overrides Accept (a .bin/.json suffix overrides this)",
  }),
});

/** Query of a diff. */
export const DiffQuery = z.object({
  from: queryInt(0, Number.MAX_SAFE_INTEGER).openapi({
    description: "epoch of the list the client holds",
  }),
});

/** Query of `GET /v1/events`. */
export const EventsQuery = z.object({
  after: queryInt(0, Number.MAX_SAFE_INTEGER).optional().openapi({
    description:
      "only events with a larger id (SSE: Last-Event-ID takes precedence)",
  }),
  limit: queryInt(1, 1000).optional().openapi({
    description: "JSON page size, 1..1000 (default 100)",
  }),
  node: Hex64.optional().openapi({ description: "only this node's events" }),
  wallet: Hex64.optional().openapi({
    description: "only events concerning this wallet",
  }),
  kind: z.string().optional().openapi({
    description: `comma-separated kinds: ${EVENT_KINDS.join(", ")}`,
    example: "registered,active",
  }),
});

/** Standard error responses, for route definitions. */
export function problems(
  ...statuses: number[]
): Record<number, { description: string; content: Record<string, unknown> }> {
  const text: Record<number, string> = {
    400: "malformed input (bad_query, bad_param, bad_hex, ...)",
    401: "a signature does not verify (bad_signature)",
    402: "the wallet cannot pay (insufficient_balance)",
    403: "not allowed (not_a_contributor, faucet_disabled)",
    404: "not found",
    406: "no acceptable representation",
    409:
      "conflicts with the current state (replayed, node_already_registered, ...)",
    413: "body too large",
    415: "unsupported media type",
    422: "a rule broken by well-formed input (stale_timestamp, staking rules)",
    429:
      "too many or too soon: rate_limited and too_many_streams carry Retry-After (seconds); proof_too_soon",
    503:
      "at capacity or stopping (server_busy with Retry-After, shutting_down)",
  };
  const out: Record<
    number,
    { description: string; content: Record<string, unknown> }
  > = {};
  for (const s of statuses) {
    out[s] = {
      description: text[s] ?? "error",
      content: { "application/problem+json": { schema: ProblemSchema } },
    };
  }
  return out;
}
