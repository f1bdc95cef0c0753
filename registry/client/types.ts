/**
 * The JSON shapes the registry's HTTP API answers with, as a client sees
 * them: the views are the wire contract of `../api/` (defined once, as zod
 * schemas the server's answers are typed by); the event and paging shapes
 * here are the client's reading of the event stream. Amounts are decimal
 * strings of atomic units, u64 ids decimal strings, keys lower-case hex,
 * times unix seconds.
 *
 * @module
 */

export type {
  InfoView,
  NodeDetailView,
  NodeFilter,
  NodePageView,
  NodeSummaryView,
  OpenNodeView,
  RulesView,
  SessionSwarmView,
  SubmitResultView,
  SwarmView,
  WalletView,
} from "../api/views.ts";

/** A registry event, as streamed by `GET /v1/events`. */
export interface RegistryEventView {
  /** Monotonically increasing id (the SSE `id`). */
  id: number;
  /** Epoch it happened in. */
  epoch: number;
  /** Unix milliseconds. */
  createdAt: number;
  /** What happened, e.g. `"decommissioned"`. */
  kind: string;
  /** The node concerned, hex, if any. */
  node: string | null;
  /** Wallets concerned, hex. */
  wallets: string[];
  /** Details. */
  data: Record<string, unknown>;
}

/** A page of events (`GET /v1/events` without `text/event-stream`). */
export interface EventPageView {
  events: RegistryEventView[];
  /** Id to resume after. */
  next?: number | null;
  /** Present on some versions: the newest event id. */
  lastEventId?: number;
}

/** Filters of `GET /v1/events`. */
export interface EventFilter {
  /** Only events of this node (hex). */
  node?: string;
  /** Only events naming this wallet (hex). */
  wallet?: string;
  /** Only these kinds. */
  kinds?: string[];
  /** Resume after this event id. */
  after?: number;
  /** Page size (JSON pages only). */
  limit?: number;
}
