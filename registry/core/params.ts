/**
 * Network presets: every number of network.md §6, expressed in epochs (the
 * registry's "blocks") so the lifecycle rules can be stated once and run at
 * any epoch length. Amounts are `bigint` atomic units (1 coin = 10^9).
 *
 * @module
 */

import { DecodeError } from "./errors.ts";

/**
 * Atomic units in one coin (network.md §6).
 *
 * @example Amounts are exact bigints of atomic units
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(ATOMIC_PER_COIN, 10n ** 9n);
 * assert.equal(parseCoins("1"), ATOMIC_PER_COIN);
 * assert.equal(formatCoins(ATOMIC_PER_COIN / 2n), "0.5");
 * ```
 */
export const ATOMIC_PER_COIN = 1_000_000_000n;
/**
 * Most contributors a node may have, operator included (network.md §6).
 *
 * @example A registration naming one contributor too many is refused
 * ```ts
 * import assert from "node:assert/strict";
 * import { stakesFromRegistration } from "./staking.ts";
 * const p = PRESETS.devnet;
 * // Split what the operator leaves among `spots` reserved contributors.
 * const register = (spots: number) =>
 *   stakesFromRegistration(p, {
 *     kind: "register_node", network: 3, timestamp: 0, sequence: 1,
 *     nodePubkey: new Uint8Array(32).fill(1), operator: new Uint8Array(32).fill(2),
 *     operatorStake: p.operatorMinimum, feeBasisPoints: 0,
 *     reserved: Array.from({ length: spots }, (_, i) => ({
 *       wallet: new Uint8Array(32).fill(10 + i),
 *       amount: (p.stakingRequirement - p.operatorMinimum) / BigInt(MAX_CONTRIBUTORS - 1),
 *     })),
 *   }, 0);
 * assert.equal(register(MAX_CONTRIBUTORS - 1).stakes.length, MAX_CONTRIBUTORS);
 * assert.throws(() => register(MAX_CONTRIBUTORS), { code: "too_many_contributors" });
 * ```
 */
export const MAX_CONTRIBUTORS = 10;
/**
 * Fee denominator: operator fees are basis points out of 10,000.
 *
 * @example A 5 % fee is 500 basis points
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(FEE_BASIS, 10_000);
 * const reward = 2_000n * ATOMIC_PER_COIN;
 * assert.equal(reward * 500n / BigInt(FEE_BASIS), 100n * ATOMIC_PER_COIN);
 * assert.equal(PRESETS.mainnet.maxFeeBasisPoints, FEE_BASIS);
 * ```
 */
export const FEE_BASIS = 10_000;

/**
 * Name of a network preset.
 *
 * @example Names and ids map both ways
 * ```ts
 * import assert from "node:assert/strict";
 * const name: NetworkName = "testnet";
 * assert.equal(networkParams(name).id, NETWORK_IDS[name]);
 * assert.equal(networkById(NETWORK_IDS[name]).name, name);
 * ```
 */
export type NetworkName = "mainnet" | "testnet" | "devnet";

/**
 * One-byte network ids, carried in every signed message and node list.
 *
 * @example The id byte carried in messages and node lists
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(NETWORK_IDS, { mainnet: 1, testnet: 2, devnet: 3 });
 * assert.equal(networkById(NETWORK_IDS.devnet), PRESETS.devnet);
 * ```
 */
export const NETWORK_IDS: Readonly<Record<NetworkName, number>> = {
  mainnet: 1,
  testnet: 2,
  devnet: 3,
};

/**
 * Every rule and constant of one network.
 *
 * @example Rules are in epochs; wall time follows from the epoch length
 * ```ts
 * import assert from "node:assert/strict";
 * const fast: NetworkParams = { ...PRESETS.devnet, epochSeconds: 1 };
 * assert.deepEqual(networkParams("devnet", { epochSeconds: 1 }), fast);
 * assert.equal(fast.proofValidityEpochs * fast.epochSeconds, 11);
 * assert.equal(PRESETS.mainnet.proofValidityEpochs * PRESETS.mainnet.epochSeconds, 63 * 120);
 * ```
 */
