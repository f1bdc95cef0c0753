/**
 * `GET /v1/info`: network, epoch, keys, the latest list and the rules -
 * what a client needs first.
 *
 * @module
 */

import type { InfoView } from "../api/views.ts";
import { toHex } from "../core/bytes.ts";
import { keyIdOf } from "../core/nodelist.ts";
import type { RegistryReader } from "./context.ts";

/** The registry's facts and rules. */
export async function info(r: RegistryReader): Promise<InfoView> {
  const read = r.store.read;
  const latest = await read.lists.latest();
  const p = r.params;
  return {
    network: p.name,
    networkId: p.id,
    epoch: r.epoch,
    epochSeconds: p.epochSeconds,
    now: r.nowSeconds(),
    registryKeys: r.publicKeys.map(toHex),
    latestList: latest
      ? {
        epoch: latest.epoch,
        hash: latest.hash,
        publishedAt: latest.publishedAt,
        nodes: latest.nodeCount,
      }
      : null,
    nodes: await read.nodes.countByStatus(),
    swarms: await read.nodes.swarmCount(),
    listFormat: 2,
    witnesses: r.witnesses.map((w) => ({
      key: toHex(w.key),
      keyId: toHex(keyIdOf(w.key)),
      url: w.url,
    })),
    rules: {
      stakingRequirement: p.stakingRequirement.toString(),
      operatorMinimum: p.operatorMinimum.toString(),
      maxContributors: p.maxContributors,
      proofIntervalEpochs: p.proofIntervalEpochs,
      proofValidityEpochs: p.proofValidityEpochs,
      proofMinSpacingEpochs: p.proofMinSpacingEpochs,
      clockToleranceSeconds: p.clockToleranceSeconds,
      unlockDelayEpochs: p.unlockDelayEpochs,
      smallContributorLockEpochs: p.smallContributorLockEpochs,
      deregLockEpochs: p.deregLockEpochs,
      initialCredit: p.initialCredit,
      maxCredit: p.maxCredit,
      faucet: p.faucet,
      minimumNodeVersion: r.minimumNodeVersion?.join(".") ?? null,
    },
  };
}
