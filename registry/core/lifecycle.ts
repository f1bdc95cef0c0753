/**
 * The node lifecycle (network.md §6): a pure state machine driven by epochs,
 * uptime-proof freshness, reachability results and decommission credit.
 *
 * ```text
 * awaiting_contributions --funded--> active <--> decommissioned
 *        |  (operator cancels)         |  \          |  \
 *        v                             |   \         |   --> deregistered (credit ran out)
 *      exited <--(unlock takes effect)-+    --> deregistered (failed with credit < minimum)
 * ```
 *
 * Credit is derived, never stored as a running counter: an active node's
 * credit is `min(max, base + floor(epochsActive * perDay / epochsPerDay))`,
 * a decommissioned node's is `creditAtDecommission - epochsDecommissioned`
 * (oxen-core `quorum_cop` `calculate_decommission_credit`).
 *
 * @module
 */

import { LifecycleError } from "./errors.ts";
import type { NetworkParams } from "./params.ts";

/**
 * Where a node is in its life.
 *
 * @example A registration withdrawn before it is funded ends as `exited`
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRESETS } from "./params.ts";
 * const node = nextState(newLifecycle(0), { kind: "cancelled" }, 3, PRESETS.devnet);
 * const status: NodeStatus = node.status;
 * assert.equal(status, "exited");
 * assert.equal(outlook(node, 3, PRESETS.devnet).next, "none");
 * ```
 */
export type NodeStatus =
  | "awaiting_contributions"
  | "active"
  | "decommissioned"
  | "deregistered"
  | "exited";

/**
 * Why a node is failing, as upstream's `last_decommission_reason_consensus_*`
 * bits (network.md §4): 0x01 uptime proof missing, 0x08 storage server
 * unreachable.
 *
 * @example A node whose last proof expired is decommissioned for uptime
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRESETS } from "./params.ts";
 * const p = PRESETS.devnet;
 * const active = nextState(newLifecycle(0), { kind: "funded" }, 0, p);
 * const later = nextState(active, { kind: "tick" }, p.proofValidityEpochs + 1, p);
 * assert.equal(REASON_UPTIME, 0x01);
 * assert.equal(later.status, "decommissioned");
 * assert.equal(later.lastReasons, REASON_UPTIME);
 * ```
 */
export const REASON_UPTIME = 0x01;
/**
 * Reason bit: the storage server did not answer the reachability test.
 *
 * @example A failed reachability test; reasons combine as bits
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRESETS } from "./params.ts";
 * const p = PRESETS.devnet;
 * let node = nextState(newLifecycle(0), { kind: "funded" }, 0, p);
 * node = nextState(node, { kind: "reachability", ok: false }, 1, p);
 * assert.equal(REASON_STORAGE, 0x08);
 * assert.equal(failingReasons(node, 1, p), REASON_STORAGE);
 * assert.equal(failingReasons(node, p.proofValidityEpochs + 1, p), REASON_STORAGE | REASON_UPTIME);
 * ```
 */
export const REASON_STORAGE = 0x08;

/**
 * Names of the decommission reason bits, as upstream's
 * `last_decommission_reason_consensus_*` fields use them (network.md §4);
 * this network sets only `uptime` and `storage`.
 */
const REASON_NAMES: readonly (readonly [number, string])[] = [
  [REASON_UPTIME, "uptime"],
  [0x02, "checkpoints"],
  [0x04, "pulse"],
  [REASON_STORAGE, "storage"],
  [0x10, "timecheck"],
  [0x20, "timesync"],
  [0x40, "lokinet"],
];

/**
 * Reason bits as names, lowest bit first.
 *
 * @example Explain why a node was decommissioned
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRESETS } from "./params.ts";
 * const p = PRESETS.devnet;
 * let node = nextState(newLifecycle(0), { kind: "funded" }, 0, p);
 * node = nextState(node, { kind: "reachability", ok: false }, 1, p);
 * node = nextState(node, { kind: "tick" }, p.proofValidityEpochs + 2, p);
 * assert.deepEqual(reasonNames(node.lastReasons), ["uptime", "storage"]);
 * ```
 */
