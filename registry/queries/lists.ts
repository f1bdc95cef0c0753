/**
 * Published lists as the API serves them: facts without the bytes, the
 * signed bytes, decoded (cached: a published list never changes), as JSON,
 * and diffs between two kept lists.
 *
 * @module
 */

import { RegistryError } from "../api/errors.ts";
import {
  decodeNodeList,
  diffNodeLists,
  type NodeList,
  type NodeListJson,
  nodeListToJson,
} from "../core/nodelist.ts";
import type { ListMeta, StoredList } from "../store/lists.ts";
import type { RegistryReader } from "./context.ts";

/** `"latest"` or an epoch. */
export type WhichList = number | "latest";

/** Decoded lists kept in memory. */
const DECODED_CACHE_SIZE = 64;

/** Reads published lists, caching decoded ones. */
export class ListReader {
  readonly #r: RegistryReader;
  readonly #decoded = new Map<string, NodeList>();

  constructor(r: RegistryReader) {
    this.#r = r;
  }

  /** A list's facts, without its bytes; `unknown_list` when not kept. */
  async meta(which: WhichList): Promise<ListMeta> {
    const lists = this.#r.store.read.lists;
    const meta = which === "latest"
      ? await lists.latest()
      : await lists.meta(which);
    return meta ?? notKept(which);
  }

  /** A list with its signed bytes; `unknown_list` when not kept. */
  async stored(which: WhichList): Promise<StoredList> {
    const epoch = which === "latest"
      ? (await this.meta("latest")).epoch
      : which;
    return await this.#r.store.read.lists.find(epoch) ?? notKept(which);
  }

  /** A list decoded; `unknown_list` when not kept (any more). */
  async list(which: WhichList): Promise<NodeList> {
    // Checked against the store each time: a cached list may have been pruned.
    // Keyed by the stored bytes' identity: co-signatures attached later
    // change the bytes (and their count and length), not the list's hash.
    const { epoch, hash, size, cosignatures } = await this.meta(which);
    const key = `${epoch}/${hash}/${size}/${cosignatures}`;
    let list = this.#decoded.get(key);
    if (!list) {
      const { bytes } = await this.stored(epoch);
      list = decodeNodeList(bytes, this.#r.params.id);
      if (this.#decoded.size >= DECODED_CACHE_SIZE) this.#decoded.clear();
      this.#decoded.set(key, list);
    }
    return list;
  }

  /** A list as JSON. */
  async json(which: WhichList): Promise<NodeListJson> {
    return nodeListToJson(await this.list(which));
  }

  /** The diff from list `from` to list `to` (binary; reproduces `to` byte for byte). */
  async diff(
    from: number,
    to: WhichList,
  ): Promise<{ from: number; to: number; bytes: Uint8Array }> {
    const target = await this.list(to);
    const toEpoch = Number(target.header.epoch);
    if (!(from < toEpoch)) {
      throw new RegistryError(
        "bad_request",
        `a diff goes from an older list to a newer one; ${from} is not before ${toEpoch}`,
      );
    }
    let base: NodeList;
    try {
      base = await this.list(from);
    } catch (e) {
      if (e instanceof RegistryError && e.code === "unknown_list") {
        throw new RegistryError(
          "diff_unavailable",
          `list ${from} is no longer kept; fetch the full list`,
        );
      }
      throw e;
    }
    return { from, to: toEpoch, bytes: diffNodeLists(base, target) };
  }
}

function notKept(which: WhichList): never {
  throw new RegistryError(
    "unknown_list",
    which === "latest"
      ? "no list has been published yet"
      : `no list for epoch ${which} is kept`,
  );
}

/** `"latest"` or an epoch, for inputs documents and snapshots. */
export type WhichEpoch = number | "latest";

/** An epoch's inputs document; `unknown_epoch` when not kept. */
export async function epochInputs(
  r: RegistryReader,
  which: WhichEpoch,
): Promise<{ epoch: number; hash: string; bytes: Uint8Array }> {
  const epochs = r.store.read.epochs;
  const epoch = which === "latest"
    ? (await epochs.latestDocument())?.epoch
    : which;
  const doc = epoch === undefined ? undefined : await epochs.document(epoch);
  if (!doc) {
    throw new RegistryError(
      "unknown_epoch",
      which === "latest"
        ? "no inputs document is kept yet"
        : `no inputs document for epoch ${which} is kept`,
    );
  }
  return doc;
}

/** The state snapshot after an epoch; `unknown_epoch` when not kept. */
export async function stateSnapshot(
  r: RegistryReader,
  which: WhichEpoch,
): Promise<{ epoch: number; hash: string; bytes: Uint8Array }> {
  const snap = await r.store.read.epochs.snapshot(which);
  if (!snap) {
    throw new RegistryError(
      "unknown_epoch",
      which === "latest"
        ? "no state snapshot is kept yet"
        : `no state snapshot after epoch ${which} is kept (only the newest few are)`,
    );
  }
  return snap;
}
