/**
 * The monitoring loop shared by `node watch` and `node agent`: the
 * registry's event stream (filtered by node or wallet, resumed with
 * Last-Event-ID after a drop) plus a status poll, both fed to an
 * {@linkcode AlertEngine}, alerts to an {@linkcode AlertSink}.
 *
 * @module
 */

import { sleep } from "../registry/client/api.ts";
import type { InfoView, NodeDetailView } from "../registry/client/types.ts";
import type { Context } from "./context.ts";
import {
  type Alert,
  AlertEngine,
  type AlertSink,
  type AlertThresholds,
  type OutageTracker,
} from "./alerts.ts";
import { classify, EXIT } from "./errors.ts";
import { formatDuration, short } from "./output.ts";

/** Poll at least this often while the registry does not answer, ms. */
const OUTAGE_POLL_MS = 5000;

/** Options of {@linkcode runMonitor}. */
export interface MonitorOptions {
  /** Nodes to poll (hex). */
  nodes: () => string[];
  /** Stream events by wallet (covers every node it stakes in) instead of by node. */
  wallet?: string;
  /** Where alerts go. */
  sink: AlertSink;
  /** Alert thresholds. */
  thresholds?: Partial<AlertThresholds>;
  /** Status poll interval, ms. */
  pollMs: number;
  /** Stop. */
  signal: AbortSignal;
  /** Evaluate once (one poll, no stream) and return. */
  once?: boolean;
  /** The registry's info, if already fetched. */
  info?: InfoView;
  /** Tracks registry outages (alerts after a bounded time, and when back). */
  outage: OutageTracker;
  /** Each node's status as polled (the agent proves only for a live node). */
  onStatus?: (detail: NodeDetailView) => void;
}

/** Run until `signal` aborts (or once). Returns the alerts raised. */
export async function runMonitor(
  ctx: Context,
  options: MonitorOptions,
): Promise<Alert[]> {
  const engine = new AlertEngine(options.thresholds);
  const raised: Alert[] = [];
  const emit = (alerts: Alert[]) => {
    raised.push(...alerts);
    options.sink.deliver(alerts);
  };
  let info: InfoView = options.info ?? await ctx.client.info();
  const startEpoch = info.epoch;

  const poll = async () => {
    try {
      info = await ctx.client.info();
      emit(options.outage.ok(Date.now()));
      const now = info.now;
      for (const node of options.nodes()) {
        const detail = await ctx.client.node(node);
        options.onStatus?.(detail);
        emit(engine.onStatus(detail, info, now));
      }
    } catch (e) {
      const c = classify(e);
      if (c.exit === EXIT.network) {
        emit(options.outage.failed(Date.now(), c.message));
      }
      ctx.out.debug(`status poll failed: ${c.message}`);
    }
  };
  await poll();
  if (options.once) return raised;

  // Between polls; a dropped event stream cuts the wait short, so an outage
  // is noticed within seconds even when polls are minutes apart.
  let wake = () => {};
  const nap = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        options.signal.removeEventListener("abort", done);
        wake = () => {};
        resolve();
      };
      const timer = setTimeout(done, ms);
      options.signal.addEventListener("abort", done, { once: true });
      wake = done;
    });

  const streams: Promise<void>[] = [];
  const follow = async (filter: { node?: string; wallet?: string }) => {
    try {
      for await (
        const event of ctx.client.eventStream({
          ...filter,
          signal: options.signal,
          onStatus: (s, detail) => {
            if (s === "closed" && !options.outage.down) wake();
            ctx.out.debug(
              `event stream ${s}${detail ? `: ${detail}` : ""} (${
                filter.node
                  ? short(filter.node)
                  : filter.wallet
                  ? "wallet " + short(filter.wallet)
                  : ""
              })`,
            );
          },
        })
      ) {
        // The stream replays this node's history first: only what happens
        // from now on is news.
        if (event.epoch < startEpoch) continue;
        emit(engine.onEvent(event, Math.floor(Date.now() / 1000)));
        // A state change: look at the whole picture right away.
        if (event.kind !== "list_published") await poll();
      }
    } catch (e) {
      if (!options.signal.aborted) {
        ctx.out.warn(`event stream stopped: ${(e as Error).message}`);
      }
    }
  };
  if (options.wallet !== undefined) {
    streams.push(follow({ wallet: options.wallet }));
  } else {
    for (const node of options.nodes()) streams.push(follow({ node }));
  }
  while (!options.signal.aborted) {
    await nap(
      options.outage.down
        ? Math.min(options.pollMs, OUTAGE_POLL_MS)
        : options.pollMs,
    );
    if (!options.signal.aborted) await poll();
  }
  await Promise.allSettled(streams);
  await options.sink.flush();
  return raised;
}

