/**
 * Re-execute one epoch of a registry: apply each entry of its published
 * inputs document, with the document's settings and each entry's own time,
 * through the registry's own actions on another store, then compare the
 * list this produces with the registry's list byte for byte (all but the
 * co-signatures; the registry's signatures are carried over, since they
 * are checked separately). List N = f(state after N-1, inputs N): anything
 * the registry did that does not follow from the published inputs shows
 * here as a refused entry or a different list.
 *
 * Runs inside the caller's transaction, so a caller that decides on the
 * outcome (a witness) commits the replayed state and its decision together,
 * or neither.
 *
 * @module
 */

import { bytesEqual, toHex } from "../core/bytes.ts";
import { decodeEpochInputs, epochInputsHash } from "../core/inputs.ts";
import {
  type NodeListHeader,
  splitNodeList,
  withoutCosignatures,
} from "../core/nodelist.ts";
import { networkById, networkParams } from "../core/params.ts";
import type { Tables } from "../store/store.ts";
import { actionContext, type RegistrySettings } from "./context.ts";
import { applyInput } from "./inputs.ts";
import type { TickSummary } from "./tick.ts";

/** Why a re-execution did not reproduce the registry's list. */
export class ReplayMismatch extends Error {
  /**
   * `inputs_mismatch`: the document is not the one the list commits to;
   * `wrong_epoch`: the document is not for the epoch the store is at;
   * `rule_refused`: an entry the registry applied is refused by the rules;
   * `list_differs`: the rules produce another list.
   */
  readonly code:
    | "inputs_mismatch"
    | "wrong_epoch"
    | "rule_refused"
    | "list_differs";
  constructor(code: ReplayMismatch["code"], message: string) {
    super(message);
    this.name = "ReplayMismatch";
    this.code = code;
  }
}

/** What to re-execute. */
export interface ReplayInput {
  /** Network id. */
  network: number;
  /** The epoch's inputs document. */
  inputs: Uint8Array;
  /** The registry's list of that epoch (format v2). */
  list: Uint8Array;
}

/** A successful re-execution. */
export interface ReplayOutcome {
  /** The epoch re-executed. */
  epoch: number;
  /** The list's checkpoint hash (the registry's and the replay's). */
  checkpointHash: Uint8Array;
  /** The tick's summary on the replaying store. */
  summary: TickSummary;
}

/** Re-execute one epoch on `tx` and compare (see the module documentation). */
export async function replayEpoch(
  tx: Tables,
  input: ReplayInput,
): Promise<ReplayOutcome> {
  const registry = splitNodeList(input.list, input.network);
  const commitments = registry.header.commitments;
  if (registry.version !== 2 || commitments === undefined) {
    throw new ReplayMismatch(
      "inputs_mismatch",
      "only format v2 lists commit to their inputs",
    );
  }
  if (!bytesEqual(epochInputsHash(input.inputs), commitments.inputsHash)) {
    throw new ReplayMismatch(
      "inputs_mismatch",
      `the inputs document hashes to ${
        toHex(epochInputsHash(input.inputs))
      }, list ${registry.header.epoch} commits to ${
        toHex(commitments.inputsHash)
      }`,
    );
  }
  const doc = decodeEpochInputs(input.inputs, input.network);
  const epoch = Number(doc.epoch);
  if (doc.epoch !== registry.header.epoch) {
    throw new ReplayMismatch(
      "inputs_mismatch",
      `the inputs are for epoch ${doc.epoch}, the list for ${registry.header.epoch}`,
    );
  }
  const fresh = (await tx.meta.network()) === undefined;
  const at = fresh ? 0 : await tx.meta.epoch();
  if (at !== epoch) {
    throw new ReplayMismatch(
      "wrong_epoch",
      `the store is at epoch ${at}, the inputs are for epoch ${epoch}`,
    );
  }
  const s = doc.settings;
  const params = networkParams(networkById(input.network).name, {
    epochSeconds: s.epochSeconds,
  });
  const settings: RegistrySettings = {
    signingKeys: [],
    listSigner: () => registry.signatures,
    witnessKeys: [],
    snapshotRetention: 4,
    faucetLimit: s.faucetLimit,
    listRetention: 2160,
    // Storage choices, not rules: the registry's defaults.
    listSnapshotEvery: 32,
    eventRetention: 21_600,
    reachabilityFailureThreshold: s.reachabilityFailureThreshold,
    reachabilityEvidence: 10,
    allowPrivateAddresses: s.allowPrivateAddresses,
    minimumNodeVersion: s.minimumNodeVersion,
  };
  let summary: TickSummary | undefined;
  for (const [i, entry] of doc.entries.entries()) {
    const ctx = actionContext(tx, params, settings, epoch, entry.atMs);
    try {
      const result = await applyInput(ctx, entry);
      if (entry.kind === "tick") summary = result as TickSummary;
    } catch (e) {
      throw new ReplayMismatch(
        "rule_refused",
        `epoch ${epoch}, entry ${i} (${entry.kind} at ${entry.atMs} ms): the rules refuse what the registry applied: ${
          e instanceof Error ? e.message : String(e)
        }`,
      );
    }
  }
  const mine = await tx.lists.find(epoch);
  const theirs = withoutCosignatures(input.list, input.network);
  if (!mine || !bytesEqual(mine.bytes, theirs) || summary === undefined) {
    const replayed = mine
      ? splitNodeList(mine.bytes, input.network).header
      : undefined;
    throw new ReplayMismatch(
      "list_differs",
      `epoch ${epoch}: re-executing the published inputs gives another list${
        replayed ? ` (${differences(registry.header, replayed)})` : ""
      }`,
    );
  }
  return { epoch, checkpointHash: registry.id, summary };
}

/** Which header fields differ, for people. */
export function differences(a: NodeListHeader, b: NodeListHeader): string {
  const out: string[] = [];
  const cmp = (name: string, x: unknown, y: unknown) => {
    const show = (v: unknown) => v instanceof Uint8Array ? toHex(v) : String(v);
    if (show(x) !== show(y)) {
      out.push(`${name}: registry ${show(x)}, re-executed ${show(y)}`);
    }
  };
  cmp("prevHash", a.prevHash, b.prevHash);
  cmp("validAfter", a.validAfter, b.validAfter);
  cmp("freshUntil", a.freshUntil, b.freshUntil);
  cmp("validUntil", a.validUntil, b.validUntil);
  cmp("swarmSeed", a.swarmSeed, b.swarmSeed);
  cmp("inputsHash", a.commitments?.inputsHash, b.commitments?.inputsHash);
  cmp("stateHash", a.commitments?.stateHash, b.commitments?.stateHash);
  cmp(
    "extensions",
    a.commitments?.extensions.length,
    b.commitments?.extensions.length,
  );
  return out.length > 0 ? out.join("; ") : "the records differ";
}
