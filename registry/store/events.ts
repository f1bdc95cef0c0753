/**
 * The `events` and `event_wallets` tables: the event log, with ids that
 * increase monotonically (the database assigns them, so several processes
 * on one database agree).
 *
 * @module
 */

import type { EventFilter, RegistryEvent } from "../api/events.ts";
import type { Db } from "./db.ts";

/** An event to append (the database assigns its id). */
export type NewEvent = Omit<RegistryEvent, "id">;

/** Which events to read. */
export interface EventQuery extends EventFilter {
  /** Only events with a larger id. */
  after?: number;
  /** At most this many (capped at 10,000). */
  limit?: number;
}

/** The event log. */
export class EventStore {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  /** Append an event; returns it with its id. */
  async append(e: NewEvent): Promise<RegistryEvent> {
    const inserted = await this.#db.insertInto("events").values({
      epoch: e.epoch,
      created_at: e.createdAt,
      kind: e.kind,
      node: e.node,
      data: JSON.stringify(e.data),
    }).returning("id").executeTakeFirstOrThrow();
    const id = Number(inserted.id);
    const wallets = [...new Set(e.wallets)];
    if (wallets.length > 0) {
      await this.#db.insertInto("event_wallets")
        .values(wallets.map((wallet, position) => ({
          event_id: id,
          wallet,
          position,
        }))).execute();
    }
    return { ...e, wallets, id } as RegistryEvent;
  }

  /** Forget events of epochs up to `epoch` (their ids are never reused). */
  async pruneThrough(epoch: number): Promise<void> {
    const newest = await this.#db.selectFrom("events").select("id")
      .where("epoch", "<=", epoch).orderBy("epoch", "desc").orderBy(
        "id",
        "desc",
      )
      .limit(1).executeTakeFirst();
    if (!newest) return;
    await this.#db.deleteFrom("event_wallets")
      .where("event_id", "<=", Number(newest.id)).execute();
    await this.#db.deleteFrom("events").where("id", "<=", Number(newest.id))
      .execute();
  }

  /** Id of the newest event, 0 when none. */
  async lastId(): Promise<number> {
    const row = await this.#db.selectFrom("events").select("id")
      .orderBy("id", "desc").limit(1).executeTakeFirst();
    return row ? Number(row.id) : 0;
  }

  /** Events after an id, oldest first, filtered. */
  async list(query: EventQuery = {}): Promise<RegistryEvent[]> {
    let q = this.#db.selectFrom("events").selectAll("events")
      .where("events.id", ">", query.after ?? 0);
    if (query.node) q = q.where("events.node", "=", query.node);
    if (query.kinds && query.kinds.length > 0) {
      q = q.where("events.kind", "in", query.kinds);
    }
    if (query.wallet) {
      const wallet = query.wallet;
      q = q.where((eb) =>
        eb.exists(
          eb.selectFrom("event_wallets").select("event_id")
            .whereRef("event_wallets.event_id", "=", "events.id")
            .where("event_wallets.wallet", "=", wallet),
        )
      );
    }
    const rows = await q.orderBy("events.id", "asc")
      .limit(Math.min(query.limit ?? 100, 10_000)).execute();
    if (rows.length === 0) return [];
    const walletRows = await this.#db.selectFrom("event_wallets")
      .select(["event_id", "wallet"])
      .where("event_id", "in", rows.map((r) => r.id))
      .orderBy("event_id").orderBy("position").execute();
    const walletsOf = new Map<number, string[]>();
    for (const w of walletRows) {
      const id = Number(w.event_id);
      let list = walletsOf.get(id);
      if (!list) walletsOf.set(id, list = []);
      list.push(w.wallet);
    }
    return rows.map((r) =>
      ({
        id: Number(r.id),
        epoch: Number(r.epoch),
        createdAt: Number(r.created_at),
        kind: r.kind,
        node: r.node,
        wallets: walletsOf.get(Number(r.id)) ?? [],
        data: JSON.parse(r.data),
      }) as RegistryEvent
    );
  }
}
