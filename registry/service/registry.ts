/**
 * The registry: the authoritative state of the network. It accepts signed
 * writes (registrations, contributions, unlocks, uptime proofs, faucet
 * requests), runs epochs (unlocks, decommissions, swarms, a signed list per
 * epoch) and records every state change as an event. Every change happens in
 * one database transaction; a refused write changes nothing.
 *
 * Time comes from an injected clock and epochs advance only through
 * {@linkcode Registry.tick}, so tests drive it with a test clock.
 *
 * @module
 */

import type { Kysely, Transaction } from "kysely";
import { fromHex, parseIpv4, toHex } from "../core/bytes.ts";
import { publicKeyOf } from "../core/keys.ts";
import {
  creditAt,
  type LifecycleEvent,
  newLifecycle,
  nextState,
  type NodeLifecycle,
  REASON_STORAGE,
  REASON_UPTIME,
} from "../core/lifecycle.ts";
import {
  checkTimestamp,
  decodeMessage,
  type MessageBody,
  type SignedMessage,
} from "../core/messages.ts";
import {
  buildSignedList,
  encodeNodeList,
  listBodyHash,
  type NodeRecord,
} from "../core/nodelist.ts";
import { formatCoins, type NetworkParams } from "../core/params.ts";
import {
  applyContribution,
  checkUnlock,
  fundingState,
  type NodeStakes,
  stakesFromRegistration,
} from "../core/staking.ts";
import {
  calcSwarmChanges,
  swarmSeedFromHash,
  UNASSIGNED_SWARM_ID,
} from "../core/swarm.ts";
import type { Database } from "../db/schema.ts";
import { RegistryError } from "./errors.ts";
import {
  lifecycleColumns,
  lifecycleOf,
  type NodeRow,
  stakeRows,
  stakesOf,
  versionTriple,
} from "./rows.ts";

/** A database handle or an open transaction. */
type Db = Kysely<Database> | Transaction<Database>;

/** A coin allocation made at genesis. */
export interface GenesisAllocation {
  /** Wallet public key, hex. */
  wallet: string;
  /** Atomic units. */
  amount: bigint;
}

/** How to open a registry. */
export interface RegistryOptions {
  /** The database, already migrated. */
  db: Kysely<Database>;
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
  /** Consecutive failed reachability tests that mark a node unreachable. Default 2. */
  reachabilityFailureThreshold?: number;
  /** Accept private and loopback addresses in proofs (devnet and tests). Default: only on devnet. */
  allowPrivateAddresses?: boolean;
}

/** A registry event, as stored and streamed. */
export interface RegistryEvent {
  /** Monotonically increasing id. */
  id: number;
  /** Epoch it happened in. */
  epoch: number;
  /** Unix milliseconds. */
  createdAt: number;
  /** What happened. */
  kind: EventKind;
  /** The node concerned, hex, when there is one. */
  node: string | null;
  /** Wallets concerned (operator, contributors), hex. */
  wallets: string[];
  /** Details. */
  data: Record<string, unknown>;
}

/** Kinds of events. */
export type EventKind =
  | "genesis"
  | "faucet"
  | "registered"
  | "contribution"
  | "funded"
  | "active"
  | "decommissioned"
  | "recommissioned"
  | "deregistered"
  | "unlock_requested"
  | "unlock_effective"
  | "exited"
  | "stake_released"
  | "reachability_failed"
  | "list_published";

/** What a successful write returns. */
export interface SubmitResult {
  /** Message id (hex SHA-256 of its bytes). */
  id: string;
  /** Message kind. */
  kind: MessageBody["kind"];
  /** Epoch it was applied in. */
  epoch: number;
  /** The node concerned, hex. */
  node: string | null;
  /** Node status afterwards, when a node is concerned. */
  status: string | null;
}

/** A reachability test's outcome (see `reachability.ts`). */
export interface ReachabilityResult {
  /** Node key, hex. */
  node: string;
  /** Address tried, `ip:port`. */
  address: string;
  /** Whether the node answered and proved its key. */
  ok: boolean;
  /** What happened, e.g. `"signed challenge verified"` or the error. */
  detail: string;
  /** Round trip, when it answered. */
  latencyMs: number | null;
}

/** Summary of one tick. */
export interface TickSummary {
  /** The epoch closed and the list published for it. */
  epoch: number;
  /** Hex body hash of the list. */
  hash: string;
  /** Nodes in the list. */
  nodes: number;
  /** Status changes this tick, by new status. */
  changes: Record<string, number>;
}

const ZERO_HASH = new Uint8Array(32);
const UNASSIGNED = UNASSIGNED_SWARM_ID.toString();
const LIVE = ["awaiting_contributions", "active", "decommissioned"] as const;