/** Options of {@linkcode untilReachable}. */
export interface UntilReachableOptions {
  /** Alerts after a bounded outage, and when the registry is back. */
  outage: OutageTracker;
  /** Where those alerts go. */
  deliver: (alerts: Alert[]) => void;
  /** Fail at once (exit 3) instead of waiting. */
  failFast: boolean;
  /** Stop waiting. */
  signal: AbortSignal;
  /** First pause, ms (doubles up to `maxDelayMs`). Default 1000. */
  delayMs?: number;
  /** Longest pause, ms. Default 30,000. */
  maxDelayMs?: number;
}

/**
 * Run `work` (the registry calls a long-running command starts with) until
 * it gets through: while the registry cannot be reached it waits with
 * backoff (1 s doubling to 30 s), saying so, and alerts once the outage
 * passes the tracker's bound - so under systemd a registry that is down when
 * the agent starts does not crash-loop it. With `failFast`, the first
 * failure is thrown (exit 3), as scripts expect. Other errors are thrown at
 * once. Resolves `undefined` when stopped while waiting.
 */
export async function untilReachable<T>(
  ctx: Context,
  work: () => Promise<T>,
  options: UntilReachableOptions,
): Promise<T | undefined> {
  let delay = options.delayMs ?? 1000;
  const max = options.maxDelayMs ?? 30_000;
  for (let attempt = 1;; attempt++) {
    try {
      const result = await work();
      options.deliver(options.outage.ok(Date.now()));
      return result;
    } catch (e) {
      const c = classify(e);
      if (options.failFast || c.exit !== EXIT.network) throw e;
      options.deliver(options.outage.failed(Date.now(), c.message));
      ctx.out.warn(
        `${c.message} (${c.code}); waiting for the registry, try ${
          attempt + 1
        } in ${formatDuration(delay / 1000)} (--fail-fast to exit instead)`,
      );
    }
    await sleep(delay, options.signal);
    if (options.signal.aborted) return undefined;
    delay = Math.min(delay * 2, max);
  }
}

/** Print an alert: one line, or a loud banner for critical ones; NDJSON under --json. */
export function printAlert(ctx: Context, alert: Alert): void {
  if (ctx.out.json) {
    ctx.io.stdout(JSON.stringify({ type: "alert", ...alert }) + "\n");
    return;
  }
  const time = new Date(alert.at * 1000).toISOString().slice(0, 19) + "Z";
  const tag = alert.severity === "critical"
    ? ctx.out.c("red", ctx.out.c("bold", "CRITICAL"))
    : alert.severity === "warning"
    ? ctx.out.c("yellow", "WARNING ")
    : ctx.out.c("cyan", "INFO    ");
  const who = alert.node ? `node ${short(alert.node)} ` : "";
  if (alert.severity === "critical") {
    const bar = ctx.out.c("red", "!".repeat(72));
    ctx.out.line(bar);
    ctx.out.line(`${time} ${tag} [${alert.kind}] ${who}${alert.message}`);
    ctx.out.line(bar);
  } else {
    ctx.out.line(`${time} ${tag} [${alert.kind}] ${who}${alert.message}`);
  }
}
