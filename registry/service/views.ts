/**
 * Read side of the registry: the JSON shapes the HTTP API, the CLI and the
 * explorer show. Amounts are decimal strings of atomic units, u64 ids are
 * decimal strings, keys are hex; epochs come with estimated unix times so
 * people do not have to do the arithmetic.
 *
 * @module
 */

import { fromHex, toHex } from "../core/bytes.ts";
import {
  parsePublicKey,
  parseSessionId,
  x25519FromEd25519,
} from "../core/keys.ts";
import { creditAt, failingReasons, outlook } from "../core/lifecycle.ts";
import {
  decodeNodeList,
  diffNodeLists,
  type NodeList,
  type NodeListJson,
  nodeListToJson,
} from "../core/nodelist.ts";
import { fundingState } from "../core/staking.ts";
import { swarmForPubkey, UNASSIGNED_SWARM_ID } from "../core/swarm.ts";
import type {
  InfoView,
  NodeDetailView as NodeDetail,
  NodeFilter,
  NodePageView as NodePage,
  NodeSummaryView as NodeSummary,
  OpenNodeView,
  SessionSwarmView,
  SwarmView,
  WalletView,
} from "../client/types.ts";
import { RegistryError } from "./errors.ts";
import { reasonList, type Registry } from "./registry.ts";
import { lifecycleOf, type NodeRow, type StakeRow, stakesOf } from "./rows.ts";

const UNASSIGNED = UNASSIGNED_SWARM_ID.toString();

/** Node statuses, for filters. */
export const NODE_STATUSES = [
  "awaiting_contributions",
  "active",
  "decommissioned",
  "deregistered",
  "exited",
] as const;

/**
 * The shapes this module answers with are the API's contract, defined once in
 * the client library (`registry/client/types.ts`): the compiler checks the
 * server produces what clients read.
 */
export type { NodeFilter };

/** Read-side queries over a registry. */
export class RegistryViews {
  readonly registry: Registry;
  readonly #listCache = new Map<number, NodeList>();

  constructor(registry: Registry) {
    this.registry = registry;
  }

