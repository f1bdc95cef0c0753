/**
 * Swarms as the API shows them, and the swarm a Session ID's messages are
 * stored in (network.md §3).
 *
 * @module
 */

import { RegistryError } from "../api/errors.ts";
import type { SessionSwarmView, SwarmView } from "../api/views.ts";
import { parseSessionId } from "../core/keys.ts";
import { swarmForPubkey } from "../core/swarm.ts";
import { UNASSIGNED } from "../store/nodes.ts";
import type { RegistryReader } from "./context.ts";

/** Every swarm of active nodes, by id, members by key. */
export async function swarms(r: RegistryReader): Promise<SwarmView[]> {
  const byId = new Map<string, string[]>();
  for (const n of await r.store.read.nodes.activeSwarms()) {
    if (n.swarm_id === UNASSIGNED) continue;
    let members = byId.get(n.swarm_id);
    if (!members) byId.set(n.swarm_id, members = []);
    members.push(n.pubkey);
  }
  return [...byId.entries()]
    .sort((a, b) => (BigInt(a[0]) < BigInt(b[0]) ? -1 : 1))
    .map(([id, members]) => ({ id, size: members.length, members }));
}

/** One swarm; `unknown_swarm` when there is none with that id. */
export async function swarm(r: RegistryReader, id: string): Promise<SwarmView> {
  const found = (await swarms(r)).find((s) => s.id === id);
  if (!found) throw new RegistryError("unknown_swarm", `no swarm ${id}`);
  return found;
}

/** The swarm a Session ID's messages live in, with its members' addresses. */
export async function swarmForSessionId(
  r: RegistryReader,
  sessionId: string,
): Promise<SessionSwarmView> {
  const { key } = parseSessionId(sessionId);
  const all = await swarms(r);
  if (all.length === 0) {
    throw new RegistryError(
      "unknown_swarm",
      "there are no swarms yet: no node is active",
    );
  }
  const id = swarmForPubkey(all.map((s) => BigInt(s.id)), key).toString();
  const found = all.find((s) => s.id === id)!;
  const members = await r.store.read.nodes.many(found.members);
  return {
    sessionId: sessionId.toLowerCase(),
    swarmId: id,
    members: members.map((m) => ({
      pubkey: m.pubkey,
      publicIp: m.public_ip,
      httpsPort: m.https_port === null ? null : Number(m.https_port),
      quicPort: m.quic_port === null ? null : Number(m.quic_port),
      storageVersion: m.storage_version,
    })),
  };
}
