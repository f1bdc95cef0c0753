/**
 * `snode node watch`: alerts for nodes, on the terminal and to a webhook.
 *
 * @module
 */

import { Command } from "@commander-js/extra-typings";
import { toHex } from "../../registry/core/bytes.ts";
import { AlertSink } from "../alerts.ts";
import { printAlert, runMonitor } from "../monitor.ts";
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
