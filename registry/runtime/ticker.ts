/**
 * A wall-clock ticker: runs a task at `start + k * interval` for k = 1, 2, ...
 * Deadlines come from the start time, not from the previous tick, so ticks
 * do not drift. A tick that runs past later deadlines does not make ticks
 * stack up: those deadlines are skipped (and reported) and the next tick
 * waits for the next deadline still in the future.
 *
 * @module
 */

/** What a tick is told. */
export interface TickInfo {
  /** k: this tick's deadline is `start + k * interval`. */
  index: number;
  /** Unix ms this tick was due. */
  deadline: number;
  /** Deadlines skipped since the previous tick because it ran long. */
  skipped: number;
}

/** Options of {@linkcode Ticker}. */
export interface TickerOptions {
  /** Milliseconds between deadlines. */
  intervalMs: number;
  /** The work; a tick does not start before the previous one has finished. */
  onTick: (info: TickInfo) => Promise<void> | void;
  /** Told about a tick that threw; the ticker carries on. */
  onError?: (error: unknown, info: TickInfo) => void;
  /** Clock, unix ms; default `Date.now`. */
  now?: () => number;
}

/**
 * A drift-free, non-overlapping wall-clock ticker.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * let ticks = 0;
 * const t = new Ticker({ intervalMs: 10, onTick: () => { ticks++; } });
 * t.start();
 * await new Promise((r) => setTimeout(r, 55));
 * await t.stop();
 * assert(ticks >= 3);
 * ```
 */
export class Ticker {
  readonly #intervalMs: number;
  readonly #onTick: TickerOptions["onTick"];
  readonly #onError: TickerOptions["onError"];
  readonly #now: () => number;
  #start = 0;
  #last = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> | null = null;
  #stopped = true;

  constructor(options: TickerOptions) {
    if (!(options.intervalMs > 0)) {
      throw new RangeError("the tick interval must be positive");
    }
    this.#intervalMs = options.intervalMs;
    this.#onTick = options.onTick;
    this.#onError = options.onError;
    this.#now = options.now ?? Date.now;
  }

  /** Start ticking; the first deadline is one interval from now (or from `start`). */
  start(start = this.#now()): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#start = start;
    this.#last = 0;
    this.#schedule();
  }

  /**
   * Deadlines passed without a tick begun for them: 0 while on time (a tick
   * running since its own deadline included), more while a tick runs past
   * later deadlines or the process cannot keep up; 0 when stopped.
   */
  lag(now = this.#now()): number {
    if (this.#stopped) return 0;
    const due = Math.floor((now - this.#start) / this.#intervalMs);
    return Math.max(0, due - this.#last);
  }

  /** Whether a tick is running now. */
  get busy(): boolean {
    return this.#running !== null;
  }

  /** Stop: no new ticks; resolves once a running tick has finished. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  #schedule(): void {
    if (this.#stopped) return;
    const now = this.#now();
    // The next deadline after the previous tick's that is not in the past.
    const next = Math.max(
      this.#last + 1,
      Math.ceil((now - this.#start) / this.#intervalMs),
    );
    const deadline = this.#start + next * this.#intervalMs;
    this.#timer = setTimeout(
      () => this.#fire(next),
      Math.max(0, deadline - now),
    );
  }

  #fire(index: number): void {
    this.#timer = undefined;
    if (this.#stopped) return;
    const deadline = this.#start + index * this.#intervalMs;
    if (this.#now() < deadline) {
      // Timers may fire a hair early; wait for the deadline itself.
      this.#timer = setTimeout(() => this.#fire(index), deadline - this.#now());
      return;
    }
    const info: TickInfo = { index, deadline, skipped: index - this.#last - 1 };
    this.#last = index;
    this.#running = (async () => {
      try {
        await this.#onTick(info);
      } catch (e) {
        this.#onError?.(e, info);
      }
    })().finally(() => {
      this.#running = null;
      this.#schedule();
    });
  }
}
