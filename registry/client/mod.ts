/**
 * The registry client library.
 *
 * For **messenger clients** ({@linkcode Client}): bootstrap a verified node
 * list from several registries or mirrors in parallel (pinned keys, k of n;
 * optionally pinned witnesses, k of n co-signatures, taking the newest
 * recent list that has them while the latest still gathers them;
 * Tor-style freshness with a 24-hour "reasonably live" tolerance and a clear
 * clock-skew error; chain continuity; split-view detection), fall back to a
 * persisted cache and then to a fallback list shipped with the build, keep
 * the list current (ETag, diffs, full list; hourly with jitter), map Session
 * IDs to swarms (with the storage nodes' 421 "wrong swarm" answer), and build
 * onion paths (tested, persisted guards; 3 hops, one node per /24). The pure
 * parts run in browsers: storage, clock and randomness are injected
 * ({@linkcode MemoryStore} here, `FileStore` in `file_store.ts` for Deno).
 *
 * For **tools** ({@linkcode RegistryClient}, {@linkcode fetchVerifiedList}):
 * a typed HTTP client for the registry API and one-shot verified list
 * fetching, used by the operator CLI.
 *
 * The rules, with their sources, are documented in each module:
 * `freshness.ts` (validity windows, clock skew), `bootstrap.ts` (sources,
 * retries, chain, split view, the requests made), `fallback.ts` (the shipped
 * list and its unlock estimate), `swarms.ts` (swarm mapping, the storage
 * request shape, 421), `paths.ts` (guards, hops, strikes, rotation).
 *
 * @example A client that cannot reach any source starts from its shipped fallback list
 * ```ts
 * import assert from "node:assert/strict";
 * import { toHex } from "../core/bytes.ts";
 * import { publicKeyOf } from "../core/keys.ts";
 * import { buildSignedList, encodeNodeList } from "../core/nodelist.ts";
 * import { buildFallbackList, Client, MemoryStore, seededRandom } from "./mod.ts";
 *
 * // A registry key and its signed list of 12 nodes. In real life the list
 * // comes from `snode list export-fallback`, run when the client is built.
 * const registryKey = new Uint8Array(32).fill(7);
 * const t = 1_700_000_000;
 * const nodes = Array.from({ length: 12 }, (_, i) => ({
 *   pubkey: publicKeyOf(new Uint8Array(32).fill(i + 1)), swarmId: BigInt(i % 2) << 62n,
 *   ipv4: `10.0.${i}.1`, httpsPort: 22021, quicPort: 22020,
 *   version: [2, 11, 0] as [number, number, number], state: "active" as const, unlockRequested: false,
 * }));
 * const list = buildSignedList({ network: 3, epoch: 100n, validAfter: BigInt(t), freshUntil: BigInt(t + 2),
 *   validUntil: BigInt(t + 3600), prevHash: new Uint8Array(32), swarmSeed: 0n }, nodes, [registryKey]);
 * const fallback = buildFallbackList({ bytes: encodeNodeList(list), network: "devnet", exportedAt: t,
 *   epochSeconds: 2, unlockDelayEpochs: 30, unlocks: {} });
 *
 * const client = await Client.bootstrap({
 *   network: "devnet",
 *   sources: ["http://127.0.0.1:1"], // registries or mirrors; none is up here
 *   pinnedKeys: [toHex(publicKeyOf(registryKey))],
 *   store: new MemoryStore(),
 *   now: () => (t + 60) * 1000,
 *   random: seededRandom("example"),
 *   fallback,
 *   retries: 0,
 *   testNode: () => Promise.resolve(true), // by default: a real request to the candidate guard
 * });
 * assert.equal(client.origin, "fallback");
 * assert.equal(client.epoch, 100);
 * assert(client.reports.some((r) => r.kind === "used_fallback"));
 *
 * // Where a Session ID's messages live.
 * const swarm = client.swarmFor("05" + "ab".repeat(32));
 * assert(swarm.members.length > 0);
 *
 * // Two 3-hop onion paths, six distinct nodes, each path in distinct /24s.
 * const paths = await client.buildPaths();
 * assert.equal(paths.length, 2);
 * assert.equal(new Set(paths.flatMap((p) => p.hops.map((h) => h.pubkey))).size, 6);
 * ```
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
export * from "./bootstrap.ts";
export * from "./client.ts";
export * from "./client_errors.ts";
export * from "./fallback.ts";
export * from "./freshness.ts";
export * from "./paths.ts";
export * from "./random.ts";
export * from "./store.ts";
export * from "./swarms.ts";
export * from "./witness.ts";
