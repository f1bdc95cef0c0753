/**
 * A witness's own records, beside the registry state it replays (in the
 * same database, so a decision commits with the replayed epoch): the
 * decisions (at most one co-signed checkpoint per epoch, ever: the primary
 * key refuses a second), the equivocation proofs it found, and its facts
 * (the registry keys it follows, why it stopped) in `meta`.
 *
 * @module
 */

import type { Db } from "./db.ts";

/** A decision to co-sign one checkpoint for one epoch. */
export interface Decision {
  epoch: number;
  /** Checkpoint hash, hex. */
  checkpointHash: string;
  /** The signed checkpoint: header, registry signatures, this witness's co-signature. */
  checkpoint: Uint8Array;
  /** Unix seconds in the co-signature. */
  cosignedAt: number;
  /** The co-signature's 64 bytes. */
  signature: Uint8Array;
}

/** An equivocation proof the witness found. */
export interface StoredProof {
  epoch: number;
  role: string;
  /** Hex. */
  signer: string;
  /** The proof's JSON text. */
  proof: string;
  /** Unix seconds. */
  foundAt: number;
}

const PREFIX = "witness:";

/** Decisions, proofs and facts of a witness. */
export class WitnessStore {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  /** The decision for `epoch`, undefined when none was made. */
  async decision(epoch: number): Promise<Decision | undefined> {
    const row = await this.#db.selectFrom("witness_decisions").selectAll()
      .where("epoch", "=", epoch).executeTakeFirst();
    return row ? decisionOf(row) : undefined;
  }

  /** The newest decision, undefined before the first. */
  async latestDecision(): Promise<Decision | undefined> {
    const row = await this.#db.selectFrom("witness_decisions").selectAll()
      .orderBy("epoch", "desc").limit(1).executeTakeFirst();
    return row ? decisionOf(row) : undefined;
  }

  /** Record a decision; fails if one exists for the epoch. */
  async decide(d: Decision): Promise<void> {
    await this.#db.insertInto("witness_decisions").values({
      epoch: d.epoch,
      checkpoint_hash: d.checkpointHash,
      checkpoint: d.checkpoint,
      cosigned_at: d.cosignedAt,
      signature: d.signature,
    }).execute();
  }

  /** Keep a proof. */
  async addProof(p: StoredProof): Promise<void> {
    await this.#db.insertInto("witness_proofs").values({
      epoch: p.epoch,
      role: p.role,
      signer: p.signer,
      proof: p.proof,
      found_at: p.foundAt,
    }).execute();
  }

  /** Every proof, oldest first. */
  async proofs(): Promise<StoredProof[]> {
    const rows = await this.#db.selectFrom("witness_proofs").selectAll()
      .orderBy("id", "asc").execute();
    return rows.map((r) => ({
      epoch: Number(r.epoch),
      role: r.role,
      signer: r.signer,
      proof: r.proof,
      foundAt: Number(r.found_at),
    }));
  }

  /** A fact of the witness, undefined when unset. */
  async fact(name: string): Promise<string | undefined> {
    const row = await this.#db.selectFrom("meta").select("value")
      .where("key", "=", PREFIX + name).executeTakeFirst();
    return row?.value;
  }

  /** Set a fact. */
  async setFact(name: string, value: string): Promise<void> {
    await this.#db.insertInto("meta").values({ key: PREFIX + name, value })
      .onConflict((oc) => oc.column("key").doUpdateSet({ value }))
      .execute();
  }
}

function decisionOf(r: {
  epoch: number;
  checkpoint_hash: string;
  checkpoint: Uint8Array;
  cosigned_at: number;
  signature: Uint8Array;
}): Decision {
  return {
    epoch: Number(r.epoch),
    checkpointHash: r.checkpoint_hash,
    checkpoint: new Uint8Array(r.checkpoint),
    cosignedAt: Number(r.cosigned_at),
    signature: new Uint8Array(r.signature),
  };
}
