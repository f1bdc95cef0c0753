/**
 * Attach a witness's co-signature to a published v2 list. The witness must
 * be one of the registry's configured witnesses and its signature must
 * cover the list's checkpoint hash; the list's identity does not change,
 * only its co-signatures section (and so its bytes and ETag). A witness
 * posting again for the same list is answered as before (its first
 * co-signature stays).
 *
 * @module
 */

import { RegistryError } from "../api/errors.ts";
import { bytesEqual, toHex } from "../core/bytes.ts";
import { VerifyError } from "../core/errors.ts";
import {
  type Cosignature,
  keyIdOf,
  splitNodeList,
  verifyCosignature,
  withCosignature,
} from "../core/nodelist.ts";
import type { ActionContext } from "./context.ts";

/** A co-signature as a witness posts it. */
export interface CosignatureInput {
  /** The list's epoch. */
  epoch: number;
  /** The witness's public key. */
  witnessKey: Uint8Array;
  /** Unix seconds in the co-signature. */
  time: bigint;
  /** 64 bytes. */
  signature: Uint8Array;
  /** The checkpoint hash the witness signed, when it says (a clearer refusal). */
  checkpointHash?: Uint8Array;
}

/** What attaching did. */
export interface CosignatureResult {
  epoch: number;
  /** Hex. */
  checkpointHash: string;
  /** Co-signatures the list carries now. */
  cosignatures: number;
  /** Whether this one was new. */
  added: boolean;
}

/** Verify and attach a co-signature. */
export async function attachCosignature(
  ctx: ActionContext,
  input: CosignatureInput,
): Promise<CosignatureResult> {
  const witness = toHex(input.witnessKey);
  if (!ctx.settings.witnessKeys.some((k) => bytesEqual(k, input.witnessKey))) {
    throw new RegistryError(
      "unknown_witness",
      `${witness} is not one of this registry's witnesses`,
    );
  }
  const stored = await ctx.tx.lists.find(input.epoch);
  if (!stored) {
    throw new RegistryError(
      "unknown_list",
      `no list for epoch ${input.epoch} is kept`,
    );
  }
  const sections = splitNodeList(stored.bytes, ctx.params.id);
  if (sections.version !== 2) {
    throw new RegistryError(
      "bad_request",
      `list ${input.epoch} is a format v1 list: it cannot be co-signed`,
    );
  }
  const checkpointHash = toHex(sections.id);
  if (
    input.checkpointHash !== undefined &&
    !bytesEqual(input.checkpointHash, sections.id)
  ) {
    throw new RegistryError(
      "checkpoint_mismatch",
      `witness ${witness} co-signed checkpoint ${
        toHex(input.checkpointHash)
      } for epoch ${input.epoch}, but this registry's list ${input.epoch} is ${checkpointHash}`,
    );
  }
  const cosignature: Cosignature = {
    keyId: keyIdOf(input.witnessKey),
    time: input.time,
    signature: input.signature,
  };
  if (!verifyCosignature(input.witnessKey, sections.id, cosignature)) {
    throw new VerifyError(
      "bad_signature",
      `the co-signature by ${witness} does not verify over list ${input.epoch}'s checkpoint ${checkpointHash}`,
    );
  }
  const existing = sections.cosignatures.some((c) =>
    bytesEqual(c.keyId, cosignature.keyId)
  );
  if (existing) {
    return {
      epoch: input.epoch,
      checkpointHash,
      cosignatures: sections.cosignatures.length,
      added: false,
    };
  }
  const bytes = withCosignature(stored.bytes, ctx.params.id, cosignature);
  const count = sections.cosignatures.length + 1;
  await ctx.tx.lists.updateCosigned(input.epoch, bytes, count);
  // Processes holding the list in memory (http/latest_list.ts), here and on
  // a shared database, replace it on this event.
  await ctx.emit("list_cosigned", null, [], {
    epoch: input.epoch,
    witness,
    cosignatures: count,
  });
  return {
    epoch: input.epoch,
    checkpointHash,
    cosignatures: count,
    added: true,
  };
}
