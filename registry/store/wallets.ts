/**
 * The `wallets` and `ledger` tables: spendable balances, and the
 * append-only record of every change to one. Staked coins are not in a
 * balance but in the nodes' stakes, so the conservation law is
 * `minted = spendable + staked` ({@linkcode WalletStore.audit}).
 *
 * @module
 */

import type { Db } from "./db.ts";
import type { WalletTable } from "./schema.ts";

/** Why a balance changed. */
export type LedgerKind =
  | "genesis"
  | "faucet"
  | "stake"
  | "unstake"
  | "cancel_refund";

/** One change to a balance. */
export interface LedgerEntry {
  /** Wallet, hex. */
  wallet: string;
  /** Signed atomic units. */
  delta: bigint;
  kind: LedgerKind;
  /** The node concerned (stakes), hex. */
  node: string | null;
  epoch: number;
  /** Unix milliseconds. */
  createdAt: number;
}

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

/** A wallet row as selected. */
export type WalletRow = WalletTable;

/** Balances and the ledger. */
export class WalletStore {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  /** A wallet's row, undefined when it never held coins. */
  async find(wallet: string): Promise<WalletRow | undefined> {
    return await this.#db.selectFrom("wallets").selectAll()
      .where("pubkey", "=", wallet).executeTakeFirst();
  }

  /** Spendable atomic units (0 for an unknown wallet). */
  async balance(wallet: string): Promise<bigint> {
    const row = await this.#db.selectFrom("wallets").select("balance")
      .where("pubkey", "=", wallet).executeTakeFirst();
    return row ? BigInt(row.balance) : 0n;
  }

  /**
   * Apply a change to a balance and append it to the ledger. The caller
   * checks the balance covers a debit (a rule, with its own error).
   */
  async post(entry: LedgerEntry): Promise<void> {
    const row = await this.#db.selectFrom("wallets").select("balance")
      .where("pubkey", "=", entry.wallet).executeTakeFirst();
    if (row) {
      await this.#db.updateTable("wallets").set({
        balance: (BigInt(row.balance) + entry.delta).toString(),
      }).where("pubkey", "=", entry.wallet).execute();
    } else {
      await this.#db.insertInto("wallets").values({
        pubkey: entry.wallet,
        balance: entry.delta.toString(),
        created_epoch: entry.epoch,
      }).execute();
    }
    await this.#db.insertInto("ledger").values({
      wallet: entry.wallet,
      delta: entry.delta.toString(),
      kind: entry.kind,
      node: entry.node,
      epoch: entry.epoch,
      created_at: entry.createdAt,
    }).execute();
  }

  /** Recompute every total from the tables. */
  async audit(): Promise<LedgerAudit> {
    const sum = (xs: { v: string }[]) =>
      xs.reduce((a, x) => a + BigInt(x.v), 0n);
    const db = this.#db;
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
}
