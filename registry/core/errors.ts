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
 * @example Report any core error by its code; let other errors through
 * ```ts
 * import assert from "node:assert/strict";
 * import { passphraseBytes } from "./keystore.ts";
 * import { parseCoins } from "./params.ts";
 * function attempt(f: () => unknown): string {
 *   try {
 *     f();
 *     return "ok";
 *   } catch (err) {
 *     if (err instanceof CoreError) return `${err.name}: ${err.code}`;
 *     throw err; // a bug, not bad input
 *   }
 * }
 * assert.equal(attempt(() => parseCoins("12.5")), "ok");
 * assert.equal(attempt(() => parseCoins("1e3")), "DecodeError: out_of_range");
 * assert.equal(attempt(() => passphraseBytes("hunter2")), "KeystoreError: passphrase_too_short");
 * assert.throws(() => attempt(() => JSON.parse("{")), SyntaxError);
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
 * @example Tell an incomplete download from a list of another network
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildEncodedList, decodeNodeList } from "./nodelist.ts";
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n };
 * const key = new Uint8Array(32).fill(1);
 * function read(bytes: Uint8Array): string {
 *   try {
 *     return `list ${decodeNodeList(bytes, 3).header.epoch}`;
 *   } catch (err) {
 *     if (!(err instanceof DecodeError)) throw err;
 *     switch (err.code) {
 *       case "truncated":
 *         return "incomplete, download again";
 *       case "wrong_network":
 *         return "that registry serves another network";
 *       default:
 *         return `not a node list (${err.code})`;
 *     }
 *   }
 * }
 * const { bytes } = buildEncodedList(header, [], [key]);
 * assert.equal(read(bytes), "list 1");
 * assert.equal(read(bytes.subarray(0, 40)), "incomplete, download again");
 * assert.equal(read(buildEncodedList({ ...header, network: 1 }, [], [key]).bytes), "that registry serves another network");
 * assert.equal(read(bytes.subarray(1)), "not a node list (bad_magic)");
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
  | "not_yet_valid"
  | "insufficient_cosignatures"
  | "bad_rotation"
  | "not_equivocation";

/**
 * Well-formed data that fails a cryptographic or freshness check.
 *
 * @example Decide what to do with a list that fails verification
 * ```ts
 * import assert from "node:assert/strict";
 * import { publicKeyOf } from "./keys.ts";
 * import { buildSignedList, checkFreshness, type NodeList, verifyNodeList } from "./nodelist.ts";
 * const registryKeys = [1, 2, 3].map((i) => new Uint8Array(32).fill(i));
 * const trusted = registryKeys.map(publicKeyOf);
 * const header = { network: 3, epoch: 1n, validAfter: 1000n, freshUntil: 2000n, validUntil: 5000n, prevHash: new Uint8Array(32), swarmSeed: 0n };
 * function accept(list: NodeList, now: number): string {
 *   try {
 *     verifyNodeList(list, trusted);
 *     checkFreshness(list.header, now);
 *     return "use it";
 *   } catch (err) {
 *     if (!(err instanceof VerifyError)) throw err;
 *     return err.code === "insufficient_signatures" ? "ask another registry" : `refuse it (${err.code})`;
 *   }
 * }
 * assert.equal(accept(buildSignedList(header, [], registryKeys.slice(0, 2)), 1500), "use it");
 * assert.equal(accept(buildSignedList(header, [], registryKeys.slice(0, 1)), 1500), "ask another registry");
 * assert.equal(accept(buildSignedList(header, [], registryKeys), 6000), "refuse it (expired)");
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
 * @example Turn a refused contribution into advice for the contributor
 * ```ts
 * import assert from "node:assert/strict";
 * import { ATOMIC_PER_COIN, formatCoins, PRESETS } from "./params.ts";
 * import { applyContribution, fundingState, type NodeStakes } from "./staking.ts";
 * const p = PRESETS.devnet;
 * const node: NodeStakes = { requirement: p.stakingRequirement, feeBasisPoints: 0, stakes: [
 *   { wallet: new Uint8Array(32).fill(1), amount: p.operatorMinimum, reserved: 0n, sinceEpoch: 0 }] };
 * function contribute(coins: bigint): string {
 *   try {
 *     applyContribution(p, node, new Uint8Array(32).fill(2), coins * ATOMIC_PER_COIN, 1);
 *     return "accepted";
 *   } catch (err) {
 *     if (!(err instanceof StakingError)) throw err;
 *     const { minContribution, maxContribution } = fundingState(p, node);
 *     switch (err.code) {
 *       case "contribution_too_small":
 *         return `send at least ${formatCoins(minContribution)} coins`;
 *       case "contribution_too_large":
 *         return `send at most ${formatCoins(maxContribution)} coins`;
 *       default:
 *         return err.message;
 *     }
 *   }
 * }
 * assert.equal(contribute(40n), "accepted");
 * assert.equal(contribute(1n), "send at least 10 coins");
 * assert.equal(contribute(1_000n), "send at most 90.9 coins");
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
 * @example Ignore an uptime proof that comes too soon, as upstream does
 * ```ts
 * import assert from "node:assert/strict";
 * import { newLifecycle, type NodeLifecycle, nextState } from "./lifecycle.ts";
 * import { PRESETS } from "./params.ts";
 * const p = PRESETS.devnet;
 * function onProof(node: NodeLifecycle, epoch: number): NodeLifecycle {
 *   try {
 *     return nextState(node, { kind: "proof" }, epoch, p);
 *   } catch (err) {
 *     if (err instanceof LifecycleError && err.code === "proof_too_soon") return node;
 *     throw err; // any other refusal is a caller bug
 *   }
 * }
 * const proved = onProof(nextState(newLifecycle(0), { kind: "funded" }, 0, p), 1);
 * assert.equal(onProof(proved, 1 + p.proofMinSpacingEpochs - 1), proved);
 * assert.equal(onProof(proved, 1 + p.proofMinSpacingEpochs).lastProofEpoch, 1 + p.proofMinSpacingEpochs);
 * const exited = nextState(newLifecycle(0), { kind: "cancelled" }, 0, p);
 * assert.throws(() => onProof(exited, 5), { code: "invalid_transition" });
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
 * @example Tell a mistyped passphrase from a damaged file
 * ```ts
 * import assert from "node:assert/strict";
 * import { decryptKeystore, encryptKeystore } from "./keystore.ts";
 * const ks = encryptKeystore({
 *   secretKey: new Uint8Array(32).fill(1), kind: "node", passphrase: "correct horse battery",
 *   salt: new Uint8Array(32), nonce: new Uint8Array(24), kdf: { n: 2 ** 10, r: 8, p: 1 },
 * });
 * function unlock(file: unknown, passphrase: string): string {
 *   try {
 *     return `opened the ${decryptKeystore(file, passphrase).kind} key`;
 *   } catch (err) {
 *     if (!(err instanceof KeystoreError)) throw err;
 *     return err.code === "wrong_passphrase" ? "wrong passphrase, try again" : "the file is damaged: use a backup";
 *   }
 * }
 * assert.equal(unlock(ks, "correct horse battery"), "opened the node key");
 * assert.equal(unlock(ks, "correct horse staple"), "wrong passphrase, try again");
 * const cipher = { ...ks.crypto.cipher, params: { nonce: "00".repeat(23) + "01" } };
 * const damaged = { ...ks, crypto: { ...ks.crypto, cipher } };
 * assert.equal(unlock(damaged, "correct horse battery"), "the file is damaged: use a backup");
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
 * @example Point the user at the word to fix
 * ```ts
 * import assert from "node:assert/strict";
 * import { phraseFromEntropy, validatePhrase } from "./recovery.ts";
 * const words = phraseFromEntropy(new Uint8Array(32).fill(7)).split(" ");
 * function check(phrase: string): string {
 *   try {
 *     validatePhrase(phrase);
 *     return "ok";
 *   } catch (err) {
 *     if (!(err instanceof RecoveryPhraseError)) throw err;
 *     return err.code === "bad_phrase_word" ? `check word ${err.position}` : err.code;
 *   }
 * }
 * assert.equal(check(words.join(" ")), "ok");
 * assert.equal(check(words.map((w, i) => (i === 2 ? "abandn" : w)).join(" ")), "check word 3");
 * assert.equal(check(words.slice(1).join(" ")), "bad_phrase_length");
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
