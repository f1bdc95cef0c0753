/**
 * Registry events: what happened, by kind, each with its own payload. An
 * event is stored once, streamed over SSE (`GET /v1/events`) and paged as
 * JSON; its `data` has one schema per `kind`, so readers switch on `kind`
 * and get typed fields.
 *
 * @module
 */

import { z } from "@hono/zod-openapi";
import { Amount } from "./views.ts";

const Int = z.number().int();
const Key = z.string();
const Reasons = z.array(z.string()).openapi({
  description: 'reason names, e.g. ["uptime", "storage"]',
});

/** The payload of each event kind. */
export const EVENT_DATA = {
  genesis: z.object({ amount: Amount }),
  faucet: z.object({ amount: Amount }),
  registered: z.object({
    operator: Key,
    operatorStake: Amount,
    feeBasisPoints: Int,
    reserved: z.array(z.object({ wallet: Key, amount: Amount })),
  }),
  contribution: z.object({
    wallet: Key,
    amount: Amount,
    contributed: Amount.openapi({ description: "the node's total afterwards" }),
  }),
  funded: z.object({ contributed: Amount, contributors: Int }),
  active: z.object({ credit: Int }),
  decommissioned: z.object({
    reasons: Reasons,
    reasonBits: Int,
    credit: Int,
    deregisterAt: Int.openapi({
      description: "epoch it is deregistered unless it recovers",
    }),
    deregisterAtTime: z.number(),
  }),
  recommissioned: z.object({ credit: Int, downEpochs: Int }),
  deregistered: z.object({
    reasons: Reasons,
    reasonBits: Int,
    lockedUntil: Int.nullable(),
    lockedUntilTime: z.number().nullable(),
  }),
  unlock_requested: z.object({
    wallet: Key,
    unlockAt: Int,
    unlockAtTime: z.number(),
  }),
  unlock_effective: z.object({ epoch: Int }),
  exited: z.object({ reason: z.string() }),
  stake_released: z.object({ reason: z.string() }),
  reachability_failed: z.object({
    address: z.string(),
    detail: z.string(),
    consecutiveFailures: Int,
  }),
  list_published: z.object({ epoch: Int, hash: Key, nodes: Int, active: Int }),
  list_cosigned: z.object({
    epoch: Int.openapi({ description: "the co-signed list's epoch" }),
    witness: Key.openapi({ description: "the witness's public key" }),
    cosignatures: Int.openapi({ description: "co-signatures it carries now" }),
  }),
} as const;

/** Kinds of events. */
export type EventKind = keyof typeof EVENT_DATA;

/** Every event kind, in the order of a node's life. */
export const EVENT_KINDS = Object.keys(EVENT_DATA) as [
  EventKind,
  ...EventKind[],
];

/** The payload of events of kind `K`. */
export type EventData<K extends EventKind> = z.infer<typeof EVENT_DATA[K]>;

const base = {
  id: Int.openapi({ description: "monotonically increasing (the SSE id)" }),
  epoch: Int.openapi({ description: "the epoch it happened in" }),
  createdAt: Int.openapi({ description: "unix milliseconds" }),
  node: Key.nullable().openapi({ description: "the node concerned, if any" }),
  wallets: z.array(Key).openapi({ description: "wallets concerned" }),
};

function eventSchema<K extends EventKind>(kind: K) {
  return z.object({ ...base, kind: z.literal(kind), data: EVENT_DATA[kind] });
}

/** A registry event: one schema per kind, discriminated by `kind`. */
export const EventSchema = z.discriminatedUnion(
  "kind",
  EVENT_KINDS.map(eventSchema) as unknown as [
    ReturnType<typeof eventSchema<EventKind>>,
    ...ReturnType<typeof eventSchema<EventKind>>[],
  ],
).openapi("Event");

/** A registry event of kind `K`. */
export type RegistryEventOf<K extends EventKind> = {
  id: number;
  epoch: number;
  createdAt: number;
  kind: K;
  node: string | null;
  wallets: string[];
  data: EventData<K>;
};

/** A registry event, as stored, streamed and paged. */
export type RegistryEvent = { [K in EventKind]: RegistryEventOf<K> }[EventKind];

/** A page of events (`GET /v1/events` as JSON). */
export const EventsPageSchema = z.object({
  events: z.array(EventSchema),
  next: Int.openapi({
    description:
      "cursor to pass as `after` next time (the last id returned, or the given `after`)",
  }),
  more: z.boolean().openapi({
    description: "whether the page was full (more events may be waiting)",
  }),
}).openapi("EventsPage");

/** A page of events. */
export interface EventPage {
  events: RegistryEvent[];
  next: number;
  more: boolean;
}

/** Which events a reader wants. */
export interface EventFilter {
  /** Only events of this node (hex). */
  node?: string;
  /** Only events naming this wallet (hex). */
  wallet?: string;
  /** Only these kinds. */
  kinds?: string[];
}

/**
 * Whether an event passes a filter.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const e: RegistryEvent = {
 *   id: 7, epoch: 3, createdAt: 0, kind: "faucet", node: null, wallets: ["aa"], data: { amount: "5" },
 * };
 * assert.equal(matchesFilter(e, { wallet: "aa", kinds: ["faucet"] }), true);
 * assert.equal(matchesFilter(e, { node: "bb" }), false);
 * ```
 */
export function matchesFilter(e: RegistryEvent, f: EventFilter): boolean {
  if (f.node !== undefined && e.node !== f.node) return false;
  if (f.wallet !== undefined && !e.wallets.includes(f.wallet)) return false;
  if (
    f.kinds !== undefined && f.kinds.length > 0 && !f.kinds.includes(e.kind)
  ) {
    return false;
  }
  return true;
}
