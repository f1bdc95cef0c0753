/**
 * Strict Ed25519 verification at WebCrypto's speed: the same answers as
 * core's `verify` (RFC 8032 with canonical S, canonical R and A encodings,
 * small-order keys refused, the cofactored equation), with the group
 * equation checked by `crypto.subtle.verify("Ed25519")` - measured 7-20
 * times faster here than @noble's (bench/RESULTS.md).
 *
 * How the answers stay identical (core `keys.ts`, `classifyPublicKey`):
 *
 * 1. `isStrictSignatureEncoding` refuses what `verify` refuses on the
 *    signature's bytes alone (S >= L, a non-canonical R);
 * 2. the key is classified once and cached: an invalid or small-order key
 *    is refused; a key with a small-order component goes to `verify`;
 * 3. for a key of the prime-order subgroup, WebCrypto's acceptance implies
 *    `verify`'s; WebCrypto (cofactorless) may refuse an R carrying a
 *    small-order component that `verify` (cofactored) accepts, so a
 *    refusal is confirmed by `verify`.
 *
 * Honest signatures take the fast path only; a refused one costs what it
 * cost before (one `verify`). `signatures_test.ts` checks the two agree on
 * mutated and crafted signatures.
 *
 * @module
 */

import {
  classifyPublicKey,
  isStrictSignatureEncoding,
  verify,
} from "../core/keys.ts";
import { toHex } from "../core/bytes.ts";

interface KeyEntry {
  kind: "invalid" | "prime" | "mixed";
  webKey: Promise<CryptoKey> | null;
}

/** Keys remembered (a key is 32 bytes, its entry a few hundred). */
const KEY_CACHE_SIZE = 200_000;

/** Verifies signatures strictly, with WebCrypto doing the arithmetic. */
export class SignatureVerifier {
  readonly #keys = new Map<string, KeyEntry>();
  /** Signatures verified by WebCrypto alone, and by core's `verify`. */
  readonly counts = { fast: 0, slow: 0 };

  /** Whether `signature` by `publicKey` over `message` verifies strictly. */
  async verify(
    publicKey: Uint8Array,
    message: Uint8Array,
    signature: Uint8Array,
  ): Promise<boolean> {
    if (publicKey.length !== 32 || !isStrictSignatureEncoding(signature)) {
      return false;
    }
    const key = this.#key(publicKey);
    if (key.kind === "invalid") return false;
    if (key.webKey !== null) {
      try {
        const ok = await crypto.subtle.verify(
          "Ed25519",
          await key.webKey,
          signature as Uint8Array<ArrayBuffer>,
          message as Uint8Array<ArrayBuffer>,
        );
        if (ok) {
          this.counts.fast++;
          return true;
        }
      } catch {
        // Fall through to core's verify.
      }
    }
    this.counts.slow++;
    return verify(publicKey, message, signature);
  }

  #key(publicKey: Uint8Array): KeyEntry {
    const id = toHex(publicKey);
    let entry = this.#keys.get(id);
    if (entry === undefined) {
      const kind = classifyPublicKey(publicKey);
      entry = {
        kind,
        webKey: kind === "prime"
          ? crypto.subtle.importKey(
            "raw",
            publicKey.slice(),
            { name: "Ed25519" },
            false,
            ["verify"],
          )
          : null,
      };
      entry.webKey?.catch(() => {});
      if (this.#keys.size >= KEY_CACHE_SIZE) this.#keys.clear();
      this.#keys.set(id, entry);
    }
    return entry;
  }
}
