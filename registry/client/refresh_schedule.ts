/**
 * When a messenger client refreshes its node list by itself: a few minutes
 * after start, then hourly, each with jitter so clients started together
 * do not ask at once (network.md §4).
 *
 * @module
 */

import { randomFloat, type RandomSource } from "./random.ts";

/**
 * When automatic refreshes happen; defaults in brackets. The first comes
 * `firstDelayMs` plus up to `firstJitterMs` after start, then every
 * `intervalMs` give or take `jitter` (a fraction), so clients started
 * together do not ask at the same moment (network.md §4: 5 minutes after
 * start, then hourly).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const s: RefreshSchedule = { intervalMs: 3_600_000, jitter: 0.1 };
 * assert.equal(s.jitter, 0.1);
 * ```
 */
export interface RefreshSchedule {
  /** [300,000] */
  firstDelayMs?: number;
  /** [60,000] */
  firstJitterMs?: number;
  /** [3,600,000] */
  intervalMs?: number;
  /** [0.1] */
  jitter?: number;
}

/**
 * The delay before the next automatic refresh (see {@linkcode RefreshSchedule}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { seededRandom } from "./random.ts";
 * const r = seededRandom(1);
 * const first = refreshDelayMs(r, true);
 * assert(first >= 300_000 && first < 360_000);
 * const later = refreshDelayMs(r, false);
 * assert(later >= 3_240_000 && later < 3_960_000);
 * ```
 */
export function refreshDelayMs(
  random: RandomSource,
  first: boolean,
  schedule: RefreshSchedule = {},
): number {
  if (first) {
    return (schedule.firstDelayMs ?? 300_000) +
      randomFloat(random) * (schedule.firstJitterMs ?? 60_000);
  }
  const interval = schedule.intervalMs ?? 3_600_000;
  const jitter = schedule.jitter ?? 0.1;
  return interval * (1 - jitter + 2 * jitter * randomFloat(random));
}
