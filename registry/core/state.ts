/**
 * The state commitment: a canonical encoding of everything the registry's
 * rules read (every node with its lifecycle, swarm, last proof and stakes;
 * every wallet balance; every signer's last sequence number) and of where in
 * the chain it stands. Its SHA-256 is the `stateHash` of list N's header:
 * the state after epoch N's tick, before list N itself is recorded. The
 * same bytes are a snapshot a witness can start from instead of replaying
 * from genesis, checking them against the signed header. Byte layout in
 * `README.md` ("State commitment").
 *
 * @module
 */

import { sha256 } from "@noble/hashes/sha2.js";
import {
  ByteReader,
  ByteWriter,
  compareBytes,
  concat,
  formatIpv4,
  parseIpv4,
  toHex,
} from "./bytes.ts";
import { DecodeError } from "./errors.ts";
import type { NodeStatus } from "./lifecycle.ts";
import { PUBLIC_KEY_LENGTH } from "./keys.ts";
import { NETWORK_IDS } from "./params.ts";

/**
 * The 4 ASCII bytes a state snapshot starts with.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const bytes = encodeStateSnapshot({ network: 3, epoch: 0n, prevListId: new Uint8Array(32), nodes: [], wallets: [], sequences: [] });
 * assert.equal(new TextDecoder().decode(bytes.subarray(0, 4)), STATE_MAGIC);
 * ```
 */
export const STATE_MAGIC = "SNS1";
/**
 * Version byte of the state snapshot format.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(STATE_FORMAT_VERSION, 1);
 * ```
 */
export const STATE_FORMAT_VERSION = 1;
/**
 * Status bytes of a node in a snapshot.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(NODE_STATUS_CODES.active, 2);
 * ```
 */
export const NODE_STATUS_CODES: Readonly<Record<NodeStatus, number>> = {
  awaiting_contributions: 1,
  active: 2,
  decommissioned: 3,
  deregistered: 4,
  exited: 5,
};
/**
 * Largest snapshot decoded, bytes (512 MiB).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(MAX_STATE_LENGTH, 512 * 1024 * 1024);
 * ```
 */
export const MAX_STATE_LENGTH: number = 512 * 1024 * 1024;

const MAGIC = new TextEncoder().encode(STATE_MAGIC);
const STATUS_NAMES = new Map<number, NodeStatus>(
  Object.entries(NODE_STATUS_CODES).map(([k, v]) => [v, k as NodeStatus]),
);

/**
 * One contributor's stake, in the node's contributor order (operator first).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const s: StateStake = { wallet: new Uint8Array(32), amount: 30n, reserved: 0n, sinceEpoch: 4 };
 * assert.equal(s.amount, 30n);
 * ```
 */
export interface StateStake {
  /** The contributor's wallet. */
  wallet: Uint8Array;
  /** Atomic units staked. */
  amount: bigint;
  /** Atomic units reserved for this contributor. */
  reserved: bigint;
  /** Epoch the stake was made. */
  sinceEpoch: number;
}

/**
 * A node as the rules see it: every column of the registry's node row.
 * Epochs and times are whole numbers (0 to 2^53-1); credits may be negative.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const n: Pick<StateNode, "status"> = { status: "active" };
 * assert.equal(n.status, "active");
 * ```
 */
