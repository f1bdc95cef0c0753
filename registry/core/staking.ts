/**
 * Staking rules (network.md §6, oxen-core `service_node_rules.cpp` and
 * `service_node_list.cpp`) as pure functions over a node's stakes. Every
 * violation throws a {@linkcode StakingError} naming the rule and the numbers.
 *
 * Accounting follows upstream's `total_reserved`: each contributor holds a
 * spot worth `max(reserved, amount)`, and `contributedOrReserved` is the sum
 * of those. The room left for newcomers is `requirement - contributedOrReserved`.
 *
 * @module
 */

import { bytesEqual, toHex } from "./bytes.ts";
import { StakingError } from "./errors.ts";
import type { RegisterNode } from "./messages.ts";
import { formatCoins, type NetworkParams } from "./params.ts";

/**
 * One contributor's stake in a node.
 *
 * @example A reserved spot counts as taken before its stake arrives
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRESETS } from "./params.ts";
 * const p = PRESETS.devnet;
 * const op: Stake = { wallet: new Uint8Array(32).fill(1), amount: p.operatorMinimum, reserved: 0n, sinceEpoch: 0 };
 * const spot: Stake = { wallet: new Uint8Array(32).fill(2), amount: 0n, reserved: p.operatorMinimum, sinceEpoch: 0 };
 * const state = fundingState(p, { requirement: p.stakingRequirement, feeBasisPoints: 0, stakes: [op, spot] });
 * assert.equal(state.contributed, p.operatorMinimum);
 * assert.equal(state.reservedOutstanding, p.operatorMinimum);
 * ```
 */
export interface Stake {
  /** Contributor wallet. */
  readonly wallet: Uint8Array;
  /** Atomic units contributed so far (0 for a reserved spot not yet filled). */
  readonly amount: bigint;
  /** Atomic units reserved for this wallet at registration (0 if none). */
  readonly reserved: bigint;
  /** Epoch of this wallet's first contribution (or of registration for a reservation). */
  readonly sinceEpoch: number;
}

/**
 * The stakes of one node. The operator is always `stakes[0]`.
 *
 * @example An operator who staked the whole requirement
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRESETS } from "./params.ts";
 * const p = PRESETS.devnet;
 * const node: NodeStakes = { requirement: p.stakingRequirement, feeBasisPoints: 1000, stakes: [
 *   { wallet: new Uint8Array(32).fill(1), amount: p.stakingRequirement, reserved: 0n, sinceEpoch: 0 }] };
 * assert.equal(fundingState(p, node).funded, true);
 * assert.throws(
 *   () => applyContribution(p, node, new Uint8Array(32).fill(2), 1n, 1),
 *   { code: "not_accepting_contributions" },
 * );
 * ```
 */
export interface NodeStakes {
  /** Requirement fixed when the node registered, atomic units. */
  readonly requirement: bigint;
  /** Operator fee, basis points of 10,000. */
  readonly feeBasisPoints: number;
  /** Contributors, operator first, then reserved spots, then others in arrival order. */
  readonly stakes: readonly Stake[];
}

/**
 * Where a node stands on funding.
 *
 * @example Room for newcomers, and the 101 % cap on it
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRESETS } from "./params.ts";
 * const state: FundingState = fundingState(PRESETS.devnet, { requirement: 1000n, feeBasisPoints: 0,
 *   stakes: [{ wallet: new Uint8Array(32), amount: 600n, reserved: 0n, sinceEpoch: 0 }] });
 * assert.equal(state.remaining, 400n);
 * assert.equal(state.minContribution, 400n / 9n);
 * assert.equal(state.maxContribution, 404n);
 * ```
 */
export interface FundingState {
  /** Sum of contributions. */
  contributed: bigint;
  /** Sum over contributors of `max(reserved, amount)` (upstream `total_reserved`). */
  contributedOrReserved: bigint;
  /** Reserved amounts not contributed yet. */
  reservedOutstanding: bigint;
  /** Atomic units still needed to be fully funded (0 when funded). */
  remaining: bigint;
  /** Contributor spots not taken (reserved spots count as taken). */
  openSlots: number;
  /** Least a new contributor may stake now (0 when no room or no slot). */
  minContribution: bigint;
  /** Most a new contributor may stake now (the 101 % rule). */
  maxContribution: bigint;
  /** Whether contributions reach the requirement. */
  funded: boolean;
}

