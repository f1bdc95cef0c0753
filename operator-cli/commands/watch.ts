/**
 * `snode node watch`: alerts for nodes, on the terminal and to a webhook.
 *
 * @module
 */

import { Command } from "@commander-js/extra-typings";
import { toHex } from "../../registry/core/bytes.ts";
import { AlertSink, OutageTracker } from "../alerts.ts";
import { printAlert, runMonitor, untilReachable } from "../monitor.ts";
import { parsePositive, resolvePubkey } from "../parse.ts";
import {
  type AlertCliOptions,
  nodesToShow,
  parseAlertOptions,
  withAlertOptions,
} from "./node_options.ts";
import { examples, type MakeContext } from "./shared.ts";

export function watchCommand(make: MakeContext) {
  return examples(
    withAlertOptions(
      new Command("watch")
        .description(
          "alerts keyed to consequences (missed proofs, low credit, decommissioned, deregistration soon, unlock in 48/24/6 h, contributions, outdated version, registry unreachable), debounced",
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
      const { thresholds, webhook, unreachableAfter, failFast } =
        parseAlertOptions(ctx, a);
      const wallet = opts.wallet === undefined
        ? undefined
        : toHex(await resolvePubkey(ctx, opts.wallet, "wallet"));
      const sink = new AlertSink({
        write: (a) => printAlert(ctx, a),
        ...(webhook === undefined ? {} : { webhook }),
        warn: (t) => ctx.out.warn(t),
      });
      const outage = new OutageTracker({
        url: ctx.client.baseUrl,
        afterSeconds: unreachableAfter,
      });
      // A registry down at start is waited for (a cron run with --once
      // fails at once instead).
      const start = await untilReachable(ctx, async () => ({
        keys: await nodesToShow(ctx, nodes, opts.wallet),
        info: await ctx.info(),
      }), {
        outage,
        deliver: (alerts) => sink.deliver(alerts),
        failFast: failFast || opts.once === true,
        signal: ctx.io.signal,
      });
      if (start === undefined) return await sink.flush();
      const { keys, info } = start;
      const pollMs = a.poll !== undefined
        ? parsePositive(a.poll, "--poll", 86400) * 1000
        : Math.max(5, info.rules.proofIntervalEpochs * info.epochSeconds) *
          1000;
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
        info,
        outage,
      });
      await sink.flush();
      if (opts.once && alerts.length === 0) ctx.out.line("no alerts");
    }),
    [
      "snode node watch",
      "snode node watch --wallet wallet --webhook https://hooks.example/snode",
      "snode node watch 5c1f...a9 --credit-below 120 --once --json",
      "snode node watch --unreachable-after 120 --webhook https://hooks.example/snode",
    ],
  );
}
