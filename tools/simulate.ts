/**
 * A whole network run through the protocol core alone, with no database and
 * no HTTP: N generated nodes sign registrations (some completed by
 * contributors), go active, are assigned swarms with the upstream algorithm,
 * and then live through a number of epochs in which some stop proving and are
 * decommissioned or deregistered while new ones join. Each epoch publishes a
 * signed list chained to the previous one, verified k-of-n by a client, with
 * a diff from the previous list.
 *
 * `deno task simulate --nodes 1000` prints a summary. Deterministic for a
 * given `--seed`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesEqual, toHex } from "../registry/core/bytes.ts";
import { publicKeyOf } from "../registry/core/keys.ts";
import {
  creditAt,
  newLifecycle,
  nextState,
  type NodeLifecycle,
} from "../registry/core/lifecycle.ts";
import { decodeMessage, signMessage } from "../registry/core/messages.ts";
import {
  applyNodeListDiff,
  buildSignedList,
  decodeNodeList,
  diffNodeLists,
  encodeListBody,
  encodeNodeList,
  listBodyHash,
  type NodeList,
  type NodeRecord,
  verifyChain,
  verifyNodeList,
} from "../registry/core/nodelist.ts";
import { formatCoins, networkParams } from "../registry/core/params.ts";
import {
  applyContribution,
  fundingState,
  type NodeStakes,
  stakesFromRegistration,
} from "../registry/core/staking.ts";
import {
  calcSwarmChanges,
  pubkeyToSwarmSpace,
  swarmForPubkey,
  swarmSeedFromHash,
  UNASSIGNED_SWARM_ID,
} from "../registry/core/swarm.ts";

interface SimNode {
  pubkey: Uint8Array;
  stakes: NodeStakes;
  life: NodeLifecycle;
  swarm: bigint;
  /** Epoch from which this node stops proving (Infinity: never). */
  failsAt: number;
}

/** Deterministic pseudo-randomness from the seed: SHA-256 of a label. */
function derive(seed: string, label: string): Uint8Array {
  return sha256(new TextEncoder().encode(`${seed}/${label}`));
}

function chance(seed: string, label: string): number {
  return new DataView(derive(seed, label).buffer).getUint32(0) / 2 ** 32;
}

