/**
 * The JSON shapes the registry's HTTP API answers with, defined once as zod
 * schemas: the server's queries return the inferred types, the OpenAPI
 * document is generated from the schemas, and the client library reads the
 * same types. Amounts are decimal strings of atomic units (1 coin = 10^9),
 * u64 ids decimal strings, keys lower-case hex, times unix seconds.
 *
 * @module
 */

import { z } from "@hono/zod-openapi";
import { MESSAGE_KINDS, type MessageKind } from "../core/messages.ts";

/** Node statuses (core's `NodeStatus`), for filters and views. */
export const NODE_STATUSES = [
  "awaiting_contributions",
  "active",
  "decommissioned",
  "deregistered",
  "exited",
] as const;

/** A node status. */
export const NodeStatusSchema = z.enum(NODE_STATUSES);

/** Decimal atomic units. */
export const Amount = z.string().openapi({
  description: "atomic units (1 coin = 10^9), decimal string",
  example: "120000000000",
});

/** A 32-byte key, 64 lower-case hex digits. */
const Key = z.string().openapi({
  description: "64 lower-case hex digits",
  example: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
});

const Int = z.number().int();

/** The staking and lifecycle rules part of {@linkcode InfoSchema}. */
export const RulesSchema = z.object({
  stakingRequirement: Amount.openapi({
    description: "total stake a node needs",
  }),
  operatorMinimum: Amount.openapi({
    description: "least the operator must stake",
  }),
  maxContributors: Int.openapi({
    description: "most contributors, operator included",
  }),
  proofIntervalEpochs: Int.openapi({
    description: "a node should prove this often",
  }),
  proofValidityEpochs: Int.openapi({
    description: "a proof keeps a node up this long",
  }),
  proofMinSpacingEpochs: Int.openapi({
    description: "proofs closer than this to the previous one are refused",
  }),
  clockToleranceSeconds: Int.openapi({
    description: "signed timestamps must be this close to the registry's clock",
  }),
  unlockDelayEpochs: Int.openapi({
    description: "an unlock takes effect this many epochs after the request",
  }),
  smallContributorLockEpochs: Int.openapi({
    description: "small contributors cannot unlock before this",
  }),
  deregLockEpochs: Int.openapi({
    description: "a deregistered node's stakes stay locked this long",
  }),
  initialCredit: Int.openapi({
    description: "decommission credit of a newly active node, epochs",
  }),
  maxCredit: Int.openapi({ description: "credit cap, epochs" }),
  faucet: z.boolean().openapi({
    description: "whether the faucet runs (devnet)",
  }),
  minimumNodeVersion: z.string().nullable().openapi({
    description:
      'proofs from node software older than this are refused (e.g. "11.2.0"); null when any version is accepted',
  }),
}).openapi("Rules");

/** `GET /v1/info`: what a client needs first. */
export const InfoSchema = z.object({
  network: z.string().openapi({ description: 'network name, e.g. "devnet"' }),
  networkId: Int.openapi({
    description: "one-byte network id carried in every signed message",
  }),
  epoch: Int.openapi({ description: "the epoch in progress" }),
  epochSeconds: z.number().openapi({ description: "seconds per epoch" }),
  now: Int.openapi({ description: "the registry's clock, unix seconds" }),
  registryKeys: z.array(Key).openapi({
    description: "the list-signing keys clients pin",
  }),
  latestList: z.object({
    epoch: Int,
    hash: Key,
    publishedAt: Int,
    nodes: Int,
  }).nullable().openapi({
    description: "the newest list, or null before the first",
  }),
  nodes: z.record(z.string(), Int).openapi({
    description: "node counts by status",
  }),
  swarms: Int.openapi({ description: "number of swarms" }),
  rules: RulesSchema,
  listFormat: Int.openapi({
    description:
      "the node list format version published (2 from the upgrade on)",
  }),
  witnesses: z.array(z.object({
    key: Key,
    keyId: z.string().openapi({ description: "8-byte key id, hex" }),
    url: z.string().nullable().openapi({
      description: "where the witness serves its checkpoints, if known",
    }),
  })).openapi({
    description:
      "the witnesses whose co-signatures this registry attaches to its lists (clients pin witness keys themselves; this only helps find them)",
  }),
}).openapi("Info");

