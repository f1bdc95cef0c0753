/**
 * Generates `nodelist_vectors.json`, the golden vectors of the node list
 * format v1 (`../README.md`). Everything is derived from fixed
 * labels, and Ed25519 signing is deterministic, so a rerun gives the same
 * bytes; `nodelist_test.ts` checks the file against this generator and
 * re-derives every byte.
 *
 * Run from the repository root:
 * `deno run --allow-write=registry/core/testdata registry/core/testdata/gen_nodelist_vectors.ts`
 *
 * @module
 */

import { UNASSIGNED_SWARM_ID } from "../swarm.ts";
import { sha256 } from "@noble/hashes/sha2.js";
import { toHex } from "../bytes.ts";
import { publicKeyOf } from "../keys.ts";
import {
  buildSignedList,
  diffNodeLists,
  encodeListBody,
  encodeNodeList,
  HEADER_LENGTH,
  keyIdOf,
  LIST_SIGNATURE_DOMAIN,
  listBodyHash,
  listSigningMessage,
  type NodeList,
  type NodeListHeader,
  type NodeListJson,
  nodeListToJson,
  type NodeRecord,
  RECORD_LENGTH,
} from "../nodelist.ts";

/** A registry key of the vectors: `secretKey = SHA-256(utf8(seed))`. */
export interface VectorKey {
  seed: string;
  secretKey: string;
  publicKey: string;
  keyId: string;
}

/** A valid list of the vectors. */
export interface VectorList {
  name: string;
  /** Indexes into `registryKeys` of the keys that signed it. */
  signedBy: number[];
  bodyHash: string;
  /** `utf8(signatureDomain) || bodyHash`, what each signature covers. */
  signingMessage: string;
  /** The whole encoded list (body || signatures). */
  hex: string;
  json: NodeListJson;
}

/** Input that a decoder (or verifier, or diff applier) must refuse. */
export interface VectorInvalid {
  name: string;
  /** `list`: decodeNodeList; `verify`: decodes, then k-of-n fails; `diff`: apply to `base`. */
  kind: "list" | "verify" | "diff";
  /** Network id to decode with. */
  network: number;
  hex: string;
  /** For `diff`: the name of the list to apply it to. */
  base?: string;
  /** Expected error code. */
  error: string;
}

/** The whole vectors file. */
export interface NodeListVectors {
  description: string;
  signatureDomain: string;
  network: number;
  registryKeys: VectorKey[];
  verify: { trustedKeys: string[]; threshold: number };
  lists: VectorList[];
  chain: { prev: string; next: string };
  diffs: {
    from: string;
    to: string;
    removed: number;
    upserts: number;
    hex: string;
  }[];
  invalid: VectorInvalid[];
}

const utf8 = (s: string) => new TextEncoder().encode(s);
const NETWORK = 3; // devnet

function node(
  i: number,
  fields: Omit<NodeRecord, "pubkey" | "state" | "swarmId"> & {
    swarmId?: bigint;
    state?: NodeRecord["state"];
  },
): NodeRecord {
  const state = fields.state ?? "active";
  return {
    pubkey: publicKeyOf(sha256(utf8(`node-key-${i}`))),
    swarmId: state === "active" ? fields.swarmId ?? 0n : UNASSIGNED_SWARM_ID,
    ipv4: fields.ipv4,
    httpsPort: fields.httpsPort,
    quicPort: fields.quicPort,
    version: fields.version,
    state,
    unlockRequested: fields.unlockRequested,
  };
}

/** Flip or set bytes of a copy. */
function patch(
  bytes: Uint8Array,
  at: number,
  values: number[],
): Uint8Array {
  const out = bytes.slice();
  out.set(values, at);
  return out;
}

