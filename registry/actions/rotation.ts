/**
 * A registry signing-key rotation, announced in the next list: the record
 * (old key, new key, the new key's signature proving possession) waits for
 * the tick, which puts it in the list header's extensions; that list is
 * still signed by the old key (its consent), and the next one by the new
 * key. One rotation at a time.
 *
 * @module
 */

import { RegistryError } from "../api/errors.ts";
import { toHex } from "../core/bytes.ts";
import { encodeKeyRotationPayload } from "../core/inputs.ts";
import { type KeyRotation, verifyKeyRotation } from "../core/nodelist.ts";
import type { ActionContext } from "./context.ts";

/** Keep a rotation for the next tick. */
export async function recordRotation(
  ctx: ActionContext,
  rotation: KeyRotation,
): Promise<void> {
  if (!verifyKeyRotation(ctx.params.id, rotation)) {
    throw new RegistryError(
      "bad_request",
      `the rotation to ${
        toHex(rotation.newKey)
      } does not carry a valid signature by the new key`,
    );
  }
  if ((await ctx.tx.epochs.pendingRotation()) !== undefined) {
    throw new RegistryError(
      "bad_request",
      "a key rotation is already waiting for the next list",
    );
  }
  await ctx.tx.epochs.setPendingRotation(encodeKeyRotationPayload(rotation));
}