/**
 * The registry service. Open with {@linkcode Registry.open}.
 */
export class Registry {
  /** The database. */
  readonly db: Kysely<Database>;
  /** Network rules. */
  readonly params: NetworkParams;
  /** Public keys of the registry's signing keys, as clients pin them. */
  readonly publicKeys: Uint8Array[];
  readonly #signingKeys: Uint8Array[];
  readonly #clock: () => number;
  readonly #faucetLimit: bigint;
  readonly #listRetention: number;
  readonly #failureThreshold: number;
  readonly #allowPrivate: boolean;
  readonly #listeners = new Set<(events: RegistryEvent[]) => void>();
  #epoch = 0;
  #lastEventId = 0;
  #writeChain: Promise<unknown> = Promise.resolve();

  private constructor(options: RegistryOptions) {
    this.db = options.db;
    this.params = options.params;
    this.#signingKeys = options.signingKeys;
    this.publicKeys = options.signingKeys.map(publicKeyOf);
    this.#clock = options.clock;
    this.#faucetLimit = options.faucetLimit ?? 1000n * 1_000_000_000n;
    this.#listRetention = options.listRetention ?? 2160;
    this.#failureThreshold = options.reachabilityFailureThreshold ?? 2;
    this.#allowPrivate = options.allowPrivateAddresses ??
      options.params.name === "devnet";
  }

  /**
   * Open a registry on a migrated database. A new database is initialised:
   * network recorded, genesis allocations credited and list 0 published. An
   * existing one must be for the same network.
   */
  static async open(options: RegistryOptions): Promise<Registry> {
    if (options.signingKeys.length < 1) {
      throw new RegistryError(
        "bad_request",
        "the registry needs a signing key",
      );
    }
    const registry = new Registry(options);
    await registry.#initialise(options.genesis ?? []);
    return registry;
  }

