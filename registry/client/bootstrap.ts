/**
 * Getting a verified node list from several registries or mirrors at once,
 * the way Tor clients bootstrap from fallback directory mirrors (network.md
 * §8) and Session desktop from its seeds (§4): every source is asked in
 * parallel, the first answer that passes every check wins and the others
 * are cancelled. Each request has a timeout; network failures, timeouts and
 * 5xx answers are retried with exponential backoff and jitter; a source that
 * answers with a list that fails a check is not retried (it is wrong, not
 * slow).
 *
 * A list from a source must:
 * 1. verify against the pinned registry keys, k of n (core `verifyNodeList`),
 *    and carry co-signatures from k of the n pinned witnesses, if any are
 *    pinned (`witness.ts`). Witnesses co-sign a list within about an epoch
 *    of its publication, so while the newest lists still lack them the
 *    newest of the `maxCosignatureFallback` (2) lists before them that has
 *    them is taken, provided the newer ones chain to it (the list held, if
 *    it is that one) - the way transparency-log clients use the latest
 *    checkpoint with enough co-signatures;
 * 2. not contradict a list already seen: a different body hash for an epoch
 *    seen before, or a predecessor hash that is not the list seen before, is
 *    a **split view** (`split_view`), and an epoch below the list held is a
 *    `rollback`;
 * 3. chain to the list held: when the gap is at most `maxChainWalk` epochs,
 *    every link between them is fetched (as diffs when the source has them)
 *    and checked; a wider gap is accepted with the chain marked unchecked;
 * 4. be usable now by the "reasonably live" rule (`freshness.ts`); a refusal
 *    is explained as clock skew when the source's `Date` header shows the
 *    local clock is the problem.
 *
 * Requests a source must answer (the registry's routes; a static mirror can
 * serve the same paths):
 * - `HEAD /v1/lists/latest.bin` with `If-None-Match: "<held body hash>.bin"`
 *   (the registry's strong ETag): 304 means the held list is still the
 *   latest; otherwise `X-List-Epoch` names the latest epoch. Optional: a
 *   source that does not answer it is read in full.
 * - `GET /v1/lists/{N}/diff?from={M}`: the binary diff from list M to N
 *   (core `applyNodeListDiff` rebuilds list N byte for byte); any 4xx means
 *   "not available", and the full list is fetched instead.
 * - `GET /v1/lists/{N|latest}.bin`: the signed list bytes.
 *
 * No `Deno.*` here: `fetch`, the clock and randomness are injected.
 *
 * @module
 */

import { toHex } from "../core/bytes.ts";
import { CoreError, VerifyError } from "../core/errors.ts";
import {
  applyNodeListDiff,
  decodeNodeList,
  followKeyRotation,
  listIdOf,
  type NodeList,
  verifyChain,
  verifyNodeList,
} from "../core/nodelist.ts";
import { parseBaseUrl } from "./api.ts";
import { ClientError, type SourceFailureReport } from "./client_errors.ts";
import {
  explainTimeFailure,
  type FreshnessOptions,
  listLiveness,
  type Liveness,
} from "./freshness.ts";
import type { RandomSource } from "./random.ts";
import { BIN, request, SourceError } from "./source_request.ts";
import { cosignatureThreshold, requireCosignatures } from "./witness.ts";

function bytesEqualLength(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * A list the client holds: its signed bytes, decoded form and body hash.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildSignedList, encodeNodeList } from "../core/nodelist.ts";
 * const list = buildSignedList({ network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n,
 *   validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n }, [], [new Uint8Array(32).fill(1)]);
 * const held: HeldList = holdList(encodeNodeList(list), 3);
 * assert.equal(held.list.header.epoch, 1n);
 * assert.equal(held.hash.length, 64);
 * ```
 */
export interface HeldList {
  /** The signed list as received. */
  bytes: Uint8Array;
  /** Decoded. */
  list: NodeList;
  /** The list's identity, hex (v1: SHA-256 of its body; v2: its checkpoint hash). */
  hash: string;
}

/**
 * Decode list bytes (structure only, no signature check) into a
 * {@linkcode HeldList}.
 *
 * @throws {DecodeError} for bytes that are not a list of `network`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.throws(() => holdList(new Uint8Array(3), 3), { code: "truncated" });
 * ```
 */
export function holdList(bytes: Uint8Array, network: number): HeldList {
  const list = decodeNodeList(bytes, network);
  return { bytes, list, hash: toHex(listIdOf(bytes, network)) };
}

