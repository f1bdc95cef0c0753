// Format v2: commitments, extensions, co-signatures, key rotations, diffs
// across the upgrade, the JSON view, signed checkpoints and equivocation
// proofs. The byte layout is checked with an independent offset-based
// reader (README "Signed node list v2").
import assert from "node:assert/strict";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesEqual, concat, toHex } from "./bytes.ts";
import { publicKeyOf, sign } from "./keys.ts";
import {
  applyNodeListDiff,
  buildEncodedList,
  buildKeyRotation,
  buildSignedList,
  cosignatureMessage,
  decodeCheckpoint,
  decodeNodeList,
  decodeNodeListDiff,
  decodeSignedCheckpoint,
  diffNodeLists,
  encodeNodeList,
  equivocationProofFromJson,
  equivocationProofToJson,
  findEquivocation,
  followKeyRotation,
  keyRotationOf,
  listIdOf,
  type NodeList,
  nodeListBodyHash,
  nodeListFromJson,
  type NodeListHeader,
  nodeListToJson,
  type NodeRecord,
  signCosignature,
  signedCheckpointOf,
  splitNodeList,
  verifyChain,
  verifyCosignatures,
  verifyEquivocationProof,
  verifyNodeList,
  withCosignature,
  withoutCosignatures,
} from "./nodelist.ts";
import { UNASSIGNED_SWARM_ID } from "./swarm.ts";

const DEVNET = 3;
const key = (label: string) => sha256(new TextEncoder().encode(label));
const REGISTRY = key("registry-0");
const NEXT = key("registry-1");
const WITNESSES = [0, 1, 2].map((i) => key(`witness-${i}`));
const WITNESS_KEYS = WITNESSES.map(publicKeyOf);

function node(i: number, state: NodeRecord["state"] = "active"): NodeRecord {
  return {
    pubkey: publicKeyOf(key(`node-${i}`)),
    swarmId: state === "active" ? BigInt(i % 2) : UNASSIGNED_SWARM_ID,
    ipv4: `10.0.0.${i + 1}`,
    httpsPort: 22021,
    quicPort: 22020,
    version: [2, 11, i % 3],
    state,
    unlockRequested: i === 3,
  };
}

function header(over: Partial<NodeListHeader> = {}): NodeListHeader {
  return {
    network: DEVNET,
    epoch: 10n,
    validAfter: 1_700_000_000n,
    freshUntil: 1_700_000_002n,
    validUntil: 1_700_003_600n,
    prevHash: new Uint8Array(32).fill(7),
    swarmSeed: 99n,
    commitments: {
      inputsHash: new Uint8Array(32).fill(1),
      stateHash: new Uint8Array(32).fill(2),
      extensions: [],
    },
    ...over,
  };
}

const records = [0, 1, 2, 3, 4].map((i) =>
  node(i, i === 2 ? "decommissioned" : "active")
);

Deno.test("v2: the header commits to records, inputs and state; its hash is the identity", () => {
  const { bytes, bodyHash, list } = buildEncodedList(header(), records, [
    REGISTRY,
  ]);
  // Independent reading of the layout.
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  assert.equal(new TextDecoder().decode(bytes.subarray(0, 4)), "SNL1");
  assert.equal(bytes[4], 2);
  assert.equal(view.getUint32(78), records.length);
  const recs = bytes.subarray(180, 180 + 52 * records.length);
  assert.deepEqual(bytes.subarray(82, 114), sha256(recs), "recordsHash");
  assert.deepEqual(bytes.subarray(114, 146), new Uint8Array(32).fill(1));
  assert.deepEqual(bytes.subarray(146, 178), new Uint8Array(32).fill(2));
  assert.equal(view.getUint16(178), 0);
  assert.deepEqual(bodyHash, sha256(bytes.subarray(0, 180)), "checkpoint hash");
  const sigAt = 180 + 52 * records.length;
  assert.equal(bytes[sigAt], 1);
  assert.equal(bytes[sigAt + 73], 0, "empty co-signatures section");
  assert.equal(bytes.length, sigAt + 74);
  // Decoding and the other views agree.
  assert.deepEqual(decodeNodeList(bytes, DEVNET), list);
  assert.deepEqual(encodeNodeList(list), bytes);
  assert.deepEqual(nodeListBodyHash(list), bodyHash);
  assert.deepEqual(listIdOf(bytes, DEVNET), bodyHash);
  const v = verifyNodeList(bytes, [publicKeyOf(REGISTRY)], {
    expectedNetwork: DEVNET,
  });
  assert.deepEqual(v.bodyHash, bodyHash);
  // The v2 signature covers the v2 domain and the checkpoint hash.
  const message = concat(
    new TextEncoder().encode("snode-registry/nodelist/v2\n"),
    bodyHash,
  );
  assert.deepEqual(list.signatures[0]!.signature, sign(REGISTRY, message));
});

