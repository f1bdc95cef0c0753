/**
 * The registry client: a typed HTTP client for the registry API and
 * verified node-list fetching (k-of-n signatures against pinned keys, the
 * hash chain to the previous list, diffs). Used by the operator CLI and by
 * anything else that talks to a registry over HTTP.
 *
 * @example Fetch the latest node list, verified against the pinned registry keys
 * ```ts
 * import assert from "node:assert/strict";
 * import { fetchVerifiedList } from "./mod.ts";
 * import { publicKeyOf } from "../core/keys.ts";
 * import { buildEncodedList } from "../core/nodelist.ts";
 * // A stand-in registry serving a list signed by 2 of its 3 keys.
 * const registryKeys = [1, 2, 3].map((i) => new Uint8Array(32).fill(i));
 * const { bytes } = buildEncodedList(
 *   { network: 3, epoch: 7n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n },
 *   [], registryKeys.slice(0, 2),
 * );
 * const fetch = () =>
 *   Promise.resolve(new Response(bytes.slice(), { headers: { "content-type": "application/octet-stream" } }));
 * const got = await fetchVerifiedList({
 *   urls: ["http://registry.test"], network: 3, trustedKeys: registryKeys.map(publicKeyOf), fetch,
 * });
 * assert.equal(got.list.header.epoch, 7n);
 * assert.equal(got.signers.length, 2);
 * ```
 *
 * @module
 */

export * from "./api.ts";
export * from "./errors.ts";
export * from "./lists.ts";
export type * from "./types.ts";