export interface StateNode {
  /** The node's Ed25519 key. */
  pubkey: Uint8Array;
  /** The operator's wallet. */
  operator: Uint8Array;
  /** Operator fee, basis points. */
  feeBasisPoints: number;
  /** Staking requirement at registration, atomic units. */
  requirement: bigint;
  /** Lifecycle status. */
  status: NodeStatus;
  /** Epoch of registration. */
  registeredAt: number;
  /** Epoch the status began. */
  statusSince: number;
  /** Epoch it last became active. */
  activeSince: number | null;
  /** Credit base at activation (lifecycle.ts). */
  creditBase: number;
  /** Credit when decommissioned. */
  creditAtDecommission: number | null;
  /** Epoch of the last uptime proof. */
  lastProofEpoch: number | null;
  /** Marked unreachable by reachability tests. */
  unreachable: boolean;
  /** Consecutive failed reachability tests. */
  reachabilityFailures: number;
  /** Epoch a requested unlock takes effect. */
  unlockAt: number | null;
  /** Epoch a deregistered node's stakes unlock. */
  lockedUntil: number | null;
  /** Epoch the stakes went back to the wallets. */
  stakesReleasedAt: number | null;
  /** Times decommissioned. */
  decommissionCount: number;
  /** Reason bits of the last failure. */
  lastReasons: number;
  /** Swarm id (u64; 2^64-1 when in none). */
  swarmId: bigint;
  /** IPv4 from the last proof. */
  publicIp: string | null;
  /** Storage HTTPS port from the last proof. */
  httpsPort: number | null;
  /** Storage QUIC port from the last proof. */
  quicPort: number | null;
  /** As the proof stated it, e.g. `"11.0.0"`. */
  nodeVersion: string | null;
  /** The storage server version the proof stated. */
  storageVersion: string | null;
  /** Unix seconds of the last proof's signed timestamp. */
  lastProofAt: number | null;
  /** Unix seconds when the registry received the last proof. */
  lastProofReceivedAt: number | null;
  /** Stakes in contributor order. */
  stakes: StateStake[];
}

/**
 * A wallet's spendable balance.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const w: StateWallet = { pubkey: new Uint8Array(32), balance: 1n, createdEpoch: 0 };
 * assert.equal(w.balance, 1n);
 * ```
 */
export interface StateWallet {
  /** The wallet's key. */
  pubkey: Uint8Array;
  /** Spendable atomic units. */
  balance: bigint;
  /** Epoch it first held coins. */
  createdEpoch: number;
}

/**
 * A signer's last accepted sequence number (replay protection).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const s: StateSequence = { signer: new Uint8Array(32), lastSequence: 7 };
 * assert.equal(s.lastSequence, 7);
 * ```
 */
export interface StateSequence {
  /** The signing key. */
  signer: Uint8Array;
  /** Its last accepted sequence number. */
  lastSequence: number;
}

/**
 * The state after epoch `epoch`'s tick: nodes, wallets and sequences, each
 * strictly ascending by key, and the identity of the list before it (the
 * `prevHash` of list `epoch`, from which its swarm seed derives).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const empty: StateSnapshot = { network: 3, epoch: 0n, prevListId: new Uint8Array(32), nodes: [], wallets: [], sequences: [] };
 * assert.deepEqual(decodeStateSnapshot(encodeStateSnapshot(empty), 3), empty);
 * ```
 */
export interface StateSnapshot {
  /** Network id. */
  network: number;
  /** The epoch whose tick this state follows. */
  epoch: bigint;
  /** Identity of the list before list `epoch` (its `prevHash`). */
  prevListId: Uint8Array;
  /** Every node, ascending by key. */
  nodes: StateNode[];
  /** Every wallet, ascending by key. */
  wallets: StateWallet[];
  /** Every signer's sequence, ascending by key. */
  sequences: StateSequence[];
}

class Writer {
  readonly w = new ByteWriter();
  uint(v: number, what: string): this {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new DecodeError("out_of_range", `${what} ${v} is not 0 to 2^53-1`);
    }
    this.w.u64(BigInt(v));
    return this;
  }
  int(v: number, what: string): this {
    if (!Number.isSafeInteger(v)) {
      throw new DecodeError("out_of_range", `${what} ${v} is not an integer`);
    }
    this.w.u64(BigInt.asUintN(64, BigInt(v)));
    return this;
  }
  opt<T>(v: T | null, write: (v: T) => void): this {
    if (v === null) {
      this.w.u8(0);
    } else {
      this.w.u8(1);
      write(v);
    }
    return this;
  }
  text(v: string, what: string): this {
    const b = new TextEncoder().encode(v);
    if (b.length > 255) {
      throw new DecodeError("out_of_range", `${what} is over 255 bytes`);
    }
    this.w.u8(b.length).bytes(b);
    return this;
  }
}

