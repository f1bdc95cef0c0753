/**
 * Record reachability test results: keep the evidence (the newest few tests
 * per node), and mark a node unreachable after the configured number of
 * consecutive failures - which the next tick treats like a missed proof
 * (reason `storage`) - or reachable again after a success.
 *
 * @module
 */

import { type LifecycleEvent, nextState } from "../core/lifecycle.ts";
import {
  lifecycleColumns,
  lifecycleOf,
  LIVE_STATUSES,
} from "../store/nodes.ts";
import { type ActionContext, nowSeconds } from "./context.ts";

/** A reachability test's outcome (see `runtime/prober.ts`). */
export interface ReachabilityResult {
  /** Node key, hex. */
  node: string;
  /** Address tried, `ip:port`. */
  address: string;
  /** Whether the node answered and proved its key. */
  ok: boolean;
  /** What happened, e.g. `"signed challenge verified"` or the error. */
  detail: string;
  /** Round trip, when it answered. */
  latencyMs: number | null;
}

const LIVE: readonly string[] = LIVE_STATUSES;

/** Record a round's results. */
export async function recordReachability(
  ctx: ActionContext,
  results: readonly ReachabilityResult[],
): Promise<void> {
  for (const r of results) {
    const row = await ctx.tx.nodes.find(r.node);
    if (!row || !LIVE.includes(row.status)) continue;
    await ctx.tx.reachability.append({
      node: r.node,
      epoch: ctx.epoch,
      testedAt: nowSeconds(ctx),
      address: r.address,
      ok: r.ok,
      detail: r.detail.slice(0, 500),
      latencyMs: r.latencyMs,
    }, ctx.settings.reachabilityEvidence);
    const failures = r.ok ? 0 : Number(row.reachability_failures) + 1;
    const before = lifecycleOf(row);
    const unreachable = failures >= ctx.settings.reachabilityFailureThreshold;
    let after = before;
    if (unreachable !== before.unreachable) {
      const event: LifecycleEvent = { kind: "reachability", ok: !unreachable };
      after = nextState(before, event, ctx.epoch, ctx.params);
      if (unreachable) {
        const stakes = await ctx.tx.nodes.stakes(r.node);
        await ctx.emit(
          "reachability_failed",
          r.node,
          stakes.map((s) => s.wallet),
          {
            address: r.address,
            detail: r.detail,
            consecutiveFailures: failures,
          },
        );
      }
    }
    await ctx.tx.nodes.update(r.node, {
      ...lifecycleColumns(after),
      reachability_failures: failures,
    });
  }
}
