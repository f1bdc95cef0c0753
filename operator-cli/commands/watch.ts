/**
 * `snode node watch`: alerts for nodes, on the terminal and to a webhook.
 *
 * @module
 */

import { Command, Option } from "@commander-js/extra-typings";
import { toHex } from "../../registry/core/bytes.ts";
import { AlertSink, type AlertThresholds } from "../alerts.ts";
import type { Context } from "../context.ts";
import { usage } from "../errors.ts";
import { printAlert, runMonitor } from "../monitor.ts";
import { parsePositive, parseVersion, resolvePubkey } from "../parse.ts";
import { nodesToShow } from "./node.ts";
import { examples, type MakeContext } from "./shared.ts";

/** Alert options as parsed (added untyped to keep type checking fast). */
export interface AlertCliOptions {
  webhook?: string;
  missedProofs: string;
  creditBelow: string;
  deregWithin: string;
  minVersion?: string;
  poll?: string;
}

/** Add the alert options shared by `watch` and `agent`. */
export function withAlertOptions<C extends { addOption(o: Option): unknown }>(
  cmd: C,
): C {
  for (
    const o of [
      new Option("--webhook <url>", "also POST each alert as JSON to this URL"),
      new Option(
        "--missed-proofs <n>",
        "alert after this many proof intervals without a proof",
      ).default("2"),
      new Option(
        "--credit-below <epochs>",
        "alert when decommission credit falls below this",
      ).default("30"),
      new Option(
        "--dereg-within <epochs>",
        "alert when deregistration is this close",
      ).default("30"),
      new Option(
        "--min-version <x.y.z>",
        "alert when the storage server is older than this",
      ),
      new Option(
        "--poll <seconds>",
        "status poll interval (default: one proof interval, at least 5 s)",
      ),
    ]
  ) cmd.addOption(o);
  return cmd;
}

/** Parse the alert options. */
export function parseAlertOptions(
  ctx: Context,
  opts: AlertCliOptions,
): { thresholds: Partial<AlertThresholds>; webhook: string | undefined } {
  const webhook = opts.webhook ?? ctx.config.webhook;
  if (webhook !== undefined) {
    try {
      const u = new URL(webhook);
      if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
    } catch {
      throw usage(`--webhook "${webhook}" is not an http(s) URL`);
    }
  }
  return {
    webhook,
    thresholds: {
      missedProofs: parsePositive(opts.missedProofs, "--missed-proofs", 1000),
      creditBelow: parsePositive(opts.creditBelow, "--credit-below", 1e6),
      deregWithinEpochs: parsePositive(opts.deregWithin, "--dereg-within", 1e6),
      ...(opts.minVersion === undefined ? {} : {
        minVersion: parseVersion(opts.minVersion, "--min-version").join("."),
      }),
    },
  };
}

export function watchCommand(make: MakeContext) {
  return examples(
    withAlertOptions(
      new Command("watch")
        .description(
          "alerts keyed to consequences (missed proofs, low credit, decommissioned, deregistration soon, unlock in 48/24/6 h, contributions, outdated version), debounced",
        )
        .argument(
          "[nodes...]",
          "node keys (hex) or node keystore names (default: the node key)",
        )
        .option(
          "--wallet <wallet>",
          "every node this wallet operates or contributes to",
        )
        .option(
          "--once",
          "check once and exit (for cron); exit 0 even when alerts fire",
        ),
    ).action(async (nodes, opts, cmd) => {
      const ctx = make(cmd);
      const a = cmd.opts() as unknown as AlertCliOptions;
      const { thresholds, webhook } = parseAlertOptions(ctx, a);
      const keys = await nodesToShow(ctx, nodes, opts.wallet);
      const wallet = opts.wallet === undefined
        ? undefined
        : toHex(await resolvePubkey(ctx, opts.wallet, "wallet"));
      const info = await ctx.info();
      const pollMs = a.poll !== undefined
        ? parsePositive(a.poll, "--poll", 86400) * 1000
        : Math.max(5, info.rules.proofIntervalEpochs * info.epochSeconds) *
          1000;
      const sink = new AlertSink({
        write: (a) => printAlert(ctx, a),
        ...(webhook === undefined ? {} : { webhook }),
        warn: (t) => ctx.out.warn(t),
      });
      if (!opts.once) {
        ctx.out.note(
          `watching ${keys.length} node(s) on ${ctx.client.baseUrl}${
            webhook ? `, alerts also to ${webhook}` : ""
          }; Ctrl-C to stop`,
        );
      }
      const alerts = await runMonitor(ctx, {
        nodes: () => keys,
        ...(wallet === undefined ? {} : { wallet }),
        sink,
        thresholds,
        pollMs,
        signal: ctx.io.signal,
        once: opts.once === true,
      });
      await sink.flush();
      if (opts.once && alerts.length === 0) ctx.out.line("no alerts");
    }),
    [
      "snode node watch",
      "snode node watch --wallet wallet --webhook https://hooks.example/snode",
      "snode node watch 5c1f...a9 --credit-below 120 --once --json",
    ],
  );
}
