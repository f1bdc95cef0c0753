/**
 * Apply one signed message: replay protection by the signer's sequence
 * number, then the use case of its kind. The message arrives decoded and
 * verified (signatures, network, timestamp: see the registry facade), and a
 * refusal throws, so the transaction changes nothing.
 *
 * @module
 */

import { RegistryError } from "../api/errors.ts";
import type { SubmitResultView } from "../api/views.ts";
import { toHex } from "../core/bytes.ts";
import type { SignedMessage } from "../core/messages.ts";
import { contribute } from "./contribute.ts";
import type { ActionContext } from "./context.ts";
import { faucet } from "./faucet.ts";
import { registerNode } from "./register_node.ts";
import { unlock } from "./unlock.ts";
import { uptimeProof } from "./uptime_proof.ts";

/** Refuse a sequence number the signer already used; else record it. */
export async function consumeSequence(
  ctx: ActionContext,
  msg: SignedMessage,
): Promise<void> {
  const signer = toHex(msg.signer);
  if (!await ctx.tx.sequences.advanceIfHigher(signer, msg.body.sequence)) {
    const last = await ctx.tx.sequences.last(signer);
    throw new RegistryError(
      "replayed",
      `sequence ${msg.body.sequence} was already used: this signer's last accepted sequence is ${last}; sign with a higher one`,
    );
  }
}

/** Apply a verified message; returns what the API answers. */
export async function submit(
  ctx: ActionContext,
  msg: SignedMessage,
): Promise<SubmitResultView> {
  await consumeSequence(ctx, msg);
  const body = msg.body;
  const base = { id: msg.id, kind: body.kind, epoch: ctx.epoch };
  switch (body.kind) {
    case "register_node":
      return {
        ...base,
        node: toHex(body.nodePubkey),
        status: await registerNode(ctx, body),
      };
    case "contribute":
      return {
        ...base,
        node: toHex(body.nodePubkey),
        status: await contribute(ctx, body),
      };
    case "unlock_request":
      return {
        ...base,
        node: toHex(body.nodePubkey),
        status: await unlock(ctx, body),
      };
    case "uptime_proof":
      return {
        ...base,
        node: toHex(body.nodePubkey),
        status: await uptimeProof(ctx, body),
      };
    case "faucet_request":
      await faucet(ctx, body);
      return { ...base, node: null, status: null };
  }
}