/**
 * How a new list was linked to the one held before.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const c: ChainStatus = { checked: false, reason: "no list held" };
 * assert.equal(c.checked, false);
 * ```
 */
export type ChainStatus =
  | { checked: true; fromEpoch: number; links: number }
  | { checked: false; reason: string };

/**
 * What {@linkcode fetchFromSource} and {@linkcode fetchFirstVerified} need.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { seededRandom } from "./random.ts";
 * const ctx: FetchContext = {
 *   network: 3, trustedKeys: [], threshold: 1, held: undefined, seen: new Map(),
 *   nowMs: () => 0, fetch, timeoutMs: 5000, retries: 3, backoffMs: 250,
 *   random: seededRandom(1), maxChainWalk: 16, freshness: {},
 * };
 * assert.equal(ctx.retries, 3);
 * ```
 */
export interface FetchContext {
  /** Network id lists must be for. */
  network: number;
  /** Pinned registry keys. */
  trustedKeys: readonly Uint8Array[];
  /** Valid signatures needed from distinct pinned keys. */
  threshold: number;
  /** The list held now, to fetch a diff and check the chain. */
  held: HeldList | undefined;
  /** Body hashes (hex) of lists seen before, by epoch (decimal). */
  seen: ReadonlyMap<string, string>;
  /** Local clock, unix milliseconds. */
  nowMs: () => number;
  /** The fetch to use. */
  fetch: typeof fetch;
  /** Per-request timeout (headers and body), ms. */
  timeoutMs: number;
  /** Extra attempts after a network failure, timeout or 5xx. */
  retries: number;
  /** First backoff, ms; doubles each retry, times a random factor in [0.5, 1.5). */
  backoffMs: number;
  /** Randomness for the backoff jitter. */
  random: RandomSource;
  /** Widest gap (epochs) whose links are all fetched and checked. */
  maxChainWalk: number;
  /** Freshness rule options. */
  freshness: FreshnessOptions;
  /** Pinned witness keys; with a threshold above 0 every list needs their co-signatures. */
  witnessKeys?: readonly Uint8Array[];
  /** Co-signatures needed from `witnessKeys` (default a strict majority of them). */
  witnessThreshold?: number;
  /**
   * While the newest lists still gather their co-signatures (witnesses
   * co-sign within about an epoch), take the newest of this many lists
   * before them that has them [2]; 0: the newest list or nothing.
   */
  maxCosignatureFallback?: number;
}

/**
 * A source's verified answer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const via: SourceAnswer["via"] = "diff";
 * assert.equal(via, "diff");
 * ```
 */
export interface SourceAnswer {
  /** The new list (or the held one, unchanged). */
  held: HeldList;
  /** The source's base URL. */
  source: string;
  /** Pinned keys that validly signed it, hex. */
  signers: string[];
  /** `unchanged` (304), `diff` (rebuilt from diffs) or `full`. */
  via: "unchanged" | "diff" | "full";
  /** How it links to the list held before. */
  chain: ChainStatus;
  /** How usable it is now. */
  liveness: Liveness;
  /** Local clock minus the source's (`Date` header), seconds, if it sent one. */
  clockSkewSeconds: number | undefined;
  /** Every list verified on the way (epoch, body hash), to remember as seen. */
  verified: { epoch: string; hash: string }[];
  /**
   * Set when the source's newest list lacked the pinned witnesses'
   * co-signatures and an earlier one (or the held one) was taken instead.
   */
  cosignatureFallback?: { latestEpoch: number; reason: string };
}

/**
 * Fetch, verify and link the latest list from one source (see the module
 * documentation for the checks and requests).
 *
 * @throws {ClientError} `split_view`, `rollback`, `clock_skew`,
 * `list_expired`, `list_not_yet_valid`; core `VerifyError` /
 * `DecodeError` for a list that does not verify; an error with a `code` of
 * `connection`, `timeout`, `http_<status>` or `aborted` when the source
 * could not be used.
 * @example An unreachable source
 * ```ts
 * import assert from "node:assert/strict";
 * import { seededRandom } from "./random.ts";
 * const ctx = { network: 3, trustedKeys: [], threshold: 1, held: undefined, seen: new Map(),
 *   nowMs: Date.now, fetch, timeoutMs: 2000, retries: 0, backoffMs: 10,
 *   random: seededRandom(1), maxChainWalk: 16, freshness: {} };
 * await assert.rejects(fetchFromSource("http://127.0.0.1:1", ctx, new AbortController().signal),
 *   { code: "connection" });
 * ```
 */
