/**
 * The API's error contract: every code a problem+json answer can carry, the
 * HTTP status of each and what it means. The table is keyed by the code
 * union, so a code added to any family without a status fails `deno check`.
 *
 * Families: core's (malformed bytes, failed verification, staking and
 * lifecycle rules), the registry's own ({@linkcode RegistryError}: state it
 * does not have or refuses) and the HTTP layer's (routing, negotiation,
 * limits).
 *
 * @module
 */

import {
  CoreError,
  type DecodeErrorCode,
  type LifecycleErrorCode,
  type StakingErrorCode,
  type VerifyErrorCode,
} from "../core/errors.ts";

/** Codes the registry itself raises about its state. */
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
  | "outdated_version"
  | "diff_unavailable"
  | "unknown_epoch"
  | "unknown_witness"
  | "checkpoint_mismatch"
  | "bad_request"
  | "shutting_down";

/**
 * A request the registry refuses because of its state (or lack of it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const e = new RegistryError("unknown_node", "no node 00ab... is registered");
 * assert.equal(httpStatusOf(e), 404);
 * ```
 */
export class RegistryError extends CoreError<RegistryErrorCode> {}

/** Codes the HTTP layer raises (routing, negotiation, limits). */
export type HttpErrorCode =
  | "not_found"
  | "method_not_allowed"
  | "payload_too_large"
  | "unsupported_media_type"
  | "not_acceptable"
  | "bad_query"
  | "bad_param"
  | "bad_header"
  | "bad_body"
  | "wrong_kind"
  | "rate_limited"
  | "too_many_streams"
  | "too_many_connections"
  | "server_busy"
  | "request_timeout"
  | "header_too_large"
  | "malformed_request"
  | "internal";

/** Every code an API problem document can carry. */
export type ErrorCode =
  | DecodeErrorCode
  | VerifyErrorCode
  | StakingErrorCode
  | LifecycleErrorCode
  | RegistryErrorCode
  | HttpErrorCode;

/** Where a code comes from, for the docs page. */
export type ErrorFamily =
  | "decode"
  | "verify"
  | "staking"
  | "lifecycle"
  | "registry"
  | "http";

/** Status, family and meaning of one code. */
export interface ErrorInfo {
  /** HTTP status. */
  status: number;
  /** The family the code belongs to. */
  family: ErrorFamily;
  /** What it means, for the docs page. */
  meaning: string;
}

const e = (
  status: number,
  family: ErrorFamily,
  meaning: string,
): ErrorInfo => ({ status, family, meaning });