function spot(s: Stake): bigint {
  return s.amount > s.reserved ? s.amount : s.reserved;
}

function sum(values: Iterable<bigint>): bigint {
  let total = 0n;
  for (const v of values) total += v;
  return total;
}

/** `(requirement - contributedOrReserved) * 101 / 100`, never negative. */
function roomWithMargin(
  params: NetworkParams,
  requirement: bigint,
  taken: bigint,
): bigint {
  const room = requirement - taken;
  if (room <= 0n) return 0n;
  return room * params.maxStakeNumerator / params.maxStakeDenominator;
}

/**
 * Minimum contribution upstream: `(requirement - contributedOrReserved) /
 * openSlots`, integer division; 0 when there is no room or no slot.
 */
function minimumFor(
  requirement: bigint,
  taken: bigint,
  openSlots: number,
): bigint {
  if (openSlots <= 0 || taken >= requirement) return 0n;
  return (requirement - taken) / BigInt(openSlots);
}

/**
 * Compute a node's funding state.
 *
 * @example Operator staked a quarter of the devnet requirement
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRESETS } from "./params.ts";
 * const p = PRESETS.devnet;
 * const state = fundingState(p, {
 *   requirement: p.stakingRequirement, feeBasisPoints: 500,
 *   stakes: [{ wallet: new Uint8Array(32), amount: p.operatorMinimum, reserved: 0n, sinceEpoch: 0 }],
 * });
 * assert.equal(state.openSlots, 9);
 * assert.equal(state.remaining, p.stakingRequirement - p.operatorMinimum);
 * assert.equal(state.minContribution, state.remaining / 9n);
 * assert.equal(state.funded, false);
 * ```
 */
export function fundingState(
  params: NetworkParams,
  node: NodeStakes,
): FundingState {
  const contributed = sum(node.stakes.map((s) => s.amount));
  const contributedOrReserved = sum(node.stakes.map(spot));
  const openSlots = params.maxContributors - node.stakes.length;
  const funded = contributed >= node.requirement;
  const hasRoom = !funded && openSlots > 0;
  return {
    contributed,
    contributedOrReserved,
    reservedOutstanding: contributedOrReserved - contributed,
    remaining: funded ? 0n : node.requirement - contributed,
    openSlots,
    minContribution: hasRoom
      ? minimumFor(node.requirement, contributedOrReserved, openSlots)
      : 0n,
    maxContribution: hasRoom
      ? roomWithMargin(params, node.requirement, contributedOrReserved)
      : 0n,
    funded,
  };
}

/**
 * Validate a registration and build the node's initial stakes: the operator
 * stakes at least requirement / 4, the fee is at most 10,000 basis points, the
 * node key is not the operator wallet, at most 10 contributors with distinct
 * wallets, each reservation meets the minimum-contribution rule given the
 * spots before it (upstream `validate_contributor_args`), and the total stays
 * within the 101 % cap.
 *
 * @throws {StakingError} naming the first rule broken.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRESETS } from "./params.ts";
 * const p = PRESETS.devnet;
 * const reg = { kind: "register_node", network: 3, timestamp: 0, sequence: 1,
 *   nodePubkey: new Uint8Array(32).fill(1), operator: new Uint8Array(32).fill(2),
 *   operatorStake: p.operatorMinimum, feeBasisPoints: 1000, reserved: [] } as const;
 * const node = stakesFromRegistration(p, { ...reg, reserved: [] }, 7);
 * assert.equal(node.stakes[0]!.sinceEpoch, 7);
 * assert.throws(
 *   () => stakesFromRegistration(p, { ...reg, reserved: [], operatorStake: 1n }, 7),
 *   { code: "operator_stake_too_low" },
 * );
 * ```
 */