export interface NetworkParams {
  /** Preset name. */
  readonly name: NetworkName;
  /** One-byte id carried in messages and lists, see {@linkcode NETWORK_IDS}. */
  readonly id: number;
  /** Length of one epoch ("block") in seconds; upstream blocks are 120 s. */
  readonly epochSeconds: number;
  /** Epochs in one day at this epoch length's mainnet scale (720 upstream). */
  readonly epochsPerDay: number;
  /** Total stake a node needs, atomic units. */
  readonly stakingRequirement: bigint;
  /** Least the operator must stake: requirement / 4. */
  readonly operatorMinimum: bigint;
  /** Most contributors, operator included. */
  readonly maxContributors: number;
  /** Accepted total stake cap, as a ratio: (requirement - reserved) * 101 / 100. */
  readonly maxStakeNumerator: bigint;
  /** Denominator of {@linkcode NetworkParams.maxStakeNumerator}. */
  readonly maxStakeDenominator: bigint;
  /** Highest operator fee in basis points (10,000 = 100 %). */
  readonly maxFeeBasisPoints: number;
  /** A node should send an uptime proof this often, epochs (1 h upstream). */
  readonly proofIntervalEpochs: number;
  /** A proof keeps a node "up" for this long, epochs (2 h 5 min upstream). */
  readonly proofValidityEpochs: number;
  /** Proofs closer than this to the previous one are ignored, epochs (30 min upstream). */
  readonly proofMinSpacingEpochs: number;
  /** How far a signed timestamp may be from the registry's clock, seconds (5 min). */
  readonly clockToleranceSeconds: number;
  /** Credit a newly active node starts with, epochs (60 = 2 h upstream). */
  readonly initialCredit: number;
  /** Credit earned per day of uptime, epochs (24 upstream). */
  readonly creditPerDay: number;
  /** Credit cap, epochs (1,440 = 48 h upstream). */
  readonly maxCredit: number;
  /** A failing node with at least this much credit is decommissioned, else deregistered (60). */
  readonly decommissionMinimumCredit: number;
  /** An unlock takes effect this long after it is requested, epochs (15 days). */
  readonly unlockDelayEpochs: number;
  /** Small contributors (< requirement / 4) cannot request an unlock before this, epochs (30 days). */
  readonly smallContributorLockEpochs: number;
  /** A deregistered node's stakes stay locked this long, epochs (30 days). */
  readonly deregLockEpochs: number;
  /** How long a published node list stays valid after its valid-after time, seconds. */
  readonly listValiditySeconds: number;
  /** Whether the faucet may mint coins (devnet only). */
  readonly faucet: boolean;
}

const BLOCK_SECONDS = 120;
const BLOCKS_PER_DAY = 720;

function coins(n: bigint): bigint {
  return n * ATOMIC_PER_COIN;
}

/** The upstream rules at 2-minute blocks (network.md §6); mainnet and testnet share them. */
function upstreamRules(
  name: "mainnet" | "testnet",
  requirementCoins: bigint,
): NetworkParams {
  const requirement = coins(requirementCoins);
  return {
    name,
    id: NETWORK_IDS[name],
    epochSeconds: BLOCK_SECONDS,
    epochsPerDay: BLOCKS_PER_DAY,
    stakingRequirement: requirement,
    operatorMinimum: requirement / 4n,
    maxContributors: MAX_CONTRIBUTORS,
    maxStakeNumerator: 101n,
    maxStakeDenominator: 100n,
    maxFeeBasisPoints: FEE_BASIS,
    proofIntervalEpochs: 30, // 1 h
    // 2 h 5 min is 62.5 blocks; rounded up so a proof is never cut short.
    proofValidityEpochs: 63,
    proofMinSpacingEpochs: 15, // 30 min
    clockToleranceSeconds: 300,
    initialCredit: 60,
    creditPerDay: 24,
    maxCredit: 1440,
    decommissionMinimumCredit: 60,
    unlockDelayEpochs: 15 * BLOCKS_PER_DAY,
    smallContributorLockEpochs: 30 * BLOCKS_PER_DAY,
    deregLockEpochs: 30 * BLOCKS_PER_DAY,
    // Tor's lesson (network.md §8): tolerate a day of missed lists.
    listValiditySeconds: 24 * 3600,
    faucet: false,
  };
}

/**
 * The three presets. `mainnet` and `testnet` follow upstream exactly (25,000
 * and 20,000 coins, 2-minute epochs). `devnet` (120 coins, 2-second epochs)
 * keeps upstream's credit constants in epochs - so a failing node has 2
 * minutes of grace - but shortens the day-long delays so a developer sees a
 * node's whole life in minutes: proofs every 5 epochs (10 s), valid 11 epochs,
 * unlock after 30 epochs (1 min), small contributors locked 60 epochs, dereg
 * lock 60 epochs.
 *
 * @example Apply the rules of the network a registry runs
 * ```ts
 * import assert from "node:assert/strict";
 * import { stakesFromRegistration } from "./staking.ts";
 * const register = (network: NetworkName, coins: bigint) =>
 *   stakesFromRegistration(PRESETS[network], {
 *     kind: "register_node", network: NETWORK_IDS[network], timestamp: 0, sequence: 1,
 *     nodePubkey: new Uint8Array(32).fill(1), operator: new Uint8Array(32).fill(2),
 *     operatorStake: coins * ATOMIC_PER_COIN, feeBasisPoints: 0, reserved: [],
 *   }, 0);
 * // 6,250 coins is a quarter of mainnet's 25,000: just enough to register there,
 * assert.equal(register("mainnet", 6_250n).requirement, 25_000n * ATOMIC_PER_COIN);
 * assert.throws(() => register("mainnet", 6_249n), { code: "operator_stake_too_low" });
 * // and more than devnet's whole 120-coin requirement (plus 1 %) takes.
 * assert.throws(() => register("devnet", 6_250n), { code: "stake_over_cap" });
 * ```
 */
