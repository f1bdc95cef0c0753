/**
 * Compatibility with oxen-core's JSON-RPC `get_service_nodes` (network.md
 * §4), so tools written for the upstream daemon can read this registry:
 * upstream's parameter and field names and behaviour, from our state.
 *
 * What maps to what:
 * - `height` is the latest published list's epoch and `block_hash` its body
 *   hash (hex): the list plays the block's part. The node states are a
 *   snapshot taken once per published list, so one `block_hash` always
 *   names the same answer and `poll_block_hash` is exact.
 * - Nodes: every registered node still in the network (awaiting
 *   contributions, active, decommissioned), ordered by key.
 * - Heights (`registration_height`, `requested_unlock_height`,
 *   `state_height`) are epochs; `earned_downtime_blocks` is the
 *   decommission credit in epochs.
 * - `operator_fee` is in **basis points of 10,000** (this network's rule and
 *   the Session network's staking contract), not oxen's legacy portions of
 *   2^64-4.
 * - Amounts (atomic units) and `swarm_id` are u64s written as exact JSON
 *   numbers, as upstream does: a value above 2^53 keeps all its digits in
 *   the text (parse it with a u64-aware parser; `JSON.parse` rounds it).
 *   `swarm_id` of a node in no swarm is 2^64-1 (`UNASSIGNED_SWARM_ID`).
 * - `last_decommission_reason_consensus_all` and `_any` are equal: there is
 *   one registry, not a quorum.
 * - `contributors[].reserved` is upstream's: the larger of the amount and
 *   the reservation. `locked_contributions` (Monero key images) do not exist
 *   here and are omitted.
 * - A node with no proof has `public_ip` "0.0.0.0", ports 0 and
 *   `last_uptime_proof` 0, which clients drop.
 * - `hardfork` is the message format version and `snode_revision` 0.
 *
 * @module
 */

import { fromHex, toHex } from "../core/bytes.ts";
import { x25519FromEd25519 } from "../core/keys.ts";
import { creditAt } from "../core/lifecycle.ts";
import { MESSAGE_VERSION } from "../core/messages.ts";
import type { NetworkParams } from "../core/params.ts";
import { fundingState } from "../core/staking.ts";
import {
  lifecycleOf,
  type NodeRow,
  type StakeRow,
  stakesOf,
  versionTriple,
} from "../store/nodes.ts";
import type { RegistryReader } from "./context.ts";

/** JSON-RPC 2.0 error codes. */
export const JSONRPC_ERRORS = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
} as const;

/** A JSON-RPC error to answer with. */
export class JsonRpcError extends Error {
  /** JSON-RPC error code. */
  readonly code: number;
  /** Build one. */
  constructor(code: number, message: string) {
    super(message);
    this.name = "JsonRpcError";
    this.code = code;
  }
}

/** One contributor, upstream's shape. */
export interface Contributor {
  address: string;
  amount: bigint;
  reserved: bigint;
}

/** One entry of `service_node_states`, with upstream's names. */
export interface ServiceNodeState {
  service_node_pubkey: string;
  pubkey_ed25519: string;
  pubkey_x25519: string;
  registration_height: number;
  requested_unlock_height: number;
  active: boolean;
  funded: boolean;
  state_height: number;
  earned_downtime_blocks: number;
  decommission_count: number;
  last_decommission_reason_consensus_all: number;
  last_decommission_reason_consensus_any: number;
  total_contributed: bigint;
  total_reserved: bigint;
  staking_requirement: bigint;
  operator_fee: number;
  operator_address: string;
  contributors: Contributor[];
  swarm_id: bigint;
  service_node_version: [number, number, number];
  storage_server_version: [number, number, number];
  public_ip: string;
  storage_port: number;
  storage_lmq_port: number;
  last_uptime_proof: number;
}

/** Every field of a node state, in upstream's order. */
export const SERVICE_NODE_FIELDS = [
  "service_node_pubkey",
  "pubkey_ed25519",
  "pubkey_x25519",
  "registration_height",
  "requested_unlock_height",
  "active",
  "funded",
  "state_height",
  "earned_downtime_blocks",
  "decommission_count",
  "last_decommission_reason_consensus_all",
  "last_decommission_reason_consensus_any",
  "total_contributed",
  "total_reserved",
  "staking_requirement",
  "operator_fee",
  "operator_address",
  "contributors",
  "swarm_id",
  "service_node_version",
  "storage_server_version",
  "public_ip",
  "storage_port",
  "storage_lmq_port",
  "last_uptime_proof",
] as const satisfies readonly (keyof ServiceNodeState)[];

/** Top-level fields `fields` also selects. */
export const TOP_LEVEL_FIELDS = [
  "height",
  "block_hash",
  "hardfork",
  "snode_revision",
] as const;

