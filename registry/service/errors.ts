/**
 * Errors of the registry service, and the one mapping from every domain
 * error (core's and ours) to an HTTP status. The HTTP layer turns these into
 * RFC 9457 problem+json with the same stable `code`.
 *
 * @module
 */

import { CoreError } from "../core/errors.ts";

/** Codes the service itself raises (core's codes are listed in core's README). */
export type RegistryErrorCode =
  | "replayed"
  | "unknown_node"
  | "unknown_wallet"
  | "unknown_list"
  | "unknown_swarm"
  | "node_already_registered"
  | "node_not_live"
  | "insufficient_balance"
  | "faucet_disabled"
  | "faucet_limit"
  | "address_not_public"
  | "diff_unavailable"
  | "bad_request"
  | "shutting_down";

/**
 * A request the registry refuses because of its state (or lack of it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const e = new RegistryError("unknown_node", "no such node");
 * assert.equal(httpStatusOf(e), 404);
 * ```
 */
export class RegistryError extends CoreError {
  /** Stable code. */
  declare readonly code: RegistryErrorCode;
  /** Build a registry error. */
  constructor(code: RegistryErrorCode, message: string) {
    super(code, message);
  }
}

const STATUS: Record<string, number> = {
  // Not found
  unknown_node: 404,
  unknown_wallet: 404,
  unknown_list: 404,
  unknown_swarm: 404,
  diff_unavailable: 404,
  // Authentication of the signed message
  bad_signature: 401,
  bad_public_key: 400,
  // Conflicts with current state
  replayed: 409,
  node_already_registered: 409,
  node_not_live: 409,
  invalid_transition: 409,
  not_accepting_contributions: 409,
  no_free_slot: 409,
  unlock_already_requested: 409,
  not_funded: 409,
  not_a_contributor: 403,
  unlock_too_early: 409,
  proof_too_soon: 429,
  insufficient_balance: 402,
  faucet_disabled: 403,
  faucet_limit: 422,
  stale_timestamp: 422,
  shutting_down: 503,
  oversized: 413,
};

/**
 * The HTTP status for a domain error: 404 for unknown things, 401 for a bad
 * signature, 409 for conflicts with state, 422 for a rule broken by valid
 * input, 400 for malformed input. Anything that is not a `CoreError` is 500.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DecodeError, StakingError } from "../core/errors.ts";
 * assert.equal(httpStatusOf(new DecodeError("truncated", "short")), 400);
 * assert.equal(httpStatusOf(new StakingError("contribution_too_small", "min")), 422);
 * ```
 */
export function httpStatusOf(error: unknown): number {
  if (!(error instanceof CoreError)) return 500;
  const status = STATUS[error.code];
  if (status !== undefined) return status;
  if (error.name === "StakingError") return 422;
  return 400;
}
