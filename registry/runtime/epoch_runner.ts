/**
 * Runs the registry's epochs by the wall clock: closes an epoch every
 * `epochSeconds` (a tick: lifecycle, swarms, the signed list) and, after
 * each tick, starts a reachability round unless the previous one is still
 * running. Everything it does is logged; a failed tick is logged and the
 * next deadline tried again.
 *
 * @module
 */

import type { Lease, Registry } from "../registry.ts";
import type { Logger } from "./log.ts";
import { probeNodes } from "./prober.ts";
import { Ticker } from "./ticker.ts";

/** Options of {@linkcode EpochRunner}. */
export interface EpochRunnerOptions {
  /** Reachability rounds. */
  probe: { enabled: boolean; concurrency: number; timeoutMs: number };
  /** Where to log. */
  log: Logger;
  /**
   * The leader lease the epochs run under: every tick is fenced by it (a
   * tick after the lease is lost fails instead of publishing a list).
   */
  lease?: Lease;
  /** Unix ms the deadlines are counted from. Default: when started. */
  start?: number;
}

/** Ticks and reachability rounds for one registry. */
export class EpochRunner {
  readonly #registry: Registry;
  readonly #options: EpochRunnerOptions;
  readonly #ticker: Ticker;
  readonly #probeAbort = new AbortController();
  #probing: Promise<void> | null = null;
  #tickFailures = 0;

  constructor(registry: Registry, options: EpochRunnerOptions) {
    this.#registry = registry;
    this.#options = options;
    const log = options.log;
    this.#ticker = new Ticker({
      intervalMs: registry.params.epochSeconds * 1000,
      onTick: async (info) => {
        const started = performance.now();
        const summary = await registry.tick(
          options.lease ? { lease: options.lease } : {},
        );
        log.info("tick", {
          epoch: summary.epoch,
          hash: summary.hash,
          nodes: summary.nodes,
          changes: summary.changes,
          durationMs: Math.round(performance.now() - started),
          ...(info.skipped > 0 ? { skippedDeadlines: info.skipped } : {}),
        });
        if (info.skipped > 0) {
          log.warn("a tick ran longer than an epoch: deadlines skipped", {
            skipped: info.skipped,
          });
        }
        this.#startProbe();
      },
      onError: (error) => {
        this.#tickFailures++;
        log.error("tick failed", { error });
      },
    });
  }

  /** Epoch deadlines passed without a tick (see `Ticker.lag`). */
  lag(): number {
    return this.#ticker.lag();
  }

  /** Ticks that failed since the start. */
  get tickFailures(): number {
    return this.#tickFailures;
  }

  /** Start the ticker and a first reachability round. */
  start(): void {
    this.#ticker.start(this.#options.start);
    this.#startProbe();
  }

  /**
   * Stop: wait for a tick in progress to commit, abort the reachability
   * round in progress (tests cut short are not recorded) and wait for it.
   */
  async stop(): Promise<void> {
    await this.#ticker.stop();
    this.#probeAbort.abort();
    await this.#probing;
  }

  #startProbe(): void {
    const { probe, log } = this.#options;
    const registry = this.#registry;
    if (!probe.enabled) return;
    if (this.#probing) {
      log.warn("reachability round still running: skipping this epoch's", {
        epoch: registry.epoch,
      });
      return;
    }
    const started = performance.now();
    this.#probing = probeNodes(registry, {
      concurrency: probe.concurrency,
      timeoutMs: probe.timeoutMs,
      signal: this.#probeAbort.signal,
    }).then((round) => {
      for (const r of round.results) {
        if (!r.ok) {
          log.info("reachability test failed", {
            node: r.node,
            address: r.address,
            detail: r.detail,
          });
        }
      }
      if (round.tested > 0) {
        log.info("reachability round", {
          epoch: round.epoch,
          tested: round.tested,
          ok: round.ok,
          failed: round.failed,
          durationMs: Math.round(performance.now() - started),
          ...(round.aborted ? { aborted: true } : {}),
        });
      }
    }).catch((e) => {
      log.error("reachability round failed", { error: e });
    }).finally(() => {
      this.#probing = null;
    });
  }
}
