/**
 * Typed errors of the protocol core. Every decoder and validator throws one of
 * these, never a bare `Error`, so callers (the HTTP API, the CLI) can map the
 * stable `code` to a problem+json code or an exit status.
 *
 * @module
 */

/**
 * Base class of every error core throws on purpose. `code` is stable and
 * machine-readable (`snake_case`); `message` is for people.
 *
 * @example Catch any core error and read its code
 * ```ts
 * import assert from "node:assert/strict";
 * const err = new DecodeError("truncated", "need 8 more bytes");
 * assert(err instanceof CoreError);
 * assert.equal(err.code, "truncated");
 * ```
 */
export class CoreError extends Error {
  /** Stable machine-readable code, e.g. `"bad_signature"`. */
  readonly code: string;
  /** Build an error with a stable code and a human message. */
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Codes of {@linkcode DecodeError}. */
export type DecodeErrorCode =
  | "truncated"
  | "trailing_bytes"
  | "oversized"
  | "bad_magic"
  | "unsupported_version"
  | "wrong_network"
  | "unknown_kind"
  | "out_of_range"
  | "not_sorted"
  | "bad_hex"
  | "bad_length"
  | "bad_json"
  | "bad_session_id";

/**
 * Bytes or text that do not follow the wire format.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(new DecodeError("bad_magic", "not a node list").code, "bad_magic");
 * ```
 */
export class DecodeError extends CoreError {
  /** Which rule of the format was broken. */
  declare readonly code: DecodeErrorCode;
  /** Build a decode error. */
  constructor(code: DecodeErrorCode, message: string) {
    super(code, message);
  }
}

/** Codes of {@linkcode VerifyError}. */
export type VerifyErrorCode =
  | "bad_signature"
  | "bad_public_key"
  | "insufficient_signatures"
  | "hash_mismatch"
  | "chain_broken"
  | "stale_timestamp"
  | "expired"
  | "not_yet_valid";

/**
 * Well-formed data that fails a cryptographic or freshness check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(new VerifyError("bad_signature", "forged").code, "bad_signature");
 * ```
 */
export class VerifyError extends CoreError {
  /** Which check failed. */
  declare readonly code: VerifyErrorCode;
  /** Build a verification error. */
  constructor(code: VerifyErrorCode, message: string) {
    super(code, message);
  }
}

/** Codes of {@linkcode StakingError}. */
export type StakingErrorCode =
  | "operator_stake_too_low"
  | "fee_out_of_range"
  | "too_many_contributors"
  | "duplicate_contributor"
  | "reservation_too_small"
  | "stake_over_cap"
  | "node_key_is_wallet"
  | "not_accepting_contributions"
  | "contribution_too_small"
  | "contribution_too_large"
  | "no_free_slot"
  | "not_a_contributor"
  | "unlock_already_requested"
  | "unlock_too_early"
  | "not_funded";

/**
 * A registration, contribution or unlock request that breaks a staking rule
 * (network.md §6). The message says which rule and the numbers involved.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(new StakingError("no_free_slot", "all 10 spots taken").code, "no_free_slot");
 * ```
 */
export class StakingError extends CoreError {
  /** Which rule was broken. */
  declare readonly code: StakingErrorCode;
  /** Build a staking error. */
  constructor(code: StakingErrorCode, message: string) {
    super(code, message);
  }
}

/** Codes of {@linkcode LifecycleError}. */
export type LifecycleErrorCode =
  | "invalid_transition"
  | "proof_too_soon"
  | "epoch_went_backwards";

/**
 * An event that does not apply to a node in its current state.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(new LifecycleError("proof_too_soon", "wait").code, "proof_too_soon");
 * ```
 */
export class LifecycleError extends CoreError {
  /** Which rule was broken. */
  declare readonly code: LifecycleErrorCode;
  /** Build a lifecycle error. */
  constructor(code: LifecycleErrorCode, message: string) {
    super(code, message);
  }
}
