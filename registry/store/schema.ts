/**
 * The registry's tables, as Kysely types. Portable between SQLite and
 * PostgreSQL: keys are lower-case hex `text`, amounts are decimal `text` in
 * atomic units (exact, and beyond 64-bit signed integers if ever needed),
 * swarm ids are decimal `text` (u64), epochs and unix times are integers.
 *
 * @module
 */

import type { Generated } from "kysely";

/** Key/value facts about this registry (network, current epoch). */
export interface MetaTable {
  key: string;
  value: string;
}

/** A wallet's spendable balance. Staked coins are not here but in `stakes`. */
export interface WalletTable {
  pubkey: string;
  /** Spendable atomic units, decimal. */
  balance: string;
  created_epoch: number;
}

/** Append-only record of every change to a spendable balance. */
export interface LedgerTable {
  id: Generated<number>;
  wallet: string;
  /** Signed atomic units, decimal. */
  delta: string;
  /** `genesis`, `faucet`, `stake`, `unstake`, `cancel_refund`. */
  kind: string;
  node: string | null;
  epoch: number;
  created_at: number;
}

/** Highest sequence number accepted per signing key (replay protection). */
export interface SequenceTable {
  signer: string;
  last_sequence: number;
}

/** A registered node with its lifecycle state and last proof. */
export interface NodeTable {
  pubkey: string;
  operator: string;
  fee_basis_points: number;
  /** Requirement at registration, atomic units. */
  requirement: string;
  status: string;
  registered_at: number;
  status_since: number;
  active_since: number | null;
  credit_base: number;
  credit_at_decommission: number | null;
  last_proof_epoch: number | null;
  unreachable: number;
  /** Consecutive failed reachability tests. */
  reachability_failures: number;
  unlock_at: number | null;
  locked_until: number | null;
  /** Epoch the stakes went back to the wallets; null while locked. */
  stakes_released_at: number | null;
  decommission_count: number;
  last_reasons: number;
  /** u64 decimal; `UNASSIGNED_SWARM_ID` when not in a swarm. */
  swarm_id: string;
  public_ip: string | null;
  https_port: number | null;
  quic_port: number | null;
  node_version: string | null;
  storage_version: string | null;
  /** Unix seconds of the last proof's signed timestamp. */
  last_proof_at: number | null;
  /** Unix seconds when the registry received the last proof. */
  last_proof_received_at: number | null;
}

/** One contributor's stake in a node. */
export interface StakeTable {
  node: string;
  wallet: string;
  /** Order of the spot: 0 is the operator. */
  position: number;
  amount: string;
  reserved: string;
  since_epoch: number;
}

/** History of every status change. */
export interface StateChangeTable {
  id: Generated<number>;
  node: string;
  epoch: number;
  from_status: string | null;
  to_status: string;
  reason: string;
  reason_bits: number;
  credit: number;
}

/** Evidence of reachability tests, the last few per node. */
export interface ReachabilityTable {
  id: Generated<number>;
  node: string;
  epoch: number;
  tested_at: number;
  address: string;
  ok: number;
  detail: string;
  latency_ms: number | null;
}

/** Every state change as an event with a monotonically increasing id. */
export interface EventTable {
  id: Generated<number>;
  epoch: number;
  created_at: number;
  kind: string;
  node: string | null;
  /** JSON object with the event's details. */
  data: string;
}

/** Which wallets an event concerns (operator and contributors). */
export interface EventWalletTable {
  event_id: number;
  wallet: string;
  /** The wallet's place in the event's list (null in rows written before it was kept). */
  position: number | null;
}

/** Published node lists. */
export interface ListTable {
  epoch: number;
  hash: string;
  prev_hash: string;
  published_at: number;
  node_count: number;
  /** The signed binary list (`full`; v2: with the co-signatures attached so far), or its delta from the list before it (`delta`): see `lists.ts`. */
  encoded: Uint8Array;
  /** `full` or `delta`. */
  storage: Generated<string>;
  /** Length of the signed list, bytes. */
  size: number | null;
  /** Co-signatures attached (v2). */
  cosignatures: Generated<number>;
}

/** The epoch in progress's inputs, in the order applied (see core `inputs.ts`). */
export interface EpochInputTable {
  id: Generated<number>;
  epoch: number;
  /** `genesis`, `write`, `reachability`, `key_rotation`. */
  kind: string;
  /** Unix milliseconds. */
  at_ms: number;
  payload: Uint8Array;
}

/** Each closed epoch's inputs document. */
export interface EpochDocumentTable {
  epoch: number;
  /** SHA-256 of `encoded`, hex. */
  hash: string;
  encoded: Uint8Array;
}

/** State snapshots after recent ticks (core `state.ts`). */
export interface StateSnapshotTable {
  epoch: number;
  /** SHA-256 of `encoded`, hex: the state commitment. */
  hash: string;
  encoded: Uint8Array;
}

/** A witness's decisions: at most one co-signed checkpoint per epoch, ever. */
export interface WitnessDecisionTable {
  epoch: number;
  /** The checkpoint hash co-signed, hex. */
  checkpoint_hash: string;
  /** The signed checkpoint as received (header, registry signatures, its own co-signature). */
  checkpoint: Uint8Array;
  /** Unix seconds in the co-signature. */
  cosigned_at: number;
  signature: Uint8Array;
}

/** Equivocation proofs a witness found. */
export interface WitnessProofTable {
  id: Generated<number>;
  epoch: number;
  role: string;
  signer: string;
  /** The proof's JSON form. */
  proof: string;
  found_at: number;
}

/** All tables. */
export interface Database {
  meta: MetaTable;
  wallets: WalletTable;
  ledger: LedgerTable;
  sequences: SequenceTable;
  nodes: NodeTable;
  stakes: StakeTable;
  state_changes: StateChangeTable;
  reachability: ReachabilityTable;
  events: EventTable;
  event_wallets: EventWalletTable;
  lists: ListTable;
  epoch_inputs: EpochInputTable;
  epoch_documents: EpochDocumentTable;
  state_snapshots: StateSnapshotTable;
  witness_decisions: WitnessDecisionTable;
  witness_proofs: WitnessProofTable;
}