  async #initialise(genesis: GenesisAllocation[]): Promise<void> {
    const meta = await this.db.selectFrom("meta").selectAll().execute();
    const network = meta.find((m) => m.key === "network")?.value;
    if (network !== undefined && network !== this.params.name) {
      throw new RegistryError(
        "bad_request",
        `this database belongs to ${network}, not ${this.params.name}`,
      );
    }
    if (network === undefined) {
      await this.db.transaction().execute(async (trx) => {
        await trx.insertInto("meta").values([
          { key: "network", value: this.params.name },
          { key: "epoch", value: "0" },
        ]).execute();
        for (const g of genesis) {
          fromHex(g.wallet, 32);
          await this.#credit(trx, g.wallet, g.amount, "genesis", null, 0);
          await this.#event(trx, "genesis", null, [g.wallet], {
            amount: g.amount.toString(),
          }, 0);
        }
      });
    }
    this.#epoch = Number(
      (await this.db.selectFrom("meta").select("value").where(
        "key",
        "=",
        "epoch",
      ).executeTakeFirstOrThrow()).value,
    );
    const last = await this.db.selectFrom("events").select("id").orderBy(
      "id",
      "desc",
    ).limit(1).executeTakeFirst();
    this.#lastEventId = last ? Number(last.id) : 0;
    const lists = await this.db.selectFrom("lists").select("epoch").limit(1)
      .executeTakeFirst();
    if (!lists) await this.tick();
  }

  /** The epoch in progress: writes are applied in it; the next tick closes it. */
  get epoch(): number {
    return this.#epoch;
  }

  /** Unix seconds now, by the registry's clock. */
  nowSeconds(): number {
    return Math.floor(this.#clock() / 1000);
  }

  /** Listen for events as they are committed. Returns an unsubscribe function. */
  subscribe(listener: (events: RegistryEvent[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolve once every write queued so far has committed or failed. */
  async drain(): Promise<void> {
    await this.#writeChain;
  }

  /** Id of the newest event. */
  get lastEventId(): number {
    return this.#lastEventId;
  }

  /**
   * Serialise writes: SQLite has one writer anyway, and doing it here keeps
   * the epoch stable within a write and lets events be published in order.
   */
  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#writeChain.then(work, work);
    this.#writeChain = run.catch(() => {});
    return run;
  }

  async #commit<T>(
    work: (trx: Transaction<Database>) => Promise<T>,
  ): Promise<T> {
    const before = this.#lastEventId;
    let result: T;
    try {
      result = await this.db.transaction().execute(work);
    } catch (e) {
      // Nothing was written; event ids handed out inside are void.
      this.#lastEventId = before;
      throw e;
    }
    if (this.#lastEventId > before) {
      const events = await this.events({ after: before, limit: 10_000 });
      for (const listener of this.#listeners) {
        try {
          listener(events);
        } catch {
          // A broken listener must not break writes.
        }
      }
    }
    return result;
  }

  // -------------------------------------------------------------------------
  // Writes

  /**
   * Accept one signed message (its canonical bytes). Decodes and verifies
   * it, checks the timestamp and the signer's sequence number, applies the
   * staking or lifecycle rules, and commits - or throws a typed error and
   * changes nothing.
   */
  async submit(bytes: Uint8Array): Promise<SubmitResult> {
    const msg = decodeMessage(bytes, this.params.id);
    return await this.#serial(async () => {
      checkTimestamp(
        msg.body,
        this.nowSeconds(),
        this.params.clockToleranceSeconds,
      );
      return await this.#commit(async (trx) => {
        await this.#consumeSequence(trx, msg);
        return await this.#apply(trx, msg);
      });
    });
  }

  async #consumeSequence(trx: Db, msg: SignedMessage): Promise<void> {
    const signer = toHex(msg.signer);
    const row = await trx.selectFrom("sequences").select("last_sequence")
      .where("signer", "=", signer).executeTakeFirst();
    const last = row ? Number(row.last_sequence) : -1;
    if (msg.body.sequence <= last) {
      throw new RegistryError(
        "replayed",
        `sequence ${msg.body.sequence} was already used: this signer's last accepted sequence is ${last}; sign with a higher one`,
      );
    }
    if (row) {
      await trx.updateTable("sequences").set({
        last_sequence: msg.body.sequence,
      }).where("signer", "=", signer).execute();
    } else {
      await trx.insertInto("sequences").values({
        signer,
        last_sequence: msg.body.sequence,
      }).execute();
    }
  }

  async #apply(trx: Db, msg: SignedMessage): Promise<SubmitResult> {
    const body = msg.body;
    const epoch = this.#epoch;
    const base = { id: msg.id, kind: body.kind, epoch };
    switch (body.kind) {
      case "register_node": {
        const node = toHex(body.nodePubkey);
        const status = await this.#register(trx, body, node, epoch);
        return { ...base, node, status };
      }
      case "contribute": {
        const node = toHex(body.nodePubkey);
        const status = await this.#contribute(
          trx,
          node,
          body.wallet,
          body.amount,
          epoch,
        );
        return { ...base, node, status };
      }
      case "unlock_request": {
        const node = toHex(body.nodePubkey);
        const status = await this.#unlock(trx, node, toHex(body.wallet), epoch);
        return { ...base, node, status };
      }
      case "uptime_proof": {
        const node = toHex(body.nodePubkey);
        const status = await this.#proof(trx, node, body, epoch);
        return { ...base, node, status };
      }
      case "faucet_request":
        await this.#faucet(trx, toHex(body.wallet), body.amount, epoch);
        return { ...base, node: null, status: null };
    }
  }

  async #register(
    trx: Db,
    body: Extract<MessageBody, { kind: "register_node" }>,
    node: string,
    epoch: number,
  ): Promise<string> {
    const existing = await trx.selectFrom("nodes").selectAll()
      .where("pubkey", "=", node).executeTakeFirst();
    if (existing) {
      const retired = existing.status === "exited" ||
        (existing.status === "deregistered" &&
          existing.stakes_released_at !== null);
      if (!retired) {
        throw new RegistryError(
          "node_already_registered",
          `node ${node} is already registered (${
            existing.status.replace("_", " ")
          })`,
        );
      }
      // A retired key may register again; its history stays in the events.
      await trx.deleteFrom("stakes").where("node", "=", node).execute();
      await trx.deleteFrom("nodes").where("pubkey", "=", node).execute();
    }
    const stakes = stakesFromRegistration(this.params, body, epoch);
    const operator = toHex(body.operator);
    await this.#debit(trx, operator, body.operatorStake, "stake", node, epoch);
    let lifecycle = newLifecycle(epoch);
    await trx.insertInto("nodes").values({
      pubkey: node,
      operator,
      fee_basis_points: body.feeBasisPoints,
      requirement: stakes.requirement.toString(),
      ...lifecycleColumns(lifecycle),
      reachability_failures: 0,
      stakes_released_at: null,
      swarm_id: UNASSIGNED,
      public_ip: null,
      https_port: null,
      quic_port: null,
      node_version: null,
      storage_version: null,
      last_proof_at: null,
    }).execute();
    await trx.insertInto("stakes").values(stakeRows(node, stakes)).execute();
    const wallets = stakes.stakes.map((s) => toHex(s.wallet));
    await this.#event(trx, "registered", node, wallets, {
      operator,
      operatorStake: body.operatorStake.toString(),
      feeBasisPoints: body.feeBasisPoints,
      reserved: body.reserved.map((r) => ({
        wallet: toHex(r.wallet),
        amount: r.amount.toString(),
      })),
    });
    await this.#stateChange(trx, node, null, lifecycle, "registered", 0);
    if (fundingState(this.params, stakes).funded) {
      lifecycle = await this.#activate(trx, node, lifecycle, stakes, epoch);
    }
    return lifecycle.status;
  }

  async #contribute(
    trx: Db,
    node: string,
    wallet: Uint8Array,
    amount: bigint,
    epoch: number,
  ): Promise<string> {
    const { row, stakes } = await this.#loadNode(trx, node);
    if (row.status !== "awaiting_contributions") {
      throw new RegistryError(
        "node_not_live",
        `node ${node} is ${
          row.status.replace("_", " ")
        } and takes no contributions`,
      );
    }
    const after = applyContribution(this.params, stakes, wallet, amount, epoch);
    const walletHex = toHex(wallet);
    await this.#debit(trx, walletHex, amount, "stake", node, epoch);
    await trx.deleteFrom("stakes").where("node", "=", node).execute();
    await trx.insertInto("stakes").values(stakeRows(node, after)).execute();
    const wallets = after.stakes.map((s) => toHex(s.wallet));
    await this.#event(trx, "contribution", node, wallets, {
      wallet: walletHex,
      amount: amount.toString(),
      contributed: fundingState(this.params, after).contributed.toString(),
    });
    let lifecycle = lifecycleOf(row);
    if (fundingState(this.params, after).funded) {
      lifecycle = await this.#activate(trx, node, lifecycle, after, epoch);
    }
    return lifecycle.status;
  }

  async #activate(
    trx: Db,
    node: string,
    before: NodeLifecycle,
    stakes: NodeStakes,
    epoch: number,
  ): Promise<NodeLifecycle> {
    const after = nextState(before, { kind: "funded" }, epoch, this.params);
    await trx.updateTable("nodes").set(lifecycleColumns(after))
      .where("pubkey", "=", node).execute();
    const wallets = stakes.stakes.map((s) => toHex(s.wallet));
    await this.#event(trx, "funded", node, wallets, {
      contributed: fundingState(this.params, stakes).contributed.toString(),
      contributors: stakes.stakes.length,
    });
    await this.#event(trx, "active", node, wallets, {
      credit: creditAt(after, epoch, this.params),
    });
    await this.#stateChange(trx, node, before.status, after, "fully funded", 0);
    return after;
  }

  async #unlock(
    trx: Db,
    node: string,
    wallet: string,
    epoch: number,
  ): Promise<string> {
    const { row, stakes } = await this.#loadNode(trx, node);
    const before = lifecycleOf(row);
    const wallets = stakes.stakes.map((s) => toHex(s.wallet));
    if (row.status === "awaiting_contributions" && wallet === row.operator) {
      // The operator withdraws a registration nobody completed: refund all.
      const after = nextState(
        before,
        { kind: "cancelled" },
        epoch,
        this.params,
      );
      await this.#releaseStakes(trx, node, stakes, "cancel_refund", epoch);
      await trx.updateTable("nodes").set(lifecycleColumns(after))
        .where("pubkey", "=", node).execute();
      await this.#stateChange(
        trx,
        node,
        before.status,
        after,
        "registration cancelled by the operator",
        0,
      );
      await this.#event(trx, "exited", node, wallets, {
        reason: "registration cancelled by the operator",
      });
      return after.status;
    }
    if (
      row.status !== "active" && row.status !== "decommissioned" &&
      row.status !== "awaiting_contributions"
    ) {
      throw new RegistryError(
        "node_not_live",
        `node ${node} is ${row.status} and has nothing to unlock`,
      );
    }
    // An awaiting node reaches checkUnlock only for a contributor, who is told
    // it is not funded yet and only the operator can cancel.
    const unlockAt = checkUnlock(
      this.params,
      stakes,
      fromHex(wallet),
      epoch,
      before.unlockAt,
    );
    const after = nextState(
      before,
      { kind: "unlock_requested", unlockAt },
      epoch,
      this.params,
    );
    await trx.updateTable("nodes").set(lifecycleColumns(after))
      .where("pubkey", "=", node).execute();
    await this.#event(trx, "unlock_requested", node, wallets, {
      wallet,
      unlockAt,
      unlockAtTime: this.#epochTime(unlockAt),
    });
    return after.status;
  }

  async #proof(
    trx: Db,
    node: string,
    body: Extract<MessageBody, { kind: "uptime_proof" }>,
    epoch: number,
  ): Promise<string> {
    const { row } = await this.#loadNode(trx, node);
    if (!this.#allowPrivate && !isPublicIpv4(body.ipv4)) {
      throw new RegistryError(
        "address_not_public",
        `${body.ipv4} is not a public IPv4 address; clients could not reach the node there`,
      );
    }
    if (body.httpsPort === 0 || body.quicPort === 0) {
      throw new RegistryError("bad_request", "ports must not be 0");
    }
    const before = lifecycleOf(row);
    if (!(LIVE as readonly string[]).includes(before.status)) {
      throw new RegistryError(
        "node_not_live",
        `node ${node} is ${before.status}; register it again to send proofs`,
      );
    }
    const after = nextState(before, { kind: "proof" }, epoch, this.params);
    await trx.updateTable("nodes").set({
      ...lifecycleColumns(after),
      public_ip: body.ipv4,
      https_port: body.httpsPort,
      quic_port: body.quicPort,
      node_version: body.nodeVersion.join("."),
      storage_version: body.storageVersion.join("."),
      last_proof_at: body.timestamp,
    }).where("pubkey", "=", node).execute();
    return after.status;
  }

  async #faucet(
    trx: Db,
    wallet: string,
    amount: bigint,
    epoch: number,
  ): Promise<void> {
    if (!this.params.faucet) {
      throw new RegistryError(
        "faucet_disabled",
        `the faucet only runs on devnet; this is ${this.params.name}`,
      );
    }
    if (amount <= 0n || amount > this.#faucetLimit) {
      throw new RegistryError(
        "faucet_limit",
        `ask the faucet for 0 < amount <= ${
          formatCoins(this.#faucetLimit)
        } coins`,
      );
    }
    await this.#credit(trx, wallet, amount, "faucet", null, epoch);
    await this.#event(trx, "faucet", null, [wallet], {
      amount: amount.toString(),
    });
  }

  // -------------------------------------------------------------------------
  // Epochs

  /**
   * Close the epoch in progress, in one transaction: release stakes whose
   * deregistration lock ended, tick every live node's lifecycle (unlocks,
   * decommissions, deregistrations, recommissions), recompute swarms seeded
   * from the previous list's hash, and publish this epoch's list signed and
   * chained. Then the next epoch begins.
   */
  tick(): Promise<TickSummary> {
    return this.#serial(() =>
      this.#commit(async (trx) => {
        const epoch = this.#epoch;
        const changes: Record<string, number> = {};
        await this.#releaseDeregistered(trx, epoch);
        const live = await trx.selectFrom("nodes").selectAll()
          .where("status", "in", ["active", "decommissioned"]).execute();
        for (const row of live) {
          const before = lifecycleOf(row);
          const after = nextState(before, { kind: "tick" }, epoch, this.params);
          if (after.status === before.status) continue;
          changes[after.status] = (changes[after.status] ?? 0) + 1;
          await this.#applyTransition(trx, row, before, after, epoch);
        }
        const prev = await trx.selectFrom("lists").select(["hash", "epoch"])
          .orderBy("epoch", "desc").limit(1).executeTakeFirst();
        const prevHash = prev ? fromHex(prev.hash, 32) : ZERO_HASH;
        const seed = swarmSeedFromHash(prevHash);
        await this.#assignSwarms(trx, seed);
        const summary = await this.#publish(trx, epoch, prevHash, seed);
        await trx.updateTable("meta").set({ value: String(epoch + 1) })
          .where("key", "=", "epoch").execute();
        this.#epoch = epoch + 1;
        return { ...summary, changes };
      })
    );
  }

  async #applyTransition(
    trx: Db,
    row: NodeRow,
    before: NodeLifecycle,
    after: NodeLifecycle,
    epoch: number,
  ): Promise<void> {
    const node = row.pubkey;
    const stakes = await this.#stakesOf(trx, row);
    const wallets = stakes.stakes.map((s) => toHex(s.wallet));
    const leavesSwarm = after.status !== "active" || before.status !== "active";
    await trx.updateTable("nodes").set({
      ...lifecycleColumns(after),
      // Recommissioned nodes rejoin as new (network.md §2); others leave.
      ...(leavesSwarm ? { swarm_id: UNASSIGNED } : {}),
    }).where("pubkey", "=", node).execute();
    const reasons = describeReasons(after.lastReasons);
    switch (after.status) {
      case "decommissioned": {
        const credit = after.creditAtDecommission ?? 0;
        await this.#stateChange(
          trx,
          node,
          before.status,
          after,
          reasons,
          after.lastReasons,
        );
        await this.#event(trx, "decommissioned", node, wallets, {
          reasons: reasonList(after.lastReasons),
          reasonBits: after.lastReasons,
          credit,
          deregisterAt: epoch + credit,
          deregisterAtTime: this.#epochTime(epoch + credit),
        });
        break;
      }
      case "active":
        await this.#stateChange(
          trx,
          node,
          before.status,
          after,
          "proving and reachable again",
          0,
        );
        await this.#event(trx, "recommissioned", node, wallets, {
          credit: after.creditBase,
          downEpochs: epoch - before.statusSince,
        });
        break;
      case "deregistered":
        await this.#stateChange(
          trx,
          node,
          before.status,
          after,
          reasons,
          after.lastReasons,
        );
        await this.#event(trx, "deregistered", node, wallets, {
          reasons: reasonList(after.lastReasons),
          reasonBits: after.lastReasons,
          lockedUntil: after.lockedUntil,
          lockedUntilTime: after.lockedUntil === null
            ? null
            : this.#epochTime(after.lockedUntil),
        });
        break;
      case "exited":
        await this.#releaseStakes(trx, node, stakes, "unstake", epoch);
        await this.#stateChange(
          trx,
          node,
          before.status,
          after,
          "unlock took effect",
          0,
        );
        await this.#event(trx, "unlock_effective", node, wallets, { epoch });
        await this.#event(trx, "exited", node, wallets, {
          reason: "unlock took effect",
        });
        break;
      default:
        break;
    }
  }

  async #releaseDeregistered(trx: Db, epoch: number): Promise<void> {
    const due = await trx.selectFrom("nodes").selectAll()
      .where("status", "=", "deregistered")
      .where("stakes_released_at", "is", null)
      .where("locked_until", "<=", epoch).execute();
    for (const row of due) {
      const stakes = await this.#stakesOf(trx, row);
      await this.#releaseStakes(trx, row.pubkey, stakes, "unstake", epoch);
      await this.#event(
        trx,
        "stake_released",
        row.pubkey,
        stakes.stakes.map((s) => toHex(s.wallet)),
        { reason: "deregistration lock ended" },
      );
    }
  }

  async #releaseStakes(
    trx: Db,
    node: string,
    stakes: NodeStakes,
    kind: "unstake" | "cancel_refund",
    epoch: number,
  ): Promise<void> {
    for (const s of stakes.stakes) {
      if (s.amount > 0n) {
        await this.#credit(trx, toHex(s.wallet), s.amount, kind, node, epoch);
      }
    }
    await trx.updateTable("nodes").set({ stakes_released_at: epoch })
      .where("pubkey", "=", node).execute();
  }

  async #assignSwarms(trx: Db, seed: bigint): Promise<void> {
    const active = await trx.selectFrom("nodes").select(["pubkey", "swarm_id"])
      .where("status", "=", "active").execute();
    const current = new Map<bigint, Uint8Array[]>();
    for (const n of active) {
      const id = BigInt(n.swarm_id);
      let members = current.get(id);
      if (!members) current.set(id, members = []);
      members.push(fromHex(n.pubkey, 32));
    }
    if (current.size === 0) return;
    const next = calcSwarmChanges(current, seed);
    const previous = new Map(active.map((n) => [n.pubkey, n.swarm_id]));
    for (const [id, members] of next) {
      const swarm = id.toString();
      for (const pk of members) {
        const key = toHex(pk);
        if (previous.get(key) !== swarm) {
          await trx.updateTable("nodes").set({ swarm_id: swarm })
            .where("pubkey", "=", key).execute();
        }
      }
    }
  }

  async #publish(
    trx: Db,
    epoch: number,
    prevHash: Uint8Array,
    seed: bigint,
  ): Promise<Omit<TickSummary, "changes">> {
    const rows = await trx.selectFrom("nodes").selectAll()
      .where("status", "in", ["active", "decommissioned"]).execute();
    const records: NodeRecord[] = rows.map((r) => ({
      pubkey: fromHex(r.pubkey, 32),
      swarmId: BigInt(r.swarm_id),
      // No proof seen yet: 0.0.0.0 and port 0, which clients drop (network.md §4).
      ipv4: r.public_ip ?? "0.0.0.0",
      httpsPort: r.https_port ?? 0,
      quicPort: r.quic_port ?? 0,
      version: versionTriple(r.storage_version),
      state: r.status === "active" ? "active" : "decommissioned",
      unlockRequested: r.unlock_at !== null,
    }));
    const now = BigInt(this.nowSeconds());
    const list = buildSignedList(
      {
        network: this.params.id,
        epoch: BigInt(epoch),
        validAfter: now,
        freshUntil: now + BigInt(this.params.epochSeconds),
        validUntil: now + BigInt(this.params.listValiditySeconds),
        prevHash,
        swarmSeed: seed,
      },
      records,
      this.#signingKeys,
    );
    const encoded = encodeNodeList(list);
    const bodyLength = encoded.length - 1 - list.signatures.length * 72;
    const hash = toHex(listBodyHash(encoded.subarray(0, bodyLength)));
    await trx.insertInto("lists").values({
      epoch,
      hash,
      prev_hash: toHex(prevHash),
      published_at: Number(now),
      node_count: records.length,
      encoded,
    }).execute();
    await trx.deleteFrom("lists")
      .where("epoch", "<=", epoch - this.#listRetention).execute();
    await this.#event(trx, "list_published", null, [], {
      epoch,
      hash,
      nodes: records.length,
      active: records.filter((r) => r.state === "active").length,
    });
    return { epoch, hash, nodes: records.length };
  }

  // -------------------------------------------------------------------------
  // Reachability

  /**
   * Record reachability test results: keep the evidence (the last 10 tests
   * per node), and mark a node unreachable after the configured number of
   * consecutive failures - which the next tick treats like a missed proof -
   * or reachable again after a success.
   */
  recordReachability(results: ReachabilityResult[]): Promise<void> {
    return this.#serial(() =>
      this.#commit(async (trx) => {
        const epoch = this.#epoch;
        const now = this.nowSeconds();
        for (const r of results) {
          const row = await trx.selectFrom("nodes").selectAll()
            .where("pubkey", "=", r.node).executeTakeFirst();
          if (
            !row || (row.status !== "active" && row.status !== "decommissioned")
          ) {
            continue;
          }
          await trx.insertInto("reachability").values({
            node: r.node,
            epoch,
            tested_at: now,
            address: r.address,
            ok: r.ok ? 1 : 0,
            detail: r.detail.slice(0, 500),
            latency_ms: r.latencyMs,
          }).execute();
          const keep = await trx.selectFrom("reachability").select("id")
            .where("node", "=", r.node).orderBy("id", "desc").offset(10)
            .limit(1).executeTakeFirst();
          if (keep) {
            await trx.deleteFrom("reachability").where("node", "=", r.node)
              .where("id", "<=", keep.id).execute();
          }
          const failures = r.ok ? 0 : Number(row.reachability_failures) + 1;
          const before = lifecycleOf(row);
          const unreachable = failures >= this.#failureThreshold;
          let after = before;
          if (unreachable !== before.unreachable) {
            const event: LifecycleEvent = {
              kind: "reachability",
              ok: !unreachable,
            };
            after = nextState(before, event, epoch, this.params);
            if (unreachable) {
              const stakes = await trx.selectFrom("stakes").select("wallet")
                .where("node", "=", r.node).execute();
              await this.#event(
                trx,
                "reachability_failed",
                r.node,
                stakes.map((s) => s.wallet),
                {
                  address: r.address,
                  detail: r.detail,
                  consecutiveFailures: failures,
                },
              );
            }
          }
          await trx.updateTable("nodes").set({
            ...lifecycleColumns(after),
            reachability_failures: failures,
          }).where("pubkey", "=", r.node).execute();
        }
      })
    );
  }

  // -------------------------------------------------------------------------
  // Ledger and events

  async #credit(
    trx: Db,
    wallet: string,
    amount: bigint,
    kind: string,
    node: string | null,
    epoch: number,
  ): Promise<void> {
    const row = await trx.selectFrom("wallets").select("balance")
      .where("pubkey", "=", wallet).executeTakeFirst();
    if (row) {
      await trx.updateTable("wallets").set({
        balance: (BigInt(row.balance) + amount).toString(),
      }).where("pubkey", "=", wallet).execute();
    } else {
      await trx.insertInto("wallets").values({
        pubkey: wallet,
        balance: amount.toString(),
        created_epoch: epoch,
      }).execute();
    }
    await trx.insertInto("ledger").values({
      wallet,
      delta: amount.toString(),
      kind,
      node,
      epoch,
      created_at: this.#clock(),
    }).execute();
  }

  async #debit(
    trx: Db,
    wallet: string,
    amount: bigint,
    kind: string,
    node: string | null,
    epoch: number,
  ): Promise<void> {
    const row = await trx.selectFrom("wallets").select("balance")
      .where("pubkey", "=", wallet).executeTakeFirst();
    const balance = row ? BigInt(row.balance) : 0n;
    if (balance < amount) {
      throw new RegistryError(
        "insufficient_balance",
        `wallet ${wallet} has ${formatCoins(balance)} coins, ${
          formatCoins(amount)
        } needed`,
      );
    }
    await trx.updateTable("wallets").set({
      balance: (balance - amount).toString(),
    }).where("pubkey", "=", wallet).execute();
    await trx.insertInto("ledger").values({
      wallet,
      delta: (-amount).toString(),
      kind,
      node,
      epoch,
      created_at: this.#clock(),
    }).execute();
  }

  async #event(
    trx: Db,
    kind: EventKind,
    node: string | null,
    wallets: string[],
    data: Record<string, unknown>,
    epoch = this.#epoch,
  ): Promise<void> {
    const inserted = await trx.insertInto("events").values({
      epoch,
      created_at: this.#clock(),
      kind,
      node,
      data: JSON.stringify(data),
    }).returning("id").executeTakeFirstOrThrow();
    const id = Number(inserted.id);
    for (const wallet of new Set(wallets)) {
      await trx.insertInto("event_wallets").values({ event_id: id, wallet })
        .execute();
    }
    this.#lastEventId = Math.max(this.#lastEventId, id);
  }

  async #stateChange(
    trx: Db,
    node: string,
    from: string | null,
    after: NodeLifecycle,
    reason: string,
    bits: number,
  ): Promise<void> {
    await trx.insertInto("state_changes").values({
      node,
      epoch: after.statusSince,
      from_status: from,
      to_status: after.status,
      reason,
      reason_bits: bits,
      credit: creditAt(after, after.statusSince, this.params),
    }).execute();
  }

  async #stakesOf(trx: Db, row: NodeRow): Promise<NodeStakes> {
    const rows = await trx.selectFrom("stakes").selectAll()
      .where("node", "=", row.pubkey).execute();
    return stakesOf(row, rows);
  }

  async #loadNode(
    trx: Db,
    node: string,
  ): Promise<{ row: NodeRow; stakes: NodeStakes }> {
    const row = await trx.selectFrom("nodes").selectAll()
      .where("pubkey", "=", node).executeTakeFirst();
    if (!row) {
      throw new RegistryError("unknown_node", `no node ${node} is registered`);
    }
    return { row, stakes: await this.#stakesOf(trx, row) };
  }

  /** Estimated unix seconds when `epoch` begins, from the current one. */
  #epochTime(epoch: number): number {
    return this.nowSeconds() + (epoch - this.#epoch) * this.params.epochSeconds;
  }

  /** Estimated unix seconds when `epoch` begins. */
  epochTime(epoch: number): number {
    return this.#epochTime(epoch);
  }

  // -------------------------------------------------------------------------
  // Event reads

  /** Events after an id, oldest first, optionally filtered. */
  async events(
    query: {
      after?: number;
      limit?: number;
      node?: string;
      wallet?: string;
      kinds?: string[];
    } = {},
  ): Promise<RegistryEvent[]> {
    let q = this.db.selectFrom("events").selectAll("events")
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
    const walletRows = await this.db.selectFrom("event_wallets").selectAll()
      .where("event_id", "in", rows.map((r) => r.id)).execute();
    const walletsOf = new Map<number, string[]>();
    for (const w of walletRows) {
      const id = Number(w.event_id);
      let list = walletsOf.get(id);
      if (!list) walletsOf.set(id, list = []);
      list.push(w.wallet);
    }
    return rows.map((r) => ({
      id: Number(r.id),
      epoch: Number(r.epoch),
      createdAt: Number(r.created_at),
      kind: r.kind as EventKind,
      node: r.node,
      wallets: walletsOf.get(Number(r.id)) ?? [],
      data: JSON.parse(r.data) as Record<string, unknown>,
    }));
  }
}

