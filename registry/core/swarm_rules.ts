/**
 * The swarm rules' constants, as upstream defines them
 * (`service_node_rules.h`, `service_node_swarm.h`; network.md §2). Each
 * example shows the rule at work in {@linkcode calcSwarmChanges}.
 *
 * @module
 */

const U64_MAX = (1n << 64n) - 1n;

/**
 * A swarm with fewer nodes than this is "starving": it is refilled from rich
 * swarms or dissolved (`service_node_rules.h` `MIN_SWARM_SIZE`).
 *
 * @example A swarm below the minimum that no rich swarm can refill is dissolved
 * ```ts
 * import assert from "node:assert/strict";
 * import { calcSwarmChanges, newSwarmId } from "./swarm.ts";
 * const keys = (n: number, from = 0) => Array.from({ length: n }, (_, i) => new Uint8Array(32).fill(from + i + 1));
 * const out = calcSwarmChanges(new Map([[0n, keys(MIN_SWARM_SIZE)], [1n << 63n, keys(MIN_SWARM_SIZE - 1, 50)]]), 7n);
 * assert.deepEqual([...out.values()].map((m) => m.length), [2 * MIN_SWARM_SIZE - 1]);
 * ```
 */
export const MIN_SWARM_SIZE = 5;

/**
 * Excess every swarm keeps before a new swarm is cut
 * (`service_node_rules.h` `IDEAL_SWARM_MARGIN`).
 *
 * @example A second swarm is cut only once the excess reaches NEW_SWARM_SIZE + IDEAL_SWARM_MARGIN per swarm
 * ```ts
 * import assert from "node:assert/strict";
 * import { calcSwarmChanges, newSwarmId } from "./swarm.ts";
 * const keys = (n: number, from = 0) => Array.from({ length: n }, (_, i) => new Uint8Array(32).fill(from + i + 1));
 * const cutAt = EXCESS_BASE + NEW_SWARM_SIZE + IDEAL_SWARM_MARGIN; // 14 nodes
 * assert.equal(calcSwarmChanges(new Map([[UNASSIGNED_SWARM_ID, keys(cutAt - 1)]]), 1n).size, 1);
 * assert.equal(calcSwarmChanges(new Map([[UNASSIGNED_SWARM_ID, keys(cutAt)]]), 1n).size, 2);
 * ```
 */
export const IDEAL_SWARM_MARGIN = 2;

/**
 * Target swarm size, `MIN_SWARM_SIZE + IDEAL_SWARM_MARGIN`
 * (`service_node_rules.h` `IDEAL_SWARM_SIZE`).
 *
 * @example Fourteen new nodes make two swarms of the ideal size
 * ```ts
 * import assert from "node:assert/strict";
 * import { calcSwarmChanges, newSwarmId } from "./swarm.ts";
 * const keys = (n: number, from = 0) => Array.from({ length: n }, (_, i) => new Uint8Array(32).fill(from + i + 1));
 * const out = calcSwarmChanges(new Map([[UNASSIGNED_SWARM_ID, keys(2 * IDEAL_SWARM_SIZE)]]), 3n);
 * assert.deepEqual([...out.values()].map((m) => m.length), [IDEAL_SWARM_SIZE, IDEAL_SWARM_SIZE]);
 * ```
 */
export const IDEAL_SWARM_SIZE = 7;

/**
 * Nodes above this count in a swarm are its "excess"
 * (`service_node_rules.h` `EXCESS_BASE`).
 *
 * @example Nodes beyond EXCESS_BASE per swarm count as excess: 13 nodes stay in one swarm
 * ```ts
 * import assert from "node:assert/strict";
 * import { calcSwarmChanges, newSwarmId } from "./swarm.ts";
 * const keys = (n: number, from = 0) => Array.from({ length: n }, (_, i) => new Uint8Array(32).fill(from + i + 1));
 * const out = calcSwarmChanges(new Map([[UNASSIGNED_SWARM_ID, keys(EXCESS_BASE + NEW_SWARM_SIZE + 1)]]), 5n);
 * assert.deepEqual([...out.values()].map((m) => m.length), [13]);
 * ```
 */
export const EXCESS_BASE = 5;

/**
 * Size of a swarm cut from excess (`service_node_rules.h` `NEW_SWARM_SIZE`).
 *
 * @example A swarm cut from the excess takes NEW_SWARM_SIZE nodes
 * ```ts
 * import assert from "node:assert/strict";
 * import { calcSwarmChanges, newSwarmId } from "./swarm.ts";
 * const keys = (n: number, from = 0) => Array.from({ length: n }, (_, i) => new Uint8Array(32).fill(from + i + 1));
 * // A swarm of 13 takes a 14th node: its excess reaches the threshold.
 * const out = calcSwarmChanges(new Map([[0n, keys(13)], [UNASSIGNED_SWARM_ID, keys(1, 40)]]), 9n);
 * const fresh = [...out.keys()].find((id) => id !== 0n)!;
 * assert.equal(out.get(fresh)!.length, NEW_SWARM_SIZE);
 * ```
 */