/** One line of the node table. */
export const NodeSummarySchema = z.object({
  pubkey: Key,
  status: NodeStatusSchema,
  operator: Key,
  swarmId: z.string().nullable().openapi({
    description: "u64 decimal; null when in no swarm",
  }),
  requirement: Amount,
  contributed: Amount,
  feeBasisPoints: Int,
  contributors: Int,
  credit: Int.openapi({ description: "decommission credit, epochs" }),
  publicIp: z.string().nullable(),
  storageVersion: z.string().nullable(),
  lastProofAgeSeconds: Int.nullable(),
  unlockAt: Int.nullable().openapi({
    description: "epoch an unlock takes effect",
  }),
}).openapi("NodeSummary");

/** A page of nodes. */
export const NodePageSchema = z.object({
  nodes: z.array(NodeSummarySchema),
  next: z.string().nullable().openapi({
    description: "pass as `after` for the next page; null at the end",
  }),
  total: Int,
}).openapi("NodePage");

/** A node still taking contributions. */
export const OpenNodeSchema = NodeSummarySchema.extend({
  minContribution: Amount,
  maxContribution: Amount,
  openSlots: Int,
}).openapi("OpenNode");

/** Everything about one node. */
export const NodeDetailSchema = NodeSummarySchema.extend({
  x25519: Key,
  registeredAt: Int,
  statusSince: Int,
  funding: z.object({
    funded: z.boolean(),
    remaining: Amount,
    openSlots: Int,
    minContribution: Amount,
    maxContribution: Amount,
    reservedOutstanding: Amount,
  }),
  stakes: z.array(z.object({
    wallet: Key,
    amount: Amount,
    reserved: Amount,
    sinceEpoch: Int,
    operator: z.boolean(),
  })),
  creditMax: Int,
  failing: z.array(z.string()).openapi({
    description: "reasons it is failing now, e.g. uptime, storage",
  }),
  decommissionCount: Int,
  lastDecommissionReasons: z.array(z.string()),
  proof: z.object({
    publicIp: z.string(),
    httpsPort: Int,
    quicPort: Int,
    nodeVersion: z.string(),
    storageVersion: z.string(),
    epoch: Int,
    timestamp: Int,
    ageSeconds: Int,
    expiresAtEpoch: Int,
  }).nullable(),
  unlock: z.object({ unlockAt: Int, unlockAtTime: z.number() }).nullable(),
  lockedUntil: z.object({ epoch: Int, time: z.number() }).nullable(),
  reachability: z.object({
    unreachable: z.boolean(),
    consecutiveFailures: Int,
    tests: z.array(z.object({
      epoch: Int,
      testedAt: Int,
      address: z.string(),
      ok: z.boolean(),
      detail: z.string(),
      latencyMs: z.number().nullable(),
    })),
  }),
  swarmMates: z.array(Key),
  history: z.array(z.object({
    epoch: Int,
    from: NodeStatusSchema.nullable(),
    to: NodeStatusSchema,
    reason: z.string(),
    credit: Int,
  })),
  outlook: z.object({
    next: z.string(),
    atEpoch: Int.nullable(),
    atTime: z.number().nullable(),
    credit: Int,
    text: z.string(),
  }),
}).openapi("NodeDetail");

/** A swarm and its members. */
export const SwarmSchema = z.object({
  id: z.string().openapi({ description: "u64 decimal" }),
  size: Int,
  members: z.array(Key),
}).openapi("Swarm");