export function stakesFromRegistration(
  params: NetworkParams,
  reg: RegisterNode,
  epoch: number,
): NodeStakes {
  const requirement = params.stakingRequirement;
  if (reg.operatorStake < params.operatorMinimum) {
    throw new StakingError(
      "operator_stake_too_low",
      `the operator must stake at least ${
        formatCoins(params.operatorMinimum)
      } coins (a quarter of ${formatCoins(requirement)}), got ${
        formatCoins(reg.operatorStake)
      }`,
    );
  }
  if (
    !Number.isInteger(reg.feeBasisPoints) || reg.feeBasisPoints < 0 ||
    reg.feeBasisPoints > params.maxFeeBasisPoints
  ) {
    throw new StakingError(
      "fee_out_of_range",
      `the operator fee must be 0-${params.maxFeeBasisPoints} basis points (0-100 %), got ${reg.feeBasisPoints}`,
    );
  }
  if (bytesEqual(reg.nodePubkey, reg.operator)) {
    throw new StakingError(
      "node_key_is_wallet",
      "the node key and the operator wallet must be different keys",
    );
  }
  if (1 + reg.reserved.length > params.maxContributors) {
    throw new StakingError(
      "too_many_contributors",
      `at most ${params.maxContributors} contributors, operator included; ${
        1 + reg.reserved.length
      } given`,
    );
  }
  const stakes: Stake[] = [{
    wallet: reg.operator,
    amount: reg.operatorStake,
    reserved: 0n,
    sinceEpoch: epoch,
  }];
  let taken = reg.operatorStake;
  for (const [i, r] of reg.reserved.entries()) {
    if (stakes.some((s) => bytesEqual(s.wallet, r.wallet))) {
      throw new StakingError(
        "duplicate_contributor",
        `wallet ${toHex(r.wallet)} appears twice among the contributors`,
      );
    }
    const min = minimumFor(requirement, taken, params.maxContributors - 1 - i);
    if (r.amount === 0n || r.amount < min) {
      throw new StakingError(
        "reservation_too_small",
        `reserved spot ${i + 1} is ${
          formatCoins(r.amount)
        } coins; the minimum there is ${formatCoins(min > 0n ? min : 1n)}`,
      );
    }
    stakes.push({
      wallet: r.wallet,
      amount: 0n,
      reserved: r.amount,
      sinceEpoch: epoch,
    });
    taken += r.amount;
  }
  const cap = requirement * params.maxStakeNumerator /
    params.maxStakeDenominator;
  if (taken > cap) {
    throw new StakingError(
      "stake_over_cap",
      `operator stake and reservations total ${
        formatCoins(taken)
      } coins, above the ${formatCoins(cap)} cap (101 % of the requirement)`,
    );
  }
  return { requirement, feeBasisPoints: reg.feeBasisPoints, stakes };
}

/**
 * Validate a contribution against a node that is still awaiting
 * contributions and return the new stakes.
 *
 * - A new contributor needs a free spot and at least the minimum
 *   contribution; at most the 101 % room.
 * - A wallet with a reserved spot must, on its first contribution, cover its
 *   reservation; it may add up to the 101 % room on top.
 * - An existing contributor may top up any positive amount within the room.
 *
 * @throws {StakingError} `not_accepting_contributions`, `no_free_slot`,
 * `contribution_too_small`, `contribution_too_large`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRESETS } from "./params.ts";
 * const p = PRESETS.devnet;
 * const node = { requirement: p.stakingRequirement, feeBasisPoints: 0, stakes: [
 *   { wallet: new Uint8Array(32), amount: p.operatorMinimum, reserved: 0n, sinceEpoch: 0 }] };
 * const rest = p.stakingRequirement - p.operatorMinimum;
 * const after = applyContribution(p, node, new Uint8Array(32).fill(9), rest, 5);
 * assert.equal(fundingState(p, after).funded, true);
 * assert.throws(() => applyContribution(p, node, new Uint8Array(32).fill(9), 1n, 5),
 *   { code: "contribution_too_small" });
 * ```
 */
