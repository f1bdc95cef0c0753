/**
 * Formatting shared by the server and the islands: coin amounts from atomic
 * units (bigint, never floating point), durations, times, keys, fees and
 * plain-language descriptions of states and events. Pure: no I/O, no clock
 * (callers pass "now").
 *
 * @module
 */

/** Atomic units per coin (1 coin = 10^9). */
export const ATOMIC_PER_COIN = 1_000_000_000n;

/**
 * Coins from a decimal string of atomic units, with thousands separators and
 * at most `decimals` decimals (truncated, never rounded up).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(formatCoins("25000000000000"), "25,000");
 * assert.equal(formatCoins("6250500000000"), "6,250.5");
 * assert.equal(formatCoins("1"), "0.000000001");
 * assert.equal(formatCoins(1_234_567_891n, 2), "1.23");
 * ```
 */
export function formatCoins(atomic: string | bigint, decimals = 9): string {
  let value: bigint;
  try {
    value = typeof atomic === "bigint" ? atomic : BigInt(atomic);
  } catch {
    return "?";
  }
  const sign = value < 0n ? "-" : "";
  const abs = value < 0n ? -value : value;
  const whole = abs / ATOMIC_PER_COIN;
  let frac = (abs % ATOMIC_PER_COIN).toString().padStart(9, "0").slice(
    0,
    Math.max(0, Math.min(9, decimals)),
  );
  frac = frac.replace(/0+$/, "");
  return sign + groupThousands(whole.toString()) + (frac ? "." + frac : "");
}

/** `"1234567"` -> `"1,234,567"`. */
export function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** A whole number with separators. */
export function formatInt(n: number): string {
  return groupThousands(String(Math.trunc(n)));
}

/**
 * `part / whole` as a percentage with one decimal, computed on bigints.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(percentOf(1n, 3n), "33.3%");
 * assert.equal(percentOf(0n, 0n), "0%");
 * ```
 */
export function percentOf(part: bigint, whole: bigint): string {
  if (whole <= 0n) return "0%";
  const tenths = (part * 1000n) / whole;
  const s = `${tenths / 10n}.${tenths % 10n}`.replace(/\.0$/, "");
  return s + "%";
}

/** Operator fee in basis points as a percentage: 500 -> "5%". */
export function formatFee(basisPoints: number): string {
  const whole = Math.trunc(basisPoints / 100);
  const rest = basisPoints % 100;
  return rest === 0
    ? `${whole}%`
    : `${whole}.${String(rest).padStart(2, "0").replace(/0$/, "")}%`;
}

/**
 * A duration in words, two units at most: 90 -> "1 min 30 s".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(formatDuration(90), "1 min 30 s");
 * assert.equal(formatDuration(3 * 86400 + 7200), "3 d 2 h");
 * assert.equal(formatDuration(0), "0 s");
 * ```
 */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const units: [string, number][] = [
    ["d", 86_400],
    ["h", 3_600],
    ["min", 60],
    ["s", 1],
  ];
  const parts: string[] = [];
  let left = s;
  for (const [name, size] of units) {
    if (left >= size || (name === "s" && parts.length === 0)) {
      const n = Math.floor(left / size);
      left -= n * size;
      if (n > 0 || parts.length === 0) parts.push(`${n} ${name}`);
    }
    if (parts.length === 2) break;
  }
  return parts.join(" ");
}

/** "5 min ago" / "in 5 min", relative to `now` (unix seconds). */
export function relativeTime(at: number, now: number): string {
  const d = at - now;
  if (Math.abs(d) < 1) return "now";
  return d < 0 ? `${formatDuration(-d)} ago` : `in ${formatDuration(d)}`;
}

/** Unix seconds as `2026-11-24 20:38:15 UTC`. */
export function formatTime(unixSeconds: number): string {
  if (!Number.isFinite(unixSeconds)) return "?";
  return new Date(unixSeconds * 1000).toISOString().replace("T", " ").replace(
    /\.\d+Z$/,
    " UTC",
  );
}

/** Unix seconds as an ISO string for `<time datetime>`. */
export function isoTime(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString();
}

/** A key shortened for tables: `c570c8fb…1f22ccb83`. */
export function shortKey(hex: string, head = 8, tail = 6): string {
  return hex.length <= head + tail + 1
    ? hex
    : `${hex.slice(0, head)}…${hex.slice(-tail)}`;
}

/** Node statuses, in the order the explorer shows them. */
export const STATUSES = [
  "active",
  "decommissioned",
  "awaiting_contributions",
  "deregistered",
  "exited",
] as const;

/** One node status. */
export type Status = typeof STATUSES[number];

/** Statuses of nodes that still belong to the network. */
export const LIVE_STATUSES: readonly string[] = [
  "active",
  "decommissioned",
  "awaiting_contributions",
];

/** Statuses of nodes that left it. */
export const RETIRED_STATUSES: readonly string[] = ["deregistered", "exited"];