export async function fetchFromSource(
  url: string,
  ctx: FetchContext,
  signal: AbortSignal,
): Promise<SourceAnswer> {
  const base = parseBaseUrl(url);
  const verified: { epoch: string; hash: string }[] = [];
  let skew: number | undefined;
  const onDate = (h: Headers) => {
    const t = Date.parse(h.get("date") ?? "");
    if (!Number.isNaN(t)) skew = Math.round((ctx.nowMs() - t) / 1000);
  };
  const get = (path: string, headers: Record<string, string> = {}) =>
    request(
      ctx,
      base + path,
      "GET",
      { accept: BIN, ...headers },
      signal,
      onDate,
    );

  const witnessKeys = ctx.witnessKeys ?? [];
  const k = cosignatureThreshold(witnessKeys.length, ctx.witnessThreshold);
  const fallbackDepth = k === 0 ? 0 : ctx.maxCosignatureFallback ?? 2;
  let cosignatureFallback: SourceAnswer["cosignatureFallback"];
  let keys = [...ctx.trustedKeys];
  const verify = (bytes: Uint8Array) => {
    const v = verifyNodeList(bytes, keys, {
      expectedNetwork: ctx.network,
      threshold: ctx.threshold,
    });
    requireCosignatures(bytes, ctx.network, witnessKeys, k);
    keys = followKeyRotation(v.list, keys); // the next list's signers
    const held: HeldList = { bytes, list: v.list, hash: toHex(v.bodyHash) };
    checkSeen(ctx, held, base, verified);
    verified.push({ epoch: String(v.list.header.epoch), hash: held.hash });
    return { held, signers: v.signers.map(toHex) };
  };

  /** List `epoch` as rebuilt from a diff on `from`, else in full; null if the source has neither. */
  const listAt = async (
    epoch: number | "latest",
    from: HeldList | undefined,
  ): Promise<{ bytes: Uint8Array; diff: boolean } | null> => {
    if (from !== undefined) {
      const d = await get(
        `/v1/lists/${epoch}/diff?from=${from.list.header.epoch}`,
      );
      if (d.status === 200) {
        try {
          return {
            bytes: applyNodeListDiff(from.bytes, d.body, ctx.network),
            diff: true,
          };
        } catch {
          // A diff that does not apply: take the full list instead.
        }
      }
    }
    const full = await get(`/v1/lists/${epoch}.bin`);
    if (full.status === 200) return { bytes: full.body, diff: false };
    if (full.status === 404) return null;
    throw new SourceError(
      `http_${full.status}`,
      `${base} answered HTTP ${full.status} for list ${epoch}`,
      false,
    );
  };

  /** Walk from `from` to `to`, one checked link at a time; null when a list between is not kept. */
  const walk = async (
    from: HeldList,
    to: number,
    stopAtUncosigned: boolean,
  ) => {
    let cur = from;
    let signers: string[] = [];
    let allDiffs = true;
    const start = Number(from.list.header.epoch);
    for (let e = start + 1; e <= to; e++) {
      const got = await listAt(e, cur);
      if (got === null) return { ok: false as const, missing: e };
      allDiffs &&= got.diff;
      let v: ReturnType<typeof verify>;
      try {
        v = verify(got.bytes);
      } catch (error) {
        // The newest lists may still be gathering co-signatures: stop at the
        // last one that has them (checked so far, linked to this one).
        if (
          !stopAtUncosigned || !uncosigned(error) || to - e >= fallbackDepth
        ) throw error;
        checkLink(cur, holdList(got.bytes, ctx.network), base);
        cosignatureFallback = {
          latestEpoch: to,
          reason: (error as Error).message,
        };
        break;
      }
      if (v.held.list.header.epoch !== BigInt(e)) {
        throw new VerifyError(
          "hash_mismatch",
          `${base} answered list ${v.held.list.header.epoch} when asked for list ${e}`,
        );
      }
      checkLink(cur, v.held, base);
      cur = v.held;
      signers = v.signers;
    }
    if (cur === from) {
      // Nothing newer with its co-signatures: the held list stays.
      return { ok: true as const, ...unchanged(from) };
    }
    const links = Number(cur.list.header.epoch) - start;
    return {
      ok: true as const,
      held: cur,
      signers,
      via: allDiffs ? "diff" as const : "full" as const,
      chain: { checked: true as const, fromEpoch: start, links },
    };
  };

  /** The held list as the answer: still the newest usable one. */
  const unchanged = (held: HeldList) => {
    const v = verifyNodeList(held.list, ctx.trustedKeys, {
      threshold: ctx.threshold,
    });
    const epoch = Number(held.list.header.epoch);
    return {
      held,
      signers: v.signers.map(toHex),
      via: "unchanged" as const,
      chain: { checked: true as const, fromEpoch: epoch, links: 0 },
    };
  };

  /**
   * Verify `bytes`, the newest list the source named. While it still
   * gathers the pinned witnesses' co-signatures, the newest of the
   * `fallbackDepth` lists before it that has them, chained to it; null when
   * that is the held list.
   */
  const verifyNewest = async (
    bytes: Uint8Array,
  ): Promise<ReturnType<typeof verify> | null> => {
    try {
      return verify(bytes);
    } catch (e) {
      if (!uncosigned(e) || fallbackDepth === 0) throw e;
      let next = holdList(bytes, ctx.network);
      const latestEpoch = Number(next.list.header.epoch);
      const fellBack = { latestEpoch, reason: (e as Error).message };
      for (let back = 1; back <= fallbackDepth; back++) {
        const epoch = latestEpoch - back;
        if (epoch < 0) break;
        if (held !== undefined && epoch <= heldEpoch!) {
          if (epoch < heldEpoch!) break;
          checkLink(held, next, base);
          cosignatureFallback = fellBack;
          return null;
        }
        const got = await listAt(epoch, undefined);
        if (got === null) break;
        const candidate = holdList(got.bytes, ctx.network);
        if (candidate.list.header.epoch !== BigInt(epoch)) break;
        checkLink(candidate, next, base);
        try {
          const v = verify(got.bytes);
          cosignatureFallback = fellBack;
          return v;
        } catch (inner) {
          if (!uncosigned(inner)) throw inner;
        }
        next = candidate;
      }
      throw e;
    }
  };

  const held = ctx.held;
  const heldEpoch = held === undefined
    ? undefined
    : Number(held.list.header.epoch);
  let result:
    | Pick<SourceAnswer, "held" | "signers" | "via" | "chain">
    | undefined;
  let target: number | undefined;
  let missing: number | undefined;

  if (held !== undefined) {
    const head = await request(
      ctx,
      base + "/v1/lists/latest.bin",
      "HEAD",
      { accept: BIN, "if-none-match": `"${held.hash}.bin"` },
      signal,
      onDate,
    );
    const moreCosignatures = Number(
      head.headers.get("x-list-cosignatures") ?? 0,
    ) > (held.list.cosignatures?.length ?? 0);
    if (
      head.status === 304 ||
      (head.status === 200 && head.headers.get("x-list-hash") === held.hash &&
        !moreCosignatures)
    ) {
      const v = verifyNodeList(held.list, ctx.trustedKeys, {
        threshold: ctx.threshold,
      });
      result = {
        held,
        signers: v.signers.map(toHex),
        via: "unchanged",
        chain: { checked: true, fromEpoch: heldEpoch!, links: 0 },
      };
    } else if (head.status === 200) {
      const n = Number(head.headers.get("x-list-epoch") ?? NaN);
      if (Number.isSafeInteger(n) && n >= 0) target = n;
    }
    if (result === undefined && target !== undefined) {
      if (target < heldEpoch!) throw rollback(base, target, heldEpoch!);
      if (target > heldEpoch! && target - heldEpoch! <= ctx.maxChainWalk) {
        const w = await walk(held, target, true);
        if (w.ok) {
          result = {
            held: w.held,
            signers: w.signers,
            via: w.via,
            chain: w.chain,
          };
        } else missing = w.missing;
      }
    }
  }

  if (result === undefined) {
    const got = await listAt(
      target ?? "latest",
      held !== undefined && target !== undefined && target > heldEpoch!
        ? held
        : undefined,
    );
    if (got === null) {
      throw new SourceError(
        "http_404",
        `${base} has no list ${
          target ?? "latest"
        } (HTTP 404): is it a registry or mirror?`,
        false,
      );
    }
    const v = await verifyNewest(got.bytes);
    if (v === null) {
      // The held list is still the newest with its co-signatures.
      result = unchanged(held!);
    } else {
      const n = Number(v.held.list.header.epoch);
      let chain: ChainStatus = {
        checked: false,
        reason: "no list held before",
      };
      // An earlier list taken for its co-signatures came in full.
      let via: SourceAnswer["via"] = got.diff && !cosignatureFallback
        ? "diff"
        : "full";
      let { held: next, signers } = v;
      if (held !== undefined) {
        if (n < heldEpoch!) throw rollback(base, n, heldEpoch!);
        if (n === heldEpoch!) {
          // checkSeen refused a different list for this epoch already; the
          // bytes may carry more co-signatures than the held ones.
          via = bytesEqualLength(next.bytes, held.bytes) ? "unchanged" : "full";
          if (via === "unchanged") next = held;
          chain = { checked: true, fromEpoch: n, links: 0 };
        } else if (n - heldEpoch! === 1) {
          checkLink(held, next, base);
          chain = { checked: true, fromEpoch: heldEpoch!, links: 1 };
        } else if (
          missing === undefined && n - heldEpoch! <= ctx.maxChainWalk
        ) {
          const w = await walk(held, n - 1, false);
          if (w.ok) {
            checkLink(w.held, next, base);
            chain = {
              checked: true,
              fromEpoch: heldEpoch!,
              links: n - heldEpoch!,
            };
          } else {
            chain = {
              checked: false,
              reason: notKept(w.missing, heldEpoch!, n, base),
            };
          }
        } else if (missing !== undefined) {
          chain = {
            checked: false,
            reason: notKept(missing, heldEpoch!, n, base),
          };
        } else {
          chain = {
            checked: false,
            reason: `list ${n} is ${
              n - heldEpoch!
            } lists after the held list ${heldEpoch} (more than ${ctx.maxChainWalk} to walk)`,
          };
        }
      }
      result = { held: next, signers, via, chain };
    }
  }

  const nowSeconds = ctx.nowMs() / 1000;
  let liveness: Liveness;
  try {
    liveness = listLiveness(result.held.list.header, nowSeconds, ctx.freshness);
  } catch (e) {
    if (!(e instanceof ClientError)) throw e;
    throw explainTimeFailure(
      e,
      result.held.list.header,
      nowSeconds,
      skew === undefined ? undefined : nowSeconds - skew,
      base,
      ctx.freshness,
    );
  }
  return {
    ...result,
    source: base,
    liveness,
    clockSkewSeconds: skew,
    verified,
    ...(cosignatureFallback ? { cosignatureFallback } : {}),
  };
}

