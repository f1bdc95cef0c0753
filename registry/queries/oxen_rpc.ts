/**
 * Compatibility with oxen-core's JSON-RPC `get_service_nodes` (network.md
 * §4; upstream `core_rpc_server.cpp` `invoke(GET_SERVICE_NODES)` and
 * `fill_sn_response_entry`, `core_rpc_server_command_parser.cpp`), so real
 * clients (Session desktop's seed bootstrap, libsession, tools written for
 * the upstream daemon) read this registry: upstream's parameter and field
 * names and behaviour, from our state.
 *
 * Upstream's behaviour, followed here:
 * - Every request is answered, with `"id": null` when it has none: Session
 *   desktop and other real callers send no `id` and expect an answer.
 * - `fields`: a list of names, or (deprecated) an object `{name: true}`.
 *   Empty or absent selects everything; with `"all"` in the list, `"-name"`
 *   removes a field; without `"all"`, only the names listed are returned (so
 *   a list of only `"-name"` entries selects nothing). In the object form
 *   `"all": true` selects everything and ignores the other entries.
 * - `poll_block_hash` of `""` or all zeros means "not polling". When
 *   polling, `unchanged` is always present; when the hash changed,
 *   `block_hash` is returned even if not selected.
 * - `total_reserved` is present only when it differs from
 *   `total_contributed`, `contributors[].reserved` only when it differs from
 *   the amount, and the `last_decommission_reason_consensus_*` fields only
 *   for a node that was decommissioned with a reason.
 * - `operator_fee` is in millionths (1,000,000 = 100%), `swarm` the swarm id
 *   in lower-case hex; `get_n_service_nodes` and `get_all_service_nodes`
 *   are aliases.
 * - `last_uptime_proof` is when the registry received the node's last proof
 *   (unix seconds, 0 if none), not the time the proof claims.
 *
 * Where this registry differs (the registry plays the chain's part):
 * - `height` is the latest published list's epoch and `block_hash` its body
 *   hash (hex). The node states are a snapshot taken once per published
 *   list, so one `block_hash` always names the same answer and
 *   `poll_block_hash` is exact.
 * - Nodes: every registered node still in the network (awaiting
 *   contributions, active, decommissioned), ordered by key unless `limit`
 *   asks for a random subset or order.
 * - Heights (`registration_height`, `requested_unlock_height`,
 *   `state_height`) are epochs; `earned_downtime_blocks` is the
 *   decommission credit in epochs.
 * - A node with no proof has `public_ip` "0.0.0.0", ports 0 and
 *   `last_uptime_proof` 0, which clients drop (upstream leaves these fields
 *   out, but clients' response schemas require them).
 * - `last_decommission_reason_consensus_all` and `_any` are equal: there is
 *   one registry, not a quorum.
 * - Amounts (atomic units) and `swarm_id` are u64s written as exact JSON
 *   numbers, as upstream does: a value above 2^53 keeps all its digits in
 *   the text (parse it with a u64-aware parser; `JSON.parse` rounds it).
 *   `swarm_id` of a node in no swarm is 2^64-1 (`UNASSIGNED_SWARM_ID`).
 * - Not provided: `locked_contributions` (Monero key images), BLS and
 *   Ethereum fields, reward heights, `payable`, `lokinet_version`,
 *   `quorumnet_port`, vote and test histories, `target_height`.
 * - `hardfork` is the message format version and `snode_revision` 0.
 *
 * @module
 */

import { fromHex, toHex } from "../core/bytes.ts";
import { x25519FromEd25519 } from "../core/keys.ts";
import { creditAt } from "../core/lifecycle.ts";
import { MESSAGE_VERSION } from "../core/messages.ts";
import type { NetworkParams } from "../core/params.ts";
import { FEE_BASIS } from "../core/params.ts";
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
  swarm: string;
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
  "swarm",
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
    // Upstream's microportion: millionths, 1,000,000 = 100%.
    operator_fee: stakes.feeBasisPoints * (1_000_000 / FEE_BASIS),
    operator_address: row.operator,
    contributors: stakes.stakes.map((s) => ({
      address: toHex(s.wallet),
      amount: s.amount,
      reserved: s.amount > s.reserved ? s.amount : s.reserved,
    })),
    swarm_id: BigInt(row.swarm_id),
    swarm: BigInt(row.swarm_id).toString(16),
    service_node_version: versionTriple(row.node_version),
    storage_server_version: versionTriple(row.storage_version),
    public_ip: proven ? row.public_ip! : "0.0.0.0",
    storage_port: proven ? Number(row.https_port ?? 0) : 0,
    storage_lmq_port: proven ? Number(row.quic_port ?? 0) : 0,
    // When the registry received it, as upstream (older rows, from before
    // the receipt time was kept, fall back to the proof's signed time).
    last_uptime_proof: Number(
      row.last_proof_received_at ?? row.last_proof_at ?? 0,
    ),
  };
}

/**
 * Which fields a request selects, as upstream keeps them: the names given,
 * where an empty set means every field (see {@linkcode isRequested}).
 */
export type FieldSelection = ReadonlySet<string>;

/** Parsed `get_service_nodes` parameters. */
export interface GetServiceNodesParams {
  /** Field names asked for (empty: all). */
  fields: FieldSelection;
  /** Only these nodes (lower-case hex); null for all. */
  pubkeys: readonly string[] | null;
  /** Only active nodes. */
  activeOnly: boolean;
  /** >0 a random subset of that size, <0 all shuffled, 0 all in key order. */
  limit: number;
  /** Answer `{unchanged: true}` when the current `block_hash` equals this; null when not polling. */
  pollBlockHash: string | null;
}

