// Benchmarks of the protocol core: `npx deno task bench`.
// Each reports time per call on this machine; inputs are generated once,
// deterministically, outside the measured function.
import { sha256 } from "@noble/hashes/sha2.js";
import {
  applyNodeListDiff,
  buildSignedList,
  calcSwarmChanges,
  decodeMessage,
  decodeNodeList,
  diffNodeLists,
  encodeNodeList,
  type NodeListHeader,
  type NodeRecord,
  publicKeyOf,
  signMessage,
  swarmForPubkey,
  UNASSIGNED_SWARM_ID,
  verifyNodeList,
} from "../registry/core/mod.ts";

const key = (label: string) => sha256(new TextEncoder().encode(label));
const pubkeys = (n: number) =>
  Array.from({ length: n }, (_, i) => key(`bench-node-${i}`));

for (const n of [1_000, 10_000]) {
  const nodes = pubkeys(n);
  Deno.bench(`calcSwarmChanges: ${n} new nodes into an empty network`, {
    group: "swarms",
  }, () => {
    calcSwarmChanges(new Map([[UNASSIGNED_SWARM_ID, nodes]]), 42n);
  });
  const assigned = calcSwarmChanges(
    new Map([[UNASSIGNED_SWARM_ID, nodes]]),
    42n,
  );
  const churned = new Map(assigned);
  churned.set(
    UNASSIGNED_SWARM_ID,
    pubkeys(n / 100).map((_, i) => key(`bench-new-${i}`)),
  );
  Deno.bench(`calcSwarmChanges: ${n} assigned nodes + 1% new`, {
    group: "swarms",
  }, () => {
    calcSwarmChanges(churned, 7n);
  });
  const ids = [...assigned.keys()];
  const session = key("session");
  Deno.bench(
    `swarmForPubkey: among ${ids.length} swarms`,
    { group: "swarms" },
    () => {
      swarmForPubkey(ids, session);
    },
  );
}

const registryKeys = [key("r0"), key("r1"), key("r2")];
const trusted = registryKeys.map(publicKeyOf);
function list(n: number, epoch: bigint, prevHash = new Uint8Array(32)) {
  const records: NodeRecord[] = pubkeys(n).map((pubkey, i) => ({
    pubkey: publicKeyOf(pubkey),
    swarmId: BigInt(i % 100),
    ipv4: `10.0.${(i >> 8) & 255}.${i & 255}`,
    httpsPort: 22021,
    quicPort: 22020,
    version: [2, 10, 0],
    state: "active",
    unlockRequested: false,
  }));
  const header: NodeListHeader = {
    network: 3,
    epoch,
    validAfter: 1_800_000_000n,
    freshUntil: 1_800_000_120n,
    validUntil: 1_800_086_400n,
    prevHash,
    swarmSeed: 1n,
  };
  return buildSignedList(header, records, registryKeys);
}
const list2k = list(2_000, 1n);
const bytes2k = encodeNodeList(list2k);
Deno.bench("node list: encode 2,000 records", { group: "lists" }, () => {
  encodeNodeList(list2k);
});
Deno.bench("node list: decode 2,000 records", { group: "lists" }, () => {
  decodeNodeList(bytes2k, 3);
});
Deno.bench("node list: decode + verify 2-of-3 signatures, 2,000 records", {
  group: "lists",
}, () => {
  verifyNodeList(bytes2k, trusted, { expectedNetwork: 3 });
});
const next = structuredClone(list2k);
next.header.epoch = 2n;
for (let i = 0; i < 20; i++) next.records[i * 100]!.ipv4 = "10.9.9.9";
const nextList = buildSignedList(next.header, next.records, registryKeys);
const diff = diffNodeLists(list2k, nextList);
Deno.bench(
  "node list: diff of 1% changed, 2,000 records",
  { group: "lists" },
  () => {
    diffNodeLists(list2k, nextList);
  },
);
Deno.bench("node list: apply that diff", { group: "lists" }, () => {
  applyNodeListDiff(list2k, diff, 3);
});

const wallet = key("wallet");
const contribution = signMessage({
  kind: "contribute",
  network: 3,
  timestamp: 1_800_000_000,
  sequence: 1,
  wallet: publicKeyOf(wallet),
  nodePubkey: publicKeyOf(key("node")),
  amount: 5_000_000_000n,
}, [wallet]);
Deno.bench("message: sign a contribution", { group: "messages" }, () => {
  signMessage(contribution.body, [wallet]);
});
Deno.bench("message: decode + strict verify a contribution", {
  group: "messages",
}, () => {
  decodeMessage(contribution.bytes, 3);
});
