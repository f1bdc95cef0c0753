/**
 * Zod schemas of the API's parameters and responses. They validate the
 * inputs (query and path parameters) and generate the OpenAPI document; the
 * response schemas describe what the views return.
 *
 * @module
 */

import { z } from "@hono/zod-openapi";
import type { EventKind } from "../service/registry.ts";
import { NODE_STATUSES } from "../service/views.ts";

/** Every event kind, for the `kind` filter. */
export const EVENT_KINDS = [
  "genesis",
  "faucet",
  "registered",
  "contribution",
  "funded",
  "active",
  "decommissioned",
  "recommissioned",
  "deregistered",
  "unlock_requested",
  "unlock_effective",
  "exited",
  "stake_released",
  "reachability_failed",
  "list_published",
] as const satisfies readonly EventKind[];

// Fails to compile when the service adds an event kind missing above.
const _allKinds: Record<Exclude<EventKind, typeof EVENT_KINDS[number]>, never> =
  {};
void _allKinds;

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

/** Decimal atomic units. */
const Amount = z.string().openapi({
  description: "atomic units (1 coin = 10^9), decimal string",
  example: "120000000000",
});

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

/** A problem document. */
export const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  code: z.string(),
}).openapi("Problem");

/** What a write returns. */
export const SubmitResultSchema = z.object({
  id: z.string().openapi({ description: "hex SHA-256 of the message bytes" }),
  kind: z.enum([
    "register_node",
    "contribute",
    "unlock_request",
    "uptime_proof",
    "faucet_request",
  ]),
  epoch: z.number().int(),
  node: z.string().nullable(),
  status: z.string().nullable().openapi({
    description: "the node's status afterwards",
  }),
}).openapi("SubmitResult");

/** A write's body as JSON. */
export const WriteJsonSchema = z.object({
  message: z.string().openapi({
    description: "the signed message's canonical bytes, hex",
  }),
}).openapi("SignedMessageHex");

/** One line of the node table. */
export const NodeSummarySchema = z.object({
  pubkey: z.string(),
  status: z.string(),
  operator: z.string(),
  swarmId: z.string().nullable(),
  requirement: Amount,
  contributed: Amount,
  feeBasisPoints: z.number().int(),
  contributors: z.number().int(),
  credit: z.number().int().openapi({
    description: "decommission credit, epochs",
  }),
  publicIp: z.string().nullable(),
  storageVersion: z.string().nullable(),
  lastProofAgeSeconds: z.number().int().nullable(),
  unlockAt: z.number().int().nullable(),
}).openapi("NodeSummary");

/** A page of nodes. */
export const NodePageSchema = z.object({
  nodes: z.array(NodeSummarySchema),
  next: z.string().nullable().openapi({
    description: "pass as `after` for the next page; null at the end",
  }),
  total: z.number().int(),
}).openapi("NodePage");

/** A node still taking contributions. */
export const OpenNodeSchema = NodeSummarySchema.extend({
  minContribution: Amount,
  maxContribution: Amount,
  openSlots: z.number().int(),
}).openapi("OpenNode");

