/**
 * The `meta` table: facts about this registry's database (its network) and
 * its persistent counters (the epoch in progress). Counters live in the
 * database, not in a process, so a restarted or second process continues
 * from them.
 *
 * @module
 */

import type { Db } from "./db.ts";

/** The registry's facts and counters. */
export class MetaStore {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  /** The network this database belongs to; undefined for a new database. */
  async network(): Promise<string | undefined> {
    const row = await this.#db.selectFrom("meta").select("value")
      .where("key", "=", "network").executeTakeFirst();
    return row?.value;
  }

  /** Record the network of a new database and start at epoch 0. */
  async initialise(network: string): Promise<void> {
    await this.#db.insertInto("meta").values([
      { key: "network", value: network },
      { key: "epoch", value: "0" },
    ]).execute();
  }

  /** The epoch in progress. */
  async epoch(): Promise<number> {
    const row = await this.#db.selectFrom("meta").select("value")
      .where("key", "=", "epoch").executeTakeFirstOrThrow();
    return Number(row.value);
  }

  /**
   * The public keys (hex, comma-separated) the lists of this database are
   * signed with, as recorded by the first process of a shared database;
   * undefined when not recorded.
   */
  async registryKeys(): Promise<string | undefined> {
    const row = await this.#db.selectFrom("meta").select("value")
      .where("key", "=", "registry_keys").executeTakeFirst();
    return row?.value;
  }

  /** Record the registry keys (see {@linkcode MetaStore.registryKeys}). */
  async setRegistryKeys(keys: string): Promise<void> {
    await this.#db.insertInto("meta").values({
      key: "registry_keys",
      value: keys,
    }).execute();
  }

  /** Move to the next epoch. */
  async setEpoch(epoch: number): Promise<void> {
    await this.#db.updateTable("meta").set({ value: String(epoch) })
      .where("key", "=", "epoch").execute();
  }
}