/** Run the simulation and return the lines of the summary. */
export function simulate(
  options: {
    nodes: number;
    epochs: number;
    seed: string;
    registryKeys: number;
  },
): string[] {
  const out: string[] = [];
  const p = networkParams("devnet");
  const t0 = performance.now();
  const registrySecrets = Array.from(
    { length: options.registryKeys },
    (_, i) => derive(options.seed, `registry-${i}`),
  );
  const registryKeys = registrySecrets.map(publicKeyOf);
  const now = 1_800_000_000;
  const nodes: SimNode[] = [];

  const join = (i: number, epoch: number): SimNode => {
    const nodeSecret = derive(options.seed, `node-${i}`);
    const operatorSecret = derive(options.seed, `operator-${i}`);
    const pubkey = publicKeyOf(nodeSecret);
    // A third of operators stake the minimum and find a contributor.
    const shared = i % 3 === 0;
    const reg = signMessage({
      kind: "register_node",
      network: p.id,
      timestamp: now + epoch * p.epochSeconds,
      sequence: 1,
      nodePubkey: pubkey,
      operator: publicKeyOf(operatorSecret),
      operatorStake: shared ? p.operatorMinimum : p.stakingRequirement,
      feeBasisPoints: shared ? 500 : 0,
      reserved: [],
    }, [nodeSecret, operatorSecret]);
    // What the registry does: verify the signed bytes, then apply the rules.
    const accepted = decodeMessage(reg.bytes, p.id);
    if (accepted.body.kind !== "register_node") throw new Error("unreachable");
    let stakes = stakesFromRegistration(p, accepted.body, epoch);
    let life = newLifecycle(epoch);
    if (shared) {
      const contributorSecret = derive(options.seed, `contributor-${i}`);
      const amount = fundingState(p, stakes).remaining;
      const c = decodeMessage(
        signMessage({
          kind: "contribute",
          network: p.id,
          timestamp: now,
          sequence: 1,
          wallet: publicKeyOf(contributorSecret),
          nodePubkey: pubkey,
          amount,
        }, [contributorSecret]).bytes,
        p.id,
      );
      if (c.body.kind !== "contribute") throw new Error("unreachable");
      stakes = applyContribution(
        p,
        stakes,
        c.body.wallet,
        c.body.amount,
        epoch,
      );
    }
    if (fundingState(p, stakes).funded) {
      life = nextState(life, { kind: "funded" }, epoch, p);
    }
    // 3 % of nodes will stop proving at some point during the run.
    const fails = chance(options.seed, `fails-${i}`) < 0.03;
    const failsAt = fails
      ? epoch + 1 +
        Math.floor(chance(options.seed, `when-${i}`) * options.epochs / 2)
      : Infinity;
    return { pubkey, stakes, life, swarm: UNASSIGNED_SWARM_ID, failsAt };
  };

  for (let i = 0; i < options.nodes; i++) nodes.push(join(i, 0));
  const tRegistered = performance.now();
  out.push(
    `network devnet: ${options.nodes} nodes registered and funded through signed messages ` +
      `(${
        nodes.filter((n) => n.stakes.stakes.length > 1).length
      } with a contributor) ` +
      `in ${(tRegistered - t0).toFixed(0)} ms; stake per node ${
        formatCoins(p.stakingRequirement)
      } coins`,
  );

  let prevList: NodeList | null = null;
  let prevHash: Uint8Array = new Uint8Array(32);
  let swarmMs = 0;
  let diffBytes = 0;
  let joined = options.nodes;
  const statusCount = (s: string) =>
    nodes.filter((n) => n.life.status === s).length;
  for (let epoch = 0; epoch <= options.epochs; epoch++) {
    // Nodes prove every interval until their failure epoch; a few join.
    for (const n of nodes) {
      const live = n.life.status === "active" ||
        n.life.status === "decommissioned";
      if (live && epoch < n.failsAt && epoch % p.proofIntervalEpochs === 0) {
        n.life = nextState(n.life, { kind: "proof" }, epoch, p);
      }
      const before = n.life.status;
      n.life = nextState(n.life, { kind: "tick" }, epoch, p);
      if (n.life.status !== "active" || before !== "active") {
        n.swarm = UNASSIGNED_SWARM_ID;
      }
    }
    if (epoch > 0 && epoch % 10 === 0) nodes.push(join(joined++, epoch));

    const tSwarm = performance.now();
    const current = new Map<bigint, Uint8Array[]>();
    for (const n of nodes.filter((n) => n.life.status === "active")) {
      const bucket = current.get(n.swarm) ?? [];
      bucket.push(n.pubkey);
      current.set(n.swarm, bucket);
    }
    const seed = swarmSeedFromHash(prevHash);
    const assigned = calcSwarmChanges(current, seed);
    const swarmOf = new Map<string, bigint>();
    for (const [id, members] of assigned) {
      for (const m of members) swarmOf.set(toHex(m), id);
    }
    for (const n of nodes) {
      const id = swarmOf.get(toHex(n.pubkey));
      if (id !== undefined) n.swarm = id;
    }
    swarmMs += performance.now() - tSwarm;

    const records: NodeRecord[] = nodes
      .filter((n) =>
        n.life.status === "active" || n.life.status === "decommissioned"
      )
      .map((n) => ({
        pubkey: n.pubkey,
        swarmId: n.life.status === "active" ? n.swarm : UNASSIGNED_SWARM_ID,
        ipv4: `10.${(n.pubkey[0]! >> 2) + 1}.${n.pubkey[1]}.${n.pubkey[2]}`,
        httpsPort: 22021,
        quicPort: 22020,
        version: [2, 10, 0],
        state: n.life.status === "active" ? "active" : "decommissioned",
        unlockRequested: n.life.unlockAt !== null,
      }));
    const at = BigInt(now + epoch * p.epochSeconds);
    const list = buildSignedList(
      {
        network: p.id,
        epoch: BigInt(epoch),
        validAfter: at,
        freshUntil: at + BigInt(p.epochSeconds),
        validUntil: at + BigInt(p.listValiditySeconds),
        prevHash,
        swarmSeed: seed,
      },
      records,
      registrySecrets,
    );
    const bytes = encodeNodeList(list);
    // A client: decode, require a majority of the pinned keys, check the chain.
    const { list: verified } = verifyNodeList(bytes, registryKeys, {
      expectedNetwork: p.id,
    });
    if (prevList) {
      verifyChain(prevList, verified);
      const diff = diffNodeLists(prevList, verified);
      diffBytes += diff.length;
      if (!bytesEqual(applyNodeListDiff(prevList, diff, p.id), bytes)) {
        throw new Error(`diff to list ${epoch} does not reproduce it`);
      }
    }
    prevHash = listBodyHash(encodeListBody(list.header, list.records));
    prevList = decodeNodeList(bytes, p.id);
  }

  const last = prevList!;
  const active = nodes.filter((n) => n.life.status === "active");
  const sizes = new Map<bigint, number>();
  for (const n of active) sizes.set(n.swarm, (sizes.get(n.swarm) ?? 0) + 1);
  const histogram = new Map<number, number>();
  for (const s of sizes.values()) histogram.set(s, (histogram.get(s) ?? 0) + 1);
  const full = encodeNodeList(last);
  out.push(
    `after ${options.epochs} epochs: ${active.length} active, ${
      statusCount("decommissioned")
    } decommissioned, ` +
      `${statusCount("deregistered")} deregistered, ${
        statusCount("awaiting_contributions")
      } awaiting`,
  );
  out.push(
    `swarms: ${sizes.size}; sizes ` +
      [...histogram.entries()].sort((a, b) => a[0] - b[0]).map(([size, n]) =>
        `${n} x ${size}`
      ).join(", ") +
      `; assignment took ${
        (swarmMs / (options.epochs + 1)).toFixed(1)
      } ms per epoch`,
  );
  const credits = active.map((n) => creditAt(n.life, options.epochs, p));
  out.push(
    `decommission credit of active nodes: min ${Math.min(...credits)}, max ${
      Math.max(...credits)
    } epochs`,
  );
  out.push(
    `list ${last.header.epoch}: ${last.records.length} records, ${full.length} bytes ` +
      `(${
        (full.length / Math.max(1, last.records.length)).toFixed(1)
      } B/node), ` +
      `${
        gzipSync(full).length
      } bytes gzipped; ${last.signatures.length} registry signatures, ` +
      `verified ${
        Math.floor(options.registryKeys / 2) + 1
      }-of-${options.registryKeys}; chain of ${
        options.epochs + 1
      } lists checked`,
  );
  out.push(
    `diffs: ${
      (diffBytes / options.epochs).toFixed(0)
    } bytes per epoch on average, each reproducing its list byte for byte`,
  );
  const swarmIds = [...sizes.keys()];
  for (let i = 0; i < 3; i++) {
    const sessionKey = derive(options.seed, `session-${i}`);
    const id = swarmForPubkey(swarmIds, sessionKey);
    out.push(
      `Session ID 05${toHex(sessionKey).slice(0, 12)}... (swarm space ${
        pubkeyToSwarmSpace(sessionKey)
      }) -> swarm ${id} ` +
        `(${sizes.get(id)} nodes)`,
    );
  }
  out.push(`done in ${(performance.now() - t0).toFixed(0)} ms`);
  return out;
}