/** Where a Session ID's messages live. */
export const SessionSwarmSchema = z.object({
  sessionId: z.string(),
  swarmId: z.string(),
  members: z.array(z.object({
    pubkey: Key,
    publicIp: z.string().nullable(),
    httpsPort: Int.nullable(),
    quicPort: Int.nullable(),
    storageVersion: z.string().nullable(),
  })),
}).openapi("SessionSwarm");

/** A wallet: balance, stakes and when each unlocks. */
export const WalletSchema = z.object({
  pubkey: Key,
  balance: Amount,
  staked: Amount,
  stakes: z.array(z.object({
    node: Key,
    operator: z.boolean(),
    nodeStatus: NodeStatusSchema,
    amount: Amount,
    reserved: Amount,
    sinceEpoch: Int,
    released: z.boolean(),
    unlocksAt: z.object({ epoch: Int, time: z.number() }).nullable(),
  })),
}).openapi("Wallet");

const KINDS = Object.keys(MESSAGE_KINDS) as [MessageKind, ...MessageKind[]];

/** What an accepted write returns. */
export const SubmitResultSchema = z.object({
  id: z.string().openapi({ description: "hex SHA-256 of the message bytes" }),
  kind: z.enum(KINDS),
  epoch: Int.openapi({ description: "the epoch it was applied in" }),
  node: Key.nullable(),
  status: NodeStatusSchema.nullable().openapi({
    description: "the node's status afterwards",
  }),
}).openapi("SubmitResult");

/** `GET /v1/health`. */
export const HealthSchema = z.object({
  status: z.enum(["ok", "stale"]),
  network: z.string(),
  epoch: Int,
  now: Int,
  latestList: z.object({
    epoch: Int,
    hash: Key,
    ageSeconds: Int,
    fresh: z.boolean(),
    valid: z.boolean(),
  }).nullable(),
  lastEventId: Int,
  sseClients: Int,
}).openapi("Health");

/** A problem document (RFC 9457) with this API's stable `code`. */
export const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: Int,
  detail: z.string(),
  code: z.string(),
}).openapi("Problem");

/** `GET /v1/info`. */
export type InfoView = z.infer<typeof InfoSchema>;
/** The rules part of {@linkcode InfoView}. */
export type RulesView = z.infer<typeof RulesSchema>;
/** One line of the node table. */
export type NodeSummaryView = z.infer<typeof NodeSummarySchema>;
/** `GET /v1/nodes`: a page of nodes. */
export type NodePageView = z.infer<typeof NodePageSchema>;
/** `GET /v1/nodes/open`: a node still taking contributions. */
export type OpenNodeView = z.infer<typeof OpenNodeSchema>;
/** `GET /v1/nodes/:pubkey`. */
export type NodeDetailView = z.infer<typeof NodeDetailSchema>;
/** `GET /v1/swarms`. */
export type SwarmView = z.infer<typeof SwarmSchema>;
/** `GET /v1/sessions/:sessionId/swarm`. */
export type SessionSwarmView = z.infer<typeof SessionSwarmSchema>;
/** `GET /v1/wallets/:pubkey`. */
export type WalletView = z.infer<typeof WalletSchema>;
/** What an accepted write returns. */
export type SubmitResultView = z.infer<typeof SubmitResultSchema>;
/** `GET /v1/health`. */
export type HealthView = z.infer<typeof HealthSchema>;
/** A node status. */
export type NodeStatusName = typeof NODE_STATUSES[number];

/** Filters of `GET /v1/nodes`. */
export interface NodeFilter {
  /** Only nodes in this status. */
  status?: NodeStatusName;
  /** Only nodes of this operator wallet (hex). */
  operator?: string;
  /** Only nodes this wallet has a stake or reservation in (hex). */
  wallet?: string;
  /** Only nodes of this swarm (u64 decimal). */
  swarm?: string;
  /** Cursor: the `next` of the previous page. */
  after?: string;
  /** Page size, 1 to 500. */
  limit?: number;
}