  get #db() {
    return this.registry.db;
  }

  /** Network, epoch, keys and the latest list: what a client needs first. */
  async info(): Promise<InfoView> {
    const r = this.registry;
    const latest = await this.#db.selectFrom("lists").select([
      "epoch",
      "hash",
      "published_at",
      "node_count",
    ])
      .orderBy("epoch", "desc").limit(1).executeTakeFirst();
    const counts = await this.#db.selectFrom("nodes").select(["status"])
      .select((eb) => eb.fn.countAll<number>().as("n")).groupBy("status")
      .execute();
    const swarms = await this.#db.selectFrom("nodes").select("swarm_id")
      .distinct()
      .where("status", "=", "active").where("swarm_id", "!=", UNASSIGNED)
      .execute();
    const p = r.params;
    return {
      network: p.name,
      networkId: p.id,
      epoch: r.epoch,
      epochSeconds: p.epochSeconds,
      now: r.nowSeconds(),
      registryKeys: r.publicKeys.map(toHex),
      latestList: latest
        ? {
          epoch: Number(latest.epoch),
          hash: latest.hash,
          publishedAt: Number(latest.published_at),
          nodes: Number(latest.node_count),
        }
        : null,
      nodes: Object.fromEntries(counts.map((c) => [c.status, Number(c.n)])),
      swarms: swarms.length,
      rules: {
        stakingRequirement: p.stakingRequirement.toString(),
        operatorMinimum: p.operatorMinimum.toString(),
        maxContributors: p.maxContributors,
        proofIntervalEpochs: p.proofIntervalEpochs,
        proofValidityEpochs: p.proofValidityEpochs,
        proofMinSpacingEpochs: p.proofMinSpacingEpochs,
        clockToleranceSeconds: p.clockToleranceSeconds,
        unlockDelayEpochs: p.unlockDelayEpochs,
        smallContributorLockEpochs: p.smallContributorLockEpochs,
        deregLockEpochs: p.deregLockEpochs,
        initialCredit: p.initialCredit,
        maxCredit: p.maxCredit,
        faucet: p.faucet,
      },
    };
  }

  /** Nodes, filtered, ordered by key, paginated by cursor (the last key seen). */
  async nodes(filter: NodeFilter = {}): Promise<NodePage> {
    const limit = Math.max(1, Math.min(filter.limit ?? 100, 500));
    let q = this.#db.selectFrom("nodes").selectAll("nodes");
    if (filter.status) q = q.where("nodes.status", "=", filter.status);
    if (filter.operator) q = q.where("nodes.operator", "=", filter.operator);
    if (filter.swarm) q = q.where("nodes.swarm_id", "=", filter.swarm);
    if (filter.wallet) {
      const wallet = filter.wallet;
      q = q.where((eb) =>
        eb.exists(
          eb.selectFrom("stakes").select("stakes.node").whereRef(
            "stakes.node",
            "=",
            "nodes.pubkey",
          )
            .where("stakes.wallet", "=", wallet),
        )
      );
    }
    const total = Number(
      (await q.clearSelect().select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow()).n,
    );
    if (filter.after) q = q.where("nodes.pubkey", ">", filter.after);
    const rows = await q.orderBy("nodes.pubkey").limit(limit + 1).execute();
    const page = rows.slice(0, limit);
    const stakes = await this.#stakesOf(page.map((r) => r.pubkey));
    return {
      nodes: page.map((row) =>
        this.#summary(row, stakes.get(row.pubkey) ?? [])
      ),
      next: rows.length > limit ? page.at(-1)!.pubkey : null,
      total,
    };
  }

  /** One node in full. */
  async node(pubkey: string): Promise<NodeDetail> {
    const row = await this.#db.selectFrom("nodes").selectAll().where(
      "pubkey",
      "=",
      pubkey,
    ).executeTakeFirst();
    if (!row) {
      throw new RegistryError(
        "unknown_node",
        `no node ${pubkey} is registered`,
      );
    }
    const stakeRows = (await this.#stakesOf([pubkey])).get(pubkey) ?? [];
    const r = this.registry;
    const p = r.params;
    const epoch = r.epoch;
    const life = lifecycleOf(row);
    const stakes = stakesOf(row, stakeRows);
    const funding = fundingState(p, stakes);
    const tests = await this.#db.selectFrom("reachability").selectAll().where(
      "node",
      "=",
      pubkey,
    )
      .orderBy("id", "desc").limit(10).execute();
    const history = await this.#db.selectFrom("state_changes").selectAll()
      .where("node", "=", pubkey)
      .orderBy("id", "asc").execute();
    const mates = row.status === "active" && row.swarm_id !== UNASSIGNED
      ? await this.#db.selectFrom("nodes").select("pubkey").where(
        "swarm_id",
        "=",
        row.swarm_id,
      )
        .where("status", "=", "active").where("pubkey", "!=", pubkey).orderBy(
          "pubkey",
        ).execute()
      : [];
    const o = outlook(life, epoch, p);
    const proofEpoch = life.lastProofEpoch;
    return {
      ...this.#summary(row, stakeRows),
      x25519: toHex(x25519FromEd25519(fromHex(pubkey, 32))),
      registeredAt: life.registeredAt,
      statusSince: life.statusSince,
      funding: {
        funded: funding.funded,
        remaining: funding.remaining.toString(),
        openSlots: funding.openSlots,
        minContribution: funding.minContribution.toString(),
        maxContribution: funding.maxContribution.toString(),
        reservedOutstanding: funding.reservedOutstanding.toString(),
      },
      stakes: stakes.stakes.map((s, i) => ({
        wallet: toHex(s.wallet),
        amount: s.amount.toString(),
        reserved: s.reserved.toString(),
        sinceEpoch: s.sinceEpoch,
        operator: i === 0,
      })),
      creditMax: p.maxCredit,
      failing: life.status === "active" || life.status === "decommissioned"
        ? reasonList(failingReasons(life, epoch, p))
        : [],
      decommissionCount: life.decommissionCount,
      lastDecommissionReasons: reasonList(life.lastReasons),
      proof: proofEpoch !== null && row.public_ip !== null
        ? {
          publicIp: row.public_ip,
          httpsPort: Number(row.https_port),
          quicPort: Number(row.quic_port),
          nodeVersion: row.node_version ?? "",
          storageVersion: row.storage_version ?? "",
          epoch: proofEpoch,
          timestamp: Number(row.last_proof_at),
          ageSeconds: Math.max(0, r.nowSeconds() - Number(row.last_proof_at)),
          expiresAtEpoch: proofEpoch + p.proofValidityEpochs + 1,
        }
        : null,
      unlock: life.unlockAt !== null
        ? { unlockAt: life.unlockAt, unlockAtTime: r.epochTime(life.unlockAt) }
        : null,
      lockedUntil: life.lockedUntil !== null && row.stakes_released_at === null
        ? { epoch: life.lockedUntil, time: r.epochTime(life.lockedUntil) }
        : null,
      reachability: {
        unreachable: life.unreachable,
        consecutiveFailures: Number(row.reachability_failures),
        tests: tests.map((t) => ({
          epoch: Number(t.epoch),
          testedAt: Number(t.tested_at),
          address: t.address,
          ok: Number(t.ok) === 1,
          detail: t.detail,
          latencyMs: t.latency_ms === null ? null : Number(t.latency_ms),
        })),
      },
      swarmMates: mates.map((m) => m.pubkey),
      history: history.map((h) => ({
        epoch: Number(h.epoch),
        from: h.from_status,
        to: h.to_status,
        reason: h.reason,
        credit: Number(h.credit),
      })),
      outlook: {
        next: o.next,
        atEpoch: o.atEpoch,
        atTime: o.atEpoch === null ? null : r.epochTime(o.atEpoch),
        credit: o.credit,
        text: o.text,
      },
    };
  }

  /** Nodes still taking contributions, with their minimum contribution and fee. */
  async openNodes(): Promise<OpenNodeView[]> {
    const rows = await this.#db.selectFrom("nodes").selectAll().where(
      "status",
      "=",
      "awaiting_contributions",
    )
      .orderBy("pubkey").limit(500).execute();
    const stakes = await this.#stakesOf(rows.map((r) => r.pubkey));
    return rows.map((row) => {
      const s = stakes.get(row.pubkey) ?? [];
      const f = fundingState(this.registry.params, stakesOf(row, s));
      return {
        ...this.#summary(row, s),
        minContribution: f.minContribution.toString(),
        maxContribution: f.maxContribution.toString(),
        openSlots: f.openSlots,
      };
    }).filter((n) => n.openSlots > 0);
  }

  /** Every swarm of active nodes, by id. */
  async swarms(): Promise<SwarmView[]> {
    const rows = await this.#db.selectFrom("nodes").select([
      "pubkey",
      "swarm_id",
    ]).where("status", "=", "active")
      .where("swarm_id", "!=", UNASSIGNED).orderBy("pubkey").execute();
    const byId = new Map<string, string[]>();
    for (const r of rows) {
      let m = byId.get(r.swarm_id);
      if (!m) byId.set(r.swarm_id, m = []);
      m.push(r.pubkey);
    }
    return [...byId.entries()]
      .sort((a, b) => (BigInt(a[0]) < BigInt(b[0]) ? -1 : 1))
      .map(([id, members]) => ({ id, size: members.length, members }));
  }

  /** One swarm. */
  async swarm(id: string): Promise<SwarmView> {
    const found = (await this.swarms()).find((s) => s.id === id);
    if (!found) throw new RegistryError("unknown_swarm", `no swarm ${id}`);
    return found;
  }

  /** The swarm a Session ID's messages are stored in (network.md §3). */
  async swarmForSessionId(sessionId: string): Promise<SessionSwarmView> {
    const { key } = parseSessionId(sessionId);
    const swarms = await this.swarms();
    if (swarms.length === 0) {
      throw new RegistryError(
        "unknown_swarm",
        "there are no swarms yet: no node is active",
      );
    }
    const id = swarmForPubkey(swarms.map((s) => BigInt(s.id)), key).toString();
    const swarm = swarms.find((s) => s.id === id)!;
    const members = await this.#db.selectFrom("nodes")
      .select([
        "pubkey",
        "public_ip",
        "https_port",
        "quic_port",
        "storage_version",
      ])
      .where("pubkey", "in", swarm.members).orderBy("pubkey").execute();
    return {
      sessionId: sessionId.toLowerCase(),
      swarmId: id,
      members: members.map((m) => ({
        pubkey: m.pubkey,
        publicIp: m.public_ip,
        httpsPort: m.https_port === null ? null : Number(m.https_port),
        quicPort: m.quic_port === null ? null : Number(m.quic_port),
        storageVersion: m.storage_version,
      })),
    };
  }

  /** A wallet: balance, stakes and when each unlocks. */
  async wallet(pubkey: string): Promise<WalletView> {
    parsePublicKey(pubkey);
    const w = await this.#db.selectFrom("wallets").selectAll().where(
      "pubkey",
      "=",
      pubkey,
    ).executeTakeFirst();
    const stakes = await this.#db.selectFrom("stakes").innerJoin(
      "nodes",
      "nodes.pubkey",
      "stakes.node",
    )
      .select([
        "stakes.node",
        "stakes.amount",
        "stakes.reserved",
        "stakes.since_epoch",
        "nodes.status",
        "nodes.operator",
        "nodes.unlock_at",
        "nodes.locked_until",
        "nodes.stakes_released_at",
      ])
      .where("stakes.wallet", "=", pubkey).orderBy("stakes.node").execute();
    if (!w && stakes.length === 0) {
      throw new RegistryError(
        "unknown_wallet",
        `wallet ${pubkey} has never held coins`,
      );
    }
    const r = this.registry;
    const held = stakes.filter((s) => s.stakes_released_at === null);
    return {
      pubkey,
      balance: w?.balance ?? "0",
      staked: held.reduce((a, s) => a + BigInt(s.amount), 0n).toString(),
      stakes: stakes.map((s) => {
        const unlockEpoch = s.status === "deregistered"
          ? s.locked_until
          : s.unlock_at;
        return {
          node: s.node,
          operator: s.operator === pubkey,
          nodeStatus: s.status,
          amount: s.amount,
          reserved: s.reserved,
          sinceEpoch: Number(s.since_epoch),
          released: s.stakes_released_at !== null,
          unlocksAt: s.stakes_released_at === null && unlockEpoch !== null
            ? {
              epoch: Number(unlockEpoch),
              time: r.epochTime(Number(unlockEpoch)),
            }
            : null,
        };
      }),
    };
  }

  /** A published list's epoch and body hash, without loading its bytes. */
  async listMeta(
    which: number | "latest",
  ): Promise<{ epoch: number; hash: string }> {
    const row = await this.#listRow(which, ["epoch", "hash"]);
    return { epoch: Number(row.epoch), hash: row.hash };
  }

  /** A published list's signed binary; `"latest"` or an epoch. */
  async listBytes(
    which: number | "latest",
  ): Promise<{ epoch: number; hash: string; bytes: Uint8Array }> {
    const row = await this.#listRow(which, ["epoch", "hash", "encoded"]);
    return {
      epoch: Number(row.epoch),
      hash: row.hash,
      bytes: new Uint8Array(row.encoded),
    };
  }

  async #listRow<C extends "epoch" | "hash" | "encoded">(
    which: number | "latest",
    columns: C[],
  ) {
    let q = this.#db.selectFrom("lists").select(columns);
    q = which === "latest"
      ? q.orderBy("epoch", "desc").limit(1)
      : q.where("epoch", "=", which);
    const row = await q.executeTakeFirst();
    if (!row) {
      throw new RegistryError(
        "unknown_list",
        which === "latest"
          ? "no list has been published yet"
          : `no list for epoch ${which} is kept`,
      );
    }
    return row;
  }

  /** A published list decoded (cached: lists never change). */
  async list(which: number | "latest"): Promise<NodeList> {
    const { epoch, bytes } = await this.listBytes(which);
    let list = this.#listCache.get(epoch);
    if (!list) {
      list = decodeNodeList(bytes, this.registry.params.id);
      if (this.#listCache.size > 64) this.#listCache.clear();
      this.#listCache.set(epoch, list);
    }
    return list;
  }

  /** A published list as JSON. */
  async listJson(which: number | "latest"): Promise<NodeListJson> {
    return nodeListToJson(await this.list(which));
  }

  /** The diff from list `from` to list `to` (binary, reproduces `to` byte for byte). */
  async diff(
    from: number,
    to: number | "latest",
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

  async #stakesOf(nodes: string[]): Promise<Map<string, StakeRow[]>> {
    const out = new Map<string, StakeRow[]>();
    if (nodes.length === 0) return out;
    const rows = await this.#db.selectFrom("stakes").selectAll().where(
      "node",
      "in",
      nodes,
    ).execute();
    for (const s of rows) {
      let list = out.get(s.node);
      if (!list) out.set(s.node, list = []);
      list.push(s);
    }
    return out;
  }

  #summary(row: NodeRow, stakeRows: StakeRow[]): NodeSummary {
    const r = this.registry;
    const life = lifecycleOf(row);
    const stakes = stakesOf(row, stakeRows);
    return {
      pubkey: row.pubkey,
      status: row.status,
      operator: row.operator,
      swarmId: row.swarm_id === UNASSIGNED ? null : row.swarm_id,
      requirement: row.requirement,
      contributed: fundingState(r.params, stakes).contributed.toString(),
      feeBasisPoints: Number(row.fee_basis_points),
      contributors: stakes.stakes.length,
      credit: creditAt(life, r.epoch, r.params),
      publicIp: row.public_ip,
      storageVersion: row.storage_version,
      lastProofAgeSeconds: row.last_proof_at === null
        ? null
        : Math.max(0, r.nowSeconds() - Number(row.last_proof_at)),
      unlockAt: life.unlockAt,
    };
  }
}
