/**
 * Accept a node's uptime proof (network.md §6): its public address, ports
 * and versions, signed by the node key. A proof keeps the node up for the
 * proof validity; proofs closer together than the minimum spacing are
 * refused by the lifecycle rules.
 *
 * @module
 */

import { RegistryError } from "../api/errors.ts";
import { isPublicIpv4, toHex } from "../core/bytes.ts";
import { nextState, type NodeStatus } from "../core/lifecycle.ts";
import type { UptimeProof } from "../core/messages.ts";
import {
  lifecycleColumns,
  lifecycleOf,
  LIVE_STATUSES,
} from "../store/nodes.ts";
import { type ActionContext, nowSeconds } from "./context.ts";

const PROVING: readonly string[] = ["awaiting_contributions", ...LIVE_STATUSES];

/** Apply a verified uptime proof; returns the node's status. */
export async function uptimeProof(
  ctx: ActionContext,
  body: UptimeProof,
): Promise<NodeStatus> {
  const node = toHex(body.nodePubkey);
  const row = await ctx.tx.nodes.get(node);
  if (!ctx.settings.allowPrivateAddresses && !isPublicIpv4(body.ipv4)) {
    throw new RegistryError(
      "address_not_public",
      `${body.ipv4} is not a public IPv4 address; clients could not reach the node there`,
    );
  }
  if (body.httpsPort === 0 || body.quicPort === 0) {
    throw new RegistryError("bad_request", "ports must not be 0");
  }
  const minimum = ctx.settings.minimumNodeVersion;
  if (minimum !== null && compareVersions(body.nodeVersion, minimum) < 0) {
    throw new RegistryError(
      "outdated_version",
      `node version ${
        body.nodeVersion.join(".")
      } is older than the network's minimum ${
        minimum.join(".")
      }; upgrade the node software`,
    );
  }
  const before = lifecycleOf(row);
  if (!PROVING.includes(before.status)) {
    throw new RegistryError(
      "node_not_live",
      `node ${node} is ${before.status}; register it again to send proofs`,
    );
  }
  const after = nextState(before, { kind: "proof" }, ctx.epoch, ctx.params);
  await ctx.tx.nodes.update(node, {
    ...lifecycleColumns(after),
    public_ip: body.ipv4,
    https_port: body.httpsPort,
    quic_port: body.quicPort,
    node_version: body.nodeVersion.join("."),
    storage_version: body.storageVersion.join("."),
    last_proof_at: body.timestamp,
    // What upstream reports as last_uptime_proof: when the proof arrived.
    last_proof_received_at: nowSeconds(ctx),
  });
  return after.status;
}

/** Order of two version triples. */
function compareVersions(
  a: readonly number[],
  b: readonly number[],
): number {
  for (let i = 0; i < 3; i++) {
    if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0);
  }
  return 0;
}
