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
import type { NodeRow } from "../store/nodes.ts";
import type { ActionContext } from "./context.ts";

/**
 * Move active nodes to their new swarms. `live` are the live nodes' rows,
 * by key, as stored; the rows of nodes that move get their new swarm id.
 */
export async function assignSwarms(
  ctx: ActionContext,
  seed: bigint,
  live: NodeRow[],
): Promise<void> {
  const current = new Map<bigint, Uint8Array[]>();
  // The row of each key object: calcSwarmChanges moves the same objects.
  const rowOf = new Map<Uint8Array, NodeRow>();
  const ids = new Map<string, bigint>();
  for (const row of live) {
    if (row.status !== "active") continue;
    let id = ids.get(row.swarm_id);
    if (id === undefined) ids.set(row.swarm_id, id = BigInt(row.swarm_id));
    let members = current.get(id);
    if (!members) current.set(id, members = []);
    const key = fromHex(row.pubkey, 32);
    rowOf.set(key, row);
    members.push(key);
  }
  if (current.size === 0) return;
  const next = calcSwarmChanges(current, seed);
  for (const [id, members] of next) {
    const swarm = id.toString();
    for (const pk of members) {
      const row = rowOf.get(pk) ?? await ctx.tx.nodes.get(toHex(pk));
      if (row.swarm_id !== swarm) {
        await ctx.tx.nodes.update(row.pubkey, { swarm_id: swarm });
        row.swarm_id = swarm;
      }
    }
  }
}
