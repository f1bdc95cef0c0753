/**
 * Helpers for the HTTP tests: a registry (in-memory SQLite, or PostgreSQL) with the app
 * in front of it, and small request and SSE utilities. Not used by
 * production code.
 *
 * @module
 */

import type { OpenAPIHono } from "@hono/zod-openapi";
import { toHex } from "../core/bytes.ts";
import { type AppOptions, createApp } from "../http/app.ts";
import type { RegistryOptions } from "../registry.ts";
import type { TestBackend } from "./backend.ts";
import { type TestNet, testNet } from "./net.ts";

/** A test registry and its app. */
export interface HttpNet {
  net: TestNet;
  app: OpenAPIHono;
  /** Errors the app logged. */
  logged: unknown[];
  close(): Promise<void>;
}

/** Start a test registry (devnet) and its app; `funded` wallets get 100,000 coins. */
export async function httpNet(
  options: {
    /** The database: SQLite in memory (default) or a fresh PostgreSQL schema. */
    backend?: TestBackend;
    funded?: string[];
    app?: AppOptions;
    registry?: Partial<RegistryOptions>;
  } = {},
): Promise<HttpNet> {
  const net = await testNet({
    funded: options.funded ?? ["op", "friend"],
    fundedCoins: 100_000n,
    ...(options.backend ? { backend: options.backend } : {}),
    ...(options.registry ? { registry: options.registry } : {}),
  });
  const logged: unknown[] = [];
  const app = createApp(net.registry, {
    log: (message, error) => logged.push({ message, error }),
    ...options.app,
  });
  return { net, app, logged, close: () => net.close() };
}

/** POST a signed message as raw bytes or as `{"message": hex}`. */
export function postMessage(
  app: OpenAPIHono,
  path: string,
  bytes: Uint8Array,
  as: "bytes" | "json" = "bytes",
): Promise<Response> {
  return Promise.resolve(app.request(path, {
    method: "POST",
    headers: {
      "content-type": as === "bytes"
        ? "application/octet-stream"
        : "application/json",
    },
    body: as === "bytes"
      ? bytes as Uint8Array<ArrayBuffer>
      : JSON.stringify({ message: toHex(bytes) }),
  }));
}

/** Read a JSON body. */
export async function json<T = Record<string, unknown>>(
  res: Response | Promise<Response>,
): Promise<T> {
  return await (await res).json() as T;
}

/** Move the clock one epoch and close it, `n` times. */
export async function ticks(net: TestNet, n = 1): Promise<void> {
  for (let i = 0; i < n; i++) {
    net.clock.advance(net.params.epochSeconds * 1000);
    await net.registry.tick();
  }
}

/** Register a fully funded node for `operator` and send its proof; returns its key. */
export async function activeNode(
  h: HttpNet,
  node: string,
  operator = "op",
): Promise<string> {
  const { net, app } = h;
  const reg = net.registration(node, operator, {
    operatorStake: net.params.stakingRequirement,
    feeBasisPoints: 0,
    reserved: [],
  });
  const r1 = await postMessage(app, "/v1/nodes", reg.bytes);
  if (r1.status !== 201) throw new Error(`register: ${await r1.text()}`);
  const r2 = await postMessage(app, "/v1/proofs", net.proof(node).bytes);
  if (r2.status !== 200) throw new Error(`proof: ${await r2.text()}`);
  return net.signer(node).key.hex;
}

/** Everything a refused write must leave unchanged. */
export async function stateSnapshot(net: TestNet): Promise<string> {
  return JSON.stringify(await net.registry.store.read.inspect.state());
}

/** One parsed Server-Sent Event (or comment). */
export interface SseFrame {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
  retry?: string;
}

/** Reads SSE frames from a response body. */
export class SseReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #buffer = "";
  #frames: SseFrame[] = [];
  /** Whether the stream ended. */
  done = false;

  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.getReader();
  }

  /** The next frame, or null at the end of the stream. */
  async next(timeoutMs = 5000): Promise<SseFrame | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.#frames.length === 0) {
      if (this.done) return null;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), deadline - Date.now());
      });
      const read = await Promise.race([this.#reader.read(), timeout]);
      clearTimeout(timer);
      if (read === "timeout") throw new Error("no SSE frame in time");
      if (read.done) {
        this.done = true;
        continue;
      }
      this.#buffer += this.#decoder.decode(read.value, { stream: true });
      let cut: number;
      while ((cut = this.#buffer.indexOf("\n\n")) >= 0) {
        const block = this.#buffer.slice(0, cut);
        this.#buffer = this.#buffer.slice(cut + 2);
        for (const frame of parseBlock(block)) this.#frames.push(frame);
      }
    }
    return this.#frames.shift()!;
  }

  /** The next frame that is an event (skipping comments and `retry`). */
  async nextEvent(timeoutMs = 5000): Promise<SseFrame | null> {
    for (;;) {
      const f = await this.next(timeoutMs);
      if (f === null || f.event !== undefined) return f;
    }
  }

  /** Stop reading: cancels the stream, as a client going away does. */
  async cancel(): Promise<void> {
    await this.#reader.cancel();
  }
}

function parseBlock(block: string): SseFrame[] {
  const frame: SseFrame = {};
  const out: SseFrame[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) {
      out.push({ comment: line.slice(1).trim() });
      continue;
    }
    const i = line.indexOf(":");
    const field = i < 0 ? line : line.slice(0, i);
    const value = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
    if (field === "id") frame.id = value;
    else if (field === "event") frame.event = value;
    else if (field === "data") {
      frame.data = frame.data === undefined ? value : `${frame.data}\n${value}`;
    } else if (field === "retry") frame.retry = value;
  }
  if (Object.keys(frame).length > 0) out.push(frame);
  return out;
}