/** Everything about one node. */
export const NodeDetailSchema = NodeSummarySchema.extend({
  x25519: z.string(),
  registeredAt: z.number().int(),
  statusSince: z.number().int(),
  funding: z.object({
    funded: z.boolean(),
    remaining: Amount,
    openSlots: z.number().int(),
    minContribution: Amount,
    maxContribution: Amount,
    reservedOutstanding: Amount,
  }),
  stakes: z.array(z.object({
    wallet: z.string(),
    amount: Amount,
    reserved: Amount,
    sinceEpoch: z.number().int(),
    operator: z.boolean(),
  })),
  creditMax: z.number().int(),
  failing: z.array(z.string()),
  decommissionCount: z.number().int(),
  lastDecommissionReasons: z.array(z.string()),
  proof: z.object({
    publicIp: z.string(),
    httpsPort: z.number().int(),
    quicPort: z.number().int(),
    nodeVersion: z.string(),
    storageVersion: z.string(),
    epoch: z.number().int(),
    timestamp: z.number().int(),
    ageSeconds: z.number().int(),
    expiresAtEpoch: z.number().int(),
  }).nullable(),
  unlock: z.object({ unlockAt: z.number().int(), unlockAtTime: z.number() })
    .nullable(),
  lockedUntil: z.object({ epoch: z.number().int(), time: z.number() })
    .nullable(),
  reachability: z.object({
    unreachable: z.boolean(),
    consecutiveFailures: z.number().int(),
    tests: z.array(z.object({
      epoch: z.number().int(),
      testedAt: z.number().int(),
      address: z.string(),
      ok: z.boolean(),
      detail: z.string(),
      latencyMs: z.number().nullable(),
    })),
  }),
  swarmMates: z.array(z.string()),
  history: z.array(z.object({
    epoch: z.number().int(),
    from: z.string().nullable(),
    to: z.string(),
    reason: z.string(),
    credit: z.number().int(),
  })),
  outlook: z.object({
    next: z.string(),
    atEpoch: z.number().int().nullable(),
    atTime: z.number().nullable(),
    credit: z.number().int(),
    text: z.string(),
  }),
}).openapi("NodeDetail");

/** A swarm. */
export const SwarmSchema = z.object({
  id: z.string(),
  size: z.number().int(),
  members: z.array(z.string()),
}).openapi("Swarm");

/** The swarm of a Session ID. */
export const SessionSwarmSchema = z.object({
  sessionId: z.string(),
  swarmId: z.string(),
  members: z.array(z.object({
    pubkey: z.string(),
    publicIp: z.string().nullable(),
    httpsPort: z.number().int().nullable(),
    quicPort: z.number().int().nullable(),
    storageVersion: z.string().nullable(),
  })),
}).openapi("SessionSwarm");

/** A wallet. */
export const WalletSchema = z.object({
  pubkey: z.string(),
  balance: Amount,
  staked: Amount,
  stakes: z.array(z.object({
    node: z.string(),
    operator: z.boolean(),
    nodeStatus: z.string(),
    amount: Amount,
    reserved: Amount,
    sinceEpoch: z.number().int(),
    released: z.boolean(),
    unlocksAt: z.object({ epoch: z.number().int(), time: z.number() })
      .nullable(),
  })),
}).openapi("Wallet");

/** Network, epoch, keys and the latest list. */
export const InfoSchema = z.object({
  network: z.string(),
  networkId: z.number().int(),
  epoch: z.number().int(),
  epochSeconds: z.number(),
  now: z.number().int(),
  registryKeys: z.array(z.string()),
  latestList: z.object({
    epoch: z.number().int(),
    hash: z.string(),
    publishedAt: z.number().int(),
    nodes: z.number().int(),
  }).nullable(),
  nodes: z.record(z.string(), z.number().int()),
  swarms: z.number().int(),
  rules: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
}).openapi("Info");

/** A registry event. */
export const EventSchema = z.object({
  id: z.number().int(),
  epoch: z.number().int(),
  createdAt: z.number().int().openapi({ description: "unix milliseconds" }),
  kind: z.enum(EVENT_KINDS),
  node: z.string().nullable(),
  wallets: z.array(z.string()),
  data: z.record(z.string(), z.unknown()),
}).openapi("Event");

/** A page of events. */
export const EventsPageSchema = z.object({
  events: z.array(EventSchema),
  next: z.number().int().openapi({
    description:
      "cursor to pass as `after` next time (the last id returned, or the given `after`)",
  }),
  more: z.boolean().openapi({
    description: "whether the page was full (more events may be waiting)",
  }),
}).openapi("EventsPage");

/** Health. */
export const HealthSchema = z.object({
  status: z.enum(["ok", "stale"]),
  network: z.string(),
  epoch: z.number().int(),
  now: z.number().int(),
  latestList: z.object({
    epoch: z.number().int(),
    hash: z.string(),
    ageSeconds: z.number().int(),
    fresh: z.boolean(),
    valid: z.boolean(),
  }).nullable(),
  lastEventId: z.number().int(),
  sseClients: z.number().int(),
}).openapi("Health");

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
    429: "too soon (proof_too_soon)",
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
