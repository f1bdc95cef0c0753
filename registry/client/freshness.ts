/**
 * When a node list may be used: Tor's directory timing (network.md §8)
 * applied to the times every list header carries.
 *
 * A list header holds `validAfter` (VA), `freshUntil` (FU) and `validUntil`
 * (VU), unix seconds, signed with the list. The registry sets VA to its
 * publication time, FU = VA + one epoch, VU = VA + the network's list
 * validity (24 h on mainnet and testnet, 1 h on devnet). A client judges a
 * list at its local time `now`:
 *
 * | when                                 | liveness          | use it?                      |
 * | ------------------------------------ | ----------------- | ---------------------------- |
 * | VA - tolerance <= now < FU           | `fresh`           | yes                          |
 * | FU <= now < VU                       | `valid`           | yes; fetch a newer one       |
 * | VA - 24 h <= now < VU + 24 h         | `reasonably_live` | yes, and report it           |
 * | otherwise                            | -                 | no: `list_expired` / `list_not_yet_valid` |
 *
 * "Reasonably live" is Tor's 24-hour tolerance either side (the tolerance
 * `reasonablyLiveSeconds` is configurable): a registry that missed a few
 * epochs, or a client whose clock is a few hours off, keeps working. The
 * clock tolerance (default 300 s, the registry's) only widens the start of
 * the fresh window.
 *
 * When a list is refused for its times, the sources' own clocks (the HTTP
 * `Date` header of their answers) tell the two causes apart: if the list is
 * usable at the source's time and the local clock differs from it by more
 * than the tolerance, the local clock is the problem (`clock_skew`, saying by
 * how much and which way); otherwise the source serves a stale list.
 *
 * @module
 */

import type { NodeListHeader } from "../core/nodelist.ts";
import { ClientError } from "./client_errors.ts";

/**
 * How usable a list is now; see the module documentation.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const l: Liveness = "reasonably_live";
 * assert.equal(l, "reasonably_live");
 * ```
 */
export type Liveness = "fresh" | "valid" | "reasonably_live";

/**
 * Options of {@linkcode listLiveness} and {@linkcode explainTimeFailure}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const o: FreshnessOptions = { toleranceSeconds: 300, reasonablyLiveSeconds: 86_400 };
 * assert.equal(o.toleranceSeconds, DEFAULT_CLOCK_TOLERANCE_SECONDS);
 * ```
 */
export interface FreshnessOptions {
  /** Clock tolerance, seconds. Default {@linkcode DEFAULT_CLOCK_TOLERANCE_SECONDS}. */
  toleranceSeconds?: number;
  /** Tolerance either side of the validity window, seconds. Default {@linkcode REASONABLY_LIVE_SECONDS}. */
  reasonablyLiveSeconds?: number;
}

/**
 * Tor's "reasonably live" tolerance: 24 hours.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(REASONABLY_LIVE_SECONDS, 24 * 3600);
 * ```
 */
export const REASONABLY_LIVE_SECONDS = 24 * 3600;

/**
 * The default clock tolerance, the registry's own (5 minutes).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(DEFAULT_CLOCK_TOLERANCE_SECONDS, 300);
 * ```
 */
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 300;

type Times = Pick<
  NodeListHeader,
  "epoch" | "validAfter" | "freshUntil" | "validUntil"
>;

/**
 * Judge a list's times at `nowSeconds` (see the table in the module docs).
 *
 * @throws {ClientError} `list_expired` or `list_not_yet_valid` beyond the
 * "reasonably live" tolerance.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const h = { epoch: 1n, validAfter: 1000n, freshUntil: 1120n, validUntil: 4600n };
 * assert.equal(listLiveness(h, 1000), "fresh");
 * assert.equal(listLiveness(h, 2000), "valid");
 * assert.equal(listLiveness(h, 4600 + 3600), "reasonably_live");
 * assert.throws(() => listLiveness(h, 4600 + 86_400), { code: "list_expired" });
 * assert.throws(() => listLiveness(h, 1000 - 86_401), { code: "list_not_yet_valid" });
 * ```
 */
