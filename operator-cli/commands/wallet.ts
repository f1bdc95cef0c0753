/**
 * `snode wallet balance|faucet`.
 *
 * @module
 */

import { Command } from "@commander-js/extra-typings";
import { toHex } from "../../registry/core/bytes.ts";
import { formatCoins } from "../../registry/core/params.ts";
import { RegistryApiError } from "../../registry/client/errors.ts";
import { usage } from "../errors.ts";
import { unlockKey } from "../keystore.ts";
import { formatTime } from "../output.ts";
import { parseAmount, resolvePubkey } from "../parse.ts";
import { commonFields, deliver } from "../signing.ts";
import {
  examples,
  type MakeContext,
  reportDelivery,
  writeOptions,
} from "./shared.ts";

export function walletCommand(make: MakeContext) {
  const wallet = new Command("wallet").description(
    "wallet balance and stakes; devnet faucet",
  );

  examples(
    wallet.command("balance")
      .description("balance, stakes and when each unlocks")
      .argument("[wallet]", "wallet key (hex) or wallet keystore name")
      .option(
        "--wallet <wallet>",
        "the same, as other commands take it (default: the wallet key)",
      )
      .action(async (arg, opts, cmd) => {
        const ctx = make(cmd);
        if (
          arg !== undefined && opts.wallet !== undefined && arg !== opts.wallet
        ) {
          throw usage(
            `two wallets given ("${arg}" and --wallet "${opts.wallet}"): give one`,
          );
        }
        const w = arg ?? opts.wallet ?? "wallet";
        const pubkey = toHex(await resolvePubkey(ctx, w, "wallet"));
        let view;
        try {
          view = await (await ctx.api()).wallet(pubkey);
        } catch (e) {
          if (e instanceof RegistryApiError && e.code === "unknown_wallet") {
            view = { pubkey, balance: "0", staked: "0", stakes: [] };
          } else throw e;
        }
        ctx.out.result(view);
        ctx.out.line(`wallet   ${view.pubkey}`);
        ctx.out.line(`balance  ${formatCoins(BigInt(view.balance))} coins`);
        ctx.out.line(`staked   ${formatCoins(BigInt(view.staked))} coins`);
        if (view.stakes.length > 0) {
          ctx.out.line();
          ctx.out.table(
            ["NODE", "ROLE", "NODE STATE", "AMOUNT", "UNLOCKS"],
            view.stakes.map((s) => [
              s.node,
              s.operator ? "operator" : "contributor",
              s.nodeStatus,
              formatCoins(BigInt(s.amount)),
              s.released
                ? "released"
                : s.unlocksAt
                ? `epoch ${s.unlocksAt.epoch} (~${
                  formatTime(s.unlocksAt.time)
                })`
                : "locked until an unlock is requested",
            ]),
          );
        }
      }),
    [
      "snode wallet balance",
      "snode wallet balance --wallet alice --json",
      "snode wallet balance 3f2a...e1",
    ],
  );

  examples(
    writeOptions(
      wallet.command("faucet")
        .description("ask the devnet faucet for coins")
        .option(
          "--wallet <wallet>",
          "receiving wallet keystore name or path",
          "wallet",
        )
        .option("--amount <coins>", "coins to ask for", "200"),
    ).action(async (opts, cmd) => {
      const ctx = make(cmd);
      const amount = parseAmount(opts.amount, "--amount");
      const key = await unlockKey(ctx, opts.wallet, "wallet");
      const body = {
        kind: "faucet_request" as const,
        ...(await commonFields(ctx, opts)),
        wallet: key.publicKey,
        amount,
      };
      const d = await deliver(ctx, body, [key.secretKey], opts);
      reportDelivery(
        ctx,
        d,
        () =>
          `${ctx.out.c("green", "received")} ${
            formatCoins(amount)
          } coins in wallet ${toHex(key.publicKey)}`,
      );
    }),
    [
      "snode wallet faucet --amount 200",
      "snode wallet faucet --wallet alice --amount 50",
    ],
  );
  return wallet;
}
