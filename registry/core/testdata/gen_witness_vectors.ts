/**
 * Generates `witness_vectors.json`, the golden vectors of the node list
 * format v2 and what rides on it (`../README.md`, "Signed node list v2",
 * "Epoch inputs", "State commitment", "Co-signatures", "Key rotation",
 * "Equivocation proofs"). Everything is derived from fixed labels and times,
 * and Ed25519 signing is deterministic, so a rerun gives the same bytes;
 * `witness_vectors_test.ts` checks the file against this generator and
 * re-derives the bytes that matter independently.
 *
 * Run from the repository root:
 * `deno run --allow-write=registry/core/testdata registry/core/testdata/gen_witness_vectors.ts`
 *
 * @module
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { toHex } from "../bytes.ts";
import {
  encodeEpochInputs,
  encodeGenesisPayload,
  encodeKeyRotationPayload,
  encodeReachabilityPayload,
  type EpochInputs,
  epochInputsHash,
  epochInputsToJson,
} from "../inputs.ts";
import { publicKeyOf } from "../keys.ts";
import { type MessageBody, signMessage } from "../messages.ts";
import {
  buildEncodedList,
  buildKeyRotation,
  cosignatureMessage,
  decodeNodeList,
  diffNodeLists,
  equivocationProofToJson,
  findEquivocation,
  keyIdOf,
  listSigningMessage,
  type NodeList,
  type NodeListHeader,
  nodeListToJson,
  type NodeRecord,
  signCosignature,
  signedCheckpointOf,
  splitNodeList,
  withCosignature,
} from "../nodelist.ts";
import {
  encodeStateSnapshot,
  stateHash,
  type StateSnapshot,
} from "../state.ts";
import { UNASSIGNED_SWARM_ID } from "../swarm.ts";

const NETWORK = 3;
const enc = new TextEncoder();
const secret = (label: string) => sha256(enc.encode(label));

const KEY_LABELS = {
  registryOld: "registry-0",
  registryNew: "registry-1",
  witness0: "witness-0",
  witness1: "witness-1",
  witness2: "witness-2",
} as const;
type KeyName = keyof typeof KEY_LABELS;
const sk = (name: KeyName) => secret(KEY_LABELS[name]);
const pk = (name: KeyName) => publicKeyOf(sk(name));

function node(i: number, state: NodeRecord["state"] = "active"): NodeRecord {
  return {
    pubkey: publicKeyOf(secret(`node-key-${i}`)),
    swarmId: state === "active" ? BigInt(i % 2) : UNASSIGNED_SWARM_ID,
    ipv4: `172.16.0.${i + 1}`,
    httpsPort: 22021,
    quicPort: 22020,
    version: [2, 11, i],
    state,
    unlockRequested: false,
  };
}

/** The vectors, as the JSON file holds them. */
export function buildWitnessVectors(): Record<string, unknown> {
  // An inputs document with every kind but genesis (epoch 7), and epoch 0's.
  const wallet = secret("wallet-0");
  const write = signMessage({
    kind: "faucet_request",
    network: NETWORK,
    timestamp: 1_700_000_100,
    sequence: 1,
    wallet: publicKeyOf(wallet),
    amount: 5_000_000_000n,
  } as MessageBody, [wallet]).bytes;
  const rotation = buildKeyRotation(
    NETWORK,
    pk("registryOld"),
    sk("registryNew"),
  );
  const inputs: EpochInputs = {
    network: NETWORK,
    epoch: 7n,
    prevHash: sha256(enc.encode("inputs-6")),
    settings: {
      epochSeconds: 2,
      faucetLimit: 1_000_000_000_000n,
      reachabilityFailureThreshold: 2,
      allowPrivateAddresses: true,
      minimumNodeVersion: [11, 0, 0],
    },
    entries: [
      { kind: "write", atMs: 1_700_000_100_250, payload: write },
      {
        kind: "reachability",
        atMs: 1_700_000_101_000,
        payload: encodeReachabilityPayload([
          {
            node: node(0).pubkey,
            address: "172.16.0.1:22021",
            ok: true,
            detail: "signed challenge verified",
            latencyMs: 4,
          },
          {
            node: node(1).pubkey,
            address: "172.16.0.2:22021",
            ok: false,
            detail: "connection failed: refused",
            latencyMs: null,
          },
        ]),
      },
      {
        kind: "key_rotation",
        atMs: 1_700_000_101_500,
        payload: encodeKeyRotationPayload(rotation),
      },
      { kind: "tick", atMs: 1_700_000_102_000, payload: new Uint8Array() },
    ],
  };
  const inputsBytes = encodeEpochInputs(inputs);
  const genesis: EpochInputs = {
    network: NETWORK,
    epoch: 0n,
    prevHash: new Uint8Array(32),
    settings: { ...inputs.settings, minimumNodeVersion: null },
    entries: [
      {
        kind: "genesis",
        atMs: 1_700_000_000_000,
        payload: encodeGenesisPayload([{
          wallet: publicKeyOf(wallet),
          amount: 1_000_000_000_000n,
        }]),
      },
      { kind: "tick", atMs: 1_700_000_000_001, payload: new Uint8Array() },
    ],
  };
  const genesisBytes = encodeEpochInputs(genesis);

  // A state snapshot: a funded node with two stakes, an awaiting one, wallets, sequences.
  const nodeKey = (i: number) => node(i).pubkey;
  const [first, second] = [nodeKey(0), nodeKey(1)].sort((a, b) =>
    toHex(a) < toHex(b) ? -1 : 1
  );
  const snapshot: StateSnapshot = {
    network: NETWORK,
    epoch: 7n,
    prevListId: sha256(enc.encode("list-6")),
    nodes: [
      {
        pubkey: first!,
        operator: publicKeyOf(wallet),
        feeBasisPoints: 500,
        requirement: 120_000_000_000n,
        status: "active",
        registeredAt: 2,
        statusSince: 3,
        activeSince: 3,
        creditBase: 60,
        creditAtDecommission: null,
        lastProofEpoch: 6,
        unreachable: false,
        reachabilityFailures: 0,
        unlockAt: null,
        lockedUntil: null,
        stakesReleasedAt: null,
        decommissionCount: 0,
        lastReasons: 0,
        swarmId: 0n,
        publicIp: "172.16.0.1",
        httpsPort: 22021,
        quicPort: 22020,
        nodeVersion: "11.0.0",
        storageVersion: "2.11.0",
        lastProofAt: 1_700_000_090,
        lastProofReceivedAt: 1_700_000_091,
        stakes: [
          {
            wallet: publicKeyOf(wallet),
            amount: 30_000_000_000n,
            reserved: 0n,
            sinceEpoch: 2,
          },
          {
            wallet: publicKeyOf(secret("wallet-1")),
            amount: 90_000_000_000n,
            reserved: 40_000_000_000n,
            sinceEpoch: 3,
          },
        ],
      },
      {
        pubkey: second!,
        operator: publicKeyOf(secret("wallet-1")),
        feeBasisPoints: 0,
        requirement: 120_000_000_000n,
        status: "decommissioned",
        registeredAt: 1,
        statusSince: 5,
        activeSince: 2,
        creditBase: 60,
        creditAtDecommission: 61,
        lastProofEpoch: null,
        unreachable: true,
        reachabilityFailures: 2,
        unlockAt: 40,
        lockedUntil: null,
        stakesReleasedAt: null,
        decommissionCount: 1,
        lastReasons: 9,
        swarmId: UNASSIGNED_SWARM_ID,
        publicIp: null,
        httpsPort: null,
        quicPort: null,
        nodeVersion: null,
        storageVersion: null,
        lastProofAt: null,
        lastProofReceivedAt: null,
        stakes: [],
      },
    ],
    wallets: [publicKeyOf(wallet), publicKeyOf(secret("wallet-1"))]
      .sort((a, b) => toHex(a) < toHex(b) ? -1 : 1)
      .map((w, i) => ({
        pubkey: w,
        balance: BigInt(1_000 * (i + 1)),
        createdEpoch: i,
      })),
    sequences: [{ signer: publicKeyOf(wallet), lastSequence: 1 }],
  };
  const stateBytes = encodeStateSnapshot(snapshot);

  // The last v1 list, and the first v2 list chained to it (with the rotation).
  const v1Header: NodeListHeader = {
    network: NETWORK,
    epoch: 6n,
    validAfter: 1_700_000_098n,
    freshUntil: 1_700_000_100n,
    validUntil: 1_700_003_698n,
    prevHash: sha256(enc.encode("list-5")),
    swarmSeed: 42n,
  };
  const v1 = buildEncodedList(v1Header, [node(0), node(1)], [
    sk("registryOld"),
  ]);
  const v2aHeader: NodeListHeader = {
    network: NETWORK,
    epoch: 7n,
    validAfter: 1_700_000_102n,
    freshUntil: 1_700_000_104n,
    validUntil: 1_700_003_702n,
    prevHash: v1.bodyHash,
    swarmSeed: 43n,
    commitments: {
      inputsHash: epochInputsHash(inputsBytes),
      stateHash: stateHash(stateBytes),
      extensions: [{ type: 1, rotation }],
    },
  };
  const v2aPlain = buildEncodedList(v2aHeader, [
    node(0),
    node(1, "decommissioned"),
    node(2),
  ], [sk("registryOld")]);
  let v2aBytes = v2aPlain.bytes;
  const cosigs: {
    list: string;
    witness: string;
    time: string;
    message: string;
  }[] = [];
  for (
    const [w, t] of [["witness0", 1_700_000_103n], [
      "witness1",
      1_700_000_104n,
    ]] as [KeyName, bigint][]
  ) {
    v2aBytes = withCosignature(
      v2aBytes,
      NETWORK,
      signCosignature(v2aPlain.bodyHash, t, sk(w)),
    );
    cosigs.push({
      list: "v2a",
      witness: w,
      time: t.toString(),
      message: toHex(cosignatureMessage(v2aPlain.bodyHash, t)),
    });
  }
  const v2bHeader: NodeListHeader = {
    ...v2aHeader,
    epoch: 8n,
    validAfter: 1_700_000_104n,
    freshUntil: 1_700_000_106n,
    validUntil: 1_700_003_704n,
    prevHash: v2aPlain.bodyHash,
    swarmSeed: 44n,
    commitments: {
      inputsHash: sha256(enc.encode("inputs-8")),
      stateHash: sha256(enc.encode("state-8")),
      extensions: [],
    },
  };
  const v2bPlain = buildEncodedList(v2bHeader, [node(0), node(2), node(3)], [
    sk("registryNew"),
  ]);
  let v2bBytes = v2bPlain.bytes;
  for (
    const [w, t] of [
      ["witness0", 1_700_000_105n],
      ["witness1", 1_700_000_105n],
      ["witness2", 1_700_000_106n],
    ] as [KeyName, bigint][]
  ) {
    v2bBytes = withCosignature(
      v2bBytes,
      NETWORK,
      signCosignature(v2bPlain.bodyHash, t, sk(w)),
    );
  }
  // Another list 8, signed by the same key: an equivocation.
  const v2bForkPlain = buildEncodedList(
    { ...v2bHeader, validUntil: 1_700_003_705n },
    [node(0), node(2), node(3)],
    [sk("registryNew")],
  );
  const v2bFork = withCosignature(
    v2bForkPlain.bytes,
    NETWORK,
    signCosignature(v2bForkPlain.bodyHash, 1_700_000_107n, sk("witness0")),
  );
  const registryProof = findEquivocation(v2bBytes, v2bFork, NETWORK, {
    registryKeys: [pk("registryNew")],
  })!;
  const witnessProof = findEquivocation(v2bBytes, v2bFork, NETWORK, {
    witnessKeys: [pk("witness0")],
  })!;

  const listVector = (
    name: string,
    bytes: Uint8Array,
    signedBy: KeyName[],
    cosignedBy: KeyName[],
  ) => {
    const s = splitNodeList(bytes, NETWORK);
    return {
      name,
      version: s.version,
      signedBy,
      cosignedBy,
      id: toHex(s.id),
      ...(s.recordsHash ? { recordsHash: toHex(s.recordsHash) } : {}),
      headerLength: s.headerEnd,
      signingMessage: toHex(listSigningMessage(s.id, s.version)),
      hex: toHex(bytes),
      json: nodeListToJson(decodeList(bytes)),
    };
  };

  // Faults, one each.
  const invalid: { name: string; kind: string; hex: string; error: string }[] =
    [];
  const flip = (b: Uint8Array, at: number, value: number) => {
    const c = b.slice();
    c[at] = value;
    return c;
  };
  const recAt = splitNodeList(v2bBytes, NETWORK).headerEnd;
  invalid.push({
    name: "a record byte changed (records hash)",
    kind: "list",
    hex: toHex(flip(v2bBytes, recAt + 40, v2bBytes[recAt + 40]! ^ 1)),
    error: "hash_mismatch",
  });
  invalid.push({
    name: "version 3",
    kind: "list",
    hex: toHex(flip(v2bBytes, 4, 3)),
    error: "unsupported_version",
  });
  const extAt = 180; // v2a's first extension's type byte
  invalid.push({
    name: "critical unknown extension type 0x81",
    kind: "list",
    hex: toHex(flip(v2aPlain.bytes, extAt, 0x81)),
    error: "unknown_kind",
  });
  const cosAt = v2bBytes.length - 3 * 80 - 1;
  invalid.push({
    name: "co-signature count 33",
    kind: "list",
    hex: toHex(flip(v2bBytes, cosAt, 33)),
    error: "oversized",
  });
  const swapped = v2bBytes.slice();
  swapped.set(v2bBytes.subarray(cosAt + 1, cosAt + 81), cosAt + 81);
  swapped.set(v2bBytes.subarray(cosAt + 81, cosAt + 161), cosAt + 1);
  invalid.push({
    name: "co-signatures not sorted by key id",
    kind: "list",
    hex: toHex(swapped),
    error: "not_sorted",
  });
  const tickFirst = encodeEpochInputsUnchecked(inputsBytes);
  invalid.push({
    name: "inputs: the tick not last",
    kind: "inputs",
    hex: toHex(tickFirst),
    error: "out_of_range",
  });

  return {
    description:
      "Golden vectors of the node list format v2, epoch inputs, state snapshots, co-signatures, key rotation and equivocation proofs (registry/core/README.md). " +
      "keys[name].secretKey = SHA-256(utf8(label)); node i's Ed25519 secret is SHA-256(utf8('node-key-' + i)); wallet i's is SHA-256(utf8('wallet-' + i)). " +
      "v1 is the last v1 list; v2a (epoch 7) chains to it by its body hash, commits to `inputs` and `state`, announces the rotation registryOld -> registryNew and is signed by registryOld; " +
      "v2b (epoch 8) chains to v2a by its checkpoint hash and is signed by registryNew. Each `invalid` entry must be refused with its error code.",
    network: NETWORK,
    domains: {
      list: "snode-registry/nodelist/v2\n",
      cosignature: "snode-registry/cosignature/v1\n",
      keyRotation: "snode-registry/key-rotation/v1\n",
    },
    keys: Object.fromEntries(
      (Object.keys(KEY_LABELS) as KeyName[]).map((n) => [n, {
        label: KEY_LABELS[n],
        secretKey: toHex(sk(n)),
        publicKey: toHex(pk(n)),
        keyId: toHex(keyIdOf(pk(n))),
      }]),
    ),
    inputs: {
      hex: toHex(inputsBytes),
      hash: toHex(epochInputsHash(inputsBytes)),
      json: epochInputsToJson(inputs),
    },
    genesisInputs: {
      hex: toHex(genesisBytes),
      hash: toHex(epochInputsHash(genesisBytes)),
      json: epochInputsToJson(genesis),
    },
    state: { hex: toHex(stateBytes), hash: toHex(stateHash(stateBytes)) },
    rotation: {
      oldKey: toHex(rotation.oldKey),
      newKey: toHex(rotation.newKey),
      signature: toHex(rotation.signature),
      message: toHex(
        concatBytes(
          enc.encode("snode-registry/key-rotation/v1\n"),
          new Uint8Array([NETWORK]),
          rotation.oldKey,
          rotation.newKey,
        ),
      ),
    },
    lists: [
      listVector("v1", v1.bytes, ["registryOld"], []),
      listVector("v2a", v2aBytes, ["registryOld"], ["witness0", "witness1"]),
      listVector("v2b", v2bBytes, ["registryNew"], [
        "witness0",
        "witness1",
        "witness2",
      ]),
    ],
    cosignatures: cosigs,
    chain: [["v1", "v2a"], ["v2a", "v2b"]],
    keysAfter: { v2a: [toHex(pk("registryNew"))] },
    diff: {
      from: "v2a",
      to: "v2b",
      hex: toHex(diffNodeLists(decodeList(v2aBytes), decodeList(v2bBytes))),
    },
    signedCheckpoint: {
      list: "v2b",
      hex: toHex(signedCheckpointOf(v2bBytes, NETWORK)),
    },
    proofs: {
      registry: equivocationProofToJson(registryProof),
      witness: equivocationProofToJson(witnessProof),
    },
    invalid,
  };
}

function decodeList(bytes: Uint8Array): NodeList {
  return decodeNodeList(bytes, NETWORK);
}

function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The document with its tick moved first (the count and entries otherwise intact). */
function encodeEpochInputsUnchecked(doc: Uint8Array): Uint8Array {
  // Header 66 bytes; entries: kind 1, atMs 8, length 4, payload.
  const entries: Uint8Array[] = [];
  let at = 66;
  while (at < doc.length) {
    const len = new DataView(doc.buffer, doc.byteOffset + at + 9, 4).getUint32(
      0,
    );
    entries.push(doc.subarray(at, at + 13 + len));
    at += 13 + len;
  }
  const tick = entries.pop()!;
  return concatBytes(doc.subarray(0, 66), tick, ...entries);
}

if (import.meta.main) {
  const out = new URL("./witness_vectors.json", import.meta.url);
  await Deno.writeTextFile(
    out,
    JSON.stringify(buildWitnessVectors(), null, 2) + "\n",
  );
  console.log(`wrote ${out.pathname}`);
}