/** The top-level facts of an answer. */
export interface TopInfo {
  height: number;
  block_hash: string;
  hardfork: number;
  snode_revision: number;
}

/** Statuses a node is reported in (upstream lists registered nodes only). */
export const REPORTED_STATUSES = [
  "awaiting_contributions",
  "active",
  "decommissioned",
] as const;

/**
 * A node's state with upstream's names, from its row and stake rows at
 * `epoch` (for the credit). A node with no proof has `public_ip` "0.0.0.0"
 * and ports 0.
 */
export function serviceNodeState(
  row: NodeRow,
  stakeRows: readonly StakeRow[],
  epoch: number,
  params: NetworkParams,
): ServiceNodeState {
  const life = lifecycleOf(row);
  const stakes = stakesOf(row, stakeRows);
  const funding = fundingState(params, stakes);
  const pubkey = row.pubkey;
  const proven = row.public_ip !== null && row.last_proof_at !== null;
  return {
    service_node_pubkey: pubkey,
    pubkey_ed25519: pubkey,
    pubkey_x25519: toHex(x25519FromEd25519(fromHex(pubkey, 32))),
    registration_height: life.registeredAt,
    requested_unlock_height: life.unlockAt ?? 0,
    active: life.status === "active",
    funded: funding.funded,
    state_height: life.statusSince,
    earned_downtime_blocks: creditAt(life, epoch, params),
    decommission_count: life.decommissionCount,
    last_decommission_reason_consensus_all: life.lastReasons,
    last_decommission_reason_consensus_any: life.lastReasons,
    total_contributed: funding.contributed,
    total_reserved: funding.contributedOrReserved,
    staking_requirement: stakes.requirement,
    operator_fee: stakes.feeBasisPoints,
    operator_address: row.operator,
    contributors: stakes.stakes.map((s) => ({
      address: toHex(s.wallet),
      amount: s.amount,
      reserved: s.amount > s.reserved ? s.amount : s.reserved,
    })),
    swarm_id: BigInt(row.swarm_id),
    service_node_version: versionTriple(row.node_version),
    storage_server_version: versionTriple(row.storage_version),
    public_ip: proven ? row.public_ip! : "0.0.0.0",
    storage_port: proven ? Number(row.https_port ?? 0) : 0,
    storage_lmq_port: proven ? Number(row.quic_port ?? 0) : 0,
    last_uptime_proof: row.last_proof_at === null
      ? 0
      : Number(row.last_proof_at),
  };
}

/** Parsed `get_service_nodes` parameters. */
export interface GetServiceNodesParams {
  /** Field names to return; null for all. */
  fields: ReadonlySet<string> | null;
  /** Only these nodes (lower-case hex); null for all. */
  pubkeys: readonly string[] | null;
  /** Only active nodes. */
  activeOnly: boolean;
  /** >0 a random subset of that size, <0 all shuffled, 0 all in key order. */
  limit: number;
  /** Answer `{unchanged: true}` when the current `block_hash` equals this. */
  pollBlockHash: string | null;
}

const ALL_FIELDS: readonly string[] = [
  ...TOP_LEVEL_FIELDS,
  ...SERVICE_NODE_FIELDS,
];

function invalid(message: string): JsonRpcError {
  return new JsonRpcError(JSONRPC_ERRORS.invalidParams, message);
}

/**
 * Parse `fields`: a list of names, or (deprecated upstream) an object
 * `{name: true}`. `"all"` selects everything and is the default; `"-name"`
 * removes a field (from everything when no field is named positively).
 * Unknown names are ignored, as upstream does.
 */
function parseFields(value: unknown): ReadonlySet<string> | null {
  if (value === undefined || value === null) return null;
  let names: string[];
  if (Array.isArray(value)) {
    if (!value.every((v) => typeof v === "string")) {
      throw invalid("fields: a list of field names (strings)");
    }
    names = value as string[];
  } else if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    if (!entries.every(([, v]) => typeof v === "boolean")) {
      throw invalid("fields: an object's values must be true or false");
    }
    names = entries.filter(([, v]) => v === true).map(([k]) => k);
  } else if (typeof value === "string") {
    names = [value];
  } else {
    throw invalid("fields: a list of field names");
  }
  const positive = names.filter((n) => !n.startsWith("-"));
  const negative = names.filter((n) => n.startsWith("-")).map((n) =>
    n.slice(1)
  );
  const all = positive.includes("all") || positive.length === 0;
  if (all && negative.length === 0) return null;
  const selected = new Set(all ? ALL_FIELDS : positive);
  for (const n of negative) selected.delete(n);
  return selected;
}