export function reasonNames(bits: number): string[] {
  return REASON_NAMES.filter(([bit]) => (bits & bit) !== 0).map(([, n]) => n);
}

/**
 * Reason bits in words for people, e.g. "no valid uptime proof and storage
 * server unreachable"; "unknown" when no bit this network sets is present.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(describeReasons(REASON_STORAGE), "storage server unreachable");
 * ```
 */
export function describeReasons(bits: number): string {
  const parts: string[] = [];
  if (bits & REASON_UPTIME) parts.push("no valid uptime proof");
  if (bits & REASON_STORAGE) parts.push("storage server unreachable");
  return parts.length > 0 ? parts.join(" and ") : "unknown";
}

/**
 * A node's lifecycle state. Everything else (credit, deadlines) is derived.
 *
 * @example Credit is derived from the state, not stored as a counter
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRESETS } from "./params.ts";
 * const node: NodeLifecycle = {
 *   ...newLifecycle(0), status: "decommissioned", statusSince: 100, activeSince: 0, creditAtDecommission: 60,
 * };
 * assert.equal(creditAt(node, 100, PRESETS.mainnet), 60);
 * assert.equal(creditAt(node, 130, PRESETS.mainnet), 30);
 * ```
 */
export interface NodeLifecycle {
  /** Current status. */
  readonly status: NodeStatus;
  /** Epoch the node registered. */
  readonly registeredAt: number;
  /** Epoch of the last status change. */
  readonly statusSince: number;
  /** Epoch credit accrues from (activation or recommission); null before activation. */
  readonly activeSince: number | null;
  /** Credit at `activeSince`: the initial credit, or what recommission left. */
  readonly creditBase: number;
  /** Credit when last decommissioned; null when never. */
  readonly creditAtDecommission: number | null;
  /** Epoch of the last accepted uptime proof; null when none. */
  readonly lastProofEpoch: number | null;
  /** Whether the latest reachability test failed. */
  readonly unreachable: boolean;
  /** Epoch an unlock takes effect; null when none requested. */
  readonly unlockAt: number | null;
  /** Deregistered nodes: epoch the stakes unlock; null otherwise. */
  readonly lockedUntil: number | null;
  /** Times decommissioned. */
  readonly decommissionCount: number;
  /** Reason bits of the last decommission (or deregistration); 0 when never. */
  readonly lastReasons: number;
}

/**
 * Something that happens to a node at an epoch.
 *
 * @example Replay a node's history, one event per epoch
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRESETS } from "./params.ts";
 * const events: LifecycleEvent[] = [
 *   { kind: "funded" }, { kind: "proof" }, { kind: "unlock_requested", unlockAt: 3 }, { kind: "tick" },
 * ];
 * const node = events.reduce((n, e, epoch) => nextState(n, e, epoch, PRESETS.devnet), newLifecycle(0));
 * assert.equal(node.status, "exited");
 * assert.equal(node.lastProofEpoch, 1);
 * ```
 */
export type LifecycleEvent =
  /** Contributions reached the requirement. */
  | { readonly kind: "funded" }
  /** An uptime proof was accepted. */
  | { readonly kind: "proof" }
  /** A reachability test finished. */
  | { readonly kind: "reachability"; readonly ok: boolean }
  /** A contributor asked to unlock, effective at `unlockAt` (from `checkUnlock`). */
  | { readonly kind: "unlock_requested"; readonly unlockAt: number }
  /** The operator withdrew a registration still awaiting contributions. */
  | { readonly kind: "cancelled" }
  /** The epoch ended: apply due unlocks, expire proofs, spend credit. */
  | { readonly kind: "tick" };

/**
 * A newly registered node's lifecycle.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(newLifecycle(10).status, "awaiting_contributions");
 * ```
 */
