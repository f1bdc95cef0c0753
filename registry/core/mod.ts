/**
 * The pure protocol core of the registry: keys, signed messages, network
 * parameters, staking and lifecycle rules, swarm assignment and the signed
 * node-list format. No I/O, clock or randomness inside; see `README.md` for
 * the byte-level specification.
 *
 * @example Map a Session ID to its swarm
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSessionId, swarmForPubkey } from "./mod.ts";
 * const { key } = parseSessionId("05" + "00".repeat(32));
 * assert.equal(swarmForPubkey([0n, 1n << 63n], key), 0n);
 * ```
 *
 * @module
 */

export * from "./bytes.ts";
export * from "./errors.ts";
export * from "./inputs.ts";
export { libstdcxxSort } from "./introsort.ts";
export * from "./keys.ts";
export * from "./keystore.ts";
export * from "./lifecycle.ts";
export * from "./messages.ts";
export * from "./nodelist.ts";
export * from "./params.ts";
export * from "./recovery.ts";
export * from "./staking.ts";
export * from "./state.ts";
export * from "./swarm.ts";
