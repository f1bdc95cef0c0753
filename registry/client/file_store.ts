/**
 * A {@linkcode ClientStore} on the file system, for Deno: one file per key
 * in a directory, written atomically (temporary file, fsync, rename). Kept
 * apart from the client's pure modules, which must run in browsers.
 *
 * @module
 */

import { writeFileAtomic } from "./atomic_file.ts";
import type { ClientStore } from "./store.ts";

const KEY_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/**
 * Files under `dir` (created on the first write), mode 0600.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * const store = new FileStore(dir);
 * await store.set("list.bin", new Uint8Array([1, 2, 3]));
 * assert.deepEqual(await new FileStore(dir).get("list.bin"), new Uint8Array([1, 2, 3]));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class FileStore implements ClientStore {
  /** The directory. */
  readonly dir: string;

  /** A store in `dir`. */
  constructor(dir: string) {
    this.dir = dir.replace(/\/+$/, "") || "/";
  }

  #path(key: string): string {
    if (!KEY_RE.test(key)) {
      throw new TypeError(
        `store keys are 1-64 of a-z 0-9 . _ - (starting with a letter or digit), got "${key}"`,
      );
    }
    return `${this.dir}/${key}`;
  }

  /** The file's bytes, or undefined when there is none. */
  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return await Deno.readFile(this.#path(key));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return undefined;
      throw e;
    }
  }

  /** Write atomically: a temporary file next to it, synced, renamed over it. */
  async set(key: string, value: Uint8Array): Promise<void> {
    const path = this.#path(key);
    await Deno.mkdir(this.dir, { recursive: true });
    await writeFileAtomic(path, value, { mode: 0o600 });
  }

  /** Remove the file, if any. */
  async delete(key: string): Promise<void> {
    try {
      await Deno.remove(this.#path(key));
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
}