function u32(n: number): number[] {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

/** Build the vectors (pure; the file is written only when run as a script). */
export function buildNodeListVectors(): NodeListVectors {
  const seeds = ["registry-key-0", "registry-key-1", "registry-key-2"];
  const secrets = seeds.map((s) => sha256(utf8(s)));
  const publics = secrets.map((sk) => publicKeyOf(sk));

  const common = { httpsPort: 22021, quicPort: 22020, unlockRequested: false };
  const nodes0 = [
    node(0, { ...common, ipv4: "10.0.0.1", version: [2, 11, 0] }),
    node(1, {
      ...common,
      ipv4: "10.0.1.2",
      version: [2, 11, 0],
      swarmId: 0x7fffffffffffffffn,
    }),
    node(2, {
      ...common,
      ipv4: "192.168.255.254",
      version: [2, 10, 3],
      swarmId: 0x7fffffffffffffffn,
    }),
    node(3, { ...common, ipv4: "172.16.0.9", version: [2, 11, 1] }),
    node(4, {
      ...common,
      ipv4: "203.0.113.77",
      httpsPort: 443,
      quicPort: 65535,
      version: [255, 0, 1],
      state: "decommissioned",
    }),
  ];
  const header0: NodeListHeader = {
    network: NETWORK,
    epoch: 1000n,
    validAfter: 1_700_000_000n,
    freshUntil: 1_700_000_120n,
    validUntil: 1_700_003_600n,
    prevHash: new Uint8Array(32),
    swarmSeed: 0x0123456789abcdefn,
  };
  const list0 = buildSignedList(header0, nodes0, [secrets[0]!, secrets[1]!]);

  // list1: node 1 leaves, node 5 joins, node 2 moves, node 3 is
  // decommissioned, node 4 is recommissioned and requests its unlock.
  const byIndex = new Map(nodes0.map((n, i) => [i, n]));
  const nodes1 = [
    byIndex.get(0)!,
    { ...byIndex.get(2)!, ipv4: "192.168.0.1" },
    {
      ...byIndex.get(3)!,
      state: "decommissioned",
      swarmId: UNASSIGNED_SWARM_ID,
    },
    {
      ...byIndex.get(4)!,
      state: "active",
      swarmId: 0x7fffffffffffffffn,
      unlockRequested: true,
    },
    node(5, { ...common, ipv4: "198.51.100.5", version: [2, 11, 0] }),
  ] satisfies NodeRecord[];
  const header1: NodeListHeader = {
    network: NETWORK,
    epoch: 1001n,
    validAfter: 1_700_000_120n,
    freshUntil: 1_700_000_240n,
    validUntil: 1_700_003_720n,
    prevHash: listBodyHash(encodeListBody(list0.header, list0.records)),
    swarmSeed: 0xfedcba9876543210n,
  };
  const list1 = buildSignedList(header1, nodes1, secrets);

  const describe = (
    name: string,
    list: NodeList,
    signedBy: number[],
  ): VectorList => {
    const bodyHash = listBodyHash(encodeListBody(list.header, list.records));
    return {
      name,
      signedBy,
      bodyHash: toHex(bodyHash),
      signingMessage: toHex(listSigningMessage(bodyHash)),
      hex: toHex(encodeNodeList(list)),
      json: nodeListToJson(list),
    };
  };

  const diff = diffNodeLists(list0, list1);
  const b0 = encodeNodeList(list0);
  const rec = (i: number) => HEADER_LENGTH + i * RECORD_LENGTH;
  const sigs = rec(list0.records.length); // offset of the signature count
  const r0 = b0.subarray(rec(0), rec(1));
  const r1 = b0.subarray(rec(1), rec(2));
  const flagsOf0 = rec(0) + RECORD_LENGTH - 1;
  const firstActive = list0.records.findIndex((r) => r.state === "active");
  const firstDecom = list0.records.findIndex((r) =>
    r.state === "decommissioned"
  );
  const e = (
    name: string,
    bytes: Uint8Array,
    error: string,
    network = NETWORK,
    kind: VectorInvalid["kind"] = "list",
  ): VectorInvalid => ({ name, kind, network, hex: toHex(bytes), error });
  const tamperedSig = b0.slice();
  tamperedSig[sigs + 1 + 8] = tamperedSig[sigs + 1 + 8]! ^ 0x01;
  const unsortedSigs = b0.slice();
  unsortedSigs.set(b0.subarray(sigs + 1 + 72, sigs + 1 + 144), sigs + 1);
  unsortedSigs.set(b0.subarray(sigs + 1, sigs + 1 + 72), sigs + 1 + 72);
  const badDiff = diff.slice();
  badDiff.set(new Uint8Array(32), 4 + 1 + 1 + 8); // fromHash zeroed

  const invalid: VectorInvalid[] = [
    e("truncated by one byte", b0.subarray(0, b0.length - 1), "truncated"),
    e("one trailing byte", new Uint8Array([...b0, 0]), "trailing_bytes"),
    e("magic SNL2", patch(b0, 3, [0x32]), "bad_magic"),
    e("version 3", patch(b0, 4, [3]), "unsupported_version"),
    e("devnet list decoded as mainnet", b0, "wrong_network", 1),
    e("unknown network id 9", patch(b0, 5, [9]), "wrong_network"),
    e(
      "freshUntil after validUntil",
      patch(b0, 22, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
      "out_of_range",
    ),
    e("recordCount 100001", patch(b0, 78, u32(100_001)), "oversized"),
    e("recordCount 0xffffffff", patch(b0, 78, u32(0xffffffff)), "oversized"),
    e("recordCount 8 with 5 records", patch(b0, 78, u32(8)), "truncated"),
    e(
      "records 0 and 1 swapped",
      patch(patch(b0, rec(0), [...r1]), rec(1), [...r0]),
      "not_sorted",
    ),
    e("record 0 repeated", patch(b0, rec(1), [...r0]), "not_sorted"),
    e("flags 0x00", patch(b0, flagsOf0, [0x00]), "out_of_range"),
    e("flags 0x03", patch(b0, flagsOf0, [0x03]), "out_of_range"),
    e("flags 0x09", patch(b0, flagsOf0, [0x09]), "out_of_range"),
    e(
      "active node with the unassigned swarm id",
      patch(b0, rec(firstActive) + 32, [
        0xff,
        0xff,
        0xff,
        0xff,
        0xff,
        0xff,
        0xff,
        0xff,
      ]),
      "out_of_range",
    ),
    e(
      "decommissioned node in swarm 0",
      patch(b0, rec(firstDecom) + 32, [0, 0, 0, 0, 0, 0, 0, 0]),
      "out_of_range",
    ),
    e(
      "signature count 0",
      new Uint8Array([...b0.subarray(0, sigs), 0]),
      "out_of_range",
    ),
    e("signature count 17", patch(b0, sigs, [17]), "oversized"),
    e("signatures not sorted by key id", unsortedSigs, "not_sorted"),
    e(
      "one of two signatures tampered (threshold 2 of 3)",
      tamperedSig,
      "insufficient_signatures",
      NETWORK,
      "verify",
    ),
    {
      ...e("diff applied to the wrong base", badDiff, "hash_mismatch"),
      kind: "diff",
      base: "list0",
    },
    {
      ...e("diff applied to its target", diff, "hash_mismatch"),
      kind: "diff",
      base: "list1",
    },
  ];

  return {
    description:
      "Golden vectors of the signed node list format v1 (registry/core/README.md). " +
      "registryKeys[i].secretKey = SHA-256(utf8(seed)); node i's Ed25519 secret is " +
      "SHA-256(utf8('node-key-' + i)). Every list is valid and verifies with `verify`; " +
      "lists[1] chains to lists[0]; diffs[0] applied to lists[0] gives lists[1].hex; " +
      "each `invalid` entry must be refused with its error code.",
    signatureDomain: LIST_SIGNATURE_DOMAIN,
    network: NETWORK,
    registryKeys: seeds.map((seed, i) => ({
      seed,
      secretKey: toHex(secrets[i]!),
      publicKey: toHex(publics[i]!),
      keyId: toHex(keyIdOf(publics[i]!)),
    })),
    verify: { trustedKeys: publics.map(toHex), threshold: 2 },
    lists: [
      describe("list0", list0, [0, 1]),
      describe("list1", list1, [0, 1, 2]),
    ],
    chain: { prev: "list0", next: "list1" },
    diffs: [{
      from: "list0",
      to: "list1",
      removed: 1,
      upserts: 4,
      hex: toHex(diff),
    }],
    invalid,
  };
}

if (import.meta.main) {
  const out = new URL("./nodelist_vectors.json", import.meta.url);
  await Deno.writeTextFile(
    out,
    JSON.stringify(buildNodeListVectors(), null, 2) + "\n",
  );
  console.log(`wrote ${out.pathname}`);
}
