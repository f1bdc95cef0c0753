/**
 * The registry's wire contract, defined once: the JSON views and their zod
 * schemas, events by kind, and the error codes with their HTTP statuses.
 * The service answers with these types, the OpenAPI document is generated
 * from these schemas, and clients (`registry/client`, the CLI, the explorer)
 * read these types.
 *
 * @example Read an event's typed payload by switching on its kind
 * ```ts
 * import assert from "node:assert/strict";
 * import type { RegistryEvent } from "./mod.ts";
 * function describe(e: RegistryEvent): string {
 *   switch (e.kind) {
 *     case "decommissioned":
 *       return `decommissioned (${e.data.reasons.join(", ")}), out at epoch ${e.data.deregisterAt}`;
 *     case "faucet":
 *       return `faucet paid ${e.data.amount}`;
 *     default:
 *       return e.kind;
 *   }
 * }
 * assert.equal(
 *   describe({ id: 1, epoch: 9, createdAt: 0, kind: "decommissioned", node: "ab", wallets: [],
 *     data: { reasons: ["uptime"], reasonBits: 1, credit: 40, deregisterAt: 49, deregisterAtTime: 0 } }),
 *   "decommissioned (uptime), out at epoch 49",
 * );
 * ```
 *
 * @module
 */

export * from "./errors.ts";
export * from "./events.ts";
export * from "./views.ts";
