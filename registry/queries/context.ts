/**
 * What the read models read from: the store, the network's rules, the
 * epoch cursor and the clock. The registry facade provides all of it.
 *
 * @module
 */

import type { NetworkParams } from "../core/params.ts";
import type { Tables } from "../store/store.ts";

/** A registry as the read side sees it. */
export interface RegistryReader {
  /** The store; reads go through `store.read`. */
  readonly store: { readonly read: Tables };
  /** Network rules. */
  readonly params: NetworkParams;
  /** The epoch in progress. */
  readonly epoch: number;
  /** The registry's list-signing public keys. */
  readonly publicKeys: readonly Uint8Array[];
  /** Proofs from node software older than this are refused; null: any. */
  readonly minimumNodeVersion: readonly [number, number, number] | null;
  /** The witnesses whose co-signatures the registry attaches. */
  readonly witnesses: readonly { key: Uint8Array; url: string | null }[];
  /** Id of the newest event. */
  readonly lastEventId: number;
  /** Unix seconds by the registry's clock. */
  nowSeconds(): number;
  /** Estimated unix seconds when `epoch` begins. */
  epochTime(epoch: number): number;
}