export function newLifecycle(epoch: number): NodeLifecycle {
  return {
    status: "awaiting_contributions",
    registeredAt: epoch,
    statusSince: epoch,
    activeSince: null,
    creditBase: 0,
    creditAtDecommission: null,
    lastProofEpoch: null,
    unreachable: false,
    unlockAt: null,
    lockedUntil: null,
    decommissionCount: 0,
    lastReasons: 0,
  };
}

/**
 * Decommission credit at `epoch`, in epochs of allowed downtime.
 *
 * @example A new node starts with 60 and earns 24 a day
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRESETS } from "./params.ts";
 * const p = PRESETS.mainnet;
 * const active = nextState(newLifecycle(0), { kind: "funded" }, 0, p);
 * assert.equal(creditAt(active, 0, p), 60);
 * assert.equal(creditAt(active, 720, p), 84);
 * ```
 */
export function creditAt(
  node: NodeLifecycle,
  epoch: number,
  params: NetworkParams,
): number {
  switch (node.status) {
    case "active": {
      const since = node.activeSince ?? epoch;
      const earned = Math.floor(
        (Math.max(0, epoch - since) * params.creditPerDay) /
          params.epochsPerDay,
      );
      return Math.min(params.maxCredit, node.creditBase + earned);
    }
    case "decommissioned":
      return Math.max(
        0,
        (node.creditAtDecommission ?? 0) - (epoch - node.statusSince),
      );
    default:
      return 0;
  }
}

/**
 * Reason bits for why a node is failing at `epoch` (0 = healthy): its last
 * proof (or its activation, for a node that has not proved yet) is older than
 * the proof validity, or its latest reachability test failed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRESETS } from "./params.ts";
 * const p = PRESETS.devnet;
 * const active = nextState(newLifecycle(0), { kind: "funded" }, 0, p);
 * assert.equal(failingReasons(active, p.proofValidityEpochs, p), 0);
 * assert.equal(failingReasons(active, p.proofValidityEpochs + 1, p), REASON_UPTIME);
 * ```
 */
export function failingReasons(
  node: NodeLifecycle,
  epoch: number,
  params: NetworkParams,
): number {
  const anchor = Math.max(
    node.lastProofEpoch ?? -Infinity,
    node.activeSince ?? -Infinity,
  );
  let reasons = 0;
  if (epoch - anchor > params.proofValidityEpochs) reasons |= REASON_UPTIME;
  if (node.unreachable) reasons |= REASON_STORAGE;
  return reasons;
}

/**
 * The lifecycle transition: a pure `(state, event, epoch) -> state`.
 *
 * - `funded`: awaiting -> active with the initial credit.
 * - `proof`: records the proof; refused closer than the minimum spacing to
 *   the previous one (upstream ignores those).
 * - `reachability`: records the latest result.
 * - `unlock_requested`: schedules the exit; `cancelled`: awaiting -> exited.
 * - `tick`, at the end of `epoch`: a due unlock exits the node; a failing
 *   active node with credit >= the minimum is decommissioned, otherwise
 *   deregistered; a decommissioned node whose credit ran out is deregistered;
 *   one that proved since its decommission and is reachable is recommissioned
 *   with `max(0, creditAtDecommission - 2 * epochsDecommissioned)`.
 *
 * @throws {LifecycleError} `invalid_transition` for an event that does not
 * apply in the current status, `proof_too_soon`, `epoch_went_backwards`.
 * @example A node that stops proving is decommissioned, then deregistered
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRESETS } from "./params.ts";
 * const p = PRESETS.devnet;
 * let n = nextState(newLifecycle(0), { kind: "funded" }, 0, p);
 * n = nextState(n, { kind: "tick" }, p.proofValidityEpochs + 1, p);
 * assert.equal(n.status, "decommissioned");
 * n = nextState(n, { kind: "tick" }, p.proofValidityEpochs + 1 + 60, p);
 * assert.equal(n.status, "deregistered");
 * ```
 */
