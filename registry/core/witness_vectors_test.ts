// testdata/witness_vectors.json: the file is what the generator makes, and
// its bytes are re-derived here by hand (offsets, SHA-256, Ed25519 over the
// spelled-out messages) as another implementation would, per README.md.
import assert from "node:assert/strict";
import { sha256 } from "@noble/hashes/sha2.js";
import { concat, fromHex, toHex } from "./bytes.ts";
import { decodeEpochInputs, epochInputsFromJson } from "./inputs.ts";
import { verify } from "./keys.ts";
import {
  applyNodeListDiff,
  decodeNodeList,
  equivocationProofFromJson,
  followKeyRotation,
  type NodeList,
  nodeListFromJson,
  verifyChain,
  verifyEquivocationProof,
} from "./nodelist.ts";
import { decodeStateSnapshot, encodeStateSnapshot } from "./state.ts";
import { buildWitnessVectors } from "./testdata/gen_witness_vectors.ts";

const file = JSON.parse(
  await Deno.readTextFile(
    new URL("./testdata/witness_vectors.json", import.meta.url),
  ),
);
const utf8 = (s: string) => new TextEncoder().encode(s);
const u64 = (b: Uint8Array, at: number) =>
  new DataView(b.buffer, b.byteOffset).getBigUint64(at);
const u16 = (b: Uint8Array, at: number) =>
  new DataView(b.buffer, b.byteOffset).getUint16(at);
const u32 = (b: Uint8Array, at: number) =>
  new DataView(b.buffer, b.byteOffset).getUint32(at);

Deno.test("witness vectors: the file is the generator's output", () => {
  assert.deepEqual(file, JSON.parse(JSON.stringify(buildWitnessVectors())));
});

Deno.test("witness vectors: v2 lists re-derived byte by byte", () => {
  const keyBy = new Map<string, string>(
    Object.values(
      file.keys as Record<string, { keyId: string; publicKey: string }>,
    )
      .map((k) => [k.keyId, k.publicKey]),
  );
  for (const v of file.lists) {
    const bytes = fromHex(v.hex);
    assert.equal(
      new TextDecoder().decode(bytes.subarray(0, 4)),
      "SNL1",
      v.name,
    );
    assert.equal(bytes[4], v.version, v.name);
    const count = u32(bytes, 78);
    if (v.version === 1) {
      const bodyEnd = 82 + 52 * count;
      assert.equal(toHex(sha256(bytes.subarray(0, bodyEnd))), v.id, v.name);
      continue;
    }
    // Header: v1 fields, recordsHash, inputsHash, stateHash, extensions.
    const extLen = u16(bytes, 178);
    const headerEnd = 180 + extLen;
    assert.equal(headerEnd, v.headerLength);
    const records = bytes.subarray(headerEnd, headerEnd + 52 * count);
    assert.equal(
      toHex(bytes.subarray(82, 114)),
      toHex(sha256(records)),
      `${v.name} recordsHash`,
    );
    assert.equal(toHex(bytes.subarray(82, 114)), v.recordsHash);
    assert.equal(
      toHex(sha256(bytes.subarray(0, headerEnd))),
      v.id,
      `${v.name} checkpoint hash`,
    );
    const id = fromHex(v.id);
    // Registry signatures over the v2 domain and the checkpoint hash.
    let at = headerEnd + 52 * count;
    const sigCount = bytes[at]!;
    at += 1;
    const message = concat(utf8(file.domains.list), id);
    assert.equal(toHex(message), v.signingMessage);
    for (let i = 0; i < sigCount; i++, at += 72) {
      const signer = keyBy.get(toHex(bytes.subarray(at, at + 8)))!;
      assert(
        verify(fromHex(signer), message, bytes.subarray(at + 8, at + 72)),
        `${v.name} signature ${i}`,
      );
    }
    // Co-signatures: key id, time, signature over domain || time || hash.
    const cosCount = bytes[at]!;
    at += 1;
    assert.equal(cosCount, v.cosignedBy.length, v.name);
    for (let i = 0; i < cosCount; i++, at += 80) {
      const witness = keyBy.get(toHex(bytes.subarray(at, at + 8)))!;
      const time = bytes.subarray(at + 8, at + 16);
      const m = concat(utf8(file.domains.cosignature), time, id);
      assert(
        verify(fromHex(witness), m, bytes.subarray(at + 16, at + 80)),
        `${v.name} co-signature ${i}`,
      );
    }
    assert.equal(at, bytes.length, `${v.name} ends after the co-signatures`);
    // The decoder and the JSON view agree.
    const list = decodeNodeList(bytes, file.network);
    assert.deepEqual(nodeListFromJson(v.json, file.network), list);
  }
  for (const c of file.cosignatures) {
    const v = file.lists.find((l: { name: string }) => l.name === c.list);
    const time = new Uint8Array(8);
    new DataView(time.buffer).setBigUint64(0, BigInt(c.time));
    assert.equal(
      c.message,
      toHex(concat(utf8(file.domains.cosignature), time, fromHex(v.id))),
    );
  }
});