class Reader {
  readonly r: ByteReader;
  constructor(bytes: Uint8Array) {
    this.r = new ByteReader(bytes, "state snapshot");
  }
  uint(what: string): number {
    const v = this.r.u64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new DecodeError("out_of_range", `${what} ${v} is above 2^53-1`);
    }
    return Number(v);
  }
  int(what: string): number {
    const v = BigInt.asIntN(64, this.r.u64());
    if (
      v < BigInt(Number.MIN_SAFE_INTEGER) || v > BigInt(Number.MAX_SAFE_INTEGER)
    ) {
      throw new DecodeError(
        "out_of_range",
        `${what} ${v} is not a safe integer`,
      );
    }
    return Number(v);
  }
  flag(what: string): boolean {
    const b = this.r.u8();
    if (b > 1) {
      throw new DecodeError("out_of_range", `${what} byte ${b} is not 0 or 1`);
    }
    return b === 1;
  }
  opt<T>(what: string, read: () => T): T | null {
    return this.flag(what) ? read() : null;
  }
  text(what: string): string {
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(
        this.r.bytes(this.r.u8()),
      );
    } catch (e) {
      if (e instanceof DecodeError) throw e;
      throw new DecodeError("bad_length", `${what} is not valid UTF-8`);
    }
  }
  count(min: number, what: string): number {
    const n = this.r.u32();
    if (n * min > this.r.remaining) {
      throw new DecodeError(
        "truncated",
        `${what}: ${n} entries need at least ${
          n * min
        } bytes, ${this.r.remaining} left`,
      );
    }
    return n;
  }
}

function ascending<T>(
  items: readonly T[],
  key: (t: T) => Uint8Array,
  what: string,
): void {
  for (let i = 1; i < items.length; i++) {
    if (compareBytes(key(items[i - 1]!), key(items[i]!)) >= 0) {
      throw new DecodeError(
        "not_sorted",
        `${what} must be strictly ascending by key; ${
          toHex(key(items[i]!))
        } follows ${toHex(key(items[i - 1]!))}`,
      );
    }
  }
}

function encodeNode(out: Writer, n: StateNode): void {
  const code = NODE_STATUS_CODES[n.status];
  if (code === undefined) {
    throw new DecodeError("out_of_range", `unknown node status ${n.status}`);
  }
  if (n.stakes.length > 255) {
    throw new DecodeError("out_of_range", "a node has at most 255 stakes");
  }
  const w = out.w;
  w.bytes(n.pubkey, PUBLIC_KEY_LENGTH).bytes(n.operator, PUBLIC_KEY_LENGTH)
    .u16(n.feeBasisPoints).u64(n.requirement).u8(code);
  out.uint(n.registeredAt, "registeredAt").uint(n.statusSince, "statusSince")
    .opt(n.activeSince, (v) => out.uint(v, "activeSince"))
    .int(n.creditBase, "creditBase")
    .opt(n.creditAtDecommission, (v) => out.int(v, "creditAtDecommission"))
    .opt(n.lastProofEpoch, (v) => out.uint(v, "lastProofEpoch"));
  w.u8(n.unreachable ? 1 : 0).u32(n.reachabilityFailures);
  out.opt(n.unlockAt, (v) => out.uint(v, "unlockAt"))
    .opt(n.lockedUntil, (v) => out.uint(v, "lockedUntil"))
    .opt(n.stakesReleasedAt, (v) => out.uint(v, "stakesReleasedAt"));
  w.u32(n.decommissionCount).u8(n.lastReasons).u64(n.swarmId);
  out.opt(n.publicIp, (v) => w.bytes(parseIpv4(v)))
    .opt(n.httpsPort, (v) => w.u16(v))
    .opt(n.quicPort, (v) => w.u16(v))
    .opt(n.nodeVersion, (v) => out.text(v, "nodeVersion"))
    .opt(n.storageVersion, (v) => out.text(v, "storageVersion"))
    .opt(n.lastProofAt, (v) => out.uint(v, "lastProofAt"))
    .opt(n.lastProofReceivedAt, (v) => out.uint(v, "lastProofReceivedAt"));
  w.u8(n.stakes.length);
  for (const s of n.stakes) {
    w.bytes(s.wallet, PUBLIC_KEY_LENGTH).u64(s.amount).u64(s.reserved);
    out.uint(s.sinceEpoch, "sinceEpoch");
  }
}

