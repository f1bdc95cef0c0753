/**
 * Fetching signed node lists the way a careful client does (network.md §7.6,
 * §8): ask one or several registry URLs, take the first answer that verifies
 * against pinned registry keys (k of n) - following the registry's key
 * rotations from the keys pinned - and, with witnesses pinned, carries
 * co-signatures from k of them; check it chains to the list saved from last
 * time (walking any lists in between), and use a diff instead of the full
 * list when the previous one is at hand. A source that serves a list that
 * does not verify, or a different list for an epoch already seen, is
 * reported, never trusted; a list other than what a witness co-signed for
 * its epoch (or what another source serves) is an equivocation, raised with
 * its portable proof.
 *
 * When the latest list lacks enough co-signatures (witnesses co-sign within
 * about an epoch of the tick), the newest of the previous
 * `maxCosignatureFallback` lists that has them is taken instead, provided the
 * latest list chains to it; the result says so.
 *
 * @module
 */

import { bytesEqual, fromHex, toHex } from "../core/bytes.ts";
import { CoreError, VerifyError } from "../core/errors.ts";
import {
  applyNodeListDiff,
  checkFreshness,
  decodeNodeList,
  type EquivocationProof,
  findEquivocation,
  followKeyRotation,
  type NodeList,
  nodeListBodyHash,
  verifyChain,
  verifyNodeList,
} from "../core/nodelist.ts";
import { RegistryClient } from "./api.ts";
import { ClientError } from "./client_errors.ts";
import { RegistryApiError, RegistryUnreachableError } from "./errors.ts";
import {
  compareWithWitnesses,
  cosignatureThreshold,
  equivocationError,
  followRotations,
  type PinnedWitness,
  requireCosignatures,
  type WitnessComparison,
} from "./witness.ts";

/** Options of {@linkcode fetchVerifiedList}. */
export interface FetchListOptions {
  /** Registry base URLs to ask; the first good answer wins. */
  urls: readonly string[];
  /** Network id the list must be for. */
  network: number;
  /** Pinned registry public keys. */
  trustedKeys: readonly Uint8Array[];
  /** Signatures needed from distinct trusted keys; default a strict majority. */
  threshold?: number;
  /** The previously saved list (its encoded bytes), to check the chain and fetch a diff. */
  previous?: Uint8Array;
  /** Which list: `"latest"` (default) or an epoch. */
  which?: number | "latest";
  /** Fetch a diff from `previous` when possible. Default true. */
  useDiff?: boolean;
  /** Most lists walked to bridge a gap between `previous` and the new list. Default 64. */
  maxChainGap?: number;
  /** Per-request timeout, ms. Default 10,000. */
  timeoutMs?: number;
  /** Extra attempts per source after a network failure. Default 1. */
  retries?: number;
  /** Unix seconds now, to check the validity window; skipped when omitted. */
  nowSeconds?: number;
  /** Clock tolerance for the validity window, seconds. Default 300. */
  toleranceSeconds?: number;
  /** Also wait for every other source and compare their lists for the same epoch. Default false. */
  crossCheck?: boolean;
  /** The fetch to use. */
  fetch?: typeof fetch;
  /** Pinned witnesses (keys, and URLs to compare checkpoints with). Default none. */
  witnesses?: readonly PinnedWitness[];
  /** Co-signatures needed from the pinned witnesses; default a strict majority of them. */
  witnessThreshold?: number;
  /** Compare the list with the checkpoint of every witness that has a URL. Default true. */
  compareWitnesses?: boolean;
  /** Older lists tried when the latest lacks co-signatures. Default 2. */
  maxCosignatureFallback?: number;
}

/** A source that failed, and why. */
export interface SourceFailure {
  /** The URL. */
  url: string;
  /** What went wrong. */
  error: Error;
}

