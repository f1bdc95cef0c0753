/**
 * The `lists` table: every published node list kept within the retention,
 * with its epoch, body hash and chain link, stored as periodic snapshots
 * plus record deltas and given back byte for byte.
 *
 * A list is `header || records || signatures` (core's `splitNodeList`).
 * A `full` row holds the list's bytes. A `delta` row holds only what
 * changed from the list stored before it:
 *
 * ```text
 * u32 header length | header | u32 removed length | removed keys (32 each)
 * | u32 upserts length | upserted records | signatures (the rest)
 * ```
 *
 * so a list of N records with 1% churn costs ~1% of a full one. A full row
 * is written at least every `snapshotEvery` epochs, so reading a list
 * applies at most `snapshotEvery - 1` deltas to a snapshot (record bytes
 * merged, nothing decoded). Rows from before deltas existed are full.
 * Pruning keeps the chain whole: the oldest list kept is made full first.
 *
 * Witness co-signatures arrive after publication: they change a list's
 * signature sections, never its records, so a row takes them in place (a
 * delta row's trailing signatures) and the deltas after it stay valid.
 *
 * @module
 */

import { sql } from "kysely";
import {
  applyRecordDelta,
  diffRecordSections,
  splitNodeList,
} from "../core/nodelist.ts";
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
  /** Length of the signed bytes (signatures added later change it). */
  size: number;
  /** Witness co-signatures attached so far (v2 lists). */
  cosignatures: number;
}

/** A published list with its signed bytes. */
export interface StoredList extends Omit<ListMeta, "size"> {
  bytes: Uint8Array;
}

/** A list to keep (co-signatures default to none). */
export type NewList = Omit<StoredList, "cosignatures"> & {
  cosignatures?: number;
};

/** How a list is written. */
export interface ListInsertOptions {
  /** Write a full snapshot when the last one is this many epochs old (1: always). Default 32. */
  snapshotEvery?: number;
}

/** Bytes kept for the lists, by how they are stored. */
export interface ListStorageStats {
  lists: number;
  full: number;
  deltas: number;
  /** Bytes stored. */
  storedBytes: number;
  /** Bytes of the lists as served. */
  listBytes: number;
}

const META = [
  "epoch",
  "hash",
  "prev_hash",
  "published_at",
  "node_count",
  "size",
  "cosignatures",
] as const;