export function applyContribution(
  params: NetworkParams,
  node: NodeStakes,
  wallet: Uint8Array,
  amount: bigint,
  epoch: number,
): NodeStakes {
  const state = fundingState(params, node);
  if (state.funded) {
    throw new StakingError(
      "not_accepting_contributions",
      "the node is fully funded and takes no more contributions",
    );
  }
  if (amount <= 0n) {
    throw new StakingError(
      "contribution_too_small",
      "a contribution must be a positive amount",
    );
  }
  const room = roomWithMargin(
    params,
    node.requirement,
    state.contributedOrReserved,
  );
  const index = node.stakes.findIndex((s) => bytesEqual(s.wallet, wallet));
  if (index < 0) {
    if (state.openSlots <= 0) {
      throw new StakingError(
        "no_free_slot",
        `all ${params.maxContributors} contributor spots are taken`,
      );
    }
    tooSmall(amount, state.minContribution, "a new contributor");
    tooLarge(amount, room);
    return {
      ...node,
      stakes: [...node.stakes, {
        wallet,
        amount,
        reserved: 0n,
        sinceEpoch: epoch,
      }],
    };
  }
  const current = node.stakes[index]!;
  const outstanding = current.reserved > current.amount
    ? current.reserved - current.amount
    : 0n;
  tooSmall(amount, outstanding, "this reserved spot");
  tooLarge(amount, outstanding + room);
  const stakes = node.stakes.slice();
  stakes[index] = {
    ...current,
    amount: current.amount + amount,
    // A reserved spot's clock starts when its stake arrives.
    sinceEpoch: current.amount === 0n ? epoch : current.sinceEpoch,
  };
  return { ...node, stakes };
}

function tooSmall(amount: bigint, min: bigint, who: string): void {
  if (amount < min) {
    throw new StakingError(
      "contribution_too_small",
      `${who} must contribute at least ${formatCoins(min)} coins, got ${
        formatCoins(amount)
      }`,
    );
  }
}

function tooLarge(amount: bigint, max: bigint): void {
  if (amount > max) {
    throw new StakingError(
      "contribution_too_large",
      `at most ${
        formatCoins(max)
      } coins can be contributed now (101 % of the open room), got ${
        formatCoins(amount)
      }`,
    );
  }
}

/**
 * Check that `wallet` may request an unlock of a funded node at `epoch`:
 * it must be a contributor with stake, the node must not have an unlock
 * pending, and a small contributor (below requirement / 4) must have held its
 * stake for the small-contributor lock (30 days upstream). Returns the epoch
 * the unlock takes effect.
 *
 * @throws {StakingError} `not_funded`, `not_a_contributor`,
 * `unlock_already_requested`, `unlock_too_early` (saying from which epoch).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRESETS } from "./params.ts";
 * const p = PRESETS.devnet;
 * const op = new Uint8Array(32).fill(1);
 * const node = { requirement: p.stakingRequirement, feeBasisPoints: 0, stakes: [
 *   { wallet: op, amount: p.stakingRequirement, reserved: 0n, sinceEpoch: 0 }] };
 * assert.equal(checkUnlock(p, node, op, 100, null), 100 + p.unlockDelayEpochs);
 * assert.throws(() => checkUnlock(p, node, new Uint8Array(32), 100, null), { code: "not_a_contributor" });
 * ```
 */
export function checkUnlock(
  params: NetworkParams,
  node: NodeStakes,
  wallet: Uint8Array,
  epoch: number,
  unlockAt: number | null,
): number {
  if (!fundingState(params, node).funded) {
    throw new StakingError(
      "not_funded",
      "the node is not fully funded yet; only its operator can cancel the registration",
    );
  }
  const stake = node.stakes.find((s) =>
    bytesEqual(s.wallet, wallet) && s.amount > 0n
  );
  if (!stake) {
    throw new StakingError(
      "not_a_contributor",
      `wallet ${toHex(wallet)} has no stake in this node`,
    );
  }
  if (unlockAt !== null) {
    throw new StakingError(
      "unlock_already_requested",
      `an unlock is already pending; it takes effect at epoch ${unlockAt}`,
    );
  }
  const small = stake.amount < node.requirement / 4n;
  const allowedFrom = stake.sinceEpoch + params.smallContributorLockEpochs;
  if (small && epoch < allowedFrom) {
    throw new StakingError(
      "unlock_too_early",
      `contributors of less than a quarter of the requirement cannot request an unlock ` +
        `before epoch ${allowedFrom} (${params.smallContributorLockEpochs} epochs after contributing)`,
    );
  }
  return epoch + params.unlockDelayEpochs;
}
