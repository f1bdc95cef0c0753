/**
 * The devnet faucet: coins for a wallet, up to the configured limit per
 * request. Other networks have no faucet.
 *
 * @module
 */

import { RegistryError } from "../api/errors.ts";
import { toHex } from "../core/bytes.ts";
import type { FaucetRequest } from "../core/messages.ts";
import { formatCoins } from "../core/params.ts";
import type { ActionContext } from "./context.ts";
import { credit } from "./ledger.ts";

/** Pay a verified faucet request. */
export async function faucet(
  ctx: ActionContext,
  body: FaucetRequest,
): Promise<void> {
  if (!ctx.params.faucet) {
    throw new RegistryError(
      "faucet_disabled",
      `the faucet only runs on devnet; this is ${ctx.params.name}`,
    );
  }
  const limit = ctx.settings.faucetLimit;
  if (body.amount <= 0n || body.amount > limit) {
    throw new RegistryError(
      "faucet_limit",
      `ask the faucet for 0 < amount <= ${formatCoins(limit)} coins`,
    );
  }
  const wallet = toHex(body.wallet);
  await credit(ctx, wallet, body.amount, "faucet", null);
  await ctx.emit("faucet", null, [wallet], { amount: body.amount.toString() });
}
