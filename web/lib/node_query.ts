/**
 * The nodes table's query: search, filters, sort and pagination over a
 * {@linkcode Snapshot}, parsed from the page's URL so every view has a link
 * and works without JavaScript.
 *
 * @module
 */

import { LIVE_STATUSES, RETIRED_STATUSES, STATUSES } from "../format.ts";
import { compareVersions, type NodeEntry, type Snapshot } from "./snapshot.ts";

/** Which nodes the table shows by state. */
export type StateFilter = "live" | "retired" | "all" | typeof STATUSES[number];

/** Sortable columns. */
export const SORT_KEYS = [
  "pubkey",
  "status",
  "stake",
  "fee",
  "credit",
  "proof",
  "swarm",
  "version",
  "operator",
] as const;

/** A sortable column. */
export type SortKey = typeof SORT_KEYS[number];

/** A parsed query. */
export interface NodeQuery {
  /** Search text: a key prefix (node or operator) or an IP address (prefix). */
  q: string;
  state: StateFilter;
  swarm: string;
  version: string;
  /** Only nodes taking contributions. */
  open: boolean;
  sort: SortKey;
  dir: "asc" | "desc";
  page: number;
  perPage: number;
}

/** The default query: live nodes by key. */
export const DEFAULT_QUERY: NodeQuery = {
  q: "",
  state: "live",
  swarm: "",
  version: "",
  open: false,
  sort: "pubkey",
  dir: "asc",
  page: 1,
  perPage: 50,
};

const PER_PAGE = [25, 50, 100, 200];

/** Parse the query string; unknown values fall back to the defaults. */
export function parseNodeQuery(params: URLSearchParams): NodeQuery {
  const state = params.get("state") ?? "live";
  const sort = params.get("sort") ?? "pubkey";
  const page = Number(params.get("page") ?? "1");
  const per = Number(params.get("per") ?? "50");
  const q = (params.get("q") ?? "").trim().slice(0, 100);
  return {
    q,
    state: (["live", "retired", "all", ...STATUSES] as string[]).includes(state)
      ? state as StateFilter
      : "live",
    swarm: /^[0-9]{1,20}$/.test(params.get("swarm") ?? "")
      ? params.get("swarm")!
      : "",
    version: /^[0-9.]{1,20}$/.test(params.get("version") ?? "")
      ? params.get("version")!
      : "",
    open: params.get("open") === "1" || params.get("open") === "on",
    sort: (SORT_KEYS as readonly string[]).includes(sort)
      ? sort as SortKey
      : "pubkey",
    dir: params.get("dir") === "desc" ? "desc" : "asc",
    page: Number.isSafeInteger(page) && page >= 1 ? page : 1,
    perPage: PER_PAGE.includes(per) ? per : 50,
  };
}

/** The query as URL parameters, defaults left out. */
export function nodeQueryParams(
  query: NodeQuery,
  change: Partial<NodeQuery> = {},
): string {
  const q = { ...query, ...change };
  const out = new URLSearchParams();
  if (q.q) out.set("q", q.q);
  if (q.state !== DEFAULT_QUERY.state) out.set("state", q.state);
  if (q.swarm) out.set("swarm", q.swarm);
  if (q.version) out.set("version", q.version);
  if (q.open) out.set("open", "1");
  if (q.sort !== DEFAULT_QUERY.sort) out.set("sort", q.sort);
  if (q.dir !== DEFAULT_QUERY.dir) out.set("dir", q.dir);
  if (q.perPage !== DEFAULT_QUERY.perPage) out.set("per", String(q.perPage));
  if (q.page !== 1) out.set("page", String(q.page));
  const s = out.toString();
  return s === "" ? "" : "?" + s;
}

/** One page of the result. */
export interface NodeQueryResult {
  /** The rows of this page. */
  rows: NodeEntry[];
  /** Matching nodes in all. */
  total: number;
  /** The page shown (clamped to the last page). */
  page: number;
  /** Number of pages (at least 1). */
  pages: number;
}