/** A list refused only for lacking the pinned witnesses' co-signatures. */
function uncosigned(e: unknown): boolean {
  return e instanceof ClientError && e.code === "insufficient_cosignatures";
}

function notKept(
  missing: number,
  from: number,
  to: number,
  source: string,
): string {
  return `list ${missing}, between the held list ${from} and ${to}, is not kept by ${source}`;
}

function rollback(source: string, epoch: number, held: number): ClientError {
  return new ClientError(
    "rollback",
    `${source} serves list ${epoch}, older than list ${held} already held: a stale or rolled-back source`,
    { source },
  );
}

function checkSeen(
  ctx: FetchContext,
  held: HeldList,
  source: string,
  verifiedHere: readonly { epoch: string; hash: string }[],
): void {
  const epoch = String(held.list.header.epoch);
  const known = ctx.seen.get(epoch) ??
    (ctx.held !== undefined && String(ctx.held.list.header.epoch) === epoch
      ? ctx.held.hash
      : undefined) ??
    verifiedHere.find((v) => v.epoch === epoch)?.hash;
  if (known !== undefined && known !== held.hash) {
    throw new ClientError(
      "split_view",
      `split view: ${source} serves a validly signed list ${epoch} with body hash ${held.hash}, but list ${epoch} seen before has body hash ${known}; two signed lists for one epoch mean the registry (or its key) shows different clients different networks - do not trust ${source}, and report both lists to the registry operators`,
      { source },
    );
  }
}