/** Parse and check `get_service_nodes` params (absent params: defaults). */
export function parseGetServiceNodesParams(
  params: unknown,
): GetServiceNodesParams {
  if (params === undefined || params === null) params = {};
  if (typeof params !== "object" || Array.isArray(params)) {
    throw invalid("params: an object");
  }
  const p = params as Record<string, unknown>;
  const fields = parseFields(p.fields);
  let pubkeys: string[] | null = null;
  if (p.service_node_pubkeys !== undefined && p.service_node_pubkeys !== null) {
    const keys = p.service_node_pubkeys;
    if (
      !Array.isArray(keys) ||
      !keys.every((k) => typeof k === "string" && /^[0-9a-fA-F]{64}$/.test(k))
    ) {
      throw invalid(
        "service_node_pubkeys: a list of public keys, 64 hex digits each",
      );
    }
    pubkeys = keys.map((k: string) => k.toLowerCase());
  }
  const activeOnly = p.active_only ?? false;
  if (typeof activeOnly !== "boolean") {
    throw invalid("active_only: true or false");
  }
  const limit = p.limit ?? 0;
  if (
    typeof limit !== "number" || !Number.isSafeInteger(limit)
  ) {
    throw invalid("limit: an integer");
  }
  const poll = p.poll_block_hash ?? null;
  if (
    poll !== null &&
    (typeof poll !== "string" || !/^[0-9a-fA-F]{64}$/.test(poll))
  ) {
    throw invalid("poll_block_hash: a block hash, 64 hex digits");
  }
  return {
    fields,
    pubkeys,
    activeOnly,
    limit,
    pollBlockHash: poll === null ? null : poll.toLowerCase(),
  };
}

/** Uniform integer in [0, n) from `crypto.getRandomValues` (rejection sampling). */
export function cryptoRandomInt(n: number): number {
  if (!(n >= 1 && n <= 2 ** 32)) throw new RangeError(`bad range ${n}`);
  const limit = 2 ** 32 - (2 ** 32 % n);
  const buf = new Uint32Array(1);
  for (;;) {
    crypto.getRandomValues(buf);
    if (buf[0]! < limit) return buf[0]! % n;
  }
}

/** The first `k` items of a uniform random permutation (partial Fisher-Yates). */
export function randomPick<T>(
  items: readonly T[],
  k: number,
  randomInt: (n: number) => number,
): T[] {
  const a = [...items];
  const n = Math.min(k, a.length);
  for (let i = 0; i < n; i++) {
    const j = i + randomInt(a.length - i);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, n);
}

function select(
  obj: Record<string, unknown>,
  fields: ReadonlySet<string> | null,
): Record<string, unknown> {
  if (fields === null) return obj;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (fields.has(k)) out[k] = v;
  return out;
}

/**
 * The `get_service_nodes` result for node states (in key order) and the
 * top-level facts.
 */
export function getServiceNodes(
  top: TopInfo,
  states: readonly ServiceNodeState[],
  params: GetServiceNodesParams,
  randomInt: (n: number) => number = cryptoRandomInt,
): Record<string, unknown> {
  const head = select({ ...top }, params.fields);
  if (
    params.pollBlockHash !== null && params.pollBlockHash === top.block_hash
  ) {
    return { ...head, status: "OK", unchanged: true };
  }
  let nodes = [...states];
  if (params.pubkeys !== null) {
    const wanted = new Set(params.pubkeys);
    nodes = nodes.filter((s) => wanted.has(s.service_node_pubkey));
  }
  if (params.activeOnly) nodes = nodes.filter((s) => s.active);
  if (params.limit > 0) nodes = randomPick(nodes, params.limit, randomInt);
  else if (params.limit < 0) nodes = randomPick(nodes, nodes.length, randomInt);
  return {
    ...head,
    status: "OK",
    ...(params.pollBlockHash !== null ? { unchanged: false } : {}),
    service_node_states: nodes.map((s) =>
      select(s as unknown as Record<string, unknown>, params.fields)
    ),
  };
}

const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown })
  .rawJSON;

/**
 * JSON text for a JSON-RPC answer, writing bigints as exact JSON numbers
 * (u64 amounts and swarm ids, as upstream does).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(encodeJsonRpc({ swarm_id: 2n ** 64n - 1n }), '{"swarm_id":18446744073709551615}');
 * ```
 */
export function encodeJsonRpc(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v) => typeof v === "bigint" ? rawJSON(v.toString()) : v,
  );
}

/** A cached snapshot of the node states for one published list. */
interface Snapshot {
  top: TopInfo;
  states: ServiceNodeState[];
}

