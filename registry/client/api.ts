/**
 * A typed client for the registry's HTTP API (`/v1/...`): every read as a
 * typed method, every write as signed message bytes, errors as
 * {@linkcode RegistryApiError} (the registry refused) or
 * {@linkcode RegistryUnreachableError} (it could not be used). Every request
 * has a timeout; reads are retried a bounded number of times on network
 * failures, writes never (a retried write that had in fact landed would come
 * back as `replayed`).
 *
 * @module
 */

import { toHex } from "../core/bytes.ts";
import {
  type ProblemDocument,
  RegistryApiError,
  RegistryUnreachableError,
} from "./errors.ts";
import type {
  EventFilter,
  EventPageView,
  InfoView,
  NodeDetailView,
  NodeFilter,
  NodePageView,
  NodeSummaryView,
  OpenNodeView,
  RegistryEventView,
  SessionSwarmView,
  SubmitResultView,
  SwarmView,
  WalletView,
} from "./types.ts";

/** Options of {@linkcode RegistryClient}. */
export interface RegistryClientOptions {
  /** Milliseconds a request may take before it is abandoned. Default 10,000. */
  timeoutMs?: number;
  /** Extra attempts for reads after a network failure. Default 1. */
  retries?: number;
  /** Pause before a retry, ms. Default 250. */
  retryDelayMs?: number;
  /** The fetch to use (tests may wrap it). Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Called with each request, for `--verbose`. */
  onRequest?: (method: string, url: string) => void;
}

/** Write routes by message kind; `submit` takes any kind. */
export const WRITE_ROUTES = {
  register_node: "/v1/nodes",
  contribute: "/v1/contributions",
  unlock_request: "/v1/unlocks",
  uptime_proof: "/v1/proofs",
  faucet_request: "/v1/faucet",
  any: "/v1/submit",
} as const;

/** A route a signed message can be posted to. */
export type WriteRoute = keyof typeof WRITE_ROUTES;

/** Options of {@linkcode RegistryClient.eventStream}. */
export interface EventStreamOptions extends EventFilter {
  /** Stops the stream. */
  signal?: AbortSignal;
  /** Reconnect after this long without a byte (events or keep-alive comments), ms. Default 60,000. */
  idleTimeoutMs?: number;
  /** First pause before reconnecting, ms; doubles up to 30 s. Default 500. */
  reconnectDelayMs?: number;
  /** Called when the stream (re)connects and when it drops. */
  onStatus?: (status: "open" | "closed", detail?: string) => void;
}

/**
 * The registry HTTP client.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const client = new RegistryClient("http://127.0.0.1:1/", { timeoutMs: 500, retries: 0 });
 * assert.equal(client.baseUrl, "http://127.0.0.1:1");
 * await assert.rejects(client.info(), { name: "RegistryUnreachableError" });
 * ```
 */
export class RegistryClient {
  /** Base URL without a trailing slash. */
  readonly baseUrl: string;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #retryDelayMs: number;
  readonly #fetch: typeof fetch;
  readonly #onRequest: ((method: string, url: string) => void) | undefined;

  /**
   * @throws {RegistryUnreachableError} `bad_url` unless `baseUrl` is an http(s) URL.
   */
  constructor(baseUrl: string, options: RegistryClientOptions = {}) {
    this.baseUrl = parseBaseUrl(baseUrl);
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#retries = options.retries ?? 1;
    this.#retryDelayMs = options.retryDelayMs ?? 250;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#onRequest = options.onRequest;
  }

  // ---------------------------------------------------------------------
  // Reads

  /** `GET /v1/info`. */
  info(): Promise<InfoView> {
    return this.getJson<InfoView>("/v1/info");
  }

  /** `GET /v1/health`. */
  health(): Promise<Record<string, unknown>> {
    return this.getJson("/v1/health");
  }

  /** `GET /v1/nodes`: one page. */
  nodes(filter: NodeFilter = {}): Promise<NodePageView> {
    return this.getJson<NodePageView>("/v1/nodes" + query({ ...filter }));
  }

