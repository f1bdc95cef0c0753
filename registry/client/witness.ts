/**
 * What a client does with witnesses: require co-signatures from k of the n
 * witness keys it pins on every list it accepts (with the registry's
 * signature), follow the registry's key rotations along the verified chain,
 * and compare what it was shown with what each witness co-signed - any two
 * validly signed lists for one epoch that differ become a portable
 * equivocation proof (core `findEquivocation`), checked offline by anyone.
 *
 * No `Deno.*` here: `fetch` is injected.
 *
 * @module
 */

import { toHex } from "../core/bytes.ts";
import { CoreError, VerifyError } from "../core/errors.ts";
import {
  decodeSignedCheckpoint,
  type EquivocationProof,
  findEquivocation,
  followKeyRotation,
  majorityThreshold,
  splitNodeList,
  verifyCosignatures,
  verifyNodeList,
} from "../core/nodelist.ts";
import { ClientError } from "./client_errors.ts";

/**
 * A pinned witness: its key, and where it serves its checkpoints (optional:
 * without a URL its co-signatures still count, but its view is not compared).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const w: PinnedWitness = { key: new Uint8Array(32), url: "http://127.0.0.1:9100" };
 * assert.equal(w.url, "http://127.0.0.1:9100");
 * ```
 */
export interface PinnedWitness {
  /** The witness's public key. */
  key: Uint8Array;
  /** Its base URL (`GET {url}/v1/checkpoints/{N}`). */
  url?: string;
}

/**
 * The co-signature threshold a client applies: `threshold` when given, else
 * a strict majority of the pinned witnesses (none pinned: 0).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(cosignatureThreshold(3), 2);
 * assert.equal(cosignatureThreshold(0), 0);
 * assert.equal(cosignatureThreshold(3, 3), 3);
 * ```
 */
export function cosignatureThreshold(
  pinned: number,
  threshold?: number,
): number {
  if (threshold !== undefined) return threshold;
  return pinned === 0 ? 0 : majorityThreshold(pinned);
}

/**
 * Require `threshold` valid co-signatures from the pinned witnesses on an
 * encoded list; returns the witnesses (hex) that co-signed.
 *
 * @throws {ClientError} `insufficient_cosignatures` (a v1 list when
 * witnesses are required counts as none); core errors for a malformed list.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { publicKeyOf } from "../core/keys.ts";
 * import { buildEncodedList } from "../core/nodelist.ts";
 * const commitments = { inputsHash: new Uint8Array(32), stateHash: new Uint8Array(32), extensions: [] };
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n, commitments };
 * const { bytes } = buildEncodedList(header, [], [new Uint8Array(32).fill(1)]);
 * assert.deepEqual(requireCosignatures(bytes, 3, [], 0), []);
 * const witness = publicKeyOf(new Uint8Array(32).fill(2));
 * assert.throws(() => requireCosignatures(bytes, 3, [witness], 1), { code: "insufficient_cosignatures" });
 * ```
 */
export function requireCosignatures(
  bytes: Uint8Array,
  network: number,
  witnessKeys: readonly Uint8Array[],
  threshold: number,
): string[] {
  if (threshold === 0) {
    if (splitNodeList(bytes, network).version === 1) return [];
  }
  try {
    return verifyCosignatures(bytes, witnessKeys, {
      expectedNetwork: network,
      threshold,
    }).signers.map(toHex);
  } catch (e) {
    if (
      e instanceof VerifyError && e.code === "insufficient_cosignatures" ||
      e instanceof CoreError && e.code === "unsupported_version"
    ) {
      const epoch = splitNodeList(bytes, network).header.epoch;
      throw new ClientError(
        "insufficient_cosignatures",
        `list ${epoch} carries valid co-signatures from fewer than ${threshold} of the ${witnessKeys.length} pinned witnesses (${e.message}); witnesses may not have co-signed it yet, or refused it`,
        { cause: e },
      );
    }
    throw e;
  }
}

/**
 * Follow the registry's key rotations from `keys`: each rotation list (from
 * the registry's index, oldest first) before `beforeEpoch` that verifies
 * under the keys followed so far moves them. A rotation list the keys do
 * not verify is skipped (it belongs to a chain of keys before them).
 *
 * @throws {VerifyError} `bad_rotation` for a rotation the trusted key signed
 * without the new key's proof.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const keys = [new Uint8Array(32).fill(1)];
 * assert.deepEqual(await followRotations(keys, [], async () => new Uint8Array(), 3), keys);
 * ```
 */
