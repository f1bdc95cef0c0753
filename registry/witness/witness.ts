/**
 * A witness: an independent process with its own key and its own store that
 * follows one registry, re-executes each epoch's published inputs with the
 * registry's own rules, and co-signs list N's checkpoint only if
 *
 * 1. list N is a v2 list for the network, validly signed by the registry
 *    key(s) it follows (pinned at first start, then moved only by key
 *    rotations it verified along the chain);
 * 2. it extends the last list the witness accepted (its `prevHash` is that
 *    list's checkpoint hash), so the witness never co-signs a fork;
 * 3. the epoch's inputs document is the one the list commits to, and
 *    re-executing it on the witness's own state gives the same list byte
 *    for byte (records, inputs hash, state commitment, everything);
 * 4. a key rotation it announces is signed by the key it replaces and by
 *    the new key;
 * 5. it has not decided anything else for that epoch, ever.
 *
 * The replayed state and the decision (with the co-signature itself) are
 * committed in one transaction, synced to disk, before the co-signature is
 * posted to the registry: after a crash the witness posts the same
 * co-signature again and never makes another for that epoch (C2SP
 * tlog-witness's atomic check-and-persist). A list that fails a check stops
 * the witness (it cannot extend a history it refused); two lists signed by
 * one key for one epoch become an equivocation proof it keeps and serves.
 *
 * @module
 */

import { bytesEqual, fromHex, toHex } from "../core/bytes.ts";
import { CoreError } from "../core/errors.ts";
import { epochInputsHash } from "../core/inputs.ts";
import { publicKeyOf } from "../core/keys.ts";
import {
  encodeSignedCheckpoint,
  type EquivocationProof,
  equivocationProofToJson,
  findEquivocation,
  followKeyRotation,
  majorityThreshold,
  signCosignature,
  splitNodeList,
  verifyNodeList,
  withoutCosignatures,
} from "../core/nodelist.ts";
import { networkById } from "../core/params.ts";
import { stateHash } from "../core/state.ts";
import { replayEpoch, ReplayMismatch } from "../actions/replay.ts";
import { loadSnapshot } from "../actions/state_commitment.ts";
import type { Decision } from "../store/witness.ts";
import type { Store } from "../store/store.ts";
import { type RegistrySources, SourceError } from "./source.ts";

/** Where a witness logs. */
export type WitnessLog = (
  level: "debug" | "info" | "warn" | "error",
  msg: string,
  fields?: Record<string, unknown>,
) => void;

/** How to open a witness. */
export interface WitnessOptions {
  /** Its own store, open and migrated (it holds the replayed registry state too). */
  store: Store;
  /** The network id it follows. */
  network: number;
  /** The witness's co-signing secret key. */
  secretKey: Uint8Array;
  /** The registry key(s) pinned at first start. */
  registryKeys: readonly Uint8Array[];
  /** Registry signatures needed from the keys followed. Default a strict majority. */
  registryThreshold?: number;
  /** The registry, or its mirrors. */
  sources: RegistrySources;
  /** Unix milliseconds. */
  clock: () => number;
  /** Where to log. */
  log: WitnessLog;
  /** Testing: wait this long between deciding and posting (a crash window). */
  pauseAfterDecideMs?: number;
  /** Testing: pause only after deciding this epoch. */
  pauseEpoch?: number;
}

/** Why a witness stopped co-signing. */
export interface Halt {
  /** The epoch it refused. */
  epoch: number;
  /** A stable code: `replay_mismatch`, `bad_signature`, `chain_broken`, `equivocation`, `bad_rotation`, `malformed`, `v1_list`. */
  code: string;
  /** For people. */
  reason: string;
  /** Unix seconds. */
  at: number;
}

/** What a witness reports about itself. */
export interface WitnessStatus {
  witnessKey: string;
  network: string;
  registries: readonly string[];
  /** The registry keys it follows now, hex. */
  registryKeys: string[];
  /** Its latest co-signed checkpoint. */
  latest: { epoch: number; checkpointHash: string; cosignedAt: number } | null;
  /** How it started: `genesis` or `snapshot <epoch>`. */
  startedFrom: string | null;
  /** Why it stopped co-signing, if it did. */
  halted: Halt | null;
  /** Equivocation proofs it holds. */
  proofs: number;
}