export function nextState(
  node: NodeLifecycle,
  event: LifecycleEvent,
  epoch: number,
  params: NetworkParams,
): NodeLifecycle {
  if (epoch < node.statusSince) {
    throw new LifecycleError(
      "epoch_went_backwards",
      `epoch ${epoch} is before the node's last change at ${node.statusSince}`,
    );
  }
  switch (event.kind) {
    case "funded":
      requireStatus(node, event.kind, "awaiting_contributions");
      return {
        ...node,
        status: "active",
        statusSince: epoch,
        activeSince: epoch,
        creditBase: params.initialCredit,
      };
    case "proof": {
      requireStatus(
        node,
        event.kind,
        "awaiting_contributions",
        "active",
        "decommissioned",
      );
      const last = node.lastProofEpoch;
      if (last !== null && epoch - last < params.proofMinSpacingEpochs) {
        throw new LifecycleError(
          "proof_too_soon",
          `the last proof was at epoch ${last}; the next is accepted from epoch ${
            last + params.proofMinSpacingEpochs
          }`,
        );
      }
      return { ...node, lastProofEpoch: epoch };
    }
    case "reachability":
      requireStatus(node, event.kind, "active", "decommissioned");
      return { ...node, unreachable: !event.ok };
    case "unlock_requested":
      requireStatus(node, event.kind, "active", "decommissioned");
      if (node.unlockAt !== null) {
        throw new LifecycleError(
          "invalid_transition",
          `an unlock is already pending for epoch ${node.unlockAt}`,
        );
      }
      return { ...node, unlockAt: event.unlockAt };
    case "cancelled":
      requireStatus(node, event.kind, "awaiting_contributions");
      return { ...node, status: "exited", statusSince: epoch };
    case "tick":
      return tick(node, epoch, params);
  }
}

function tick(
  node: NodeLifecycle,
  epoch: number,
  params: NetworkParams,
): NodeLifecycle {
  if (node.status !== "active" && node.status !== "decommissioned") {
    return node;
  }
  if (node.unlockAt !== null && epoch >= node.unlockAt) {
    return { ...node, status: "exited", statusSince: epoch };
  }
  const reasons = failingReasons(node, epoch, params);
  const credit = creditAt(node, epoch, params);
  if (node.status === "active") {
    if (reasons === 0) return node;
    if (credit >= params.decommissionMinimumCredit) {
      return {
        ...node,
        status: "decommissioned",
        statusSince: epoch,
        creditAtDecommission: credit,
        decommissionCount: node.decommissionCount + 1,
        lastReasons: reasons,
      };
    }
    return deregister(node, epoch, params, reasons);
  }
  // Decommissioned: out of credit -> deregistered; proving and reachable -> back.
  if (credit <= 0) return deregister(node, epoch, params, node.lastReasons);
  const provedSince = node.lastProofEpoch !== null &&
    node.lastProofEpoch >= node.statusSince;
  if (provedSince && reasons === 0) {
    const spent = 2 * (epoch - node.statusSince);
    return {
      ...node,
      status: "active",
      statusSince: epoch,
      activeSince: epoch,
      creditBase: Math.max(0, (node.creditAtDecommission ?? 0) - spent),
    };
  }
  return node;
}

function deregister(
  node: NodeLifecycle,
  epoch: number,
  params: NetworkParams,
  reasons: number,
): NodeLifecycle {
  return {
    ...node,
    status: "deregistered",
    statusSince: epoch,
    lockedUntil: epoch + params.deregLockEpochs,
    lastReasons: reasons,
  };
}

function requireStatus(
  node: NodeLifecycle,
  event: string,
  ...allowed: NodeStatus[]
): void {
  if (!allowed.includes(node.status)) {
    throw new LifecycleError(
      "invalid_transition",
      `"${event}" does not apply to a node that is ${
        node.status.replace("_", " ")
      }`,
    );
  }
}