/** Reason bits as words, e.g. `["uptime", "storage"]`. */
export function reasonList(bits: number): string[] {
  const out: string[] = [];
  if (bits & REASON_UPTIME) out.push("uptime");
  if (bits & 0x02) out.push("checkpoints");
  if (bits & 0x04) out.push("pulse");
  if (bits & REASON_STORAGE) out.push("storage");
  if (bits & 0x10) out.push("timecheck");
  if (bits & 0x20) out.push("timesync");
  if (bits & 0x40) out.push("lokinet");
  return out;
}

function describeReasons(bits: number): string {
  const parts: string[] = [];
  if (bits & REASON_UPTIME) parts.push("no valid uptime proof");
  if (bits & REASON_STORAGE) parts.push("storage server unreachable");
  return parts.length > 0 ? parts.join(" and ") : "unknown";
}

/** Whether an IPv4 address is publicly routable (not private, loopback, link-local, ...). */
export function isPublicIpv4(ip: string): boolean {
  const [a, b] = parseIpv4(ip);
  if (a === 0 || a === 10 || a === 127 || a! >= 224) return false;
  if (a === 100 && b! >= 64 && b! < 128) return false; // CGNAT, RFC 6598
  if (a === 169 && b === 254) return false;
  if (a === 172 && b! >= 16 && b! < 32) return false;
  if (a === 192 && b === 168) return false;
  return true;
}