function checkLink(prev: HeldList, next: HeldList, source: string): void {
  try {
    verifyChain(prev.list, next.list);
  } catch (e) {
    if (!(e instanceof VerifyError)) throw e;
    throw new ClientError(
      "split_view",
      `split view: ${source} serves list ${next.list.header.epoch} whose previous list has body hash ${
        toHex(next.list.header.prevHash)
      }, but list ${prev.list.header.epoch} seen before has body hash ${prev.hash}: the source's chain forks from the one seen (${e.message})`,
      { source, cause: e },
    );
  }
}

/**
 * Result of {@linkcode fetchFirstVerified}: the winner, or every failure.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const r: FirstVerified = { ok: false, failures: [] };
 * assert.equal(r.ok, false);
 * ```
 */
export type FirstVerified =
  | { ok: true; result: SourceAnswer; failures: SourceFailed[] }
  | { ok: false; failures: SourceFailed[] };

/**
 * One source's failure with its error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const f: SourceFailed = { source: "http://a", error: new Error("x") };
 * assert.equal(f.source, "http://a");
 * ```
 */
export interface SourceFailed {
  /** The URL. */
  source: string;
  /** Why. */
  error: Error;
}

/**
 * Ask every source at once; the first verified answer wins and the other
 * requests are aborted. Never throws for a source's failure: the result
 * says which sources failed and why.
 *
 * @example No sources answer
 * ```ts
 * import assert from "node:assert/strict";
 * import { seededRandom } from "./random.ts";
 * const ctx = { network: 3, trustedKeys: [], threshold: 1, held: undefined, seen: new Map(),
 *   nowMs: Date.now, fetch, timeoutMs: 2000, retries: 0, backoffMs: 10,
 *   random: seededRandom(1), maxChainWalk: 16, freshness: {} };
 * const r = await fetchFirstVerified(["http://127.0.0.1:1", "http://127.0.0.1:2"], ctx);
 * assert.equal(r.ok, false);
 * assert.equal(r.failures.length, 2);
 * ```
 */