/**
 * What happens next to a node, and when: the question operators ask most (network.md §7.1).
 *
 * @example A pending unlock that comes before any failure
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRESETS } from "./params.ts";
 * const p = PRESETS.devnet;
 * let node = nextState(newLifecycle(0), { kind: "funded" }, 0, p);
 * node = nextState(node, { kind: "unlock_requested", unlockAt: 5 }, 1, p);
 * const o: Outlook = outlook(node, 1, p);
 * assert.deepEqual([o.next, o.atEpoch, o.credit], ["exit", 5, 60]);
 * ```
 */
export interface Outlook {
  /** The next thing that will happen without intervention, or `"none"`. */
  readonly next:
    | "activate"
    | "decommission"
    | "deregister"
    | "recommission"
    | "exit"
    | "stake_unlock"
    | "none";
  /** Epoch it happens at, when known. */
  readonly atEpoch: number | null;
  /** Credit left now, epochs. */
  readonly credit: number;
  /** One plain sentence for people. */
  readonly text: string;
}

/**
 * Plain "what happens next" for a node at `epoch`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRESETS } from "./params.ts";
 * const p = PRESETS.devnet;
 * let n = nextState(newLifecycle(0), { kind: "funded" }, 0, p);
 * n = nextState(n, { kind: "tick" }, 12, p);
 * const o = outlook(n, 12, p);
 * assert.equal(o.next, "deregister");
 * assert.equal(o.atEpoch, 72);
 * assert.match(o.text, /unless an uptime proof arrives/);
 * ```
 */
export function outlook(
  node: NodeLifecycle,
  epoch: number,
  params: NetworkParams,
): Outlook {
  const credit = creditAt(node, epoch, params);
  const unlock = node.unlockAt;
  switch (node.status) {
    case "awaiting_contributions":
      return {
        next: "activate",
        atEpoch: null,
        credit,
        text: "awaiting contributions: becomes active once fully funded",
      };
    case "active": {
      const anchor = Math.max(node.lastProofEpoch ?? 0, node.activeSince ?? 0);
      const failAt = node.unreachable
        ? epoch + 1
        : anchor + params.proofValidityEpochs + 1;
      if (unlock !== null && unlock <= failAt) {
        return {
          next: "exit",
          atEpoch: unlock,
          credit,
          text:
            `unlock requested: the node exits and its stakes unlock at epoch ${unlock}`,
        };
      }
      const creditThen = creditAt(node, failAt, params);
      const decommission = creditThen >= params.decommissionMinimumCredit;
      const cause = node.unreachable
        ? "the last reachability test failed"
        : `its last uptime proof expires after epoch ${failAt - 1}`;
      return {
        next: decommission ? "decommission" : "deregister",
        atEpoch: failAt,
        credit,
        text:
          `active with ${credit} epochs of credit; ${cause}: without a new proof it is ` +
          `${
            decommission ? "decommissioned" : "deregistered"
          } at epoch ${failAt}`,
      };
    }
    case "decommissioned": {
      const outAt = node.statusSince + (node.creditAtDecommission ?? 0);
      if (unlock !== null && unlock <= outAt) {
        return {
          next: "exit",
          atEpoch: unlock,
          credit,
          text: `decommissioned; unlock requested: exits at epoch ${unlock}`,
        };
      }
      return {
        next: "deregister",
        atEpoch: outAt,
        credit,
        text:
          `decommissioned: credit lasts until epoch ${outAt}, then deregistered ` +
          `unless an uptime proof arrives and the node is reachable`,
      };
    }
    case "deregistered":
      return {
        next: node.lockedUntil !== null && node.lockedUntil > epoch
          ? "stake_unlock"
          : "none",
        atEpoch: node.lockedUntil,
        credit,
        text:
          `deregistered: stakes stay locked until epoch ${node.lockedUntil}`,
      };
    case "exited":
      return {
        next: "none",
        atEpoch: null,
        credit,
        text: "exited: stakes have been returned",
      };
  }
}
