/**
 * Where the client keeps what must survive a restart: the last verified
 * list, the list hashes it has seen (for split-view detection), its guard
 * nodes and its swarm cache. A tiny key-value interface so a browser can
 * back it with IndexedDB or `localStorage` and Deno with files
 * (`file_store.ts`); this module holds only the in-memory one.
 *
 * @module
 */

/**
 * Byte values under short string keys. Keys used by the client:
 * `list.bin`, `state.json`, `guards.json`, `swarms.json`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const store: ClientStore = new MemoryStore();
 * await store.set("k", new Uint8Array([1]));
 * assert.deepEqual(await store.get("k"), new Uint8Array([1]));
 * ```
 */
export interface ClientStore {
  /** The value under `key`, or undefined. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Replace the value under `key` (atomically, where the medium allows). */
  set(key: string, value: Uint8Array): Promise<void>;
  /** Remove `key`; no error when absent. */
  delete(key: string): Promise<void>;
}

/**
 * A store in memory: the default, and what tests share between two client
 * instances to model a restart. Values are copied in and out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const store = new MemoryStore();
 * await store.set("a", new Uint8Array([1, 2]));
 * await store.delete("a");
 * assert.equal(await store.get("a"), undefined);
 * ```
 */
export class MemoryStore implements ClientStore {
  readonly #values = new Map<string, Uint8Array>();

  /** The value under `key`, copied. */
  get(key: string): Promise<Uint8Array | undefined> {
    const v = this.#values.get(key);
    return Promise.resolve(v === undefined ? undefined : v.slice());
  }

  /** Store a copy of `value`. */
  set(key: string, value: Uint8Array): Promise<void> {
    this.#values.set(key, value.slice());
    return Promise.resolve();
  }

  /** Remove `key`. */
  delete(key: string): Promise<void> {
    this.#values.delete(key);
    return Promise.resolve();
  }

  /** Keys held, sorted (for tests and debugging). */
  keys(): string[] {
    return [...this.#values.keys()].sort();
  }
}

/**
 * Read a JSON value from a store, or `undefined` when absent or unreadable
 * (a corrupt cache entry is dropped, not fatal: it is only a cache).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const s = new MemoryStore();
 * await writeJson(s, "x.json", { a: 1 });
 * assert.deepEqual(await readJson(s, "x.json"), { a: 1 });
 * await s.set("bad.json", new Uint8Array([0xff]));
 * assert.equal(await readJson(s, "bad.json"), undefined);
 * ```
 */
export async function readJson(
  store: ClientStore,
  key: string,
): Promise<unknown> {
  const bytes = await store.get(key);
  if (bytes === undefined) return undefined;
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return undefined;
  }
}

/**
 * Write a JSON value to a store.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const s = new MemoryStore();
 * await writeJson(s, "x.json", [1, 2]);
 * assert.equal(new TextDecoder().decode(await s.get("x.json")), "[1,2]");
 * ```
 */
export function writeJson(
  store: ClientStore,
  key: string,
  value: unknown,
): Promise<void> {
  return store.set(key, new TextEncoder().encode(JSON.stringify(value)));
}
