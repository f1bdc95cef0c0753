/**
 * Initialise a new database: record its network and credit the genesis
 * allocations (each with a `genesis` event). An existing database must
 * belong to the same network.
 *
 * @module
 */

import { RegistryError } from "../api/errors.ts";
import { fromHex } from "../core/bytes.ts";
import type { ActionContext } from "./context.ts";
import { credit } from "./ledger.ts";

/** A coin allocation made at genesis. */
export interface GenesisAllocation {
  /** Wallet public key, hex. */
  wallet: string;
  /** Atomic units. */
  amount: bigint;
}

/**
 * Set up a new database, or check an existing one is of this network.
 * Returns whether the database was new.
 */
export async function initialise(
  ctx: ActionContext,
  genesis: readonly GenesisAllocation[],
): Promise<boolean> {
  const network = await ctx.tx.meta.network();
  if (network !== undefined) {
    if (network !== ctx.params.name) {
      throw new RegistryError(
        "bad_request",
        `this database belongs to ${network}, not ${ctx.params.name}`,
      );
    }
    return false;
  }
  await ctx.tx.meta.initialise(ctx.params.name);
  for (const g of genesis) {
    fromHex(g.wallet, 32);
    await credit(ctx, g.wallet, g.amount, "genesis", null);
    await ctx.emit("genesis", null, [g.wallet], {
      amount: g.amount.toString(),
    });
  }
  return true;
}