export const PRESETS: Readonly<Record<NetworkName, NetworkParams>> = {
  mainnet: upstreamRules("mainnet", 25_000n),
  testnet: upstreamRules("testnet", 20_000n),
  devnet: {
    ...upstreamRules("mainnet", 120n),
    name: "devnet",
    id: NETWORK_IDS.devnet,
    epochSeconds: 2,
    proofIntervalEpochs: 5,
    proofValidityEpochs: 11,
    proofMinSpacingEpochs: 2,
    unlockDelayEpochs: 30,
    smallContributorLockEpochs: 60,
    deregLockEpochs: 60,
    listValiditySeconds: 3600,
    faucet: true,
  },
};

/**
 * Look a preset up by name, optionally overriding the epoch length (the
 * registry's `--epoch-seconds`): the rules stay in epochs, only wall time per
 * epoch changes.
 *
 * @throws {DecodeError} `out_of_range` for an unknown name or a bad epoch length.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(networkParams("devnet", { epochSeconds: 1 }).epochSeconds, 1);
 * assert.throws(() => networkParams("moonnet"), { code: "out_of_range" });
 * ```
 */
export function networkParams(
  name: string,
  overrides: { epochSeconds?: number } = {},
): NetworkParams {
  if (!Object.hasOwn(PRESETS, name)) {
    throw new DecodeError(
      "out_of_range",
      `unknown network "${name}" (expected mainnet, testnet or devnet)`,
    );
  }
  const preset = PRESETS[name as NetworkName];
  const epochSeconds = overrides.epochSeconds ?? preset.epochSeconds;
  if (
    !Number.isInteger(epochSeconds) || epochSeconds < 1 || epochSeconds > 3600
  ) {
    throw new DecodeError(
      "out_of_range",
      `epoch length must be a whole number of seconds from 1 to 3600, got ${epochSeconds}`,
    );
  }
  return { ...preset, epochSeconds };
}

/**
 * The preset carrying a one-byte network id.
 *
 * @throws {DecodeError} `wrong_network` for an unknown id.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(networkById(3).name, "devnet");
 * ```
 */
export function networkById(id: number): NetworkParams {
  for (const p of Object.values(PRESETS)) if (p.id === id) return p;
  throw new DecodeError("wrong_network", `unknown network id ${id}`);
}

/**
 * Format atomic units as coins with up to 9 decimals, e.g. `"6250"` or
 * `"0.5"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(formatCoins(6_250_500_000_000n), "6250.5");
 * ```
 */
export function formatCoins(atomic: bigint): string {
  const sign = atomic < 0n ? "-" : "";
  const abs = atomic < 0n ? -atomic : atomic;
  const whole = abs / ATOMIC_PER_COIN;
  const frac = (abs % ATOMIC_PER_COIN).toString().padStart(9, "0").replace(
    /0+$/,
    "",
  );
  return sign + whole.toString() + (frac ? "." + frac : "");
}

/**
 * Parse a coin amount (`"25000"`, `"0.5"`, up to 9 decimals) into atomic
 * units, exactly: no floating point is involved.
 *
 * @throws {DecodeError} `out_of_range` for anything that is not a
 * non-negative decimal with at most 9 decimals, or exceeds 2^64-1 units.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(parseCoins("6250.5"), 6_250_500_000_000n);
 * assert.throws(() => parseCoins("1e3"), { code: "out_of_range" });
 * assert.throws(() => parseCoins("0.0000000001"), { code: "out_of_range" });
 * ```
 */
export function parseCoins(text: string): bigint {
  const m = /^(\d{1,11})(?:\.(\d{1,9}))?$/.exec(text.trim());
  if (!m) {
    throw new DecodeError(
      "out_of_range",
      `"${text}" is not an amount of coins (e.g. 6250 or 0.5, at most 9 decimals)`,
    );
  }
  const atomic = BigInt(m[1]!) * ATOMIC_PER_COIN +
    BigInt((m[2] ?? "").padEnd(9, "0"));
  if (atomic > (1n << 64n) - 1n) {
    throw new DecodeError("out_of_range", `amount ${text} is too large`);
  }
  return atomic;
}
