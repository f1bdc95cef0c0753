/**
 * What a registry is opened with, and the facts it reports about its
 * witnesses and key rotations.
 *
 * @module
 */

import type { GenesisAllocation } from "./actions/initialise.ts";
import type { NetworkParams } from "./core/params.ts";
import type { Store } from "./store/store.ts";

/** How to open a registry. */
export interface RegistryOptions {
  /** The store, open and migrated. */
  store: Store;
  /** Network rules. */
  params: NetworkParams;
  /** Secret keys the lists are signed with (one per registry key; usually one). */
  signingKeys: Uint8Array[];
  /** Milliseconds since the epoch; `Date.now` in production, a test clock in tests. */
  clock: () => number;
  /** Applied once, when the database is new. */
  genesis?: GenesisAllocation[];
  /** Largest faucet request, atomic units (devnet). Default 1,000 coins. */
  faucetLimit?: bigint;
  /** How many published lists to keep. Default 2,160 (72 h of 2-minute epochs). */
  listRetention?: number;
  /** A list is stored in full at least every this many epochs, as record deltas between. Default 32. */
  listSnapshotEvery?: number;
  /** Epochs of events kept; 0: all. Default 21,600. */
  eventRetention?: number;
  /** Reachability tests kept per node as evidence. Default 10. */
  reachabilityEvidence?: number;
  /** Consecutive failed reachability tests that mark a node unreachable. Default 2. */
  reachabilityFailureThreshold?: number;
  /** Accept private and loopback addresses in proofs (devnet and tests). Default: only on devnet. */
  allowPrivateAddresses?: boolean;
  /** Refuse proofs from node software older than this (and publish it in `/v1/info`). Default: none. */
  minimumNodeVersion?: readonly [number, number, number] | null;
  /**
   * The witnesses whose co-signatures are attached to the lists, with the
   * URL each serves its checkpoints at when known (published in `/v1/info`
   * for clients to compare; clients pin the keys themselves). Default none.
   */
  witnesses?: readonly WitnessConfig[];
  /** State snapshots kept for witnesses to start from. Default 8. */
  snapshotRetention?: number;
  /**
   * The secret of the key a rotation in progress moves to (a crash may have
   * come between the list announcing it and the key files changing): when
   * the latest list announces the rotation, lists are signed with it from
   * now on; when the rotation still waits for a tick, it goes ahead.
   */
  nextKey?: Uint8Array;
}

/** One witness of the registry. */
export interface WitnessConfig {
  /** Its public key. */
  key: Uint8Array;
  /** Where it serves its checkpoints (`GET {url}/v1/checkpoint`), if known. */
  url: string | null;
}

/** A key rotation the registry went through (see {@linkcode Registry.rotateKey}). */
export interface KeyRotated {
  /** The list that announced it (signed by the old key). */
  epoch: number;
  /** Hex. */
  oldKey: string;
  /** Hex; it signs from list `epoch + 1` on. */
  newKey: string;
}
