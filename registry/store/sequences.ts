/**
 * The `sequences` table: the highest sequence number accepted from each
 * signing key (replay protection, network.md: signed messages carry a
 * per-signer sequence).
 *
 * @module
 */

import type { Db } from "./db.ts";

/** Sequence numbers by signer. */
export class SequenceStore {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  /** The signer's last accepted sequence, -1 when none. */
  async last(signer: string): Promise<number> {
    const row = await this.#db.selectFrom("sequences").select("last_sequence")
      .where("signer", "=", signer).executeTakeFirst();
    return row ? Number(row.last_sequence) : -1;
  }

  /**
   * Record `sequence` as the signer's last accepted one if it is higher
   * than the last (one statement); false, changing nothing, if it is not.
   */
  async advanceIfHigher(signer: string, sequence: number): Promise<boolean> {
    const result = await this.#db.insertInto("sequences")
      .values({ signer, last_sequence: sequence })
      .onConflict((oc) =>
        oc.column("signer").doUpdateSet({ last_sequence: sequence })
          .where("sequences.last_sequence", "<", sequence)
      )
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  /** Record `sequence` as the signer's last accepted one. */
  async advance(signer: string, sequence: number): Promise<void> {
    await this.#db.insertInto("sequences")
      .values({ signer, last_sequence: sequence })
      .onConflict((oc) =>
        oc.column("signer").doUpdateSet({ last_sequence: sequence })
      )
      .execute();
  }
}
