/**
 * The client's own error family: what a messenger client can hit while
 * bootstrapping, refreshing, mapping swarms and building paths. Codes are
 * stable snake_case literals; messages say what was attempted and why it
 * failed, in words a user can act on (a clock to fix, a source to distrust).
 *
 * @module
 */

import type { EquivocationProof } from "../core/nodelist.ts";

/**
 * Codes of {@linkcode ClientError}.
 *
 * - `clock_skew`: the local clock is off (lists look stale or from the
 *   future, while the sources' clocks agree with the lists); fix the clock.
 * - `list_expired`: a source serves a list past its valid-until time plus
 *   the "reasonably live" tolerance (a stale or stuck source).
 * - `list_not_yet_valid`: a list valid only from a time beyond the tolerance.
 * - `split_view`: a validly signed list contradicts one already seen (another
 *   list for the same epoch, or a list whose predecessor is not the one seen).
 * - `equivocation`: two validly signed lists for one epoch, with a portable
 *   proof in `proof` (core `EquivocationProof`).
 * - `insufficient_cosignatures`: a list without co-signatures from k of the
 *   pinned witnesses (not co-signed yet, or refused by them).
 * - `rollback`: a source serves a list older than the one already held.
 * - `no_list`: no source answered with a usable list, and no cache or
 *   fallback list could stand in.
 * - `bad_fallback`: the shipped fallback list cannot be read or verified.
 * - `too_few_nodes`: not enough usable nodes to build onion paths.
 * - `no_guards`: no candidate guard passed its test.
 * - `no_swarm`: the list has no swarm with a reachable member.
 * - `bad_swarm_answer`: a storage node's "wrong swarm" answer is malformed.
 * - `node_request_failed`: a storage node could not be used.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const code: ClientErrorCode = "split_view";
 * assert.equal(new ClientError(code, "two lists for epoch 7").code, "split_view");
 * ```
 */
export type ClientErrorCode =
  | "clock_skew"
  | "list_expired"
  | "list_not_yet_valid"
  | "split_view"
  | "equivocation"
  | "insufficient_cosignatures"
  | "rollback"
  | "no_list"
  | "bad_fallback"
  | "too_few_nodes"
  | "no_guards"
  | "no_swarm"
  | "bad_swarm_answer"
  | "node_request_failed";

/**
 * An error of the messenger-client side of the library.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const e = new ClientError("clock_skew", "the local clock is 2 days ahead", { skewSeconds: 172800 });
 * assert.equal(e.name, "ClientError");
 * assert.equal(e.skewSeconds, 172800);
 * ```
 */
export class ClientError extends Error {
  /** Stable code. */
  readonly code: ClientErrorCode;
  /** For `clock_skew`: local clock minus the sources' clock, seconds. */
  readonly skewSeconds: number | undefined;
  /** The source concerned, when one is. */
  readonly source: string | undefined;
  /** For `no_list`: why each source failed. */
  readonly failures: readonly SourceFailureReport[];
  /** For `equivocation`: the proof. */
  readonly proof: EquivocationProof | undefined;

  /** Build one. */
  constructor(
    code: ClientErrorCode,
    message: string,
    options: {
      skewSeconds?: number;
      source?: string;
      failures?: readonly SourceFailureReport[];
      proof?: EquivocationProof;
      cause?: unknown;
    } = {},
  ) {
    super(
      message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "ClientError";
    this.code = code;
    this.skewSeconds = options.skewSeconds;
    this.source = options.source;
    this.failures = options.failures ?? [];
    this.proof = options.proof;
  }
}

/**
 * One source's failure, as kept in reports and in `no_list` errors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const f: SourceFailureReport = { source: "http://a", code: "connection", detail: "refused" };
 * assert.equal(f.code, "connection");
 * ```
 */
export interface SourceFailureReport {
  /** The source URL. */
  source: string;
  /** A {@linkcode ClientErrorCode}, a core `VerifyError`/`DecodeError` code, or `connection`, `timeout`, `http_<status>`, `aborted`. */
  code: string;
  /** What happened. */
  detail: string;
}
