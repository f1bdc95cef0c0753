/**
 * The rows behind the state commitment (core `state.ts`): every node with
 * its stakes, every wallet balance and every signer's sequence, read in key
 * order; and loading them into an empty database (a witness starting from a
 * snapshot instead of replaying from genesis).
 *
 * @module
 */

import type { Db } from "./db.ts";
import type {
  NodeTable,
  SequenceTable,
  StakeTable,
  WalletTable,
} from "./schema.ts";

/** Every row the state commitment covers. */
export interface StateRows {
  /** Ordered by pubkey. */
  nodes: NodeTable[];
  /** Ordered by node, then position. */
  stakes: StakeTable[];
  /** Ordered by pubkey. */
  wallets: WalletTable[];
  /** Ordered by signer. */
  sequences: SequenceTable[];
}

const CHUNK = 200;

/** Reads and loads the state rows. */
export class StateStore {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  /** Every state row, in key order. */
  async read(): Promise<StateRows> {
    const db = this.#db;
    return {
      nodes: await db.selectFrom("nodes").selectAll().orderBy("pubkey")
        .execute(),
      stakes: await db.selectFrom("stakes").selectAll()
        .orderBy("node").orderBy("position").execute(),
      wallets: await db.selectFrom("wallets").selectAll().orderBy("pubkey")
        .execute(),
      sequences: await db.selectFrom("sequences").selectAll()
        .orderBy("signer").execute(),
    };
  }

  /** Whether no node, wallet or sequence is stored yet. */
  async isEmpty(): Promise<boolean> {
    const db = this.#db;
    const any = async (t: "nodes" | "wallets" | "sequences") =>
      (await db.selectFrom(t).select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow()).n;
    return Number(await any("nodes")) === 0 &&
      Number(await any("wallets")) === 0 &&
      Number(await any("sequences")) === 0;
  }

  /** Insert state rows into empty tables. */
  async load(rows: StateRows): Promise<void> {
    const db = this.#db;
    for (let i = 0; i < rows.nodes.length; i += CHUNK) {
      await db.insertInto("nodes").values(rows.nodes.slice(i, i + CHUNK))
        .execute();
    }
    for (let i = 0; i < rows.stakes.length; i += CHUNK) {
      await db.insertInto("stakes").values(rows.stakes.slice(i, i + CHUNK))
        .execute();
    }
    for (let i = 0; i < rows.wallets.length; i += CHUNK) {
      await db.insertInto("wallets").values(rows.wallets.slice(i, i + CHUNK))
        .execute();
    }
    for (let i = 0; i < rows.sequences.length; i += CHUNK) {
      await db.insertInto("sequences")
        .values(rows.sequences.slice(i, i + CHUNK)).execute();
    }
  }
}