  /** Every node matching `filter`, following the pages (at most `max`). */
  async allNodes(
    filter: Omit<NodeFilter, "after"> = {},
    max = 10_000,
  ): Promise<NodeSummaryView[]> {
    const out: NodeSummaryView[] = [];
    let after: string | undefined;
    while (out.length < max) {
      const page = await this.nodes({
        ...filter,
        limit: filter.limit ?? 500,
        ...(after === undefined ? {} : { after }),
      });
      out.push(...page.nodes);
      if (page.next === null || page.nodes.length === 0) break;
      after = page.next;
    }
    return out.slice(0, max);
  }

  /** `GET /v1/nodes/open`: nodes still taking contributions. */
  async openNodes(): Promise<OpenNodeView[]> {
    const body = await this.getJson<OpenNodeView[] | { nodes: OpenNodeView[] }>(
      "/v1/nodes/open",
    );
    return Array.isArray(body) ? body : body.nodes;
  }

  /** `GET /v1/nodes/:pubkey`. */
  node(pubkey: string | Uint8Array): Promise<NodeDetailView> {
    return this.getJson<NodeDetailView>(`/v1/nodes/${hexOf(pubkey)}`);
  }

  /** `GET /v1/swarms`. */
  async swarms(): Promise<SwarmView[]> {
    const body = await this.getJson<SwarmView[] | { swarms: SwarmView[] }>(
      "/v1/swarms",
    );
    return Array.isArray(body) ? body : body.swarms;
  }

  /** `GET /v1/sessions/:sessionId/swarm`. */
  sessionSwarm(sessionId: string): Promise<SessionSwarmView> {
    return this.getJson<SessionSwarmView>(
      `/v1/sessions/${encodeURIComponent(sessionId)}/swarm`,
    );
  }

  /** `GET /v1/wallets/:pubkey`. */
  wallet(pubkey: string | Uint8Array): Promise<WalletView> {
    return this.getJson<WalletView>(`/v1/wallets/${hexOf(pubkey)}`);
  }

  /** `GET /v1/lists/latest` or `/v1/lists/:epoch`, binary. */
  listBytes(which: number | "latest" = "latest"): Promise<Uint8Array> {
    return this.getBytes(`/v1/lists/${which}?format=bin`);
  }

  /** `GET /v1/lists/:to/diff?from=K`, binary. */
  listDiff(
    from: number,
    to: number | "latest" = "latest",
  ): Promise<Uint8Array> {
    return this.getBytes(`/v1/lists/${to}/diff?from=${from}`);
  }

  /** `GET /v1/events` as a JSON page (oldest first, after `filter.after`). */
  async events(filter: EventFilter = {}): Promise<EventPageView> {
    const body = await this.getJson<EventPageView | RegistryEventView[]>(
      "/v1/events" + eventQuery(filter),
    );
    if (!Array.isArray(body)) return body;
    // An older registry answered a bare array.
    return {
      events: body,
      next: body.at(-1)?.id ?? filter.after ?? 0,
      more: false,
    };
  }

  // ---------------------------------------------------------------------
  // Writes

  /**
   * Post signed message bytes. `route` picks the kind-specific route (which
   * refuses other kinds) or `any` for `POST /v1/submit`.
   */
  submit(
    message: Uint8Array,
    route: WriteRoute = "any",
  ): Promise<SubmitResultView> {
    return this.request<SubmitResultView>("POST", WRITE_ROUTES[route], {
      body: message,
      contentType: "application/octet-stream",
      accept: "application/json",
      parse: "json",
      retries: 0,
    });
  }

  // ---------------------------------------------------------------------
  // Event stream