/** Every code with its status: 400 malformed, 401 bad signature, 404 unknown, 409 conflicts with state, 422 a rule broken by valid input. */
export const ERRORS: Readonly<Record<ErrorCode, ErrorInfo>> = {
  // core: malformed bytes or text
  truncated: e(400, "decode", "the bytes end before the format says"),
  trailing_bytes: e(400, "decode", "bytes left after a complete message"),
  oversized: e(413, "decode", "larger than the format allows"),
  bad_magic: e(400, "decode", "not the expected format"),
  unsupported_version: e(
    400,
    "decode",
    "a format version this registry does not read",
  ),
  wrong_network: e(400, "decode", "signed for another network"),
  unknown_kind: e(400, "decode", "not a message kind of this format"),
  out_of_range: e(400, "decode", "a field outside its allowed range"),
  not_sorted: e(400, "decode", "entries out of order or duplicated"),
  bad_hex: e(400, "decode", "not hex"),
  bad_length: e(400, "decode", "a field of the wrong length"),
  bad_json: e(400, "decode", "the body is not valid JSON"),
  bad_session_id: e(400, "decode", "not 05 or 03 followed by 64 hex digits"),
  // core: signature or freshness
  bad_signature: e(401, "verify", "a signature does not verify"),
  bad_public_key: e(400, "verify", "not a valid Ed25519 public key"),
  insufficient_signatures: e(400, "verify", "too few valid signatures"),
  hash_mismatch: e(400, "verify", "content does not match its hash"),
  chain_broken: e(400, "verify", "does not extend the previous list"),
  stale_timestamp: e(
    422,
    "verify",
    "the signed timestamp is too far from the registry's clock (`now` says its time)",
  ),
  expired: e(400, "verify", "past its validity"),
  not_yet_valid: e(400, "verify", "not valid yet"),
  insufficient_cosignatures: e(
    400,
    "verify",
    "too few valid witness co-signatures",
  ),
  bad_rotation: e(
    400,
    "verify",
    "a key rotation not signed by a trusted key, or without the new key's proof of possession",
  ),
  not_equivocation: e(
    400,
    "verify",
    "the two signed checkpoints do not conflict (another network or epoch, or the same checkpoint)",
  ),
  // core: staking rules
  operator_stake_too_low: e(
    422,
    "staking",
    "the operator stakes less than the minimum",
  ),
  fee_out_of_range: e(
    422,
    "staking",
    "the fee is not 0 to 10,000 basis points",
  ),
  too_many_contributors: e(
    422,
    "staking",
    "more than the maximum contributors",
  ),
  duplicate_contributor: e(422, "staking", "a wallet appears twice"),
  reservation_too_small: e(
    422,
    "staking",
    "a reservation below the minimum contribution",
  ),
  stake_over_cap: e(422, "staking", "more stake than the node can take"),
  node_key_is_wallet: e(
    422,
    "staking",
    "the node key is also a wallet of the registration",
  ),
  not_accepting_contributions: e(
    409,
    "staking",
    "the node takes no contributions",
  ),
  contribution_too_small: e(422, "staking", "below the minimum contribution"),
  contribution_too_large: e(422, "staking", "more than the node still needs"),
  no_free_slot: e(409, "staking", "every contributor spot is taken"),
  not_a_contributor: e(403, "staking", "the wallet has no stake in the node"),
  unlock_already_requested: e(409, "staking", "an unlock is already pending"),
  unlock_too_early: e(
    409,
    "staking",
    "a small contributor's stake is still in its minimum lock",
  ),
  not_funded: e(409, "staking", "the node is not fully funded yet"),
  // core: lifecycle rules
  invalid_transition: e(
    409,
    "lifecycle",
    "the event does not apply to the node's state",
  ),
  proof_too_soon: e(
    429,
    "lifecycle",
    "a proof came too soon after the previous one",
  ),
  epoch_went_backwards: e(500, "lifecycle", "an internal ordering error"),
  // the registry's state
  replayed: e(409, "registry", "the signer's sequence number was already used"),
  unknown_node: e(404, "registry", "no such node is registered"),
  unknown_wallet: e(404, "registry", "the wallet never held coins"),
  unknown_list: e(404, "registry", "no such list is kept"),
  unknown_swarm: e(404, "registry", "no such swarm"),
  node_already_registered: e(
    409,
    "registry",
    "the node key is registered already",
  ),
  node_not_live: e(409, "registry", "the node's status does not allow this"),
  insufficient_balance: e(402, "registry", "the wallet cannot pay"),
  faucet_disabled: e(403, "registry", "the faucet runs on devnet only"),
  faucet_limit: e(422, "registry", "more than the faucet gives at once"),
  outdated_version: e(
    422,
    "registry",
    "a proof from node software older than the network's minimum version (`/v1/info` rules.minimumNodeVersion)",
  ),
  address_not_public: e(
    422,
    "registry",
    "a proof with a private or reserved address",
  ),
  diff_unavailable: e(
    404,
    "registry",
    "the diff's base list is no longer kept: fetch the full list",
  ),
  unknown_epoch: e(
    404,
    "registry",
    "no inputs document or state snapshot is kept for that epoch",
  ),
  unknown_witness: e(
    403,
    "registry",
    "a co-signature from a key that is not one of the registry's witnesses",
  ),
  checkpoint_mismatch: e(
    409,
    "registry",
    "the witness co-signed another checkpoint than the registry's list of that epoch",
  ),
  bad_request: e(400, "registry", "the request cannot be applied"),
  shutting_down: e(503, "registry", "the registry is stopping"),
  // HTTP
  not_found: e(404, "http", "no such route"),
  method_not_allowed: e(
    405,
    "http",
    "the route exists for other methods (see Allow)",
  ),
  payload_too_large: e(
    413,
    "http",
    "the request body is over the route's limit",
  ),
  unsupported_media_type: e(
    415,
    "http",
    "writes take application/octet-stream or application/json",
  ),
  not_acceptable: e(406, "http", "no representation matches the Accept header"),
  bad_query: e(400, "http", "a query parameter is malformed or out of range"),
  bad_param: e(400, "http", "a path parameter is malformed"),
  bad_header: e(
    400,
    "http",
    "a request header is malformed (e.g. Last-Event-ID)",
  ),
  bad_body: e(400, "http", 'the JSON body is not {"message": "<hex>"}'),
  wrong_kind: e(
    400,
    "http",
    "the signed message is of another kind than the route takes",
  ),
  rate_limited: e(
    429,
    "http",
    "too many requests from this client address, for this wallet or for the faucet as a whole: retry after `Retry-After` seconds",
  ),
  too_many_streams: e(
    429,
    "http",
    "this client address has as many event streams open as it may: close one, or retry after `Retry-After` seconds",
  ),
  too_many_connections: e(
    429,
    "http",
    "this client address has as many connections open as it may (none idle to close): the new one is answered and closed",
  ),
  server_busy: e(
    503,
    "http",
    "the registry has as many connections or event streams open as it takes: retry after `Retry-After` seconds",
  ),
  request_timeout: e(
    408,
    "http",
    "the request did not arrive complete in time (headers, then the whole request): the connection is closed",
  ),
  header_too_large: e(
    431,
    "http",
    "the request line and headers are over the limit: the connection is closed",
  ),
  malformed_request: e(
    400,
    "http",
    "not a well-formed HTTP/1.1 request: the connection is closed",
  ),
  internal: e(
    500,
    "http",
    "an unexpected error; it was logged, nothing about it is shown",
  ),
};

/**
 * Whether a string is one of the API's error codes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(isErrorCode("replayed"), true);
 * assert.equal(isErrorCode("keystore_corrupt"), false);
 * ```
 */
export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERRORS, code);
}

/**
 * The HTTP status of a thrown value: the table's for an error with an API
 * code, 500 for anything else (a bug, or a core error that has no business
 * reaching the API, such as a keystore's).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { StakingError } from "../core/errors.ts";
 * assert.equal(httpStatusOf(new StakingError("contribution_too_small", "below 30 coins")), 422);
 * assert.equal(httpStatusOf(new Error("bug")), 500);
 * ```
 */
export function httpStatusOf(error: unknown): number {
  if (!(error instanceof CoreError) || !isErrorCode(error.code)) return 500;
  return ERRORS[error.code].status;
}
