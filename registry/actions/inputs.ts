/**
 * The epoch's inputs, applied and recorded: every change to the registry's
 * state enters through one of these, which runs the use case and appends
 * the input (its bytes and `ctx.now`) to the epoch in progress in the same
 * transaction. The tick (`tick.ts`) closes the epoch's inputs into a
 * document whose hash goes into the list header. A witness re-executing an
 * epoch calls {@linkcode applyInput} with each entry of the registry's
 * document, so both run the very same code from the very same bytes.
 *
 * Each input is applied from its encoded payload (decoded here), never from
 * what produced it, so what is recorded is exactly what was applied.
 *
 * @module
 */

import type { SubmitResultView } from "../api/views.ts";
import { fromHex, toHex } from "../core/bytes.ts";
import {
  decodeGenesisPayload,
  decodeKeyRotationPayload,
  decodeReachabilityPayload,
  encodeReachabilityPayload,
  type InputEntry,
  MAX_REACHABILITY_DETAIL,
} from "../core/inputs.ts";
import {
  checkTimestamp,
  decodeMessage,
  type SignedMessage,
} from "../core/messages.ts";
import { RegistryError } from "../api/errors.ts";
import type { ActionContext } from "./context.ts";
import { nowSeconds } from "./context.ts";
import { initialise } from "./initialise.ts";
import {
  type ReachabilityResult,
  recordReachability,
} from "./record_reachability.ts";
import { recordRotation } from "./rotation.ts";
import { submit } from "./submit.ts";
import { tick, type TickSummary } from "./tick.ts";

type Recorded = Exclude<InputEntry["kind"], "tick">;

async function record(
  ctx: ActionContext,
  kind: Recorded,
  payload: Uint8Array,
): Promise<void> {
  await ctx.tx.epochs.appendInput({
    epoch: ctx.epoch,
    kind,
    atMs: ctx.now,
    payload,
  });
}

/** Set up a new database with its genesis allocations (epoch 0). */
export async function applyGenesis(
  ctx: ActionContext,
  payload: Uint8Array,
): Promise<void> {
  const credits = decodeGenesisPayload(payload);
  const created = await initialise(
    ctx,
    credits.map((c) => ({ wallet: toHex(c.wallet), amount: c.amount })),
  );
  if (!created) {
    throw new RegistryError(
      "bad_request",
      "genesis applies to a new database only",
    );
  }
  await record(ctx, "genesis", payload);
}

/**
 * Apply a signed write: verify it (unless the caller already decoded and
 * verified these bytes), check its timestamp against `ctx.now`, apply it.
 */
export async function applyWrite(
  ctx: ActionContext,
  payload: Uint8Array,
  verified?: SignedMessage,
): Promise<SubmitResultView> {
  const msg = verified ?? decodeMessage(payload, ctx.params.id);
  checkTimestamp(
    msg.body,
    nowSeconds(ctx),
    ctx.params.clockToleranceSeconds,
  );
  const result = await submit(ctx, msg);
  await record(ctx, "write", payload);
  return result;
}

/**
 * The input payload of a round of reachability results: details cut to
 * 1,024 bytes and latencies rounded to whole milliseconds first.
 */
export function reachabilityInput(
  results: readonly ReachabilityResult[],
): Uint8Array {
  return encodeReachabilityPayload(results.map((r) => ({
    node: fromHex(r.node, 32),
    address: wellFormed(r.address, 255),
    ok: r.ok,
    detail: wellFormed(r.detail, MAX_REACHABILITY_DETAIL),
    latencyMs: r.latencyMs === null || !Number.isFinite(r.latencyMs)
      ? null
      : Math.min(0xfffffffe, Math.max(0, Math.round(r.latencyMs))),
  })));
}

/** `text` as well-formed UTF-16 of at most `maxBytes` UTF-8 bytes. */
function wellFormed(text: string, maxBytes: number): string {
  let out = text.toWellFormed();
  const encoder = new TextEncoder();
  while (encoder.encode(out).length > maxBytes) {
    out = out.slice(0, Math.max(0, out.length - 16)).toWellFormed();
  }
  return out;
}

/** Apply the registry's reachability observations. */
export async function applyReachability(
  ctx: ActionContext,
  payload: Uint8Array,
): Promise<void> {
  const results = decodeReachabilityPayload(payload).map((r) => ({
    node: toHex(r.node),
    address: r.address,
    ok: r.ok,
    detail: r.detail,
    latencyMs: r.latencyMs,
  }));
  await recordReachability(ctx, results);
  await record(ctx, "reachability", payload);
}

/** Announce a key rotation in the list closing this epoch. */
export async function applyKeyRotation(
  ctx: ActionContext,
  payload: Uint8Array,
): Promise<void> {
  await recordRotation(ctx, decodeKeyRotationPayload(payload));
  await record(ctx, "key_rotation", payload);
}

/** Apply one entry of an inputs document (what a re-execution does). */
export async function applyInput(
  ctx: ActionContext,
  entry: InputEntry,
): Promise<TickSummary | SubmitResultView | undefined> {
  switch (entry.kind) {
    case "genesis":
      await applyGenesis(ctx, entry.payload);
      return undefined;
    case "write":
      return await applyWrite(ctx, entry.payload);
    case "reachability":
      await applyReachability(ctx, entry.payload);
      return undefined;
    case "key_rotation":
      await applyKeyRotation(ctx, entry.payload);
      return undefined;
    case "tick":
      return await tick(ctx);
  }
}
