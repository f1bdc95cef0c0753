/**
 * The registry client: a typed HTTP client for the registry API and
 * verified node-list fetching (k-of-n signatures against pinned keys, the
 * hash chain to the previous list, diffs). Used by the operator CLI and by
 * anything else that talks to a registry over HTTP.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RegistryClient } from "./mod.ts";
 * assert.equal(new RegistryClient("http://127.0.0.1:22000/").baseUrl, "http://127.0.0.1:22000");
 * ```
 *
 * @module
 */

export * from "./api.ts";
export * from "./errors.ts";
export * from "./lists.ts";
export type * from "./types.ts";