function decodeNode(d: Reader): StateNode {
  const r = d.r;
  const pubkey = r.bytes(PUBLIC_KEY_LENGTH);
  const operator = r.bytes(PUBLIC_KEY_LENGTH);
  const feeBasisPoints = r.u16();
  const requirement = r.u64();
  const code = r.u8();
  const status = STATUS_NAMES.get(code);
  if (status === undefined) {
    throw new DecodeError("out_of_range", `unknown node status byte ${code}`);
  }
  const node: StateNode = {
    pubkey,
    operator,
    feeBasisPoints,
    requirement,
    status,
    registeredAt: d.uint("registeredAt"),
    statusSince: d.uint("statusSince"),
    activeSince: d.opt("activeSince", () => d.uint("activeSince")),
    creditBase: d.int("creditBase"),
    creditAtDecommission: d.opt("creditAtDecommission", () => d.int("credit")),
    lastProofEpoch: d.opt("lastProofEpoch", () => d.uint("lastProofEpoch")),
    unreachable: d.flag("unreachable"),
    reachabilityFailures: r.u32(),
    unlockAt: d.opt("unlockAt", () => d.uint("unlockAt")),
    lockedUntil: d.opt("lockedUntil", () => d.uint("lockedUntil")),
    stakesReleasedAt: d.opt("stakesReleasedAt", () => d.uint("released")),
    decommissionCount: r.u32(),
    lastReasons: r.u8(),
    swarmId: r.u64(),
    publicIp: d.opt("publicIp", () => formatIpv4(r.bytes(4))),
    httpsPort: d.opt("httpsPort", () => r.u16()),
    quicPort: d.opt("quicPort", () => r.u16()),
    nodeVersion: d.opt("nodeVersion", () => d.text("nodeVersion")),
    storageVersion: d.opt("storageVersion", () => d.text("storageVersion")),
    lastProofAt: d.opt("lastProofAt", () => d.uint("lastProofAt")),
    lastProofReceivedAt: d.opt("lastProofReceivedAt", () => d.uint("at")),
    stakes: [],
  };
  const count = r.u8();
  for (let i = 0; i < count; i++) {
    node.stakes.push({
      wallet: r.bytes(PUBLIC_KEY_LENGTH),
      amount: r.u64(),
      reserved: r.u64(),
      sinceEpoch: d.uint("sinceEpoch"),
    });
  }
  return node;
}

/**
 * Encode a snapshot canonically: nodes, wallets and sequences must be
 * strictly ascending by key; every value in range.
 *
 * @throws {DecodeError} `not_sorted`, `out_of_range`, `bad_length`,
 * `wrong_network`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const s = { network: 3, epoch: 1n, prevListId: new Uint8Array(32), nodes: [], wallets: [{ pubkey: new Uint8Array(32), balance: 5n, createdEpoch: 0 }], sequences: [] };
 * assert.equal(encodeStateSnapshot(s).length, 4 + 1 + 1 + 8 + 32 + 4 + (4 + 48) + 4);
 * ```
 */