function metaOf(r: {
  epoch: number;
  hash: string;
  prev_hash: string;
  published_at: number;
  node_count: number;
  size: number | null;
  cosignatures: number;
}): ListMeta {
  return {
    epoch: Number(r.epoch),
    hash: r.hash,
    prevHash: r.prev_hash,
    publishedAt: Number(r.published_at),
    nodeCount: Number(r.node_count),
    size: Number(r.size ?? 0),
    cosignatures: Number(r.cosignatures),
  };
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Encode the delta row of `bytes` given the records of the list before it. */
export function encodeListDelta(
  baseRecords: Uint8Array,
  bytes: Uint8Array,
): Uint8Array {
  const s = splitNodeList(bytes);
  const { removed, upserts } = diffRecordSections(baseRecords, s.recordBytes);
  return concat([
    u32(s.headerBytes.length),
    s.headerBytes,
    u32(removed.length),
    removed,
    u32(upserts.length),
    upserts,
    s.signatureBytes,
  ]);
}

/** A delta row's parts. */
function deltaParts(delta: Uint8Array) {
  const view = new DataView(delta.buffer, delta.byteOffset, delta.byteLength);
  let at = 0;
  const take = () => {
    const n = view.getUint32(at);
    const part = delta.subarray(at + 4, at + 4 + n);
    at += 4 + n;
    return part;
  };
  const header = take();
  const removed = take();
  const upserts = take();
  return { header, removed, upserts, signaturesAt: at };
}

/** Apply a delta row to the full bytes of the list before it. */
export function applyListDelta(
  baseBytes: Uint8Array,
  delta: Uint8Array,
): Uint8Array {
  const { header, removed, upserts, signaturesAt } = deltaParts(delta);
  const signatures = delta.subarray(signaturesAt);
  const records = applyRecordDelta(splitNodeList(baseBytes).recordBytes, {
    removed,
    upserts,
  });
  return concat([header, records, signatures]);
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
    const row = await this.#db.selectFrom("lists").select(META)
      .where("epoch", "=", epoch).executeTakeFirst();
    if (!row) return undefined;
    const { size: _, ...meta } = metaOf(row);
    return { ...meta, bytes: await this.#bytes(epoch) };
  }

  /** The signed bytes of a kept list: its snapshot, then each delta after it. */
  async #bytes(epoch: number): Promise<Uint8Array> {
    const snapshot = await this.#db.selectFrom("lists").select("epoch")
      .where("epoch", "<=", epoch).where("storage", "=", "full")
      .orderBy("epoch", "desc").limit(1).executeTakeFirst();
    if (!snapshot) throw new Error(`list ${epoch} has no snapshot before it`);
    const rows = await this.#db.selectFrom("lists")
      .select(["epoch", "storage", "encoded"])
      .where("epoch", ">=", Number(snapshot.epoch))
      .where("epoch", "<=", epoch).orderBy("epoch").execute();
    let bytes = new Uint8Array(rows[0]!.encoded);
    for (const r of rows.slice(1)) {
      bytes = new Uint8Array(applyListDelta(bytes, new Uint8Array(r.encoded)));
    }
    return bytes;
  }

  /** Keep a published list: a snapshot, or a delta from the list before it. */
  async insert(
    list: NewList,
    options: ListInsertOptions = {},
  ): Promise<void> {
    const every = options.snapshotEvery ?? 32;
    const previous = await this.latest();
    const lastFull = every <= 1 || !previous
      ? undefined
      : await this.#db.selectFrom("lists").select("epoch")
        .where("storage", "=", "full").orderBy("epoch", "desc").limit(1)
        .executeTakeFirst();
    const full = lastFull === undefined ||
      list.epoch - Number(lastFull.epoch) >= every;
    const encoded = full ? list.bytes : encodeListDelta(
      splitNodeList(await this.#bytes(previous!.epoch)).recordBytes,
      list.bytes,
    );
    await this.#db.insertInto("lists").values({
      epoch: list.epoch,
      hash: list.hash,
      prev_hash: list.prevHash,
      published_at: list.publishedAt,
      node_count: list.nodeCount,
      encoded,
      storage: full ? "full" : "delta",
      size: list.bytes.length,
      cosignatures: list.cosignatures ?? 0,
    }).execute();
  }

  /**
   * Replace a list's bytes with the same list carrying more co-signatures
   * (its identity, and so its hash, and its records stay).
   */
  async updateCosigned(
    epoch: number,
    bytes: Uint8Array,
    cosignatures: number,
  ): Promise<void> {
    const row = await this.#db.selectFrom("lists")
      .select(["storage", "encoded"]).where("epoch", "=", epoch)
      .executeTakeFirst();
    if (!row) return;
    let encoded = bytes;
    if (row.storage !== "full") {
      // Same header and records: keep the delta, take the new signatures.
      const delta = new Uint8Array(row.encoded);
      const { signaturesAt } = deltaParts(delta);
      encoded = concat([
        delta.subarray(0, signaturesAt),
        splitNodeList(bytes).signatureBytes,
      ]);
    }
    await this.#db.updateTable("lists")
      .set({ encoded, cosignatures, size: bytes.length })
      .where("epoch", "=", epoch).execute();
  }

  /**
   * Forget lists of epochs up to `epoch`, except those in `keep`. The
   * oldest list kept after `epoch`, and every list in `keep`, become
   * snapshots first, so every list kept can still be read.
   */
  async pruneThrough(
    epoch: number,
    keep: readonly number[] = [],
  ): Promise<void> {
    const hasOlder = await this.#db.selectFrom("lists").select("epoch")
      .where("epoch", "<=", epoch).limit(1).executeTakeFirst();
    if (!hasOlder) return;
    const oldest = await this.#db.selectFrom("lists")
      .select(["epoch", "storage"]).where("epoch", ">", epoch)
      .orderBy("epoch").limit(1).executeTakeFirst();
    const survivors = [
      ...(oldest ? [Number(oldest.epoch)] : []),
      ...keep.filter((e) => e <= epoch),
    ];
    // Read every survivor's bytes before anything is rewritten or deleted.
    const full = new Map<number, Uint8Array>();
    for (const e of survivors) {
      const row = await this.#db.selectFrom("lists").select("storage")
        .where("epoch", "=", e).executeTakeFirst();
      if (row && row.storage !== "full") full.set(e, await this.#bytes(e));
    }
    for (const [e, bytes] of full) {
      await this.#db.updateTable("lists")
        .set({ encoded: bytes, storage: "full" })
        .where("epoch", "=", e).execute();
    }
    let q = this.#db.deleteFrom("lists").where("epoch", "<=", epoch);
    if (keep.length > 0) q = q.where("epoch", "not in", [...keep]);
    await q.execute();
  }

  /** How the kept lists are stored, in bytes. */
  async storage(): Promise<ListStorageStats> {
    const rows = await this.#db.selectFrom("lists")
      .select((eb) => [
        "storage",
        eb.fn.countAll<number>().as("n"),
        eb.fn.sum<number>(sql`length(encoded)`).as("stored"),
        eb.fn.sum<number>("size").as("served"),
      ])
      .groupBy("storage").execute();
    const out: ListStorageStats = {
      lists: 0,
      full: 0,
      deltas: 0,
      storedBytes: 0,
      listBytes: 0,
    };
    for (const r of rows) {
      const n = Number(r.n);
      out.lists += n;
      if (r.storage === "full") out.full += n;
      else out.deltas += n;
      out.storedBytes += Number(r.stored ?? 0);
      out.listBytes += Number(r.served ?? 0);
    }
    return out;
  }
}