Deno.test("v2: records that do not match recordsHash are refused", () => {
  const { bytes } = buildEncodedList(header(), records, [REGISTRY]);
  const bad = bytes.slice();
  bad[180 + 40] = bad[180 + 40]! ^ 1; // an IPv4 byte of the first record
  assert.throws(() => decodeNodeList(bad, DEVNET), { code: "hash_mismatch" });
  // The header and signatures alone still split (a server need not decode records).
  assert.equal(splitNodeList(bad, DEVNET).recordCount, records.length);
});

Deno.test("v2: extensions are sorted, typed, and unknown critical ones refused", () => {
  const rotation = buildKeyRotation(DEVNET, publicKeyOf(REGISTRY), NEXT);
  const h = header({
    commitments: {
      inputsHash: new Uint8Array(32),
      stateHash: new Uint8Array(32),
      extensions: [{ type: 1, rotation }, {
        type: 0x10,
        value: new Uint8Array([9]),
      }],
    },
  });
  const { bytes, list } = buildEncodedList(h, records, [REGISTRY]);
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  assert.equal(view.getUint16(178), 3 + 128 + 3 + 1);
  assert.equal(bytes[180], 1);
  assert.equal(view.getUint16(181), 128);
  assert.deepEqual(bytes.subarray(183, 215), rotation.oldKey);
  assert.deepEqual(decodeNodeList(bytes, DEVNET), list);
  assert.deepEqual(keyRotationOf(list.header), rotation);
  const unsorted = {
    ...h,
    commitments: {
      ...h.commitments!,
      extensions: [...h.commitments!.extensions].reverse(),
    },
  };
  assert.throws(() => buildEncodedList(unsorted, [], [REGISTRY]), {
    code: "not_sorted",
  });
  const critical = bytes.slice();
  critical[180 + 131] = 0x90; // the second extension's type
  assert.throws(() => decodeNodeList(critical, DEVNET), {
    code: "unknown_kind",
  });
});

Deno.test("v2: co-signatures are timestamped, domain-separated and counted k of n", () => {
  const { bytes, bodyHash } = buildEncodedList(header(), records, [REGISTRY]);
  let cosigned = bytes;
  for (const w of WITNESSES.slice(0, 2)) {
    cosigned = withCosignature(
      cosigned,
      DEVNET,
      signCosignature(bodyHash, 1_700_000_001n, w),
    );
  }
  const split = splitNodeList(cosigned, DEVNET);
  assert.equal(split.cosignatures.length, 2);
  assert.deepEqual(
    split.id,
    bodyHash,
    "co-signatures do not change the identity",
  );
  assert.deepEqual(withoutCosignatures(cosigned, DEVNET), bytes);
  const c = split.cosignatures[0]!;
  const signer = WITNESS_KEYS.find((k) =>
    bytesEqual(sha256(k).subarray(0, 8), c.keyId)
  )!;
  const message = concat(
    new TextEncoder().encode("snode-registry/cosignature/v1\n"),
    new Uint8Array([0, 0, 0, 0, 0x65, 0x53, 0xf1, 0x01]),
    bodyHash,
  );
  assert.deepEqual(cosignatureMessage(bodyHash, 1_700_000_001n), message);
  assert(WITNESS_KEYS.some((k) => bytesEqual(k, signer)));
  assert.equal(
    verifyCosignatures(cosigned, WITNESS_KEYS, { expectedNetwork: DEVNET })
      .signers.length,
    2,
  );
  assert.throws(
    () =>
      verifyCosignatures(cosigned, WITNESS_KEYS, {
        expectedNetwork: DEVNET,
        threshold: 3,
      }),
    { code: "insufficient_cosignatures" },
  );
  // A witness key's co-signature never passes as a registry signature.
  const asRegistry = verifyNodeList.bind(null, cosigned, [WITNESS_KEYS[0]!], {
    expectedNetwork: DEVNET,
    threshold: 1,
  });
  assert.throws(asRegistry, { code: "insufficient_signatures" });
  // A tampered co-signature is not counted.
  const tampered = cosigned.slice();
  tampered[tampered.length - 1] = tampered.at(-1)! ^ 1;
  assert.equal(
    verifyCosignatures(tampered, WITNESS_KEYS, {
      expectedNetwork: DEVNET,
      threshold: 1,
    }).signers.length,
    1,
  );
  // The decoded list round-trips with its co-signatures, also as JSON.
  const list = decodeNodeList(cosigned, DEVNET);
  assert.deepEqual(encodeNodeList(list), cosigned);
  const json = JSON.parse(JSON.stringify(nodeListToJson(list)));
  assert.equal(json.version, 2);
  assert.equal(json.checkpointHash, toHex(bodyHash));
  assert.deepEqual(encodeNodeList(nodeListFromJson(json, DEVNET)), cosigned);
  assert.throws(
    () => nodeListFromJson({ ...json, stateHash: "00".repeat(32) }, DEVNET),
    {
      code: "hash_mismatch",
    },
  );
  assert.throws(
    () => nodeListFromJson({ ...json, bodyHash: json.checkpointHash }, DEVNET),
    {
      code: "bad_json",
    },
  );
});