export async function followRotations(
  keys: readonly Uint8Array[],
  rotations: readonly { epoch: number }[],
  fetchList: (epoch: number) => Promise<Uint8Array>,
  network: number,
  options: { beforeEpoch?: number; threshold?: number } = {},
): Promise<Uint8Array[]> {
  let current = [...keys];
  for (const r of [...rotations].sort((a, b) => a.epoch - b.epoch)) {
    if (options.beforeEpoch !== undefined && r.epoch >= options.beforeEpoch) {
      break;
    }
    let list;
    try {
      list = verifyNodeList(await fetchList(r.epoch), current, {
        expectedNetwork: network,
        ...(options.threshold === undefined
          ? {}
          : { threshold: options.threshold }),
      }).list;
    } catch (e) {
      if (e instanceof CoreError) continue;
      throw e;
    }
    current = followKeyRotation(list, current);
  }
  return current;
}

/**
 * What comparing a list with the witnesses' checkpoints found.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const c: WitnessComparison = { agreed: [], missing: [], failed: [], proofs: [] };
 * assert.equal(c.proofs.length, 0);
 * ```
 */
export interface WitnessComparison {
  /** Witnesses (hex keys) that co-signed this very list. */
  agreed: string[];
  /** Witnesses with no checkpoint for this epoch (not co-signed yet, or refused). */
  missing: string[];
  /** Witnesses that could not be asked, with why. */
  failed: { witness: string; error: string }[];
  /** Equivocation proofs: another validly signed list for the same epoch. */
  proofs: EquivocationProof[];
}

/**
 * Ask each pinned witness with a URL for its checkpoint of the list's epoch
 * and compare: the same checkpoint hash is agreement; another checkpoint
 * signed by a registry key the client trusts (or co-signed by a witness key
 * that also co-signed this list) is an equivocation, returned as a proof.
 *
 * @example No witness URL, nothing to compare
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildEncodedList } from "../core/nodelist.ts";
 * const commitments = { inputsHash: new Uint8Array(32), stateHash: new Uint8Array(32), extensions: [] };
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n, commitments };
 * const { bytes } = buildEncodedList(header, [], [new Uint8Array(32).fill(1)]);
 * const c = await compareWithWitnesses(bytes, 3, [{ key: new Uint8Array(32) }], []);
 * assert.deepEqual(c.proofs, []);
 * ```
 */
export async function compareWithWitnesses(
  bytes: Uint8Array,
  network: number,
  witnesses: readonly PinnedWitness[],
  registryKeys: readonly Uint8Array[],
  options: { fetch?: typeof fetch; timeoutMs?: number } = {},
): Promise<WitnessComparison> {
  const doFetch = options.fetch ?? fetch;
  const sections = splitNodeList(bytes, network);
  const epoch = sections.header.epoch;
  const out: WitnessComparison = {
    agreed: [],
    missing: [],
    failed: [],
    proofs: [],
  };
  await Promise.all(witnesses.map(async (w) => {
    if (w.url === undefined) return;
    const who = toHex(w.key);
    let checkpoint: Uint8Array;
    try {
      const res = await doFetch(
        `${w.url.replace(/\/+$/, "")}/v1/checkpoints/${epoch}`,
        {
          headers: { accept: "application/octet-stream" },
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        },
      );
      if (res.status === 404) {
        await res.body?.cancel();
        out.missing.push(who);
        return;
      }
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      checkpoint = new Uint8Array(await res.arrayBuffer());
      const c = decodeSignedCheckpoint(checkpoint, network);
      if (toHex(c.id) === toHex(sections.id)) {
        out.agreed.push(who);
        return;
      }
    } catch (e) {
      out.failed.push({
        witness: who,
        error: e instanceof Error ? e.message : String(e),
      });
      return;
    }
    const proof = findEquivocation(bytes, checkpoint, network, {
      registryKeys,
      witnessKeys: witnesses.map((x) => x.key),
    });
    if (proof) out.proofs.push(proof);
    else {
      out.failed.push({
        witness: who,
        error:
          `its checkpoint for epoch ${epoch} differs, but no trusted key signed both`,
      });
    }
  }));
  return out;
}

/**
 * The error a client raises for an equivocation: `equivocation`, carrying
 * the proof.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const proof = { network: 3, epoch: 5n, role: "registry" as const, signer: new Uint8Array(32),
 *   sides: [{ checkpoint: new Uint8Array(0), signature: new Uint8Array(64) }, { checkpoint: new Uint8Array(0), signature: new Uint8Array(64) }] as const };
 * const e = equivocationError({ ...proof, sides: [...proof.sides] as [typeof proof.sides[0], typeof proof.sides[1]] }, "http://r");
 * assert.equal(e.code, "equivocation");
 * assert.equal(e.proof?.epoch, 5n);
 * ```
 */
export function equivocationError(
  proof: EquivocationProof,
  source: string,
): ClientError {
  return new ClientError(
    "equivocation",
    `equivocation: the ${proof.role} key ${
      toHex(proof.signer)
    } signed two different lists for epoch ${proof.epoch}; a split view - the proof is portable (check it offline with snode list check-proof)`,
    { source, proof },
  );
}