function invalid(message: string): JsonRpcError {
  return new JsonRpcError(JSONRPC_ERRORS.invalidParams, message);
}

/**
 * Whether a selection includes `key` (upstream `requested()`): everything
 * when empty; with `"all"`, everything but `"-key"`; else only `key` itself.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(isRequested(new Set(), "public_ip"), true);
 * assert.equal(isRequested(new Set(["all", "-public_ip"]), "public_ip"), false);
 * assert.equal(isRequested(new Set(["-public_ip"]), "storage_port"), false);
 * ```
 */
export function isRequested(fields: FieldSelection, key: string): boolean {
  if (fields.size === 0) return true;
  return fields.has("all") ? !fields.has(`-${key}`) : fields.has(key);
}

/**
 * Parse `fields` as upstream's command parser does: a list of names (a list
 * of just `"all"` is everything), or the deprecated object `{name: bool}`,
 * read in key order, where `"all": true` means everything and ends the
 * reading. Unknown names are ignored.
 */
function parseFields(value: unknown): FieldSelection {
  if (value === undefined || value === null) return new Set();
  if (Array.isArray(value)) {
    if (!value.every((v) => typeof v === "string")) {
      throw invalid("fields: a list of field names (strings)");
    }
    const names = new Set(value as string[]);
    return names.size === 1 && names.has("all") ? new Set() : names;
  }
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    if (!entries.every(([, v]) => typeof v === "boolean")) {
      throw invalid("fields: an object's values must be true or false");
    }
    // Upstream's JSON objects iterate in key order (a sorted map).
    entries.sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
    const names = new Set<string>();
    for (const [k, v] of entries) {
      if (!v) continue;
      if (k === "all") return new Set();
      names.add(k);
    }
    return names;
  }
  throw invalid("fields: a list of field names");
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
    (typeof poll !== "string" ||
      (poll !== "" && !/^[0-9a-fA-F]{64}$/.test(poll)))
  ) {
    throw invalid("poll_block_hash: a block hash, 64 hex digits");
  }
  // "" and the null hash (all zeros) mean "not polling", as upstream
  // (`ignore_empty_string`, and a null crypto::hash is false).
  const polling = poll !== null && poll !== "" && !/^0{64}$/.test(poll);
  return {
    fields,
    pubkeys,
    activeOnly,
    limit,
    pollBlockHash: polling ? poll.toLowerCase() : null,
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

function pick(
  obj: Record<string, unknown>,
  fields: FieldSelection,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (isRequested(fields, k)) out[k] = v;
  }
  return out;
}

/**
 * One `service_node_states` entry as upstream writes it: the selected
 * fields, leaving out `total_reserved` when it equals `total_contributed`,
 * `contributors[].reserved` when it equals the amount, and the
 * decommission-reason fields for a node never decommissioned with a reason.
 */
export function serviceNodeEntry(
  s: ServiceNodeState,
  fields: FieldSelection,
): Record<string, unknown> {
  const entry: Record<string, unknown> = {
    ...s,
    contributors: s.contributors.map((c) =>
      c.reserved === c.amount
        ? { address: c.address, amount: c.amount }
        : { address: c.address, amount: c.amount, reserved: c.reserved }
    ),
  };
  if (s.total_reserved === s.total_contributed) delete entry.total_reserved;
  if (s.last_decommission_reason_consensus_any === 0) {
    delete entry.last_decommission_reason_consensus_all;
    delete entry.last_decommission_reason_consensus_any;
  }
  return pick(entry, fields);
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
  const head = pick({ ...top }, params.fields);
  const result: Record<string, unknown> = { ...head, status: "OK" };
  if (params.pollBlockHash !== null) {
    const unchanged = params.pollBlockHash === top.block_hash;
    result.unchanged = unchanged;
    if (unchanged) return result;
    // A changed hash is always told, selected or not.
    result.block_hash = top.block_hash;
  }
  let nodes = [...states];
  if (params.pubkeys !== null) {
    const wanted = new Set(params.pubkeys);
    nodes = nodes.filter((s) => wanted.has(s.service_node_pubkey));
  }
  if (params.activeOnly) nodes = nodes.filter((s) => s.active);
  if (params.limit > 0) nodes = randomPick(nodes, params.limit, randomInt);
  else if (params.limit < 0) nodes = randomPick(nodes, nodes.length, randomInt);
  result.service_node_states = nodes.map((s) =>
    serviceNodeEntry(s, params.fields)
  );
  return result;
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

  /** Answer a request body (single or batch): the JSON text to send. */
  async handle(text: string): Promise<string> {
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
      for (const r of parsed) answers.push(await this.#one(r));
      return encodeJsonRpc(answers);
    }
    return encodeJsonRpc(await this.#one(parsed));
  }

  async #one(request: unknown): Promise<Record<string, unknown>> {
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
    // A request without an id is answered too, with `"id": null`: oxend
    // does, and real clients (Session desktop) send none.
    try {
      let result: unknown;
      switch (r.method) {
        case "get_service_nodes":
        case "get_n_service_nodes":
        case "get_all_service_nodes": {
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
            `method not found: ${r.method} (this registry answers get_service_nodes, get_n_service_nodes and get_all_service_nodes)`,
          );
      }
      return { jsonrpc: "2.0", id: replyId, result };
    } catch (e) {
      if (e instanceof JsonRpcError) {
        return errorResponse(replyId, e.code, e.message);
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