export function encodeStateSnapshot(s: StateSnapshot): Uint8Array {
  if (!Object.values(NETWORK_IDS).includes(s.network)) {
    throw new DecodeError("wrong_network", `unknown network id ${s.network}`);
  }
  ascending(s.nodes, (n) => n.pubkey, "snapshot nodes");
  ascending(s.wallets, (w) => w.pubkey, "snapshot wallets");
  ascending(s.sequences, (q) => q.signer, "snapshot sequences");
  const head = new ByteWriter().bytes(MAGIC).u8(STATE_FORMAT_VERSION)
    .u8(s.network).u64(s.epoch).bytes(s.prevListId, 32).finish();
  const nodes = new Writer();
  nodes.w.u32(s.nodes.length);
  for (const n of s.nodes) encodeNode(nodes, n);
  const rest = new Writer();
  rest.w.u32(s.wallets.length);
  for (const w of s.wallets) {
    rest.w.bytes(w.pubkey, PUBLIC_KEY_LENGTH).u64(w.balance);
    rest.uint(w.createdEpoch, "createdEpoch");
  }
  rest.w.u32(s.sequences.length);
  for (const q of s.sequences) {
    rest.w.bytes(q.signer, PUBLIC_KEY_LENGTH);
    rest.uint(q.lastSequence, "lastSequence");
  }
  return concat(head, nodes.w.finish(), rest.w.finish());
}

/**
 * Decode a snapshot strictly; decoding and re-encoding gives the same bytes.
 *
 * @throws {DecodeError} `oversized`, `bad_magic`, `unsupported_version`,
 * `wrong_network`, `truncated`, `trailing_bytes`, `out_of_range`,
 * `not_sorted`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.throws(() => decodeStateSnapshot(new TextEncoder().encode("SNS1"), 3), { code: "truncated" });
 * ```
 */
export function decodeStateSnapshot(
  bytes: Uint8Array,
  expectedNetwork: number,
): StateSnapshot {
  if (bytes.length > MAX_STATE_LENGTH) {
    throw new DecodeError(
      "oversized",
      `a state snapshot is at most ${MAX_STATE_LENGTH} bytes`,
    );
  }
  const d = new Reader(bytes);
  const r = d.r;
  if (r.bytes(4).some((b, i) => b !== MAGIC[i])) {
    throw new DecodeError("bad_magic", `a state snapshot starts with "SNS1"`);
  }
  const version = r.u8();
  if (version !== STATE_FORMAT_VERSION) {
    throw new DecodeError(
      "unsupported_version",
      `state snapshot version ${version}, only 1 is supported`,
    );
  }
  const network = r.u8();
  if (network !== expectedNetwork) {
    throw new DecodeError(
      "wrong_network",
      `the snapshot is for network ${network}, expected ${expectedNetwork}`,
    );
  }
  const epoch = r.u64();
  const prevListId = r.bytes(32);
  const nodes: StateNode[] = [];
  const nodeCount = d.count(100, "snapshot nodes");
  for (let i = 0; i < nodeCount; i++) nodes.push(decodeNode(d));
  const wallets: StateWallet[] = [];
  const walletCount = d.count(48, "snapshot wallets");
  for (let i = 0; i < walletCount; i++) {
    wallets.push({
      pubkey: r.bytes(PUBLIC_KEY_LENGTH),
      balance: r.u64(),
      createdEpoch: d.uint("createdEpoch"),
    });
  }
  const sequences: StateSequence[] = [];
  const seqCount = d.count(40, "snapshot sequences");
  for (let i = 0; i < seqCount; i++) {
    sequences.push({
      signer: r.bytes(PUBLIC_KEY_LENGTH),
      lastSequence: d.uint("lastSequence"),
    });
  }
  r.end();
  ascending(nodes, (n) => n.pubkey, "snapshot nodes");
  ascending(wallets, (w) => w.pubkey, "snapshot wallets");
  ascending(sequences, (q) => q.signer, "snapshot sequences");
  return { network, epoch, prevListId, nodes, wallets, sequences };
}

/**
 * The state commitment: SHA-256 of the encoded snapshot.
 *
 * @example Any change to the state changes the commitment
 * ```ts
 * import assert from "node:assert/strict";
 * const s = { network: 3, epoch: 1n, prevListId: new Uint8Array(32), nodes: [], wallets: [], sequences: [] };
 * const w = { pubkey: new Uint8Array(32), balance: 5n, createdEpoch: 0 };
 * assert.notDeepEqual(stateHash(encodeStateSnapshot(s)), stateHash(encodeStateSnapshot({ ...s, wallets: [w] })));
 * ```
 */
export function stateHash(bytes: Uint8Array): Uint8Array {
  return sha256(bytes);
}