const FACT_KEYS = "registry_keys";
const FACT_START = "started_from";
const FACT_HALT = "halted";

/** One witness over its store. */
export class Witness {
  readonly publicKey: Uint8Array;
  readonly network: number;
  readonly sources: RegistrySources;
  readonly #o: WitnessOptions;
  readonly #store: Store;
  /** Decisions whose co-signature still has to reach the registry. */
  readonly #unposted = new Set<number>();

  private constructor(o: WitnessOptions) {
    this.#o = o;
    this.#store = o.store;
    this.network = o.network;
    this.sources = o.sources;
    this.publicKey = publicKeyOf(o.secretKey);
  }

  /**
   * Open a witness on its store: the registry keys it follows are pinned on
   * the first open; decisions not known to have reached the registry (the
   * newest few, after a restart) are posted again.
   */
  static async open(o: WitnessOptions): Promise<Witness> {
    const w = new Witness(o);
    const read = o.store.read.witness;
    if ((await read.fact(FACT_KEYS)) === undefined) {
      await o.store.transaction((tx) =>
        tx.witness.setFact(FACT_KEYS, o.registryKeys.map(toHex).join(","))
      );
    }
    const latest = await read.latestDecision();
    if (latest) {
      for (let e = Math.max(0, latest.epoch - 2); e <= latest.epoch; e++) {
        if (await read.decision(e)) w.#unposted.add(e);
      }
    }
    return w;
  }

  /** The registry keys followed now. */
  async registryKeys(): Promise<Uint8Array[]> {
    const text = await this.#store.read.witness.fact(FACT_KEYS) ?? "";
    return text.split(",").filter((h) => h !== "").map((h) => fromHex(h, 32));
  }

  /** Why it stopped co-signing, or null. */
  async halted(): Promise<Halt | null> {
    const text = await this.#store.read.witness.fact(FACT_HALT);
    return text === undefined ? null : JSON.parse(text) as Halt;
  }

  /** Its latest decision, or the one for `epoch`. */
  checkpoint(epoch?: number): Promise<Decision | undefined> {
    const w = this.#store.read.witness;
    return epoch === undefined ? w.latestDecision() : w.decision(epoch);
  }

  /** The equivocation proofs it found, as JSON. */
  async proofs(): Promise<unknown[]> {
    return (await this.#store.read.witness.proofs()).map((p) =>
      JSON.parse(p.proof)
    );
  }

  /** What it reports about itself. */
  async status(): Promise<WitnessStatus> {
    const latest = await this.checkpoint();
    return {
      witnessKey: toHex(this.publicKey),
      network: networkById(this.network).name,
      registries: this.sources.urls,
      registryKeys: (await this.registryKeys()).map(toHex),
      latest: latest
        ? {
          epoch: latest.epoch,
          checkpointHash: latest.checkpointHash,
          cosignedAt: latest.cosignedAt,
        }
        : null,
      startedFrom: await this.#store.read.witness.fact(FACT_START) ?? null,
      halted: await this.halted(),
      proofs: (await this.#store.read.witness.proofs()).length,
    };
  }

  /**
   * Prepare a fresh store: replay from genesis (`genesis`, the registry must
   * still keep list 0 and its inputs), or start from the newest state
   * snapshot checked against its signed list (`snapshot`); `auto` tries
   * genesis first. A store already started is left as it is.
   */
  async start(mode: "genesis" | "snapshot" | "auto"): Promise<string> {
    const started = await this.#store.read.witness.fact(FACT_START);
    if (started !== undefined) return started;
    if (mode !== "snapshot") {
      try {
        const list = await this.sources.list(0);
        await this.sources.inputs(0);
        if (splitNodeList(list, this.network).version === 2) {
          await this.#store.transaction((tx) =>
            tx.witness.setFact(FACT_START, "genesis")
          );
          return "genesis";
        }
      } catch (e) {
        if (mode === "genesis") throw e;
      }
      if (mode === "genesis") {
        throw new Error(
          "list 0 is not a format v2 list: re-execution from genesis is impossible; start from a snapshot",
        );
      }
    }
    return await this.#startFromSnapshot();
  }

