/**
 * Publish the epoch's node list: every active and decommissioned node
 * (network.md §4: a node with no proof yet shows 0.0.0.0 and port 0, which
 * clients drop), in format v2 - the header commits to the epoch's inputs
 * document and the state after the tick, and carries a key rotation when
 * one is announced - signed with the registry keys and chained to the
 * previous list by its identity. Lists older than the retention are
 * forgotten (lists and events past their retention), except lists that
 * rotated the key (clients follow rotations through them).
 *
 * @module
 */

import { fromHex, toHex } from "../core/bytes.ts";
import { publicKeyOf, sign } from "../core/keys.ts";
import {
  buildEncodedListWith,
  keyIdOf,
  type ListCommitments,
  type NodeRecord,
} from "../core/nodelist.ts";
import { LIVE_STATUSES, type NodeRow, versionTriple } from "../store/nodes.ts";
import { type ActionContext, nowSeconds } from "./context.ts";

/** What a published list is. */
export interface PublishedList {
  /** The epoch it closes. */
  epoch: number;
  /** Hex identity (v2: the checkpoint hash). */
  hash: string;
  /** Nodes in it. */
  nodes: number;
}

/** Sign, store and announce the list closing the epoch in progress. */
export async function publishList(
  ctx: ActionContext,
  prevHash: Uint8Array,
  swarmSeed: bigint,
  commitments: ListCommitments,
  live?: readonly NodeRow[],
): Promise<PublishedList> {
  // The tick passes the live rows it holds (by key, as stored).
  const rows = live ?? await ctx.tx.nodes.withStatus(LIVE_STATUSES);
  const records: NodeRecord[] = rows.map((r) => ({
    pubkey: fromHex(r.pubkey, 32),
    swarmId: BigInt(r.swarm_id),
    ipv4: r.public_ip ?? "0.0.0.0",
    httpsPort: r.https_port ?? 0,
    quicPort: r.quic_port ?? 0,
    version: versionTriple(r.storage_version),
    state: r.status === "active" ? "active" : "decommissioned",
    unlockRequested: r.unlock_at !== null,
  }));
  const now = BigInt(nowSeconds(ctx));
  const epoch = ctx.epoch;
  const keys = ctx.settings.signingKeys;
  const { bytes, bodyHash } = buildEncodedListWith(
    {
      network: ctx.params.id,
      epoch: BigInt(epoch),
      validAfter: now,
      freshUntil: now + BigInt(ctx.params.epochSeconds),
      validUntil: now + BigInt(ctx.params.listValiditySeconds),
      prevHash,
      swarmSeed,
      commitments,
    },
    records,
    ctx.settings.listSigner ?? ((message) =>
      keys.map((sk) => ({
        keyId: keyIdOf(publicKeyOf(sk)),
        signature: sign(sk, message),
      }))),
  );
  const hash = toHex(bodyHash);
  await ctx.tx.lists.insert({
    epoch,
    hash,
    prevHash: toHex(prevHash),
    publishedAt: Number(now),
    nodeCount: records.length,
    bytes,
  }, { snapshotEvery: ctx.settings.listSnapshotEvery });
  const keep = (await ctx.tx.epochs.rotations()).map((r) => r.epoch);
  await ctx.tx.lists.pruneThrough(epoch - ctx.settings.listRetention, keep);
  if (ctx.settings.eventRetention > 0) {
    await ctx.tx.events.pruneThrough(epoch - ctx.settings.eventRetention);
  }
  await ctx.emit("list_published", null, [], {
    epoch,
    hash,
    nodes: records.length,
    active: records.filter((r) => r.state === "active").length,
  });
  return { epoch, hash, nodes: records.length };
}