/** A status for people: "awaiting_contributions" -> "awaiting contributions". */
export function statusLabel(status: string): string {
  return status.replaceAll("_", " ");
}

/** What a status means, in one plain sentence. */
export function statusMeaning(status: string): string {
  switch (status) {
    case "active":
      return "Fully staked, proving its uptime and reachable: it stores messages in its swarm and earns rewards.";
    case "decommissioned":
      return "Temporarily out: it stopped proving its uptime or could not be reached. It left its swarm and earns nothing, and burns one epoch of credit per epoch; it comes back if it proves and is reachable again before its credit runs out.";
    case "awaiting_contributions":
      return "Registered but not fully staked yet: it waits for contributors to fill the rest of the stake before it can become active.";
    case "deregistered":
      return "Removed from the network for failing too long. Its stake stays locked for a while as a penalty, then returns to its wallets.";
    case "exited":
      return "Left the network cleanly after an unlock (or a cancelled registration); its stake went back to its wallets.";
    default:
      return status;
  }
}

/** Why a node is failing, from the registry's reason names. */
export function reasonLabel(reason: string): string {
  switch (reason) {
    case "uptime":
      return "no valid uptime proof";
    case "storage":
      return "storage server unreachable";
    default:
      return reason.replaceAll("_", " ");
  }
}

/** A registry event in the shape the explorer passes around. */
export interface EventLike {
  id: number;
  epoch: number;
  createdAt: number;
  kind: string;
  node: string | null;
  wallets: string[];
  data: Record<string, unknown>;
}

function str(v: unknown): string {
  return typeof v === "string" ? v : typeof v === "number" ? String(v) : "";
}

/**
 * One sentence saying what an event means (without the node key, which the
 * caller shows as a link).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const e = { id: 1, epoch: 9, createdAt: 0, kind: "list_published", node: null, wallets: [],
 *   data: { epoch: 9, hash: "ab", nodes: 14, active: 13 } };
 * assert.equal(describeEvent(e), "list 9 published: 14 nodes, 13 active");
 * ```
 */
export function describeEvent(e: EventLike): string {
  const d = e.data;
  switch (e.kind) {
    case "list_published":
      return `list ${str(d.epoch)} published: ${str(d.nodes)} nodes, ${
        str(d.active)
      } active`;
    case "list_cosigned":
      return `list ${str(d.epoch)} co-signed by witness ${
        str(d.witness).slice(0, 8)
      }… (${str(d.cosignatures)} co-signatures)`;
    case "registered":
      return `registered with ${
        formatCoins(str(d.operatorStake) || "0")
      } coins from the operator, fee ${
        formatFee(Number(d.feeBasisPoints ?? 0))
      }`;
    case "contribution":
      return `received ${formatCoins(str(d.amount) || "0")} coins (now ${
        formatCoins(str(d.contributed) || "0")
      } staked)`;
    case "funded":
      return `fully funded by ${str(d.contributors)} contributor${
        d.contributors === 1 ? "" : "s"
      }`;
    case "active":
      return `became active with ${str(d.credit)} epochs of credit`;
    case "decommissioned":
      return `decommissioned (${
        Array.isArray(d.reasons)
          ? (d.reasons as string[]).map(reasonLabel).join(", ")
          : "failing"
      }); deregistered at epoch ${str(d.deregisterAt)} unless it recovers`;
    case "recommissioned":
      return `recommissioned after ${str(d.downEpochs)} epochs down, credit ${
        str(d.credit)
      }`;
    case "deregistered":
      return `deregistered (${
        Array.isArray(d.reasons)
          ? (d.reasons as string[]).map(reasonLabel).join(", ")
          : "failing"
      }); stake locked until epoch ${str(d.lockedUntil)}`;
    case "unlock_requested":
      return `unlock requested; the node leaves at epoch ${str(d.unlockAt)}`;
    case "unlock_effective":
      return "unlock took effect";
    case "exited":
      return `exited: ${str(d.reason) || "left the network"}`;
    case "stake_released":
      return `stake released: ${str(d.reason)}`;
    case "reachability_failed":
      return `unreachable at ${str(d.address)}: ${str(d.detail)}`;
    case "faucet":
      return `faucet paid ${formatCoins(str(d.amount) || "0")} coins`;
    case "genesis":
      return `genesis allocation of ${formatCoins(str(d.amount) || "0")} coins`;
    default:
      return e.kind.replaceAll("_", " ");
  }
}

/** Event kinds the registry emits (the filter's choices). */
export const EVENT_KINDS = [
  "registered",
  "contribution",
  "funded",
  "active",
  "decommissioned",
  "recommissioned",
  "deregistered",
  "unlock_requested",
  "unlock_effective",
  "exited",
  "stake_released",
  "reachability_failed",
  "list_published",
  "list_cosigned",
  "faucet",
  "genesis",
] as const;

/** Whether `text` is 64 hex digits (a node or wallet key). */
export function isKeyHex(text: string): boolean {
  return /^[0-9a-fA-F]{64}$/.test(text);
}
