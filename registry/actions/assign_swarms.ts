/**
 * Recompute swarms after the epoch's status changes, exactly as oxend's
 * `calc_swarm_changes` (network.md §2, core's `calcSwarmChanges`): active
 * nodes grouped by their current swarm, new and recommissioned ones in the
 * unassigned bucket, the RNG seeded from the previous list's hash.
 *
 * @module
 */

import { fromHex, toHex } from "../core/bytes.ts";
import { calcSwarmChanges } from "../core/swarm.ts";
import type { ActionContext } from "./context.ts";

/** Move active nodes to their new swarms. */
export async function assignSwarms(
  ctx: ActionContext,
  seed: bigint,
): Promise<void> {
  const active = await ctx.tx.nodes.activeSwarms();
  const current = new Map<bigint, Uint8Array[]>();
  for (const n of active) {
    const id = BigInt(n.swarm_id);
    let members = current.get(id);
    if (!members) current.set(id, members = []);
    members.push(fromHex(n.pubkey, 32));
  }
  if (current.size === 0) return;
  const next = calcSwarmChanges(current, seed);
  const previous = new Map(active.map((n) => [n.pubkey, n.swarm_id]));
  for (const [id, members] of next) {
    const swarm = id.toString();
    for (const pk of members) {
      const key = toHex(pk);
      if (previous.get(key) !== swarm) {
        await ctx.tx.nodes.update(key, { swarm_id: swarm });
      }
    }
  }
}
