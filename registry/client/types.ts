/**
 * The JSON shapes the registry's HTTP API answers with, as a client sees
 * them. Amounts are decimal strings of atomic units, u64 ids decimal strings,
 * keys lower-case hex, times unix seconds. These mirror the service's read
 * views; a client never imports the service itself.
 *
 * @module
 */

/** `GET /v1/info`: what a client needs first. */
export interface InfoView {
  /** Network name, e.g. `"devnet"`. */
  network: string;
  /** One-byte network id carried in every signed message. */
  networkId: number;
  /** The epoch in progress. */
  epoch: number;
  /** Seconds per epoch. */
  epochSeconds: number;
  /** The registry's clock, unix seconds. */
  now: number;
  /** The registry's list-signing keys, hex. */
  registryKeys: string[];
  /** The newest published list, or null before the first. */
  latestList:
    | { epoch: number; hash: string; publishedAt: number; nodes: number }
    | null;
  /** Node counts by status. */
  nodes: Record<string, number>;
  /** Number of swarms. */
  swarms: number;
  /** The staking and lifecycle rules. */
  rules: RulesView;
}

/** The rules part of {@linkcode InfoView}. */
export interface RulesView {
  /** Total stake a node needs, atomic units. */
  stakingRequirement: string;
  /** Least the operator must stake, atomic units. */
  operatorMinimum: string;
  /** Most contributors, operator included. */
  maxContributors: number;
  /** A node should prove this often, epochs. */
  proofIntervalEpochs: number;
  /** A proof keeps a node up this long, epochs. */
  proofValidityEpochs: number;
  /** Signed timestamps must be within this many seconds of the registry's clock. */
  clockToleranceSeconds: number;
  /** An unlock takes effect this many epochs after it is requested. */
  unlockDelayEpochs: number;
  /** Small contributors cannot unlock before this many epochs. */
  smallContributorLockEpochs: number;
  /** Stakes of a deregistered node stay locked this many epochs. */
  deregLockEpochs: number;
  /** Credit of a newly active node, epochs. */
  initialCredit: number;
  /** Credit cap, epochs. */
  maxCredit: number;
  /** Whether the faucet runs (devnet). */
  faucet: boolean;
  /** Proofs closer than this to the previous one are refused, epochs. */
  proofMinSpacingEpochs: number;
}

/** One line of the node table. */
export interface NodeSummaryView {
  pubkey: string;
  status: string;
  operator: string;
  swarmId: string | null;
  requirement: string;
  contributed: string;
  feeBasisPoints: number;
  contributors: number;
  credit: number;
  publicIp: string | null;
  storageVersion: string | null;
  lastProofAgeSeconds: number | null;
  unlockAt: number | null;
}

/** `GET /v1/nodes/:pubkey`: everything about one node. */
export interface NodeDetailView extends NodeSummaryView {
  x25519: string;
  registeredAt: number;
  statusSince: number;
  funding: {
    funded: boolean;
    remaining: string;
    openSlots: number;
    minContribution: string;
    maxContribution: string;
    reservedOutstanding: string;
  };
  stakes: {
    wallet: string;
    amount: string;
    reserved: string;
    sinceEpoch: number;
    operator: boolean;
  }[];
  creditMax: number;
  failing: string[];
  decommissionCount: number;
  lastDecommissionReasons: string[];
  proof: {
    publicIp: string;
    httpsPort: number;
    quicPort: number;
    nodeVersion: string;
    storageVersion: string;
    epoch: number;
    timestamp: number;
    ageSeconds: number;
    expiresAtEpoch: number;
  } | null;
  unlock: { unlockAt: number; unlockAtTime: number } | null;
  lockedUntil: { epoch: number; time: number } | null;
  reachability: {
    unreachable: boolean;
    consecutiveFailures: number;
    tests: {
      epoch: number;
      testedAt: number;
      address: string;
      ok: boolean;
      detail: string;
      latencyMs: number | null;
    }[];
  };
  swarmMates: string[];
  history: {
    epoch: number;
    from: string | null;
    to: string;
    reason: string;
    credit: number;
  }[];
  outlook: {
    next: string;
    atEpoch: number | null;
    atTime: number | null;
    credit: number;
    text: string;
  };
}

/** `GET /v1/nodes`: a page of nodes. */
export interface NodePageView {
  nodes: NodeSummaryView[];
  /** Cursor for the next page (`after=`), or null at the end. */
  next: string | null;
  total: number;
}

/** Filters of `GET /v1/nodes`. */
export interface NodeFilter {
  status?: string;
  operator?: string;
  wallet?: string;
  swarm?: string;
  after?: string;
  limit?: number;
}

/** `GET /v1/nodes/open`: a node still taking contributions. */
export interface OpenNodeView extends NodeSummaryView {
  minContribution: string;
  maxContribution: string;
  openSlots: number;
}

/** `GET /v1/swarms`: a swarm and its members. */
export interface SwarmView {
  id: string;
  size: number;
  members: string[];
}

/** `GET /v1/sessions/:sessionId/swarm`: where a Session ID's messages live. */
export interface SessionSwarmView {
  sessionId: string;
  swarmId: string;
  members: {
    pubkey: string;
    publicIp: string | null;
    httpsPort: number | null;
    quicPort: number | null;
    storageVersion: string | null;
  }[];
}

/** `GET /v1/wallets/:pubkey`: balance, stakes and when each unlocks. */
export interface WalletView {
  pubkey: string;
  balance: string;
  staked: string;
  stakes: {
    node: string;
    operator: boolean;
    nodeStatus: string;
    amount: string;
    reserved: string;
    sinceEpoch: number;
    released: boolean;
    unlocksAt: { epoch: number; time: number } | null;
  }[];
}

/** What an accepted write returns. */
export interface SubmitResultView {
  /** Message id: hex SHA-256 of its bytes. */
  id: string;
  /** Message kind. */
  kind: string;
  /** Epoch it was applied in. */
  epoch: number;
  /** Node concerned, hex. */
  node: string | null;
  /** Node status afterwards. */
  status: string | null;
}

/** A registry event, as streamed by `GET /v1/events`. */
export interface RegistryEventView {
  /** Monotonically increasing id (the SSE `id`). */
  id: number;
  /** Epoch it happened in. */
  epoch: number;
  /** Unix milliseconds. */
  createdAt: number;
  /** What happened, e.g. `"decommissioned"`. */
  kind: string;
  /** The node concerned, hex, if any. */
  node: string | null;
  /** Wallets concerned, hex. */
  wallets: string[];
  /** Details. */
  data: Record<string, unknown>;
}

/** A page of events (`GET /v1/events` without `text/event-stream`). */
export interface EventPageView {
  events: RegistryEventView[];
  /** Id to resume after. */
  next?: number | null;
  /** Present on some versions: the newest event id. */
  lastEventId?: number;
}

/** Filters of `GET /v1/events`. */
export interface EventFilter {
  /** Only events of this node (hex). */
  node?: string;
  /** Only events naming this wallet (hex). */
  wallet?: string;
  /** Only these kinds. */
  kinds?: string[];
  /** Resume after this event id. */
  after?: number;
  /** Page size (JSON pages only). */
  limit?: number;
}
