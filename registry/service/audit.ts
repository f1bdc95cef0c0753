/**
 * The ledger's conservation law: coins are created only by genesis and the
 * faucet, so at every moment
 * `minted = spendable balances + stakes still locked in nodes`.
 *
 * @module
 */

import type { Kysely } from "kysely";
import type { Database } from "../db/schema.ts";

/** The totals behind the conservation law, atomic units. */
export interface LedgerAudit {
  /** Sum of genesis and faucet credits. */
  minted: bigint;
  /** Sum of wallet balances. */
  spendable: bigint;
  /** Sum of stakes in nodes whose stakes have not been released. */
  staked: bigint;
  /** Whether minted = spendable + staked, and the ledger entries add up to the balances. */
  balanced: boolean;
}

/** Recompute every total from the tables. */
export async function auditLedger(db: Kysely<Database>): Promise<LedgerAudit> {
  const sum = (xs: { v: string }[]) => xs.reduce((a, x) => a + BigInt(x.v), 0n);
  const minted = sum(
    await db.selectFrom("ledger").select("delta as v")
      .where("kind", "in", ["genesis", "faucet"]).execute(),
  );
  const entries = sum(
    await db.selectFrom("ledger").select("delta as v").execute(),
  );
  const spendable = sum(
    await db.selectFrom("wallets").select("balance as v").execute(),
  );
  const staked = sum(
    await db.selectFrom("stakes")
      .innerJoin("nodes", "nodes.pubkey", "stakes.node")
      .where("nodes.stakes_released_at", "is", null)
      .select("stakes.amount as v").execute(),
  );
  return {
    minted,
    spendable,
    staked,
    balanced: minted === spendable + staked && entries === spendable,
  };
}
