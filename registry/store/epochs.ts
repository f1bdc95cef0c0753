/**
 * What the registry publishes about each epoch besides its list: the inputs
 * of the epoch in progress (`epoch_inputs`, appended in the transaction of
 * each action), each closed epoch's inputs document (`epoch_documents`),
 * state snapshots after recent ticks (`state_snapshots`), a key rotation
 * waiting for the next tick, and the epochs whose lists rotated the key
 * (kept for as long as the registry runs: clients follow rotations through
 * them).
 *
 * @module
 */

import { fromHex, toHex } from "../core/bytes.ts";
import type { Db } from "./db.ts";

/** An input of the epoch in progress, as stored. */
export interface StoredInput {
  epoch: number;
  kind: "genesis" | "write" | "reachability" | "key_rotation";
  /** Unix milliseconds. */
  atMs: number;
  payload: Uint8Array;
}

/** An epoch's inputs document, or a state snapshot. */
export interface StoredDocument {
  epoch: number;
  /** SHA-256 of the bytes, hex. */
  hash: string;
  bytes: Uint8Array;
}

/** A key rotation a published list announced. */
export interface RotationRecord {
  /** The list that carries it. */
  epoch: number;
  /** Hex. */
  oldKey: string;
  /** Hex. */
  newKey: string;
}

const PENDING_ROTATION = "pending_rotation";
const ROTATION_PREFIX = "rotation:";

/** Epoch inputs, documents, snapshots and rotations. */
export class EpochStore {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  /** Append an input of the epoch in progress. */
  async appendInput(input: StoredInput): Promise<void> {
    await this.#db.insertInto("epoch_inputs").values({
      epoch: input.epoch,
      kind: input.kind,
      at_ms: input.atMs,
      payload: input.payload,
    }).execute();
  }

  /** The inputs recorded for `epoch`, in the order applied. */
  async inputs(epoch: number): Promise<StoredInput[]> {
    const rows = await this.#db.selectFrom("epoch_inputs")
      .select(["epoch", "kind", "at_ms", "payload"])
      .where("epoch", "=", epoch).orderBy("id", "asc").execute();
    return rows.map((r) => ({
      epoch: Number(r.epoch),
      kind: r.kind as StoredInput["kind"],
      atMs: Number(r.at_ms),
      payload: new Uint8Array(r.payload),
    }));
  }

  /** Forget the inputs of epochs up to `epoch` (they are in a document now). */
  async dropInputsThrough(epoch: number): Promise<void> {
    await this.#db.deleteFrom("epoch_inputs").where("epoch", "<=", epoch)
      .execute();
  }

  /** Keep an epoch's inputs document. */
  async insertDocument(doc: StoredDocument): Promise<void> {
    await this.#db.insertInto("epoch_documents").values({
      epoch: doc.epoch,
      hash: doc.hash,
      encoded: doc.bytes,
    }).execute();
  }

  /** The inputs document of `epoch`, undefined when not kept. */
  async document(epoch: number): Promise<StoredDocument | undefined> {
    const row = await this.#db.selectFrom("epoch_documents").selectAll()
      .where("epoch", "=", epoch).executeTakeFirst();
    return row
      ? {
        epoch: Number(row.epoch),
        hash: row.hash,
        bytes: new Uint8Array(row.encoded),
      }
      : undefined;
  }

  /** The newest document's epoch and hash, undefined before the first. */
  async latestDocument(): Promise<
    { epoch: number; hash: string } | undefined
  > {
    const row = await this.#db.selectFrom("epoch_documents")
      .select(["epoch", "hash"]).orderBy("epoch", "desc").limit(1)
      .executeTakeFirst();
    return row ? { epoch: Number(row.epoch), hash: row.hash } : undefined;
  }

  /** Forget documents of epochs up to `epoch`. */
  async pruneDocumentsThrough(epoch: number): Promise<void> {
    await this.#db.deleteFrom("epoch_documents").where("epoch", "<=", epoch)
      .execute();
  }

  /** Keep a state snapshot. */
  async insertSnapshot(snapshot: StoredDocument): Promise<void> {
    await this.#db.insertInto("state_snapshots").values({
      epoch: snapshot.epoch,
      hash: snapshot.hash,
      encoded: snapshot.bytes,
    }).execute();
  }

  /** The snapshot after `epoch` (or the newest), undefined when not kept. */
  async snapshot(
    epoch: number | "latest",
  ): Promise<StoredDocument | undefined> {
    let q = this.#db.selectFrom("state_snapshots").selectAll();
    q = epoch === "latest"
      ? q.orderBy("epoch", "desc").limit(1)
      : q.where("epoch", "=", epoch);
    const row = await q.executeTakeFirst();
    return row
      ? {
        epoch: Number(row.epoch),
        hash: row.hash,
        bytes: new Uint8Array(row.encoded),
      }
      : undefined;
  }

  /** Forget snapshots of epochs up to `epoch`. */
  async pruneSnapshotsThrough(epoch: number): Promise<void> {
    await this.#db.deleteFrom("state_snapshots").where("epoch", "<=", epoch)
      .execute();
  }

  /** The key rotation waiting for the next tick (its payload), if any. */
  async pendingRotation(): Promise<Uint8Array | undefined> {
    const row = await this.#db.selectFrom("meta").select("value")
      .where("key", "=", PENDING_ROTATION).executeTakeFirst();
    return row ? fromHex(row.value) : undefined;
  }

  /** Set (or, with undefined, clear) the pending key rotation. */
  async setPendingRotation(payload: Uint8Array | undefined): Promise<void> {
    await this.#db.deleteFrom("meta").where("key", "=", PENDING_ROTATION)
      .execute();
    if (payload !== undefined) {
      await this.#db.insertInto("meta")
        .values({ key: PENDING_ROTATION, value: toHex(payload) }).execute();
    }
  }

  /** Remember that list `epoch` rotated `oldKey` to `newKey`. */
  async recordRotation(r: RotationRecord): Promise<void> {
    await this.#db.insertInto("meta").values({
      key: ROTATION_PREFIX + String(r.epoch).padStart(16, "0"),
      value: `${r.oldKey}:${r.newKey}`,
    }).execute();
  }

  /** Every key rotation, oldest first. */
  async rotations(): Promise<RotationRecord[]> {
    const rows = await this.#db.selectFrom("meta").select(["key", "value"])
      .where("key", "like", ROTATION_PREFIX + "%").orderBy("key", "asc")
      .execute();
    return rows.map((r) => {
      const [oldKey, newKey] = r.value.split(":");
      return {
        epoch: Number(r.key.slice(ROTATION_PREFIX.length)),
        oldKey: oldKey!,
        newKey: newKey!,
      };
    });
  }
}