export const NEW_SWARM_SIZE = 7;

/**
 * New nodes go to a random swarm among the smallest 25 percent
 * (`service_node_rules.h` `FILL_SWARM_LOWER_PERCENTILE`).
 *
 * @example A new node joins one of the smallest swarms
 * ```ts
 * import assert from "node:assert/strict";
 * import { calcSwarmChanges, newSwarmId } from "./swarm.ts";
 * const keys = (n: number, from = 0) => Array.from({ length: n }, (_, i) => new Uint8Array(32).fill(from + i + 1));
 * const out = calcSwarmChanges(new Map([[0n, keys(5)], [1n << 62n, keys(9, 20)], [UNASSIGNED_SWARM_ID, keys(1, 90)]]), 11n);
 * assert.equal(FILL_SWARM_LOWER_PERCENTILE, 25);
 * assert.deepEqual([out.get(0n)!.length, out.get(1n << 62n)!.length], [6, 9]);
 * ```
 */
export const FILL_SWARM_LOWER_PERCENTILE = 25;

/**
 * Nodes of a dissolved swarm go to a random swarm among those tied at the
 * smallest size (`service_node_rules.h`
 * `DECOMMISSIONED_REDISTRIBUTION_LOWER_PERCENTILE`).
 *
 * @example A dissolved swarm's nodes go, one by one, to the smallest swarms
 * ```ts
 * import assert from "node:assert/strict";
 * import { calcSwarmChanges, newSwarmId } from "./swarm.ts";
 * const keys = (n: number, from = 0) => Array.from({ length: n }, (_, i) => new Uint8Array(32).fill(from + i + 1));
 * // No swarm can spare a node, so the one of 4 is dissolved: 5,5 -> 6,5 -> 6,6 -> 7,6 -> 7,7.
 * const out = calcSwarmChanges(new Map([[0n, keys(5)], [1n << 62n, keys(5, 20)], [2n << 62n, keys(4, 40)]]), 13n);
 * assert.equal(DECOMMISSIONED_REDISTRIBUTION_LOWER_PERCENTILE, 0);
 * assert.deepEqual([...out.values()].map((m) => m.length), [7, 7]);
 * ```
 */
export const DECOMMISSIONED_REDISTRIBUTION_LOWER_PERCENTILE = 0;

/**
 * Starving swarms steal from swarms above the size at this percentile, minus
 * one (`service_node_rules.h` `STEALING_SWARM_UPPER_PERCENTILE`).
 *
 * @example A starving swarm takes a node from a rich one (Robin Hood)
 * ```ts
 * import assert from "node:assert/strict";
 * import { calcSwarmChanges, newSwarmId } from "./swarm.ts";
 * const keys = (n: number, from = 0) => Array.from({ length: n }, (_, i) => new Uint8Array(32).fill(from + i + 1));
 * const out = calcSwarmChanges(new Map([[0n, keys(4)], [1n << 62n, keys(9, 20)]]), 17n);
 * assert.equal(STEALING_SWARM_UPPER_PERCENTILE, 75);
 * assert.deepEqual([out.get(0n)!.length, out.get(1n << 62n)!.length], [5, 8]);
 * ```
 */
export const STEALING_SWARM_UPPER_PERCENTILE = 75;

/**
 * The swarm id of a node waiting for a swarm (new or recommissioned), 2^64-1
 * (`service_node_rules.h` `UNASSIGNED_SWARM_ID`). Never a real swarm.
 *
 * @example New and recommissioned nodes wait under UNASSIGNED_SWARM_ID until assigned
 * ```ts
 * import assert from "node:assert/strict";
 * import { calcSwarmChanges, newSwarmId } from "./swarm.ts";
 * const keys = (n: number, from = 0) => Array.from({ length: n }, (_, i) => new Uint8Array(32).fill(from + i + 1));
 * const out = calcSwarmChanges(new Map([[0n, keys(7)], [UNASSIGNED_SWARM_ID, keys(2, 30)]]), 19n);
 * assert.equal(out.has(UNASSIGNED_SWARM_ID), false);
 * assert.equal(out.get(0n)!.length, 9);
 * ```
 */
export const UNASSIGNED_SWARM_ID: bigint = U64_MAX;

/**
 * The largest id a real swarm can have, 2^64-2 (`service_node_swarm.h`
 * `MAX_ID`). {@linkcode newSwarmId} treats `MAX_SWARM_ID` and 0 as neighbours.
 *
 * @example No swarm id ever exceeds MAX_SWARM_ID: the gap wraps around
 * ```ts
 * import assert from "node:assert/strict";
 * import { calcSwarmChanges, newSwarmId } from "./swarm.ts";
 * const id = newSwarmId([0n, MAX_SWARM_ID]);
 * assert(id > 0n && id < MAX_SWARM_ID);
 * ```
 */
export const MAX_SWARM_ID: bigint = U64_MAX - 1n;
