/**
 * `snode stake contribute|open`.
 *
 * @module
 */

import { Command } from "@commander-js/extra-typings";
import { toHex } from "../../registry/core/bytes.ts";
import { formatCoins } from "../../registry/core/params.ts";
import { unlockKey } from "../keystore.ts";
import { short } from "../output.ts";
import { parseAmount, resolvePubkey } from "../parse.ts";
import { commonFields, deliver } from "../signing.ts";
import {
  examples,
  type MakeContext,
  reportDelivery,
  writeOptions,
} from "./shared.ts";

export function stakeCommand(make: MakeContext) {
  const stake = new Command("stake").description(
    "contribute to nodes and find nodes still taking contributions",
  );

  examples(
    writeOptions(
      stake.command("contribute")
        .description("contribute stake to a node awaiting contributions")
        .requiredOption("--node <node>", "node key (hex) or node keystore name")
        .requiredOption("--amount <coins>", "coins to contribute")
        .option(
          "--wallet <wallet>",
          "contributing wallet keystore name or path",
          "wallet",
        ),
    ).action(async (opts, cmd) => {
      const ctx = make(cmd);
      const nodePubkey = await resolvePubkey(ctx, opts.node, "node");
      const amount = parseAmount(opts.amount, "--amount");
      const wallet = await unlockKey(ctx, opts.wallet, "wallet");
      const body = {
        kind: "contribute" as const,
        ...(await commonFields(ctx, opts)),
        wallet: wallet.publicKey,
        nodePubkey,
        amount,
      };
      const d = await deliver(ctx, body, [wallet.secretKey], opts);
      reportDelivery(
        ctx,
        d,
        (r) =>
          `${ctx.out.c("green", "contributed")} ${
            formatCoins(amount)
          } coins to node ${toHex(nodePubkey)}: node is ${r.result.status}`,
      );
    }),
    [
      "snode stake open",
      "snode stake contribute --node 5c1f...a9 --amount 30",
      "snode stake contribute --node 5c1f...a9 --amount 30 --wallet alice --offline --network devnet --out c.json",
    ],
  );

  examples(
    stake.command("open")
      .description(
        "nodes still taking contributions, with their minimum contribution and fee",
      )
      .action(async (_opts, cmd) => {
        const ctx = make(cmd);
        const nodes = await (await ctx.api()).openNodes();
        ctx.out.result({ nodes });
        if (nodes.length === 0) {
          ctx.out.line("no node is taking contributions right now");
          return;
        }
        ctx.out.table(
          ["NODE", "FEE", "FUNDED", "OPEN SPOTS", "MIN", "MAX", "OPERATOR"],
          nodes.map((n) => [
            n.pubkey,
            `${n.feeBasisPoints / 100}%`,
            `${formatCoins(BigInt(n.contributed))}/${
              formatCoins(BigInt(n.requirement))
            }`,
            String(n.openSlots),
            formatCoins(BigInt(n.minContribution)),
            formatCoins(BigInt(n.maxContribution)),
            short(n.operator),
          ]),
        );
      }),
    ["snode stake open", "snode stake open --json"],
  );
  return stake;
}
