/**
 * What the write routes count for `/metrics`: how long a signed write takes
 * to be applied (verification, the wait in the write queue, the
 * transaction: a histogram), how many are waiting or being applied now (the
 * write queue's depth), what was accepted by kind (uptime proofs among
 * them: their rate is the network's pulse) and what was refused, by the
 * problem code the client got.
 *
 * @module
 */

import type { MetricFamily } from "./metrics.ts";

/** Upper bounds of the latency buckets, seconds (Prometheus `le`). */
export const WRITE_BUCKETS: readonly number[] = [
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
];

/** Counters of the write routes. */
export class WriteMetrics {
  /** Writes inside the registry now (queued or being applied). */
  inFlight = 0;
  readonly #buckets = WRITE_BUCKETS.map(() => 0);
  #count = 0;
  #sum = 0;
  readonly #accepted = new Map<string, number>();
  readonly #rejected = new Map<string, number>();

  /**
   * Time one write through the registry: counts it in flight meanwhile, and
   * as applied (by kind) or, if it throws, not (its latency is kept either
   * way: a refusal after the queue costs the queue too).
   */
  async time<T extends { kind: string }>(apply: () => Promise<T>): Promise<T> {
    const start = performance.now();
    this.inFlight++;
    try {
      const result = await apply();
      this.#accepted.set(
        result.kind,
        (this.#accepted.get(result.kind) ?? 0) + 1,
      );
      return result;
    } finally {
      this.inFlight--;
      this.#observe((performance.now() - start) / 1000);
    }
  }

  /** Count a refused write under the problem code its client got. */
  rejected(code: string): void {
    this.#rejected.set(code, (this.#rejected.get(code) ?? 0) + 1);
  }

  #observe(seconds: number): void {
    this.#count++;
    this.#sum += seconds;
    for (let i = 0; i < WRITE_BUCKETS.length; i++) {
      if (seconds <= WRITE_BUCKETS[i]!) this.#buckets[i]!++;
    }
  }

  /** The families for `/metrics`. */
  families(): MetricFamily[] {
    const sorted = (m: Map<string, number>) =>
      [...m].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
    return [
      {
        name: "registry_write_duration_seconds",
        help:
          "Time a signed write spends in the registry: verification, the write queue and its transaction.",
        type: "histogram",
        samples: [
          ...WRITE_BUCKETS.map((le, i) => ({
            suffix: "_bucket",
            labels: { le: String(le) },
            value: this.#buckets[i]!,
          })),
          { suffix: "_bucket", labels: { le: "+Inf" }, value: this.#count },
          { suffix: "_sum", value: this.#sum },
          { suffix: "_count", value: this.#count },
        ],
      },
      {
        name: "registry_write_queue_depth",
        help: "Signed writes queued or being applied now.",
        type: "gauge",
        samples: [{ value: this.inFlight }],
      },
      {
        name: "registry_writes_accepted_total",
        help: "Signed writes applied, by kind.",
        type: "counter",
        samples: sorted(this.#accepted).map(([kind, value]) => ({
          labels: { kind },
          value,
        })),
      },
      {
        name: "registry_proofs_accepted_total",
        help: "Uptime proofs applied (rate() of it: proofs per second).",
        type: "counter",
        samples: [{ value: this.#accepted.get("uptime_proof") ?? 0 }],
      },
      {
        name: "registry_writes_rejected_total",
        help: "Signed writes refused, by the problem code answered.",
        type: "counter",
        samples: sorted(this.#rejected).map(([code, value]) => ({
          labels: { code },
          value,
        })),
      },
    ];
  }
}
