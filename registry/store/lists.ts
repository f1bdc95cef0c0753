/**
 * The `lists` table: every published node list (the signed bytes) kept
 * within the retention, with its epoch, body hash and chain link.
 *
 * @module
 */

import type { Db } from "./db.ts";

/** A published list's facts, without its bytes. */
export interface ListMeta {
  epoch: number;
  /** Body hash, hex. */
  hash: string;
  /** The previous list's body hash, hex (zeros for the first). */
  prevHash: string;
  /** Unix seconds. */
  publishedAt: number;
  nodeCount: number;
  /** Witness co-signatures attached so far (v2 lists). */
  cosignatures: number;
}

/** A published list with its signed bytes. */
export interface StoredList extends ListMeta {
  bytes: Uint8Array;
}

const META = [
  "epoch",
  "hash",
  "prev_hash",
  "published_at",
  "node_count",
  "cosignatures",
] as const;

function metaOf(r: {
  epoch: number;
  hash: string;
  prev_hash: string;
  published_at: number;
  node_count: number;
  cosignatures: number;
}): ListMeta {
  return {
    epoch: Number(r.epoch),
    hash: r.hash,
    prevHash: r.prev_hash,
    publishedAt: Number(r.published_at),
    nodeCount: Number(r.node_count),
    cosignatures: Number(r.cosignatures),
  };
}

/** Published lists. */
export class ListStore {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  /** The newest list's facts, undefined before the first. */
  async latest(): Promise<ListMeta | undefined> {
    const row = await this.#db.selectFrom("lists").select(META)
      .orderBy("epoch", "desc").limit(1).executeTakeFirst();
    return row ? metaOf(row) : undefined;
  }

  /** The facts of the list of `epoch`, undefined when not kept. */
  async meta(epoch: number): Promise<ListMeta | undefined> {
    const row = await this.#db.selectFrom("lists").select(META)
      .where("epoch", "=", epoch).executeTakeFirst();
    return row ? metaOf(row) : undefined;
  }

  /** The list of `epoch` with its bytes, undefined when not kept. */
  async find(epoch: number): Promise<StoredList | undefined> {
    const row = await this.#db.selectFrom("lists").select([...META, "encoded"])
      .where("epoch", "=", epoch).executeTakeFirst();
    return row
      ? { ...metaOf(row), bytes: new Uint8Array(row.encoded) }
      : undefined;
  }

  /** Keep a published list. */
  async insert(
    list: Omit<StoredList, "cosignatures"> & { cosignatures?: number },
  ): Promise<void> {
    await this.#db.insertInto("lists").values({
      epoch: list.epoch,
      hash: list.hash,
      prev_hash: list.prevHash,
      published_at: list.publishedAt,
      node_count: list.nodeCount,
      encoded: list.bytes,
      cosignatures: list.cosignatures ?? 0,
    }).execute();
  }

  /**
   * Replace a list's bytes with the same list carrying more co-signatures
   * (its identity, and so its hash, stays).
   */
  async updateCosigned(
    epoch: number,
    bytes: Uint8Array,
    cosignatures: number,
  ): Promise<void> {
    await this.#db.updateTable("lists").set({ encoded: bytes, cosignatures })
      .where("epoch", "=", epoch).execute();
  }

  /** Forget lists of epochs up to `epoch`, except those in `keep`. */
  async pruneThrough(
    epoch: number,
    keep: readonly number[] = [],
  ): Promise<void> {
    let q = this.#db.deleteFrom("lists").where("epoch", "<=", epoch);
    if (keep.length > 0) q = q.where("epoch", "not in", [...keep]);
    await q.execute();
  }
}