/** What {@linkcode fetchVerifiedList} established. */
export interface FetchedList {
  /** The encoded list (what to save for next time). */
  bytes: Uint8Array;
  /** The decoded list. */
  list: NodeList;
  /** SHA-256 of its body, hex. */
  bodyHash: string;
  /** Trusted keys that validly signed it, hex. */
  signers: string[];
  /** Signatures that were needed. */
  threshold: number;
  /** The URL whose answer was taken. */
  source: string;
  /** Whether it was rebuilt from a diff. */
  viaDiff: boolean;
  /** How the chain to `previous` was checked. */
  chain:
    | { checked: false; reason: string }
    | { checked: true; fromEpoch: number; links: number };
  /** Whether the list is still fresh (only when `nowSeconds` was given). */
  fresh: boolean | null;
  /** Sources that failed or disagreed. */
  failures: SourceFailure[];
  /** Sources that served a different valid list for the same epoch (split view). */
  disagreements: { url: string; bodyHash: string }[];
  /** The registry keys to trust from now on (moved by any rotation followed), hex. */
  registryKeys: string[];
  /** Pinned witnesses that validly co-signed the list, hex. */
  cosigners: string[];
  /** Co-signatures that were needed. */
  witnessThreshold: number;
  /** Set when the latest list lacked co-signatures and an older one was taken. */
  cosignatureFallback?: { latestEpoch: number; reason: string };
  /** What comparing with the witnesses' checkpoints found. */
  witnessComparison?: WitnessComparison;
}

/**
 * Fetch, verify and chain-check a node list from one or several sources.
 *
 * @throws {ClientError} `equivocation` (with `proof`) when a witness
 * co-signed, or another source serves, a different signed list for the
 * epoch; `insufficient_cosignatures` when no recent list carries enough
 * co-signatures; {@linkcode VerifyError} `insufficient_signatures`,
 * `chain_broken`, `hash_mismatch` when every source failed and the last
 * failure was a verification failure; {@linkcode RegistryUnreachableError}
 * when no source could be reached; {@linkcode RegistryApiError} when every
 * source refused.
 */
export async function fetchVerifiedList(
  options: FetchListOptions,
): Promise<FetchedList> {
  if (options.urls.length === 0) {
    throw new RegistryUnreachableError(
      "bad_url",
      "(none)",
      "no registry URL to fetch the list from",
    );
  }
  const previous = options.previous === undefined
    ? undefined
    : decodeNodeList(options.previous, options.network);
  const failures: SourceFailure[] = [];
  const attempts = options.urls.map((url) =>
    fromSource(url, options, previous).catch((error: unknown) => {
      const err = error instanceof Error ? error : new Error(String(error));
      failures.push({ url, error: err });
      throw err;
    })
  );
  let winner: Omit<FetchedList, "failures" | "disagreements">;
  try {
    winner = await Promise.any(attempts);
  } catch {
    throw pickError(failures);
  }
  const disagreements: { url: string; bodyHash: string }[] = [];
  if (options.crossCheck) {
    const settled = await Promise.allSettled(attempts);
    const keys = winner.registryKeys.map((k) => fromHexKey(k));
    for (const [i, s] of settled.entries()) {
      if (
        s.status === "fulfilled" &&
        s.value.list.header.epoch === winner.list.header.epoch &&
        s.value.bodyHash !== winner.bodyHash
      ) {
        disagreements.push({
          url: options.urls[i]!,
          bodyHash: s.value.bodyHash,
        });
        const proof = proofBetween(winner.bytes, s.value.bytes, options, keys);
        if (proof) throw equivocationError(proof, options.urls[i]!);
      }
    }
  } else {
    // Do not leave unhandled rejections behind.
    for (const a of attempts) a.catch(() => {});
  }
  return { ...winner, failures, disagreements };
}

function fromHexKey(hex: string): Uint8Array {
  return fromHex(hex, 32);
}

/** A proof that two v2 lists for one epoch were both signed by a trusted key. */
function proofBetween(
  a: Uint8Array,
  b: Uint8Array,
  options: FetchListOptions,
  registryKeys: readonly Uint8Array[],
): EquivocationProof | undefined {
  try {
    return findEquivocation(a, b, options.network, {
      registryKeys,
      witnessKeys: (options.witnesses ?? []).map((w) => w.key),
    });
  } catch (e) {
    if (e instanceof CoreError) return undefined; // v1 lists have no checkpoint
    throw e;
  }
}

type Winner = Omit<FetchedList, "failures" | "disagreements">;