Deno.test("witness vectors: the chain across the upgrade, the rotation, the diff", () => {
  const byName = new Map<string, NodeList>(
    file.lists.map((
      l: { name: string; hex: string },
    ) => [l.name, decodeNodeList(fromHex(l.hex), file.network)]),
  );
  for (const [a, b] of file.chain) verifyChain(byName.get(a)!, byName.get(b)!);
  const v2a = byName.get("v2a")!;
  assert.equal(
    toHex(v2a.header.prevHash),
    file.lists[0].id,
    "the first v2 list names the last v1 list's body hash",
  );
  // The rotation: its message, the new key's signature, and following it.
  const r = file.rotation;
  assert.equal(
    r.message,
    toHex(
      concat(
        utf8(file.domains.keyRotation),
        new Uint8Array([file.network]),
        fromHex(r.oldKey),
        fromHex(r.newKey),
      ),
    ),
  );
  assert(verify(fromHex(r.newKey), fromHex(r.message), fromHex(r.signature)));
  assert.deepEqual(
    followKeyRotation(v2a, [fromHex(file.keys.registryOld.publicKey)]).map(
      toHex,
    ),
    file.keysAfter.v2a,
  );
  const v2b = file.lists.find((l: { name: string }) => l.name === "v2b");
  const v2aHex = file.lists.find((l: { name: string }) => l.name === "v2a").hex;
  assert.equal(
    toHex(
      applyNodeListDiff(fromHex(v2aHex), fromHex(file.diff.hex), file.network),
    ),
    v2b.hex,
  );
  // The signed checkpoint is the header then both signature sections.
  const cp = fromHex(file.signedCheckpoint.hex);
  const full = fromHex(v2b.hex);
  const count = u32(full, 78);
  assert.equal(
    file.signedCheckpoint.hex,
    toHex(
      concat(
        full.subarray(0, v2b.headerLength),
        full.subarray(v2b.headerLength + 52 * count),
      ),
    ),
  );
  assert.equal(toHex(sha256(cp.subarray(0, v2b.headerLength))), v2b.id);
});

Deno.test("witness vectors: inputs documents and the state snapshot", () => {
  for (const d of [file.inputs, file.genesisInputs]) {
    const bytes = fromHex(d.hex);
    assert.equal(toHex(sha256(bytes)), d.hash);
    assert.equal(new TextDecoder().decode(bytes.subarray(0, 4)), "SNI1");
    assert.equal(bytes[4], 1);
    assert.equal(bytes[5], file.network);
    const epoch = u64(bytes, 6);
    assert.equal(epoch.toString(), d.json.epoch);
    assert.equal(toHex(bytes.subarray(14, 46)), d.json.prevHash);
    assert.equal(u16(bytes, 46), d.json.settings.epochSeconds);
    const entries = u32(bytes, 62);
    let at = 66;
    const kinds = [
      "",
      "genesis",
      "write",
      "reachability",
      "key_rotation",
      "tick",
    ];
    for (let i = 0; i < entries; i++) {
      const kind = kinds[bytes[at]!]!;
      assert.equal(kind, d.json.entries[i].kind);
      assert.equal(u64(bytes, at + 1).toString(), d.json.entries[i].atMs);
      at += 13 + u32(bytes, at + 9);
    }
    assert.equal(at, bytes.length);
    assert.deepEqual(
      epochInputsFromJson(d.json, file.network),
      decodeEpochInputs(bytes, file.network),
    );
  }
  const v2a = file.lists.find((l: { name: string }) => l.name === "v2a");
  const header = fromHex(v2a.hex);
  assert.equal(
    toHex(header.subarray(114, 146)),
    file.inputs.hash,
    "v2a commits to the inputs",
  );
  assert.equal(
    toHex(header.subarray(146, 178)),
    file.state.hash,
    "v2a commits to the state",
  );
  const state = fromHex(file.state.hex);
  assert.equal(toHex(sha256(state)), file.state.hash);
  assert.deepEqual(
    encodeStateSnapshot(decodeStateSnapshot(state, file.network)),
    state,
  );
});

Deno.test("witness vectors: equivocation proofs verify offline; faults are refused with their codes", () => {
  for (const role of ["registry", "witness"]) {
    const json = file.proofs[role];
    const proof = equivocationProofFromJson(json);
    const v = verifyEquivocationProof(proof);
    assert.equal(v.role, role);
    const [a, b] = json.checkpoints;
    assert.notEqual(a.checkpointHash, b.checkpointHash);
    assert(a.checkpointHash < b.checkpointHash, "sides in ascending order");
    for (const side of json.checkpoints) {
      const id = sha256(fromHex(side.checkpoint));
      assert.equal(toHex(id), side.checkpointHash);
      const message = role === "registry"
        ? concat(utf8(file.domains.list), id)
        : (() => {
          const t = new Uint8Array(8);
          new DataView(t.buffer).setBigUint64(0, BigInt(side.time));
          return concat(utf8(file.domains.cosignature), t, id);
        })();
      assert(verify(fromHex(json.signer), message, fromHex(side.signature)));
    }
  }
  for (const bad of file.invalid) {
    const bytes = fromHex(bad.hex);
    const run = bad.kind === "inputs"
      ? () => decodeEpochInputs(bytes, file.network)
      : () => decodeNodeList(bytes, file.network);
    assert.throws(run, { code: bad.error }, bad.name);
  }
});
