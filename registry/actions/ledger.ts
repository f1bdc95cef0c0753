/**
 * Moving coins: every credit and debit goes through here, so each one is a
 * ledger entry and a debit never takes a balance below zero.
 *
 * @module
 */

import { RegistryError } from "../api/errors.ts";
import { formatCoins } from "../core/params.ts";
import type { LedgerKind } from "../store/wallets.ts";
import type { ActionContext } from "./context.ts";

/** Add coins to a wallet. */
export async function credit(
  ctx: ActionContext,
  wallet: string,
  amount: bigint,
  kind: LedgerKind,
  node: string | null,
): Promise<void> {
  await ctx.tx.wallets.post({
    wallet,
    delta: amount,
    kind,
    node,
    epoch: ctx.epoch,
    createdAt: ctx.now,
  });
}

/** Take coins from a wallet; `insufficient_balance` when it has too few. */
export async function debit(
  ctx: ActionContext,
  wallet: string,
  amount: bigint,
  kind: LedgerKind,
  node: string | null,
): Promise<void> {
  const balance = await ctx.tx.wallets.balance(wallet);
  if (balance < amount) {
    throw new RegistryError(
      "insufficient_balance",
      `wallet ${wallet} has ${formatCoins(balance)} coins, ${
        formatCoins(amount)
      } needed`,
    );
  }
  await ctx.tx.wallets.post({
    wallet,
    delta: -amount,
    kind,
    node,
    epoch: ctx.epoch,
    createdAt: ctx.now,
  });
}