export function fetchFirstVerified(
  sources: readonly string[],
  ctx: FetchContext,
  signal?: AbortSignal,
): Promise<FirstVerified> {
  const controllers = sources.map(() => new AbortController());
  const failures: SourceFailed[] = [];
  const onOuterAbort = () => controllers.forEach((c) => c.abort());
  signal?.addEventListener("abort", onOuterAbort, { once: true });
  return new Promise((resolve) => {
    let done = false;
    let pending = sources.length;
    const finish = (value: FirstVerified) => {
      if (done) return;
      done = true;
      signal?.removeEventListener("abort", onOuterAbort);
      resolve(value);
    };
    if (pending === 0) finish({ ok: false, failures });
    sources.forEach((source, i) => {
      fetchFromSource(source, ctx, controllers[i]!.signal).then(
        (result) => {
          if (done) return;
          controllers.forEach((c, j) => j !== i && c.abort());
          finish({ ok: true, result, failures: [...failures] });
        },
        (e: unknown) => {
          const error = e instanceof Error ? e : new Error(String(e));
          if (!done) failures.push({ source, error });
          if (--pending === 0) finish({ ok: false, failures });
        },
      );
    });
  });
}

/**
 * A failure as a report: its stable code and message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ClientError } from "./client_errors.ts";
 * const r = failureReport({ source: "http://a", error: new ClientError("rollback", "older") });
 * assert.deepEqual(r, { source: "http://a", code: "rollback", detail: "older" });
 * ```
 */
export function failureReport(f: SourceFailed): SourceFailureReport {
  const code = (f.error as { code?: unknown }).code;
  return {
    source: f.source,
    code: typeof code === "string" ? code : f.error.name,
    detail: f.error.message,
  };
}

/**
 * Order failures by how much they tell: clock skew, split view, rollback,
 * a list that does not verify, a stale list, then a source that could not
 * be used. The first is the one to show.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ClientError } from "./client_errors.ts";
 * const out = byImportance([
 *   { source: "a", error: Object.assign(new Error("refused"), { code: "connection" }) },
 *   { source: "b", error: new ClientError("split_view", "two lists") },
 * ]);
 * assert.equal(out[0]!.source, "b");
 * ```
 */
export function byImportance(
  failures: readonly SourceFailed[],
): SourceFailed[] {
  const rank = (e: Error): number => {
    const code = (e as { code?: unknown }).code;
    if (e instanceof ClientError) {
      return ({
        clock_skew: 0,
        equivocation: 1,
        split_view: 1,
        rollback: 2,
        insufficient_cosignatures: 3,
        list_expired: 4,
        list_not_yet_valid: 4,
      } as Record<string, number>)[e.code] ?? 5;
    }
    if (e instanceof CoreError) return 3;
    if (code === "aborted") return 7;
    if (code === "connection" || code === "timeout") return 6;
    return 5;
  };
  return [...failures].sort((a, b) => rank(a.error) - rank(b.error));
}