Deno.test("v2: the first v2 list chains to the last v1 list; diffs cross the upgrade", () => {
  const v1Header = { ...header({ epoch: 9n }) };
  delete v1Header.commitments;
  const v1 = buildSignedList(v1Header, records.slice(0, 4), [REGISTRY]);
  const v2 = buildSignedList(
    header({ epoch: 10n, prevHash: nodeListBodyHash(v1) }),
    records,
    [REGISTRY],
  );
  verifyChain(v1, v2);
  const v2b = buildSignedList(
    header({ epoch: 11n, prevHash: nodeListBodyHash(v2) }),
    [...records.slice(1), node(7)],
    [REGISTRY],
  );
  verifyChain(v2, v2b);
  const cosigned = decodeNodeList(
    withCosignature(
      encodeNodeList(v2b),
      DEVNET,
      signCosignature(nodeListBodyHash(v2b), 5n, WITNESSES[0]!),
    ),
    DEVNET,
  );
  for (
    const [from, to] of [[v1, v2], [v2, cosigned], [v1, cosigned]] as [
      NodeList,
      NodeList,
    ][]
  ) {
    const diff = diffNodeLists(from, to);
    assert.equal(diff[4], 2, "a diff to a v2 list is a v2 diff");
    assert.equal(
      decodeNodeListDiff(diff, DEVNET).toHeader.epoch,
      to.header.epoch,
    );
    assert.deepEqual(
      applyNodeListDiff(encodeNodeList(from), diff, DEVNET),
      encodeNodeList(to),
    );
  }
  // A diff applied to the wrong base is refused.
  assert.throws(
    () =>
      applyNodeListDiff(
        encodeNodeList(v2),
        diffNodeLists(v1, cosigned),
        DEVNET,
      ),
    { code: "hash_mismatch" },
  );
});

Deno.test("v2: key rotation is followed only when the key it replaces signed it", () => {
  const rotation = buildKeyRotation(DEVNET, publicKeyOf(REGISTRY), NEXT);
  const withRotation = (r = rotation) =>
    header({
      commitments: {
        inputsHash: new Uint8Array(32),
        stateHash: new Uint8Array(32),
        extensions: [{ type: 1, rotation: r }],
      },
    });
  const list = buildSignedList(withRotation(), [], [REGISTRY]);
  assert.deepEqual(followKeyRotation(list, [publicKeyOf(REGISTRY)]), [
    publicKeyOf(NEXT),
  ]);
  // Signed by another key (a key the client does not trust): refused.
  const forged = buildSignedList(withRotation(), [], [WITNESSES[0]!]);
  assert.throws(() => followKeyRotation(forged, [publicKeyOf(REGISTRY)]), {
    code: "bad_rotation",
  });
  // Without the new key's proof of possession: refused.
  const noProof = buildSignedList(
    withRotation({ ...rotation, signature: new Uint8Array(64) }),
    [],
    [REGISTRY],
  );
  assert.throws(() => followKeyRotation(noProof, [publicKeyOf(REGISTRY)]), {
    code: "bad_rotation",
  });
  // A list without a rotation keeps the keys.
  const plain = buildSignedList(header(), [], [REGISTRY]);
  assert.deepEqual(followKeyRotation(plain, [publicKeyOf(REGISTRY)]), [
    publicKeyOf(REGISTRY),
  ]);
});