if (import.meta.main) {
  try {
    const { values } = parseArgs({
      options: {
        nodes: { type: "string", default: "1000" },
        epochs: { type: "string", default: "150" },
        seed: { type: "string", default: "devnet" },
        "registry-keys": { type: "string", default: "3" },
        help: { type: "boolean", short: "h" },
      },
    });
    if (values.help) {
      console.log(
        "usage: deno task simulate [--nodes N] [--epochs E] [--seed S] [--registry-keys K]\n\n" +
          "Runs a generated network through registry/core: signed registrations, staking rules,\n" +
          "lifecycle, swarm assignment, signed and chained lists with diffs. Defaults: 1000 nodes,\n" +
          "150 epochs, seed 'devnet', 3 registry keys (lists verified 2-of-3).",
      );
      Deno.exit(0);
    }
    const count = (name: string, v: string, max: number) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > max) {
        throw new Error(
          `--${name} must be a whole number from 1 to ${max}, got "${v}"`,
        );
      }
      return n;
    };
    const lines = simulate({
      nodes: count("nodes", values.nodes, 100_000),
      epochs: count("epochs", values.epochs, 10_000),
      seed: values.seed,
      registryKeys: count("registry-keys", values["registry-keys"], 16),
    });
    for (const line of lines) console.log(line);
  } catch (e) {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    Deno.exit(2);
  }
}