  async #startFromSnapshot(): Promise<string> {
    const snap = await this.sources.latestSnapshot();
    const list = await this.sources.list(snap.epoch);
    const inputs = await this.sources.inputs(snap.epoch);
    const keys = await this.#keysAt(snap.epoch);
    const v = verifyNodeList(list, keys, {
      expectedNetwork: this.network,
      threshold: this.#threshold(keys),
    });
    const c = v.list.header.commitments;
    if (
      c === undefined || !bytesEqual(c.stateHash, stateHash(snap.bytes)) ||
      !bytesEqual(c.inputsHash, epochInputsHash(inputs))
    ) {
      throw new Error(
        `the snapshot or inputs of epoch ${snap.epoch} are not the ones its signed list commits to`,
      );
    }
    const what = `snapshot ${snap.epoch}`;
    const plain = withoutCosignatures(list, this.network);
    await this.#store.transaction(async (tx) => {
      await loadSnapshot(tx, snap.bytes, this.network);
      await tx.meta.initialise(networkById(this.network).name);
      await tx.meta.setEpoch(snap.epoch + 1);
      await tx.lists.insert({
        epoch: snap.epoch,
        hash: toHex(v.bodyHash),
        prevHash: toHex(v.list.header.prevHash),
        publishedAt: Number(v.list.header.validAfter),
        nodeCount: v.list.records.length,
        bytes: plain,
      });
      await tx.epochs.insertDocument({
        epoch: snap.epoch,
        hash: toHex(epochInputsHash(inputs)),
        bytes: inputs,
      });
      await tx.witness.setFact(
        FACT_KEYS,
        followKeyRotation(v.list, keys).map(toHex).join(","),
      );
      await tx.witness.setFact(FACT_START, what);
    });
    this.#o.log("info", "started from a state snapshot", {
      epoch: snap.epoch,
      stateHash: toHex(stateHash(snap.bytes)),
    });
    return what;
  }

  /** The keys followed, moved along the rotations announced up to `epoch`. */
  async #keysAt(epoch: number): Promise<Uint8Array[]> {
    let keys = await this.registryKeys();
    for (const r of await this.sources.rotations()) {
      if (r.epoch >= epoch) break;
      try {
        const v = verifyNodeList(await this.sources.list(r.epoch), keys, {
          expectedNetwork: this.network,
          threshold: this.#threshold(keys),
        });
        keys = followKeyRotation(v.list, keys);
      } catch (e) {
        if (!(e instanceof CoreError)) throw e;
        // Signed by keys before ours: a rotation already behind us.
      }
    }
    return keys;
  }

  #threshold(keys: readonly Uint8Array[]): number {
    return this.#o.registryThreshold ?? majorityThreshold(keys.length);
  }

  /**
   * Do what can be done now: post co-signatures not delivered yet, then
   * decide on every list published since the last one, in order. Returns
   * the epochs co-signed.
   */
  async step(): Promise<number[]> {
    await this.#postPending();
    if (await this.halted()) return [];
    const latest = await this.sources.latestEpoch();
    if (latest === null) return [];
    const decided: number[] = [];
    const fresh = (await this.#store.read.meta.network()) === undefined;
    let next = fresh ? 0 : await this.#store.read.meta.epoch();
    while (next <= latest) {
      const ok = await this.#decide(next);
      if (!ok) break;
      decided.push(next);
      next++;
    }
    return decided;
  }

  async #postPending(): Promise<void> {
    for (const epoch of [...this.#unposted].sort((a, b) => a - b)) {
      const d = await this.#store.read.witness.decision(epoch);
      if (d) await this.#post(d);
      else this.#unposted.delete(epoch);
    }
  }

  async #post(d: Decision): Promise<void> {
    const r = await this.sources.postCosignature(
      d.epoch,
      this.publicKey,
      fromHex(d.checkpointHash, 32),
      { time: BigInt(d.cosignedAt), signature: d.signature },
    );
    if (r.accepted > 0) {
      this.#unposted.delete(d.epoch);
      this.#o.log("info", "co-signature posted", {
        epoch: d.epoch,
        accepted: r.accepted,
      });
    } else {
      this.#o.log("warn", "co-signature not accepted", {
        epoch: d.epoch,
        errors: r.errors,
      });
      if (r.errors.some((e) => e.includes("checkpoint_mismatch"))) {
        // The registry now serves another list for an epoch we co-signed.
        this.#unposted.delete(d.epoch);
        await this.#checkFork(d.epoch);
      } else if (r.errors.every((e) => e.includes("unknown_witness"))) {
        // Not one of the registry's witnesses (yet): nothing to retry; the
        // co-signed checkpoint is still served here.
        this.#unposted.delete(d.epoch);
      } else {
        this.#unposted.add(d.epoch);
        // Retry the newest few only: an old list's co-signature matters less.
        for (const e of [...this.#unposted].sort((a, b) => a - b)) {
          if (this.#unposted.size <= 8) break;
          this.#unposted.delete(e);
        }
      }
    }
  }

  /** Decide on list `epoch`; false when it cannot (not there yet, or refused). */
  async #decide(epoch: number): Promise<boolean> {
    let list: Uint8Array, inputs: Uint8Array;
    try {
      list = await this.sources.list(epoch);
      inputs = await this.sources.inputs(epoch);
    } catch (e) {
      if (e instanceof SourceError) {
        this.#o.log("debug", "list or inputs not available yet", {
          epoch,
          error: e.message,
        });
        return false;
      }
      throw e;
    }
    let sections;
    try {
      sections = splitNodeList(list, this.network);
    } catch (e) {
      return await this.#halt(epoch, "malformed", (e as Error).message);
    }
    if (sections.header.epoch !== BigInt(epoch)) {
      return await this.#halt(
        epoch,
        "malformed",
        `asked for list ${epoch}, got list ${sections.header.epoch}`,
      );
    }
    if (sections.version !== 2) {
      return await this.#halt(
        epoch,
        "v1_list",
        `list ${epoch} is a format v1 list: it commits to no inputs, so it cannot be re-executed (start the witness from a snapshot taken after the upgrade)`,
      );
    }
    const id = toHex(sections.id);
    const prior = await this.#store.read.witness.decision(epoch);
    if (prior) {
      if (prior.checkpointHash === id) return true;
      return await this.#equivocation(epoch, prior, list);
    }
    const keys = await this.registryKeys();
    let decoded;
    try {
      decoded = verifyNodeList(list, keys, {
        expectedNetwork: this.network,
        threshold: this.#threshold(keys),
      }).list;
    } catch (e) {
      return await this.#halt(
        epoch,
        "bad_signature",
        `list ${epoch} is not validly signed by the registry key(s) followed: ${
          (e as Error).message
        }`,
      );
    }
    const mine = await this.#store.read.lists.latest();
    if (mine && mine.hash !== toHex(sections.header.prevHash)) {
      return await this.#checkFork(mine.epoch, epoch);
    }
    let nextKeys: Uint8Array[];
    try {
      nextKeys = followKeyRotation(decoded, keys);
    } catch (e) {
      return await this.#halt(epoch, "bad_rotation", (e as Error).message);
    }
    let decision: Decision;
    try {
      decision = await this.#store.transaction(async (tx) => {
        // Check and persist in one step: nothing else decides meanwhile.
        if (await tx.witness.decision(epoch)) {
          throw new Error(`epoch ${epoch} was decided meanwhile`);
        }
        await replayEpoch(tx, { network: this.network, inputs, list });
        const time = BigInt(Math.floor(this.#o.clock() / 1000));
        const cos = signCosignature(sections.id, time, this.#o.secretKey);
        const d: Decision = {
          epoch,
          checkpointHash: id,
          checkpoint: encodeSignedCheckpoint({
            checkpoint: list.subarray(0, sections.headerEnd),
            signatures: sections.signatures,
            cosignatures: [cos],
          }),
          cosignedAt: Number(time),
          signature: cos.signature,
        };
        await tx.witness.decide(d);
        if (
          nextKeys.length !== keys.length ||
          nextKeys.some((k, i) => !bytesEqual(k, keys[i]!))
        ) {
          await tx.witness.setFact(FACT_KEYS, nextKeys.map(toHex).join(","));
        }
        return d;
      });
    } catch (e) {
      if (e instanceof ReplayMismatch) {
        return await this.#halt(epoch, "replay_mismatch", e.message);
      }
      throw e;
    }
    this.#o.log("info", "decided", {
      epoch,
      checkpointHash: id,
      nodes: decoded.records.length,
      ...(nextKeys.length && !bytesEqual(nextKeys[0]!, keys[0]!)
        ? { registryKey: toHex(nextKeys[0]!) }
        : {}),
    });
    this.#unposted.add(epoch);
    if (
      this.#o.pauseAfterDecideMs &&
      (this.#o.pauseEpoch === undefined || this.#o.pauseEpoch === epoch)
    ) {
      await new Promise((r) => setTimeout(r, this.#o.pauseAfterDecideMs));
    }
    await this.#post(decision);
    return true;
  }

  /**
   * The registry's chain no longer goes through the list this witness
   * accepted for `epoch`: fetch what it serves for that epoch now; a
   * registry-signed list other than the decided one is an equivocation.
   */
  async #checkFork(epoch: number, refused = epoch): Promise<boolean> {
    const prior = await this.#store.read.witness.decision(epoch);
    if (prior) {
      try {
        const now = await this.sources.list(epoch);
        const id = toHex(splitNodeList(now, this.network).id);
        if (id !== prior.checkpointHash) {
          return await this.#equivocation(epoch, prior, now);
        }
      } catch (e) {
        if (!(e instanceof SourceError) && !(e instanceof CoreError)) throw e;
      }
    }
    return await this.#halt(
      refused,
      "chain_broken",
      `list ${refused} does not extend list ${epoch}, the last this witness accepted`,
    );
  }

  async #equivocation(
    epoch: number,
    prior: Decision,
    other: Uint8Array,
  ): Promise<boolean> {
    let keys = await this.registryKeys();
    try {
      keys = [...await this.#keysAt(epoch), ...keys];
    } catch (e) {
      if (!(e instanceof SourceError)) throw e;
    }
    const proof: EquivocationProof | undefined = findEquivocation(
      prior.checkpoint,
      other,
      this.network,
      { registryKeys: keys },
    );
    if (proof) {
      const json = equivocationProofToJson(proof);
      await this.#store.transaction((tx) =>
        tx.witness.addProof({
          epoch,
          role: proof.role,
          signer: toHex(proof.signer),
          proof: JSON.stringify(json),
          foundAt: Math.floor(this.#o.clock() / 1000),
        })
      );
      this.#o.log("error", "equivocation: two signed lists for one epoch", {
        epoch,
        role: proof.role,
        signer: toHex(proof.signer),
        checkpointHashes: json.checkpoints.map((c) => c.checkpointHash),
      });
    }
    return await this.#halt(
      epoch,
      "equivocation",
      `the registry serves a list ${epoch} other than the one this witness co-signed (${prior.checkpointHash})${
        proof ? ": proof kept and served at /v1/proofs" : ""
      }`,
    );
  }

  async #halt(epoch: number, code: string, reason: string): Promise<false> {
    const existing = await this.halted();
    if (!existing) {
      const halt: Halt = {
        epoch,
        code,
        reason,
        at: Math.floor(this.#o.clock() / 1000),
      };
      await this.#store.transaction((tx) =>
        tx.witness.setFact(FACT_HALT, JSON.stringify(halt))
      );
      this.#o.log("error", "refused: no more co-signatures", { ...halt });
    }
    return false;
  }
}