async function fromSource(
  url: string,
  options: FetchListOptions,
  previous: NodeList | undefined,
): Promise<Winner> {
  const client = new RegistryClient(url, {
    timeoutMs: options.timeoutMs ?? 10_000,
    retries: options.retries ?? 1,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const witnesses = options.witnesses ?? [];
  const witnessKeys = witnesses.map((w) => w.key);
  const k = cosignatureThreshold(witnessKeys.length, options.witnessThreshold);
  const latest = await fromSourceOnce(client, options, previous);
  // The latest list's view against each witness's, before anything else: a
  // witness that co-signed another list for this epoch proves a split view.
  let comparison: WitnessComparison | undefined;
  if (
    options.compareWitnesses !== false && witnesses.some((w) => w.url) &&
    latest.list.header.commitments !== undefined
  ) {
    comparison = await compareWithWitnesses(
      latest.bytes,
      options.network,
      witnesses,
      [...options.trustedKeys, ...latest.registryKeys.map(fromHexKey)],
      {
        timeoutMs: options.timeoutMs ?? 10_000,
        ...(options.fetch ? { fetch: options.fetch } : {}),
      },
    );
    const proof = comparison.proofs[0];
    if (proof) throw equivocationError(proof, client.baseUrl);
  }
  const withComparison = (w: Winner): Winner =>
    comparison ? { ...w, witnessComparison: comparison } : w;
  try {
    const cosigners = requireCosignatures(
      latest.bytes,
      options.network,
      witnessKeys,
      k,
    );
    return withComparison({ ...latest, cosigners, witnessThreshold: k });
  } catch (e) {
    if (
      !(e instanceof ClientError) ||
      options.which !== undefined && options.which !== "latest"
    ) throw e;
    // Witnesses co-sign within about an epoch: take the newest recent list
    // that has its co-signatures, if the latest chains to it.
    let next: NodeList = latest.list;
    const from = Number(latest.list.header.epoch);
    for (let back = 1; back <= (options.maxCosignatureFallback ?? 2); back++) {
      if (from - back < 0) break;
      let bytes: Uint8Array;
      try {
        bytes = await client.listBytes(from - back);
      } catch {
        break;
      }
      const keys = await keysFor(client, options, bytes);
      const v = verifyNodeList(bytes, keys, {
        expectedNetwork: options.network,
        ...(options.threshold === undefined
          ? {}
          : { threshold: options.threshold }),
      });
      verifyChain(v.list, next);
      next = v.list;
      try {
        const cosigners = requireCosignatures(
          bytes,
          options.network,
          witnessKeys,
          k,
        );
        return withComparison({
          ...latest,
          bytes,
          list: v.list,
          bodyHash: toHex(v.bodyHash),
          signers: v.signers.map(toHex),
          registryKeys: followKeyRotation(v.list, keys).map(toHex),
          viaDiff: false,
          fresh: options.nowSeconds === undefined ? null : checkFreshness(
            v.list.header,
            options.nowSeconds,
            options.toleranceSeconds ?? 300,
          ),
          cosigners,
          witnessThreshold: k,
          cosignatureFallback: { latestEpoch: from, reason: e.message },
        });
      } catch (inner) {
        if (!(inner instanceof ClientError)) throw inner;
      }
    }
    throw e;
  }
}

/** The registry keys that sign `bytes`: the pinned ones, moved along the rotations before it. */
async function keysFor(
  client: RegistryClient,
  options: FetchListOptions,
  bytes: Uint8Array,
): Promise<Uint8Array[]> {
  const keys = [...options.trustedKeys];
  try {
    verifyNodeList(bytes, keys, {
      expectedNetwork: options.network,
      ...(options.threshold === undefined
        ? {}
        : { threshold: options.threshold }),
    });
    return keys;
  } catch (e) {
    if (!(e instanceof VerifyError) || e.code !== "insufficient_signatures") {
      throw e;
    }
  }
  const epoch = Number(decodeNodeList(bytes, options.network).header.epoch);
  let index: { epoch: number }[];
  try {
    index = await client.getJson<{ epoch: number }[]>("/v1/rotations");
  } catch {
    return keys;
  }
  const witnessKeys = (options.witnesses ?? []).map((w) => w.key);
  const k = cosignatureThreshold(witnessKeys.length, options.witnessThreshold);
  return await followRotations(
    keys,
    index,
    async (e) => {
      const b = await client.listBytes(e);
      // A rotation is followed only on a list the witnesses co-signed too.
      requireCosignatures(b, options.network, witnessKeys, k);
      return b;
    },
    options.network,
    {
      beforeEpoch: epoch,
      ...(options.threshold === undefined
        ? {}
        : { threshold: options.threshold }),
    },
  );
}

async function fromSourceOnce(
  client: RegistryClient,
  options: FetchListOptions,
  previous: NodeList | undefined,
): Promise<Omit<Winner, "cosigners" | "witnessThreshold">> {
  const which = options.which ?? "latest";
  let bytes: Uint8Array | undefined;
  let viaDiff = false;
  if (
    previous !== undefined && options.previous !== undefined &&
    (options.useDiff ?? true) &&
    (which === "latest" || BigInt(which) > previous.header.epoch)
  ) {
    try {
      const diff = await client.listDiff(Number(previous.header.epoch), which);
      bytes = applyNodeListDiff(options.previous, diff, options.network);
      viaDiff = true;
    } catch (e) {
      // The base may no longer be kept, or the list not have moved: fall
      // back to the full list; a refusal of the full list is reported.
      if (e instanceof RegistryUnreachableError) throw e;
    }
  }
  bytes ??= await client.listBytes(which);
  const keys = await keysFor(client, options, bytes);
  const verified = verifyNodeList(bytes, keys, {
    expectedNetwork: options.network,
    ...(options.threshold === undefined
      ? {}
      : { threshold: options.threshold }),
  });
  const list = verified.list;
  let chain: FetchedList["chain"] = {
    checked: false,
    reason: "no previous list saved",
  };
  if (previous !== undefined) {
    chain = await checkChain(client, options, previous, verified);
  }
  const registryKeys = followKeyRotation(list, keys).map(toHex);
  const fresh = options.nowSeconds === undefined ? null : checkFreshness(
    list.header,
    options.nowSeconds,
    options.toleranceSeconds ?? 300,
  );
  return {
    bytes,
    list,
    bodyHash: toHex(verified.bodyHash),
    signers: verified.signers.map(toHex),
    threshold: options.threshold ??
      Math.floor(
          new Set(options.trustedKeys.map((k) => toHex(k))).size / 2,
        ) + 1,
    source: client.baseUrl,
    viaDiff,
    chain,
    fresh,
    registryKeys,
  };
}

async function checkChain(
  client: RegistryClient,
  options: FetchListOptions,
  previous: NodeList,
  next: { list: NodeList; bodyHash: Uint8Array },
): Promise<FetchedList["chain"]> {
  const from = previous.header.epoch;
  const to = next.list.header.epoch;
  if (to === from) {
    const prevHash = nodeListBodyHash(previous);
    if (!bytesEqual(prevHash, next.bodyHash)) {
      throw new VerifyError(
        "chain_broken",
        `${client.baseUrl} serves a different list ${to} (${
          toHex(next.bodyHash)
        }) from the one saved (${
          toHex(prevHash)
        }): two signed lists for one epoch - a split view; do not trust this source`,
      );
    }
    return { checked: true, fromEpoch: Number(from), links: 0 };
  }
  if (to < from) {
    throw new VerifyError(
      "chain_broken",
      `${client.baseUrl} serves list ${to}, older than the saved list ${from}: a stale or rolled-back source`,
    );
  }
  const gap = Number(to - from);
  const maxGap = options.maxChainGap ?? 64;
  if (gap > maxGap) {
    return {
      checked: false,
      reason:
        `the saved list ${from} is ${gap} lists behind (more than ${maxGap} to walk); saved list replaced`,
    };
  }
  let prev: NodeList = previous;
  let keys = [...options.trustedKeys];
  for (let e = from + 1n; e < to; e++) {
    let mid: NodeList;
    try {
      const bytes = await client.listBytes(Number(e));
      keys = await keysFor(client, { ...options, trustedKeys: keys }, bytes);
      mid = verifyNodeList(
        bytes,
        keys,
        {
          expectedNetwork: options.network,
          ...(options.threshold === undefined
            ? {}
            : { threshold: options.threshold }),
        },
      ).list;
      keys = followKeyRotation(mid, keys);
    } catch (err) {
      if (err instanceof RegistryApiError && err.status === 404) {
        return {
          checked: false,
          reason:
            `list ${e}, between the saved list ${from} and ${to}, is no longer kept`,
        };
      }
      throw err;
    }
    verifyChain(prev, mid);
    prev = mid;
  }
  verifyChain(prev, next.list);
  return { checked: true, fromEpoch: Number(from), links: gap };
}

function pickError(failures: SourceFailure[]): Error {
  // A verification failure says more than a refusal, which says more than
  // an unreachable source.
  const rank = (e: Error) =>
    e instanceof VerifyError
      ? 0
      : e instanceof RegistryApiError
      ? 1
      : e instanceof RegistryUnreachableError
      ? 3
      : 2;
  const sorted = [...failures].sort((a, b) => rank(a.error) - rank(b.error));
  const first = sorted[0];
  if (!first) return new Error("no source answered");
  if (failures.length === 1) return first.error;
  const others = failures.filter((f) => f !== first).map((f) =>
    `${f.url}: ${f.error.message}`
  );
  first.error.message += ` (other sources: ${others.join("; ")})`;
  return first.error;
}
