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
export class CoreError<Code extends string = string> extends Error {
  /** Stable machine-readable code, e.g. `"bad_signature"`. */
  readonly code: Code;
  /** Build an error with a stable code and a human message. */
  constructor(code: Code, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * Codes of {@linkcode DecodeError}.
 *
 * @example Catch a real decode error; `code` narrows to this union
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromHex } from "./bytes.ts";
 * let code: DecodeErrorCode | undefined;
 * try {
 *   fromHex("abc");
 * } catch (err) {
 *   if (err instanceof DecodeError) code = err.code;
 * }
 * assert.equal(code, "bad_hex");
 * ```
 */
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
export class DecodeError extends CoreError<DecodeErrorCode> {}

/**
 * Codes of {@linkcode VerifyError}.
 *
 * @example Catch a real verification error; `code` narrows to this union
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertSignature, publicKeyOf } from "./keys.ts";
 * let code: VerifyErrorCode | undefined;
 * try {
 *   assertSignature(publicKeyOf(new Uint8Array(32)), new Uint8Array([1]), new Uint8Array(64), "wallet");
 * } catch (err) {
 *   if (err instanceof VerifyError) code = err.code;
 * }
 * assert.equal(code, "bad_signature");
 * ```
 */
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
export class VerifyError extends CoreError<VerifyErrorCode> {}

/**
 * Codes of {@linkcode StakingError}.
 *
 * @example Catch a real staking error; `code` narrows to this union
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRESETS } from "./params.ts";
 * import { checkUnlock } from "./staking.ts";
 * let code: StakingErrorCode | undefined;
 * try {
 *   checkUnlock(PRESETS.devnet, { requirement: 1n, feeBasisPoints: 0, stakes: [] }, new Uint8Array(32), 0, null);
 * } catch (err) {
 *   if (err instanceof StakingError) code = err.code;
 * }
 * assert.equal(code, "not_funded");
 * ```
 */
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
export class StakingError extends CoreError<StakingErrorCode> {}

/**
 * Codes of {@linkcode LifecycleError}.
 *
 * @example Catch a real lifecycle error; `code` narrows to this union
 * ```ts
 * import assert from "node:assert/strict";
 * import { newLifecycle, nextState } from "./lifecycle.ts";
 * import { PRESETS } from "./params.ts";
 * let code: LifecycleErrorCode | undefined;
 * try {
 *   nextState(newLifecycle(10), { kind: "funded" }, 9, PRESETS.devnet);
 * } catch (err) {
 *   if (err instanceof LifecycleError) code = err.code;
 * }
 * assert.equal(code, "epoch_went_backwards");
 * ```
 */
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
export class LifecycleError extends CoreError<LifecycleErrorCode> {}

/**
 * Codes of {@linkcode KeystoreError}.
 *
 * @example Catch a real keystore error; `code` narrows to this union
 * ```ts
 * import assert from "node:assert/strict";
 * import { passphraseBytes } from "./keystore.ts";
 * let code: KeystoreErrorCode | undefined;
 * try {
 *   passphraseBytes("hunter2");
 * } catch (err) {
 *   if (err instanceof KeystoreError) code = err.code;
 * }
 * assert.equal(code, "passphrase_too_short");
 * ```
 */
export type KeystoreErrorCode =
  | "passphrase_too_short"
  | "wrong_passphrase"
  | "keystore_corrupt";

/**
 * A keystore that cannot be created or opened with the given passphrase
 * (keystore.md): the passphrase is too short to encrypt with, it is not the
 * one the keystore was made with, or the file was modified after encryption.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(new KeystoreError("wrong_passphrase", "try again").code, "wrong_passphrase");
 * ```
 */
export class KeystoreError extends CoreError<KeystoreErrorCode> {}

/**
 * Codes of {@linkcode RecoveryPhraseError}.
 *
 * @example Catch a real recovery-phrase error; `code` narrows to this union
 * ```ts
 * import assert from "node:assert/strict";
 * import { validatePhrase } from "./recovery.ts";
 * let code: RecoveryPhraseErrorCode | undefined;
 * try {
 *   validatePhrase("abandon ".repeat(24));
 * } catch (err) {
 *   if (err instanceof RecoveryPhraseError) code = err.code;
 * }
 * assert.equal(code, "bad_phrase_checksum");
 * ```
 */
export type RecoveryPhraseErrorCode =
  | "bad_phrase_length"
  | "bad_phrase_word"
  | "bad_phrase_checksum";

/**
 * A recovery phrase that is not a valid 24-word BIP39 English mnemonic. For
 * `bad_phrase_word`, `position` is the 1-based index of the first unknown word
 * (the message names the word too).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const err = new RecoveryPhraseError("bad_phrase_word", "word 3 is not a BIP39 word", 3);
 * assert.equal(err.code, "bad_phrase_word");
 * assert.equal(err.position, 3);
 * ```
 */
export class RecoveryPhraseError extends CoreError<RecoveryPhraseErrorCode> {
  /** For `bad_phrase_word`: the 1-based position of the offending word. */
  readonly position: number | undefined;
  /** Build a recovery-phrase error. */
  constructor(
    code: RecoveryPhraseErrorCode,
    message: string,
    position?: number,
  ) {
    super(code, message);
    this.position = position;
  }
}
