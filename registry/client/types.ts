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

/**
 * A registry event, as streamed by `GET /v1/events` and paged as JSON: one
 * payload type per `kind` (switch on `kind` to read `data`).
 */
export type { RegistryEvent as RegistryEventView } from "../api/events.ts";
import type { EventPage } from "../api/events.ts";

/** A page of events (`GET /v1/events` without `text/event-stream`). */
export type EventPageView = EventPage;

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
