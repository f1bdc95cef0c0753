/**
 * The registry's read models, bundled for the HTTP layer (and anything
 * else that reads): each method answers with an API view type. The read
 * models read through the store, never write, and never speak SQL.
 *
 * @module
 */

import type { RegistryEvent } from "../api/events.ts";
import type {
  InfoView,
  NodeDetailView,
  NodeFilter,
  NodePageView,
  OpenNodeView,
  SessionSwarmView,
  SwarmView,
  WalletView,
} from "../api/views.ts";
import type { EventQuery } from "../store/events.ts";
import type { LedgerAudit } from "../store/wallets.ts";
import type { RegistryReader } from "./context.ts";
import { info } from "./info.ts";
import type { RotationRecord } from "../store/epochs.ts";
import {
  epochInputs,
  ListReader,
  stateSnapshot,
  type WhichEpoch,
} from "./lists.ts";
import { nodeDetail, nodePage, openNodes } from "./nodes.ts";
import { JsonRpcService } from "./oxen_rpc.ts";
import { swarm, swarmForSessionId, swarms } from "./swarms.ts";
import { wallet } from "./wallets.ts";

export type { RegistryReader } from "./context.ts";
export type { WhichEpoch, WhichList } from "./lists.ts";
export { ListReader } from "./lists.ts";
export { JsonRpcService } from "./oxen_rpc.ts";

/** Options of {@linkcode RegistryQueries}. */
export interface QueryOptions {
  /** Uniform random integer in [0, n), for JSON-RPC `limit`. Default: crypto.getRandomValues. */
  randomInt?: (n: number) => number;
}

/** Every read model over one registry. */
export class RegistryQueries {
  /** The registry read. */
  readonly registry: RegistryReader;
  /** Published lists. */
  readonly lists: ListReader;
  /** oxen-core's `get_service_nodes` JSON-RPC. */
  readonly oxenRpc: JsonRpcService;

  constructor(registry: RegistryReader, options: QueryOptions = {}) {
    this.registry = registry;
    this.lists = new ListReader(registry);
    this.oxenRpc = new JsonRpcService(
      registry,
      options.randomInt ? { randomInt: options.randomInt } : {},
    );
  }

  /** Network, epoch, keys, the latest list and the rules. */
  info(): Promise<InfoView> {
    return info(this.registry);
  }

  /** A page of nodes. */
  nodes(filter: NodeFilter = {}): Promise<NodePageView> {
    return nodePage(this.registry, filter);
  }

  /** One node in full. */
  node(pubkey: string): Promise<NodeDetailView> {
    return nodeDetail(this.registry, pubkey);
  }

  /** Nodes still taking contributions. */
  openNodes(): Promise<OpenNodeView[]> {
    return openNodes(this.registry);
  }

  /** Every swarm. */
  swarms(): Promise<SwarmView[]> {
    return swarms(this.registry);
  }

  /** One swarm. */
  swarm(id: string): Promise<SwarmView> {
    return swarm(this.registry, id);
  }

  /** The swarm of a Session ID. */
  swarmForSessionId(sessionId: string): Promise<SessionSwarmView> {
    return swarmForSessionId(this.registry, sessionId);
  }

  /** A wallet. */
  wallet(pubkey: string): Promise<WalletView> {
    return wallet(this.registry, pubkey);
  }

  /** Events after an id, oldest first, filtered. */
  events(query: EventQuery = {}): Promise<RegistryEvent[]> {
    return this.registry.store.read.events.list(query);
  }

  /** The ledger's conservation law, recomputed. */
  audit(): Promise<LedgerAudit> {
    return this.registry.store.read.wallets.audit();
  }

  /** An epoch's inputs document. */
  epochInputs(
    which: WhichEpoch,
  ): Promise<{ epoch: number; hash: string; bytes: Uint8Array }> {
    return epochInputs(this.registry, which);
  }

  /** The state snapshot after an epoch. */
  stateSnapshot(
    which: WhichEpoch,
  ): Promise<{ epoch: number; hash: string; bytes: Uint8Array }> {
    return stateSnapshot(this.registry, which);
  }

  /** Every key rotation the lists announced, oldest first. */
  rotations(): Promise<RotationRecord[]> {
    return this.registry.store.read.epochs.rotations();
  }
}