  /**
   * The registry's event stream (`GET /v1/events`, server-sent events),
   * filtered by node, wallet and kinds, resumed with `Last-Event-ID` after
   * every reconnect so nothing is missed or repeated. Yields until `signal`
   * aborts; network failures and idle streams reconnect with backoff.
   */
  async *eventStream(
    options: EventStreamOptions = {},
  ): AsyncGenerator<RegistryEventView> {
    let lastId = options.after;
    let delay = options.reconnectDelayMs ?? 500;
    const idleMs = options.idleTimeoutMs ?? 60_000;
    const signal = options.signal;
    while (!signal?.aborted) {
      const local = new AbortController();
      const onAbort = () => local.abort();
      signal?.addEventListener("abort", onAbort, { once: true });
      let idle: ReturnType<typeof setTimeout> | undefined;
      const touch = () => {
        clearTimeout(idle);
        idle = setTimeout(() => local.abort(), idleMs);
      };
      let dropped = "the stream ended";
      try {
        const filter: EventFilter = { ...options };
        delete filter.after;
        if (lastId !== undefined) filter.after = lastId;
        const url = this.baseUrl + "/v1/events" + eventQuery(filter);
        this.#onRequest?.("GET", url);
        const headers: Record<string, string> = {
          accept: "text/event-stream",
        };
        if (lastId !== undefined) headers["last-event-id"] = String(lastId);
        touch();
        const res = await this.#fetch(url, {
          headers,
          signal: local.signal,
        });
        if (!res.ok) throw await apiError(res, url);
        if (!res.body) throw new Error("no body");
        options.onStatus?.("open");
        delay = options.reconnectDelayMs ?? 500;
        for await (const message of sseMessages(res.body, touch)) {
          if (message.id !== undefined && /^\d+$/.test(message.id)) {
            lastId = Number(message.id);
          }
          if (message.data === "") continue;
          let event: RegistryEventView;
          try {
            event = JSON.parse(message.data) as RegistryEventView;
          } catch {
            continue;
          }
          if (typeof event.id === "number") lastId = event.id;
          yield event;
        }
      } catch (e) {
        if (signal?.aborted) break;
        if (e instanceof RegistryApiError && e.status < 500) throw e;
        dropped = e instanceof Error ? e.message : String(e);
      } finally {
        clearTimeout(idle);
        signal?.removeEventListener("abort", onAbort);
        local.abort();
      }
      if (signal?.aborted) break;
      options.onStatus?.("closed", dropped);
      await sleep(delay, signal);
      delay = Math.min(delay * 2, 30_000);
    }
  }

  // ---------------------------------------------------------------------
  // Plumbing

  /** GET a JSON document. */
  getJson<T>(path: string): Promise<T> {
    return this.request<T>("GET", path, {
      accept: "application/json",
      parse: "json",
    });
  }

  /** GET binary bytes (`application/octet-stream`). */
  getBytes(path: string): Promise<Uint8Array> {
    return this.request<Uint8Array>("GET", path, {
      accept: "application/octet-stream",
      parse: "bytes",
    });
  }

  async request<T>(
    method: string,
    path: string,
    options: {
      body?: Uint8Array | string;
      contentType?: string;
      accept: string;
      parse: "json" | "bytes";
      retries?: number;
    },
  ): Promise<T> {
    const url = this.baseUrl + path;
    const retries = options.retries ?? this.#retries;
    for (let attempt = 0;; attempt++) {
      try {
        return await this.#once<T>(method, url, options);
      } catch (e) {
        if (
          !(e instanceof RegistryUnreachableError) || attempt >= retries ||
          e.reason === "bad_response"
        ) throw e;
        await sleep(this.#retryDelayMs * (attempt + 1));
      }
    }
  }

  async #once<T>(
    method: string,
    url: string,
    options: {
      body?: Uint8Array | string;
      contentType?: string;
      accept: string;
      parse: "json" | "bytes";
    },
  ): Promise<T> {
    this.#onRequest?.(method, url);
    const headers: Record<string, string> = { accept: options.accept };
    if (options.contentType) headers["content-type"] = options.contentType;
    const signal = AbortSignal.timeout(this.#timeoutMs);
    let res: Response;
    try {
      res = await this.#fetch(url, {
        method,
        headers,
        ...(options.body === undefined
          ? {}
          : { body: options.body as BodyInit }),
        signal,
      });
    } catch (e) {
      throw networkError(e, this.baseUrl, this.#timeoutMs);
    }
    try {
      if (!res.ok) throw await apiError(res, url);
      if (options.parse === "bytes") {
        return new Uint8Array(await res.arrayBuffer()) as T;
      }
      const text = await res.text();
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new RegistryUnreachableError(
          "bad_response",
          url,
          `the answer is not JSON (HTTP ${res.status}, ${
            res.headers.get("content-type") ?? "no content type"
          }): is this a registry?`,
        );
      }
    } catch (e) {
      if (
        e instanceof RegistryApiError || e instanceof RegistryUnreachableError
      ) throw e;
      throw networkError(e, this.baseUrl, this.#timeoutMs);
    }
  }
}

