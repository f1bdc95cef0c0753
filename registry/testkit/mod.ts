/**
 * The registry's test kit: a real registry on real SQLite or PostgreSQL
 * (`backend.ts`) with a test clock and deterministic signers (`net.ts`),
 * its HTTP app with request and SSE helpers (`http.ts`), and a registry
 * served on loopback (`serve.ts`).
 * For tests only; no production code imports it.
 *
 * @module
 */

export * from "./backend.ts";
export * from "./http.ts";
export * from "./net.ts";
export * from "./serve.ts";
export * from "./sockets.ts";
