/**
 * The monitoring loop shared by `node watch` and `node agent`: the
 * registry's event stream (filtered by node or wallet, resumed with
 * Last-Event-ID after a drop) plus a status poll, both fed to an
 * {@linkcode AlertEngine}, alerts to an {@linkcode AlertSink}.
 *
 * @module
 */

import { sleep } from "../registry/client/api.ts";
import type { InfoView } from "../registry/client/types.ts";
import type { Context } from "./context.ts";
import {
  type Alert,
  AlertEngine,
  type AlertSink,
  type AlertThresholds,
} from "./alerts.ts";
import { short } from "./output.ts";

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
  let info: InfoView = await ctx.client.info();
  const startEpoch = info.epoch;

  const poll = async () => {
    try {
      info = await ctx.client.info();
      const now = info.now;
      for (const node of options.nodes()) {
        const detail = await ctx.client.node(node);
        emit(engine.onStatus(detail, info, now));
      }
    } catch (e) {
      ctx.out.debug(`status poll failed: ${(e as Error).message}`);
    }
  };
  await poll();
  if (options.once) return raised;

  const streams: Promise<void>[] = [];
  const follow = async (filter: { node?: string; wallet?: string }) => {
    try {
      for await (
        const event of ctx.client.eventStream({
          ...filter,
          signal: options.signal,
          onStatus: (s, detail) =>
            ctx.out.debug(
              `event stream ${s}${detail ? `: ${detail}` : ""} (${
                filter.node
                  ? short(filter.node)
                  : filter.wallet
                  ? "wallet " + short(filter.wallet)
                  : ""
              })`,
            ),
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
    await sleep(options.pollMs, options.signal);
    if (!options.signal.aborted) await poll();
  }
  await Promise.allSettled(streams);
  await options.sink.flush();
  return raised;
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