Deno.test("v2: signed checkpoints and equivocation proofs, checked offline", () => {
  const a = buildEncodedList(header(), records, [REGISTRY]);
  const b = buildEncodedList(header({ validUntil: 1_700_003_601n }), records, [
    REGISTRY,
  ]);
  const ca = signedCheckpointOf(a.bytes, DEVNET);
  assert.equal(ca.length, 180 + 73 + 1);
  const decoded = decodeSignedCheckpoint(ca, DEVNET);
  assert.deepEqual(decoded.id, a.bodyHash);
  assert.deepEqual(decodeCheckpoint(decoded.checkpoint, DEVNET).id, a.bodyHash);
  // The registry signed two lists for epoch 10: a registry equivocation.
  const proof = findEquivocation(a.bytes, b.bytes, DEVNET, {
    registryKeys: [publicKeyOf(REGISTRY)],
  })!;
  assert.equal(proof.role, "registry");
  const v = verifyEquivocationProof(proof);
  assert.equal(v.epoch, 10n);
  const json = JSON.parse(JSON.stringify(equivocationProofToJson(proof)));
  assert.deepEqual(equivocationProofFromJson(json), proof);
  assert(JSON.stringify(json).length < 1600, "a proof is small");
  // Same list twice, or another epoch: no proof.
  assert.equal(
    findEquivocation(a.bytes, ca, DEVNET, {
      registryKeys: [publicKeyOf(REGISTRY)],
    }),
    undefined,
  );
  const other = buildEncodedList(header({ epoch: 11n }), records, [REGISTRY]);
  assert.equal(
    findEquivocation(a.bytes, other.bytes, DEVNET, {
      registryKeys: [publicKeyOf(REGISTRY)],
    }),
    undefined,
  );
  assert.throws(
    () =>
      verifyEquivocationProof({
        ...proof,
        sides: [proof.sides[0], proof.sides[0]],
      }),
    { code: "not_equivocation" },
  );
  const badSig = {
    ...proof,
    sides: [proof.sides[0], {
      ...proof.sides[1],
      signature: proof.sides[0].signature,
    }] as typeof proof.sides,
  };
  assert.throws(() => verifyEquivocationProof(badSig), {
    code: "bad_signature",
  });
  // A witness that co-signed both: a witness equivocation.
  const wa = withCosignature(
    a.bytes,
    DEVNET,
    signCosignature(a.bodyHash, 1n, WITNESSES[1]!),
  );
  const wb = withCosignature(
    b.bytes,
    DEVNET,
    signCosignature(b.bodyHash, 2n, WITNESSES[1]!),
  );
  const wp = findEquivocation(wa, wb, DEVNET, { witnessKeys: WITNESS_KEYS })!;
  assert.equal(wp.role, "witness");
  assert.deepEqual(wp.signer, WITNESS_KEYS[1]);
  verifyEquivocationProof(wp);
  const wjson = JSON.parse(JSON.stringify(equivocationProofToJson(wp)));
  assert.deepEqual(equivocationProofFromJson(wjson), wp);
  delete wjson.checkpoints[0].time;
  assert.throws(() => equivocationProofFromJson(wjson), { code: "bad_json" });
});

Deno.test("v2: decode errors are typed on every prefix and single-byte change", () => {
  const { bytes, bodyHash } = buildEncodedList(header(), records, [REGISTRY]);
  const full = withCosignature(
    bytes,
    DEVNET,
    signCosignature(bodyHash, 1n, WITNESSES[0]!),
  );
  for (let n = 0; n < full.length; n += 7) {
    assert.throws(
      () => decodeNodeList(full.subarray(0, n), DEVNET),
      (e: Error & { code?: string }) => typeof e.code === "string",
    );
  }
  for (let i = 0; i < full.length; i += 3) {
    const m = full.slice();
    m[i] = m[i]! ^ 0x5a;
    try {
      decodeNodeList(m, DEVNET);
    } catch (e) {
      assert(
        typeof (e as { code?: unknown }).code === "string",
        `byte ${i}: ${e}`,
      );
    }
  }
});
