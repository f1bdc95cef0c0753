/**
 * Token-bucket rate limits: per key (a client address, a wallet) or one for
 * everybody. A limit `N/PERIOD` lets a key make N requests at once and N
 * more every PERIOD, evenly refilled: the bucket holds at most N tokens and
 * gains one every PERIOD/N. A refused request learns how many whole seconds
 * until a token is there (`Retry-After`).
 *
 * @module
 */

/** At most `count` per `periodMs`, in bursts of up to `count`. */
export interface Rate {
  /** Bucket size, and tokens added per period. */
  count: number;
  /** The period, ms. */
  periodMs: number;
}

const UNITS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
};

/**
 * Parse `N/PERIOD` (`3/1m`, `100/10s`, `60/min`, `1000/1h`) or `off`.
 *
 * @throws {RangeError} for anything else.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseRate("3/1m"), { count: 3, periodMs: 60_000 });
 * assert.deepEqual(parseRate("100/10s"), { count: 100, periodMs: 10_000 });
 * assert.equal(parseRate("off"), null);
 * assert.throws(() => parseRate("3 per minute"), RangeError);
 * ```
 */
export function parseRate(text: string): Rate | null {
  const t = text.trim();
  if (t === "off") return null;
  const m = /^(\d{1,9})\/(\d{0,6})(s|m|min|h)$/.exec(t);
  const count = m ? Number(m[1]) : 0;
  const periods = m ? (m[2] === "" ? 1 : Number(m[2])) : 0;
  if (!m || count < 1 || periods < 1) {
    throw new RangeError(
      `"${text}" is not a rate: write N/PERIOD with N and the period's number at least 1, e.g. 3/1m, 100/10s, 60/min, 1000/1h (s, m or min, h), or off`,
    );
  }
  return { count, periodMs: periods * UNITS[m[3]!]! };
}

/** `{count: 3, periodMs: 60000}` -> `3/1m`; null -> `off`. */
export function formatRate(rate: Rate | null): string {
  if (rate === null) return "off";
  const p = rate.periodMs;
  const [n, unit] = p % 3_600_000 === 0
    ? [p / 3_600_000, "h"]
    : p % 60_000 === 0
    ? [p / 60_000, "m"]
    : [p / 1000, "s"];
  return `${rate.count}/${n}${unit}`;
}

/** The answer of {@linkcode TokenBuckets.take}. */
export type Take =
  | { ok: true }
  | { ok: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * One token bucket per key, created full on first use. Buckets that have
 * refilled are forgotten once more than `maxKeys` exist, so memory stays
 * bounded however many keys come by.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * let now = 0;
 * const b = new TokenBuckets({ count: 2, periodMs: 60_000 }, { clock: () => now });
 * assert.deepEqual(b.take("w"), { ok: true });
 * assert.deepEqual(b.take("w"), { ok: true });
 * assert.deepEqual(b.take("w"), { ok: false, retryAfterSeconds: 30 });
 * now += 30_000;
 * assert.deepEqual(b.take("w"), { ok: true });
 * ```
 */
export class TokenBuckets {
  readonly rate: Rate;
  readonly #clock: () => number;
  readonly #maxKeys: number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(
    rate: Rate,
    options: { clock?: () => number; maxKeys?: number } = {},
  ) {
    this.rate = rate;
    this.#clock = options.clock ?? (() => performance.now());
    this.#maxKeys = options.maxKeys ?? 100_000;
  }

  /** Keys with a bucket now. */
  get size(): number {
    return this.#buckets.size;
  }

  #refilled(b: Bucket, now: number): number {
    const { count, periodMs } = this.rate;
    return Math.min(count, b.tokens + (now - b.at) * count / periodMs);
  }

  #bucket(key: string, now: number): Bucket {
    let b = this.#buckets.get(key);
    if (b === undefined) {
      if (this.#buckets.size >= this.#maxKeys) this.#sweep(now);
      b = { tokens: this.rate.count, at: now };
      this.#buckets.set(key, b);
    } else {
      b.tokens = this.#refilled(b, now);
      b.at = now;
    }
    return b;
  }

  #sweep(now: number): void {
    for (const [k, b] of this.#buckets) {
      if (this.#refilled(b, now) >= this.rate.count) this.#buckets.delete(k);
    }
    // Still full of busy keys: forget the oldest (they start over full).
    for (const k of this.#buckets.keys()) {
      if (this.#buckets.size < this.#maxKeys) break;
      this.#buckets.delete(k);
    }
  }

  /** Take a token for `key`, or learn how long until there is one. */
  take(key: string): Take {
    const now = this.#clock();
    const b = this.#bucket(key, now);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    const waitMs = (1 - b.tokens) * this.rate.periodMs / this.rate.count;
    return {
      ok: false,
      retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
    };
  }

  /** Give back a token taken for a request that turned out not to count. */
  refund(key: string): void {
    const now = this.#clock();
    const b = this.#bucket(key, now);
    b.tokens = Math.min(this.rate.count, b.tokens + 1);
  }
}