/** Normalise a base URL: http(s) only, no trailing slash, no query. */
export function parseBaseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RegistryUnreachableError(
      "bad_url",
      text,
      "not a URL (expected e.g. http://127.0.0.1:22000)",
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new RegistryUnreachableError(
      "bad_url",
      text,
      "the registry URL must start with http:// or https://",
    );
  }
  return (url.origin + url.pathname).replace(/\/+$/, "");
}

function hexOf(key: string | Uint8Array): string {
  return typeof key === "string"
    ? encodeURIComponent(key.toLowerCase())
    : toHex(key);
}

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== "") q.set(k, String(v));
  }
  const s = q.toString();
  return s === "" ? "" : "?" + s;
}

function eventQuery(filter: EventFilter): string {
  return query({
    node: filter.node,
    wallet: filter.wallet,
    kind: filter.kinds && filter.kinds.length > 0
      ? filter.kinds.join(",")
      : undefined,
    after: filter.after,
    limit: filter.limit,
  });
}

async function apiError(res: Response, url: string): Promise<Error> {
  const text = await res.text().catch(() => "");
  let problem: ProblemDocument = {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
      problem = parsed as ProblemDocument;
    }
  } catch {
    if (res.status >= 500 || res.status === 404) {
      // Not the API at all (a proxy's error page, a wrong URL).
      if (!res.headers.get("content-type")?.includes("json")) {
        return new RegistryUnreachableError(
          "bad_response",
          url,
          `HTTP ${res.status} ${res.statusText}`.trim(),
        );
      }
    }
    problem = text === "" ? {} : { detail: text.slice(0, 200) };
  }
  return new RegistryApiError(res.status, problem);
}

function networkError(
  e: unknown,
  url: string,
  timeoutMs: number,
): RegistryUnreachableError {
  const name = e instanceof Error ? e.name : "";
  if (name === "TimeoutError" || name === "AbortError") {
    return new RegistryUnreachableError(
      "timeout",
      url,
      `no answer within ${timeoutMs / 1000} s`,
      { cause: e },
    );
  }
  // Deno's fetch says "fetch failed" and puts the reason in `cause`.
  const causes: string[] = [];
  for (let c: unknown = e; c !== undefined && causes.length < 4;) {
    causes.push(c instanceof Error ? c.message : String(c));
    c = c instanceof Error ? c.cause : undefined;
  }
  const msg = causes.filter((m) => m !== "").join(": ");
  const refused = /refused|ECONNREFUSED|os error 111/i.test(msg);
  return new RegistryUnreachableError(
    "connection",
    url,
    refused ? "connection refused (is the registry running?)" : msg,
    { cause: e },
  );
}

/** One server-sent event. */
interface SseMessage {
  id: string | undefined;
  event: string | undefined;
  data: string;
}

/** Parse a `text/event-stream` body (WHATWG HTML §9.2), calling `touch` on every chunk. */
async function* sseMessages(
  body: ReadableStream<Uint8Array>,
  touch: () => void,
): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buffer = "";
  let data: string[] = [];
  let id: string | undefined;
  let event: string | undefined;
  for await (const chunk of body) {
    touch();
    buffer += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + (buffer.startsWith("\r\n", nl) ? 2 : 1));
      if (line === "") {
        if (data.length > 0 || id !== undefined) {
          yield { id, event, data: data.join("\n") };
        }
        data = [];
        event = undefined;
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "data") data.push(value);
      else if (field === "id") id = value;
      else if (field === "event") event = value;
    }
  }
}

/** Sleep for `ms`, cut short (resolving early) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
