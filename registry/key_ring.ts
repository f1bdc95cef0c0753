/**
 * The registry's signing keys through a rotation (`core/nodelist`
 * key-rotation records): the key a rotation moves to is held until the list
 * announcing it is published (signed by the old key), then it signs every
 * list after. A restart between the two resumes from the store.
 *
 * @module
 */

import { bytesEqual, fromHex } from "./core/bytes.ts";
import { publicKeyOf } from "./core/keys.ts";
import { keyRotationOf, splitNodeList } from "./core/nodelist.ts";
import type { KeyRotated } from "./registry_options.ts";
import type { Store } from "./store/store.ts";

/** The signing keys, and a rotation in progress. */
export class KeyRing {
  /** The secret keys lists are signed with; replaced in place on rotation. */
  readonly signingKeys: Uint8Array[];
  readonly #listeners = new Set<(r: KeyRotated) => void>();
  #next: Uint8Array | undefined;

  constructor(signingKeys: readonly Uint8Array[]) {
    this.signingKeys = [...signingKeys];
  }

  /** Public keys of the signing keys, as clients pin them. */
  get publicKeys(): Uint8Array[] {
    return this.signingKeys.map(publicKeyOf);
  }

  /** The new key of a rotation waiting for the next list, if any. */
  get pending(): Uint8Array | undefined {
    return this.#next;
  }

  /** Hold `next` until the list announcing it is published. */
  announce(next: Uint8Array): void {
    this.#next = next;
  }

  /**
   * Finish or continue a rotation a restart interrupted: if the latest list
   * announced `next`, sign with it from now on; if the store still holds
   * the announcement for the next tick, wait for it.
   */
  async resume(store: Store, network: number, next: Uint8Array): Promise<void> {
    const newKey = publicKeyOf(next);
    const latest = await store.read.lists.latest();
    const stored = latest && await store.read.lists.find(latest.epoch);
    if (stored) {
      const sections = splitNodeList(stored.bytes, network);
      const rotation = sections.version === 2
        ? keyRotationOf(sections.header)
        : undefined;
      if (rotation && bytesEqual(rotation.newKey, newKey)) {
        this.#switch(rotation.oldKey, next);
        return;
      }
    }
    const pending = await store.read.epochs.pendingRotation();
    if (pending && bytesEqual(pending.subarray(32, 64), newKey)) {
      this.#next = next;
    }
  }

  /** A list announcing `rotation` was published at `epoch`: switch keys. */
  published(
    epoch: number,
    rotation: { oldKey: string; newKey: string } | undefined,
  ): void {
    const next = this.#next;
    if (rotation === undefined || next === undefined) return;
    if (!bytesEqual(publicKeyOf(next), fromHex(rotation.newKey, 32))) return;
    this.#switch(fromHex(rotation.oldKey, 32), next);
    const rotated = { epoch, ...rotation };
    for (const l of this.#listeners) {
      try {
        l(rotated);
      } catch {
        // A broken listener must not break ticks.
      }
    }
  }

  /** Listen for rotations taking effect. Returns an unsubscribe function. */
  onRotated(listener: (r: KeyRotated) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #switch(oldKey: Uint8Array, next: Uint8Array): void {
    const i = this.signingKeys.findIndex((k) =>
      bytesEqual(publicKeyOf(k), oldKey)
    );
    if (i < 0) this.signingKeys.splice(0, this.signingKeys.length, next);
    else this.signingKeys[i] = next;
    this.#next = undefined;
  }
}