export function listLiveness(
  header: Times,
  nowSeconds: number,
  options: FreshnessOptions = {},
): Liveness {
  const tolerance = options.toleranceSeconds ??
    DEFAULT_CLOCK_TOLERANCE_SECONDS;
  const live = options.reasonablyLiveSeconds ?? REASONABLY_LIVE_SECONDS;
  const now = Math.floor(nowSeconds);
  const va = Number(header.validAfter);
  const fu = Number(header.freshUntil);
  const vu = Number(header.validUntil);
  if (now >= va - tolerance && now < fu) return "fresh";
  if (now >= fu && now < vu) return "valid";
  if (now >= va - live && now < vu + live) return "reasonably_live";
  if (now >= vu + live) {
    throw new ClientError(
      "list_expired",
      `node list ${header.epoch} was valid until ${iso(vu)}, ${
        formatDuration(now - vu)
      } ago (more than the ${
        formatDuration(live)
      } tolerance), judged by the local clock ${iso(now)}`,
    );
  }
  throw new ClientError(
    "list_not_yet_valid",
    `node list ${header.epoch} is valid only from ${iso(va)}, ${
      formatDuration(va - now)
    } from now (more than the ${
      formatDuration(live)
    } tolerance), judged by the local clock ${iso(now)}`,
  );
}

/**
 * Turn a refusal for times into the error that names the real cause. Given
 * the source's clock (`sourceNowSeconds`, from its `Date` header): when the
 * list is usable at the source's time and the local clock differs from it
 * by more than the tolerance, a `clock_skew` error saying by how much;
 * otherwise `error` itself (the source serves a stale list).
 *
 * @example A clock two days ahead
 * ```ts
 * import assert from "node:assert/strict";
 * import { ClientError } from "./client_errors.ts";
 * const h = { epoch: 9n, validAfter: 1_000_000n, freshUntil: 1_000_002n, validUntil: 1_003_600n };
 * const now = 1_000_010 + 2 * 86_400;
 * let err: unknown;
 * try { listLiveness(h, now); } catch (e) { err = e; }
 * const why = explainTimeFailure(err as ClientError, h, now, 1_000_010, "http://a");
 * assert.equal(why.code, "clock_skew");
 * assert.match(why.message, /local clock is 2 d 0 h ahead/);
 * ```
 */
export function explainTimeFailure(
  error: ClientError,
  header: Times,
  localNowSeconds: number,
  sourceNowSeconds: number | undefined,
  source: string,
  options: FreshnessOptions = {},
): ClientError {
  if (sourceNowSeconds === undefined) return error;
  const tolerance = options.toleranceSeconds ??
    DEFAULT_CLOCK_TOLERANCE_SECONDS;
  const skew = Math.round(localNowSeconds - sourceNowSeconds);
  if (Math.abs(skew) <= tolerance) {
    const what = error.code === "list_expired"
      ? "a stale list (the source is behind)"
      : "a list dated in the future";
    return new ClientError(
      error.code,
      `${source} serves ${what}: ${error.message}; the source's clock agrees with ours, so the clock is not the problem`,
      { source, cause: error },
    );
  }
  try {
    listLiveness(header, sourceNowSeconds, options);
  } catch {
    return error; // stale even by the source's clock
  }
  return clockSkewError(skew, localNowSeconds, source, error);
}

/**
 * The `clock_skew` error for a local clock `skewSeconds` ahead (positive)
 * or behind (negative) of `source`'s.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const e = clockSkewError(-7200, 1_700_000_000, "http://a");
 * assert.match(e.message, /2 h 0 min behind/);
 * ```
 */
export function clockSkewError(
  skewSeconds: number,
  localNowSeconds: number,
  source: string,
  cause?: unknown,
): ClientError {
  const way = skewSeconds > 0 ? "ahead of" : "behind";
  return new ClientError(
    "clock_skew",
    `the local clock is ${
      formatDuration(Math.abs(skewSeconds))
    } ${way} the clock of ${source} (local ${iso(localNowSeconds)}, ${source} ${
      iso(localNowSeconds - skewSeconds)
    }): node lists are judged by the local clock, so correct the system time (enable NTP) and retry`,
    { skewSeconds, source, ...(cause === undefined ? {} : { cause }) },
  );
}

/**
 * A duration for people: `45 s`, `12 min 5 s`, `3 h 12 min`, `2 d 0 h`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(formatDuration(172_800), "2 d 0 h");
 * assert.equal(formatDuration(172_799), "2 d 0 h");
 * assert.equal(formatDuration(7_199), "2 h 0 min");
 * assert.equal(formatDuration(59), "59 s");
 * ```
 */
export function formatDuration(seconds: number): string {
  // Rounded at the smallest unit shown, so 172,799 s reads "2 d 0 h".
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86_400 - 30) {
    const m = Math.round(s / 60);
    return `${Math.floor(m / 60)} h ${m % 60} min`;
  }
  const h = Math.round(s / 3600);
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

function iso(seconds: number): string {
  const d = new Date(seconds * 1000);
  return Number.isNaN(d.getTime())
    ? `${seconds}`
    : d.toISOString().replace(".000Z", "Z");
}