function matchesState(status: string, state: StateFilter): boolean {
  switch (state) {
    case "all":
      return true;
    case "live":
      return LIVE_STATUSES.includes(status);
    case "retired":
      return RETIRED_STATUSES.includes(status);
    default:
      return status === state;
  }
}

function searchMatcher(text: string): (n: NodeEntry) => boolean {
  const t = text.toLowerCase();
  if (t === "") return () => true;
  if (/^[0-9a-f]+$/.test(t)) {
    // A hex prefix: node or operator key. (Digits alone may also start an IP.)
    return (n) =>
      n.pubkey.startsWith(t) || n.operator.startsWith(t) ||
      (/^[0-9]+$/.test(t) && (n.publicIp ?? "").startsWith(t));
  }
  if (/^[0-9.]+$/.test(t)) {
    return (n) => n.publicIp !== null && n.publicIp.startsWith(t);
  }
  return () => false;
}

const STATUS_ORDER: Record<string, number> = {
  active: 0,
  decommissioned: 1,
  awaiting_contributions: 2,
  deregistered: 3,
  exited: 4,
};

function comparator(
  sort: SortKey,
  registryNow: number,
): (a: NodeEntry, b: NodeEntry) => number {
  const byKey = (a: NodeEntry, b: NodeEntry) =>
    a.pubkey < b.pubkey ? -1 : a.pubkey > b.pubkey ? 1 : 0;
  const then =
    (f: (a: NodeEntry, b: NodeEntry) => number) =>
    (a: NodeEntry, b: NodeEntry) => f(a, b) || byKey(a, b);
  switch (sort) {
    case "pubkey":
      return byKey;
    case "operator":
      return then((a, b) =>
        a.operator < b.operator ? -1 : a.operator > b.operator ? 1 : 0
      );
    case "status":
      return then((a, b) =>
        (STATUS_ORDER[a.status] ?? 9) - (STATUS_ORDER[b.status] ?? 9)
      );
    case "stake":
      return then((a, b) => compareBig(a.stake, b.stake));
    case "fee":
      return then((a, b) => a.feeBasisPoints - b.feeBasisPoints);
    case "credit":
      return then((a, b) => a.credit - b.credit);
    case "proof":
      // Freshest first in ascending order; nodes without a proof last.
      return then((a, b) =>
        (a.lastProofAt === null ? Infinity : registryNow - a.lastProofAt) -
          (b.lastProofAt === null ? Infinity : registryNow - b.lastProofAt) || 0
      );
    case "swarm":
      return then((a, b) => {
        if (a.swarmId === b.swarmId) return 0;
        if (a.swarmId === null) return 1;
        if (b.swarmId === null) return -1;
        return BigInt(a.swarmId) < BigInt(b.swarmId) ? -1 : 1;
      });
    case "version":
      return then((a, b) =>
        compareVersions(a.storageVersion ?? "0", b.storageVersion ?? "0")
      );
  }
}

function compareBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Run a query over a snapshot. */
export function runNodeQuery(
  snapshot: Snapshot,
  query: NodeQuery,
): NodeQueryResult {
  const search = searchMatcher(query.q);
  const rows = snapshot.nodes.filter((n) =>
    matchesState(n.status, query.state) &&
    (query.swarm === "" || n.swarmId === query.swarm) &&
    (query.version === "" || n.storageVersion === query.version) &&
    (!query.open || snapshot.open.has(n.pubkey)) &&
    search(n)
  );
  if (query.sort !== "pubkey" || query.dir !== "asc") {
    const cmp = comparator(query.sort, snapshot.registryNow);
    rows.sort(query.dir === "asc" ? cmp : (a, b) => cmp(b, a));
  }
  const pages = Math.max(1, Math.ceil(rows.length / query.perPage));
  const page = Math.min(query.page, pages);
  const start = (page - 1) * query.perPage;
  return {
    rows: rows.slice(start, start + query.perPage),
    total: rows.length,
    page,
    pages,
  };
}