/** Options of {@linkcode JsonRpcService}. */
export interface JsonRpcOptions {
  /** Uniform random integer in [0, n). Default {@linkcode cryptoRandomInt}. */
  randomInt?: (n: number) => number;
}

/**
 * Answers JSON-RPC 2.0 requests (single or batch) for `get_service_nodes`
 * and its alias `get_n_service_nodes`.
 */
export class JsonRpcService {
  readonly #registry: RegistryReader;
  readonly #randomInt: (n: number) => number;
  #snapshot: Promise<Snapshot> | null = null;
  #snapshotHash: string | null = null;

  constructor(registry: RegistryReader, options: JsonRpcOptions = {}) {
    this.#registry = registry;
    this.#randomInt = options.randomInt ?? cryptoRandomInt;
  }

  /** The node states as of the latest list (computed once per list). */
  async snapshot(): Promise<Snapshot> {
    const latest = await this.#registry.store.read.lists.latest();
    const hash = latest?.hash ?? "0".repeat(64);
    if (this.#snapshot === null || this.#snapshotHash !== hash) {
      this.#snapshotHash = hash;
      this.#snapshot = this.#load({
        height: latest?.epoch ?? 0,
        block_hash: hash,
        hardfork: MESSAGE_VERSION,
        snode_revision: 0,
      });
      this.#snapshot.catch(() => {
        this.#snapshot = null;
      });
    }
    return await this.#snapshot;
  }

  async #load(top: TopInfo): Promise<Snapshot> {
    const nodes = this.#registry.store.read.nodes;
    const rows = await nodes.withStatus(REPORTED_STATUSES);
    const byNode = await nodes.stakesByStatus(REPORTED_STATUSES);
    const epoch = this.#registry.epoch;
    const params = this.#registry.params;
    return {
      top,
      states: rows.map((r) =>
        serviceNodeState(r, byNode.get(r.pubkey) ?? [], epoch, params)
      ),
    };
  }

  /**
   * Answer a request body. Returns the JSON text to send, or null when
   * every request was a notification (no `id`).
   */
  async handle(text: string): Promise<string | null> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return encodeJsonRpc(
        errorResponse(
          null,
          JSONRPC_ERRORS.parseError,
          "parse error: the body is not JSON",
        ),
      );
    }
    if (Array.isArray(parsed)) {
      if (parsed.length === 0) {
        return encodeJsonRpc(
          errorResponse(null, JSONRPC_ERRORS.invalidRequest, "empty batch"),
        );
      }
      const answers = [];
      for (const r of parsed) {
        const a = await this.#one(r);
        if (a !== null) answers.push(a);
      }
      return answers.length > 0 ? encodeJsonRpc(answers) : null;
    }
    const answer = await this.#one(parsed);
    return answer === null ? null : encodeJsonRpc(answer);
  }

  async #one(request: unknown): Promise<Record<string, unknown> | null> {
    if (
      typeof request !== "object" || request === null || Array.isArray(request)
    ) {
      return errorResponse(
        null,
        JSONRPC_ERRORS.invalidRequest,
        "a request is an object",
      );
    }
    const r = request as Record<string, unknown>;
    const id = r.id;
    const validId = id === undefined || id === null || typeof id === "string" ||
      typeof id === "number";
    if (!validId) {
      return errorResponse(
        null,
        JSONRPC_ERRORS.invalidRequest,
        "id: a string, number or null",
      );
    }
    const replyId = id ?? null;
    if (
      (r.jsonrpc !== undefined && r.jsonrpc !== "2.0") ||
      typeof r.method !== "string"
    ) {
      return errorResponse(
        replyId,
        JSONRPC_ERRORS.invalidRequest,
        'a request is {"jsonrpc": "2.0", "method": ..., "params": ..., "id": ...}',
      );
    }
    const notification = !("id" in r);
    try {
      let result: unknown;
      switch (r.method) {
        case "get_service_nodes":
        case "get_n_service_nodes": {
          const params = parseGetServiceNodesParams(r.params);
          const snap = await this.snapshot();
          result = getServiceNodes(
            snap.top,
            snap.states,
            params,
            this.#randomInt,
          );
          break;
        }
        default:
          throw new JsonRpcError(
            JSONRPC_ERRORS.methodNotFound,
            `method not found: ${r.method} (this registry answers get_service_nodes and get_n_service_nodes)`,
          );
      }
      return notification ? null : { jsonrpc: "2.0", id: replyId, result };
    } catch (e) {
      if (e instanceof JsonRpcError) {
        return notification ? null : errorResponse(replyId, e.code, e.message);
      }
      throw e;
    }
  }
}

function errorResponse(
  id: unknown,
  code: number,
  message: string,
): Record<string, unknown> {
  return { jsonrpc: "2.0", id, error: { code, message } };
}
