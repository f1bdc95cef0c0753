import { UNASSIGNED_SWARM_ID } from "./swarm.ts";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesEqual, compareBytes, concat, fromHex, toHex } from "./bytes.ts";
import { CoreError, DecodeError } from "./errors.ts";
import { publicKeyOf, sign, verify, x25519FromEd25519 } from "./keys.ts";
import {
  applyNodeListDiff,
  buildSignedList,
  checkFreshness,
  decodeListBody,
  decodeNodeList,
  decodeNodeListDiff,
  DIFF_PREFIX_LENGTH,
  diffNodeLists,
  encodeListBody,
  encodeNodeList,
  encodeNodeListDiff,
  HEADER_LENGTH,
  KEY_ID_LENGTH,
  keyIdOf,
  LIST_SIGNATURE_DOMAIN,
  listBodyHash,
  listSigningMessage,
  majorityThreshold,
  MAX_LIST_LENGTH,
  MAX_RECORDS,
  type NodeList,
  nodeListBodyHash,
  nodeListFromJson,
  type NodeListHeader,
  nodeListToJson,
  type NodeRecord,
  RECORD_LENGTH,
  SIGNATURE_ENTRY_LENGTH,
  signListBody,
  verifyChain,
  verifyNodeList,
} from "./nodelist.ts";
import {
  buildNodeListVectors,
  type NodeListVectors,
} from "./testdata/gen_nodelist_vectors.ts";

// ---------------------------------------------------------------------------
// Fixtures

const utf8 = (s: string) => new TextEncoder().encode(s);
const REGISTRY_SECRETS = [0, 1, 2, 3].map((i) =>
  sha256(utf8(`test-registry-key-${i}`))
);
const REGISTRY_KEYS = REGISTRY_SECRETS.map(publicKeyOf);
/** Keys 0..2 are trusted; key 3 is an outsider. */
const TRUSTED = REGISTRY_KEYS.slice(0, 3);
const DEVNET = 3;

function header(over: Partial<NodeListHeader> = {}): NodeListHeader {
  return {
    network: DEVNET,
    epoch: 7n,
    validAfter: 1_000n,
    freshUntil: 1_120n,
    validUntil: 4_600n,
    prevHash: new Uint8Array(32),
    swarmSeed: 42n,
    ...over,
  };
}

function node(i: number, over: Partial<NodeRecord> = {}): NodeRecord {
  return {
    pubkey: publicKeyOf(sha256(utf8(`test-node-${i}`))),
    swarmId: BigInt(i % 3) * 1000n,
    ipv4: `10.0.${i >> 8 & 0xff}.${i & 0xff}`,
    httpsPort: 22021,
    quicPort: 22020,
    version: [2, 11, i % 4],
    state: "active",
    unlockRequested: false,
    ...over,
  };
}

function sorted(records: NodeRecord[]): NodeRecord[] {
  return [...records].sort((a, b) => compareBytes(a.pubkey, b.pubkey));
}

/** A small valid list: 3 nodes, signed by trusted keys 0 and 1. */
function smallList(): NodeList {
  return buildSignedList(
    header(),
    [
      node(0),
      node(1, { unlockRequested: true }),
      node(2, {
        state: "decommissioned",
        swarmId: UNASSIGNED_SWARM_ID,
      }),
    ],
    REGISTRY_SECRETS.slice(0, 2),
  );
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert(
      e instanceof CoreError,
      `expected a typed core error, got ${String(e)}`,
    );
    return e.code;
  }
  return "no error";
}

function throwsCode(f: () => unknown, code: string, label = ""): void {
  assert.equal(codeOf(f), code, label);
}

// ---------------------------------------------------------------------------
// Arbitraries

const u64 = fc.bigInt({ min: 0n, max: UNASSIGNED_SWARM_ID });
const arbRecord: fc.Arbitrary<NodeRecord> = fc.record({
  pubkey: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  swarmId: fc.bigInt({ min: 0n, max: UNASSIGNED_SWARM_ID - 1n }),
  ip: fc.array(fc.nat(255), { minLength: 4, maxLength: 4 }),
  httpsPort: fc.nat(0xffff),
  quicPort: fc.nat(0xffff),
  version: fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255)),
  decommissioned: fc.boolean(),
  unlockRequested: fc.boolean(),
}).map((r) => ({
  pubkey: r.pubkey,
  swarmId: r.decommissioned ? UNASSIGNED_SWARM_ID : r.swarmId,
  ipv4: r.ip.join("."),
  httpsPort: r.httpsPort,
  quicPort: r.quicPort,
  version: r.version,
  state: r.decommissioned ? "decommissioned" : "active",
  unlockRequested: r.unlockRequested,
}));
const arbRecords = fc.uniqueArray(arbRecord, {
  selector: (r) => toHex(r.pubkey),
  maxLength: 25,
}).map(sorted);
const arbHeader: fc.Arbitrary<NodeListHeader> = fc.record({
  network: fc.constantFrom(1, 2, 3),
  epoch: fc.bigInt({ min: 0n, max: UNASSIGNED_SWARM_ID - 100n }),
  times: fc.tuple(u64, u64, u64).map((t) =>
    t.sort((a, b) => a < b ? -1 : a > b ? 1 : 0)
  ),
  prevHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  swarmSeed: u64,
}).map((h) => ({
  network: h.network,
  epoch: h.epoch,
  validAfter: h.times[0]!,
  freshUntil: h.times[1]!,
  validUntil: h.times[2]!,
  prevHash: h.prevHash,
  swarmSeed: h.swarmSeed,
}));
const arbSigners = fc.uniqueArray(fc.nat(REGISTRY_SECRETS.length - 1), {
  minLength: 1,
  maxLength: REGISTRY_SECRETS.length,
}).map((ix) => ix.map((i) => REGISTRY_SECRETS[i]!));
const arbList: fc.Arbitrary<NodeList> = fc.tuple(
  arbHeader,
  arbRecords,
  arbSigners,
).map(([h, r, s]) => buildSignedList(h, r, s));

// ---------------------------------------------------------------------------
// Layout

Deno.test("layout constants add up", () => {
  assert.equal(HEADER_LENGTH, 82);
  assert.equal(RECORD_LENGTH, 52);
  assert.equal(SIGNATURE_ENTRY_LENGTH, 72);
  assert.equal(DIFF_PREFIX_LENGTH, 78);
  const list = smallList();
  assert.equal(
    encodeNodeList(list).length,
    HEADER_LENGTH + 3 * RECORD_LENGTH + 1 + 2 * SIGNATURE_ENTRY_LENGTH,
  );
  // The first 51 bytes of a record are libsession's active_nodes_bin record.
  const bytes = encodeNodeList(list);
  const rec = bytes.subarray(HEADER_LENGTH, HEADER_LENGTH + RECORD_LENGTH);
  const r0 = list.records[0]!;
  assert.deepEqual(rec.subarray(0, 32), r0.pubkey);
  assert.equal(
    new DataView(rec.buffer, rec.byteOffset).getBigUint64(32),
    r0.swarmId,
  );
  assert.equal(Array.from(rec.subarray(40, 44)).join("."), r0.ipv4);
  assert.deepEqual(Array.from(rec.subarray(48, 51)), r0.version);
});

// ---------------------------------------------------------------------------
// Round trips

Deno.test("binary round trip: decode(encode(list)) == list, re-encode is identical", () => {
  fc.assert(
    fc.property(arbList, (list) => {
      const bytes = encodeNodeList(list);
      const back = decodeNodeList(bytes, list.header.network);
      assert.deepEqual(back, list);
      assert.deepEqual(encodeNodeList(back), bytes);
      const body = encodeListBody(list.header, list.records);
      assert.deepEqual(bytes.subarray(0, body.length), body);
      assert.deepEqual(decodeListBody(body, list.header.network), {
        header: list.header,
        records: list.records,
      });
    }),
    { numRuns: 60 },
  );
});

Deno.test("JSON round trip through JSON.stringify gives the identical binary", () => {
  fc.assert(
    fc.property(arbList, (list) => {
      const text = JSON.stringify(nodeListToJson(list));
      const back = nodeListFromJson(JSON.parse(text), list.header.network);
      assert.deepEqual(back, list);
      assert.deepEqual(encodeNodeList(back), encodeNodeList(list));
    }),
    { numRuns: 40 },
  );
});

Deno.test("JSON view: hex, decimal strings, body hash and derived x25519", () => {
  const list = smallList();
  const json = nodeListToJson(list);
  assert.equal(json.version, 1);
  assert.equal(json.network, "devnet");
  assert.equal(json.epoch, "7");
  assert.equal(json.swarmSeed, "42");
  assert.equal(json.bodyHash, toHex(nodeListBodyHash(list)));
  const decom = json.nodes.find((n) => n.state === "decommissioned")!;
  assert.equal(decom.swarmId, "18446744073709551615");
  for (const [i, n] of json.nodes.entries()) {
    assert.equal(n.pubkey, toHex(list.records[i]!.pubkey));
    assert.equal(n.x25519, toHex(x25519FromEd25519(list.records[i]!.pubkey)));
  }
  assert.equal(json.signatures[0]!.keyId.length, 16);
  // A pubkey that is not a curve point gets x25519 null and still round-trips.
  const bad = new Uint8Array(32).fill(0xff); // y >= p: not a canonical point
  const odd = buildSignedList(header(), [node(1, { pubkey: bad })], [
    REGISTRY_SECRETS[0]!,
  ]);
  const oddJson = nodeListToJson(odd);
  assert.equal(oddJson.nodes[0]!.x25519, null);
  assert.deepEqual(
    encodeNodeList(nodeListFromJson(oddJson, DEVNET)),
    encodeNodeList(odd),
  );
});

// ---------------------------------------------------------------------------
// Decoder errors

Deno.test("every proper prefix of a list, a body and a diff is 'truncated'", () => {
  const list = smallList();
  const bytes = encodeNodeList(list);
  for (let n = 0; n < bytes.length; n++) {
    throwsCode(
      () => decodeNodeList(bytes.subarray(0, n), DEVNET),
      "truncated",
      `list prefix ${n}`,
    );
  }
  const body = encodeListBody(list.header, list.records);
  for (let n = 0; n < body.length; n++) {
    throwsCode(
      () => decodeListBody(body.subarray(0, n), DEVNET),
      "truncated",
      `body prefix ${n}`,
    );
  }
  const next = buildSignedList(
    header({ epoch: 8n, prevHash: nodeListBodyHash(list) }),
    [node(0), node(3)],
    REGISTRY_SECRETS.slice(0, 2),
  );
  const diff = diffNodeLists(list, next);
  for (let n = 0; n < diff.length; n++) {
    throwsCode(
      () => decodeNodeListDiff(diff.subarray(0, n), DEVNET),
      "truncated",
      `diff prefix ${n}`,
    );
    throwsCode(
      () => applyNodeListDiff(list, diff.subarray(0, n), DEVNET),
      "truncated",
      `diff prefix ${n} applied`,
    );
  }
});

Deno.test("decoder refuses trailing bytes", () => {
  const bytes = encodeNodeList(smallList());
  throwsCode(
    () => decodeNodeList(concat(bytes, new Uint8Array(1)), DEVNET),
    "trailing_bytes",
  );
  const body = bytes.subarray(0, HEADER_LENGTH + 3 * RECORD_LENGTH);
  throwsCode(() => decodeListBody(bytes, DEVNET), "trailing_bytes");
  assert.equal(decodeListBody(body, DEVNET).records.length, 3);
});

function setU32(bytes: Uint8Array, at: number, v: number): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setUint32(at, v);
  return out;
}

Deno.test("absurd counts are refused before allocating", () => {
  const bytes = encodeNodeList(smallList());
  throwsCode(
    () => decodeNodeList(setU32(bytes, 78, 0xffffffff), DEVNET),
    "oversized",
  );
  throwsCode(
    () => decodeNodeList(setU32(bytes, 78, MAX_RECORDS + 1), DEVNET),
    "oversized",
  );
  // Plausible count, but the bytes are not there.
  throwsCode(
    () => decodeNodeList(setU32(bytes, 78, MAX_RECORDS), DEVNET),
    "truncated",
  );
  // 3 records + 145 signature bytes follow the header: a count of 6 cannot fit.
  throwsCode(() => decodeNodeList(setU32(bytes, 78, 6), DEVNET), "truncated");
  // A count of 4 fits, so the signature bytes are read as a record: still a
  // typed error (here its flags), never a wrong value or a RangeError.
  for (const count of [0, 1, 2, 4]) {
    assert.notEqual(
      codeOf(() => decodeNodeList(setU32(bytes, 78, count), DEVNET)),
      "no error",
    );
  }
  const sigAt = HEADER_LENGTH + 3 * RECORD_LENGTH;
  const many = bytes.slice();
  many[sigAt] = 17;
  throwsCode(() => decodeNodeList(many, DEVNET), "oversized");
  many[sigAt] = 255;
  throwsCode(() => decodeNodeList(many, DEVNET), "oversized");
  many[sigAt] = 3; // one more than present
  throwsCode(() => decodeNodeList(many, DEVNET), "truncated");
  throwsCode(
    () =>
      decodeNodeList(
        concat(bytes.subarray(0, sigAt), new Uint8Array([0])),
        DEVNET,
      ),
    "out_of_range",
  );
  // Input longer than any valid list is refused outright.
  throwsCode(
    () => decodeNodeList(new Uint8Array(MAX_LIST_LENGTH + 1), DEVNET),
    "oversized",
  );
  // The encoder refuses too many records or signatures as well.
  const big: NodeRecord[] = Array(MAX_RECORDS + 1).fill(node(0));
  throwsCode(() => encodeListBody(header(), big), "oversized");
  throwsCode(
    () => buildSignedList(header(), [], Array(17).fill(REGISTRY_SECRETS[0])),
    "oversized",
  );
  throwsCode(() => buildSignedList(header(), [], []), "out_of_range");
});

Deno.test("wrong magic, version and network", () => {
  const bytes = encodeNodeList(smallList());
  const magic = bytes.slice();
  magic[0] = 0x73; // "sNL1"
  throwsCode(() => decodeNodeList(magic, DEVNET), "bad_magic");
  throwsCode(() => decodeNodeList(utf8("SND1").slice(), DEVNET), "bad_magic");
  const version = bytes.slice();
  version[4] = 3;
  throwsCode(() => decodeNodeList(version, DEVNET), "unsupported_version");
  version[4] = 0;
  throwsCode(() => decodeNodeList(version, DEVNET), "unsupported_version");
  throwsCode(() => decodeNodeList(bytes, 1), "wrong_network");
  throwsCode(() => decodeNodeList(bytes, 2), "wrong_network");
  const net = bytes.slice();
  net[5] = 0;
  throwsCode(() => decodeNodeList(net, DEVNET), "wrong_network");
  throwsCode(() => decodeNodeList(bytes, 77), "wrong_network");
  throwsCode(() => encodeListBody(header({ network: 4 }), []), "wrong_network");
});

Deno.test("unsorted or duplicate records are 'not_sorted' in the decoder and the encoder", () => {
  const list = smallList();
  const bytes = encodeNodeList(list);
  const r = (i: number) =>
    bytes.slice(
      HEADER_LENGTH + i * RECORD_LENGTH,
      HEADER_LENGTH + (i + 1) * RECORD_LENGTH,
    );
  const swapped = bytes.slice();
  swapped.set(r(1), HEADER_LENGTH);
  swapped.set(r(0), HEADER_LENGTH + RECORD_LENGTH);
  throwsCode(() => decodeNodeList(swapped, DEVNET), "not_sorted");
  const dup = bytes.slice();
  dup.set(r(1), HEADER_LENGTH + 2 * RECORD_LENGTH);
  throwsCode(() => decodeNodeList(dup, DEVNET), "not_sorted");
  const recs = list.records;
  throwsCode(
    () => encodeListBody(header(), [recs[1]!, recs[0]!]),
    "not_sorted",
  );
  throwsCode(
    () => encodeListBody(header(), [recs[0]!, recs[0]!]),
    "not_sorted",
  );
  throwsCode(
    () => buildSignedList(header(), [node(1), node(1)], [REGISTRY_SECRETS[0]!]),
    "not_sorted",
  );
  // buildSignedList sorts its input.
  assert.deepEqual(
    buildSignedList(
      header(),
      [...recs].reverse(),
      REGISTRY_SECRETS.slice(0, 2),
    ),
    list,
  );
});

Deno.test("bad flags and state / swarm combinations are 'out_of_range'", () => {
  const bytes = encodeNodeList(smallList());
  const flagsAt = HEADER_LENGTH + RECORD_LENGTH - 1;
  assert([0x01, 0x05].includes(bytes[flagsAt]!));
  for (
    const flags of [0x00, 0x03, 0x07, 0x08, 0x09, 0x11, 0x81, 0xff, 0x04, 0x06]
  ) {
    const b = bytes.slice();
    b[flagsAt] = flags;
    const code = codeOf(() => decodeNodeList(b, DEVNET));
    assert.equal(code, "out_of_range", `flags 0x${flags.toString(16)}`);
  }
  // Bit 0x02 alone is valid only with the unassigned swarm id.
  const decom = bytes.slice();
  decom[flagsAt] = 0x02;
  throwsCode(() => decodeNodeList(decom, DEVNET), "out_of_range");
  decom.fill(0xff, HEADER_LENGTH + 32, HEADER_LENGTH + 40);
  assert.equal(
    decodeNodeList(decom, DEVNET).records[0]!.state,
    "decommissioned",
  );
  // An active node may not sit in the unassigned swarm.
  const active = bytes.slice();
  active.fill(0xff, HEADER_LENGTH + 32, HEADER_LENGTH + 40);
  throwsCode(() => decodeNodeList(active, DEVNET), "out_of_range");
  throwsCode(
    () => encodeListBody(header(), [node(1, { swarmId: UNASSIGNED_SWARM_ID })]),
    "out_of_range",
  );
  throwsCode(
    () => encodeListBody(header(), [node(1, { state: "decommissioned" })]),
    "out_of_range",
  );
  throwsCode(
    () => encodeListBody(header(), [node(1, { state: "retired" as "active" })]),
    "out_of_range",
  );
});

Deno.test("encoder checks every field", () => {
  const cases: [string, Partial<NodeRecord>, string][] = [
    ["short pubkey", { pubkey: new Uint8Array(31) }, "bad_length"],
    ["swarm id above u64", { swarmId: 1n << 64n }, "out_of_range"],
    ["negative swarm id", { swarmId: -1n }, "out_of_range"],
    ["ip 256.1.1.1", { ipv4: "256.1.1.1" }, "out_of_range"],
    ["ip 1.2.3", { ipv4: "1.2.3" }, "out_of_range"],
    ["ip 01.2.3.4", { ipv4: "01.2.3.4" }, "out_of_range"],
    ["port 65536", { httpsPort: 65536 }, "out_of_range"],
    ["port 1.5", { quicPort: 1.5 }, "out_of_range"],
    ["version 256", { version: [256, 0, 0] }, "out_of_range"],
  ];
  for (const [label, over, code] of cases) {
    throwsCode(() => encodeListBody(header(), [node(1, over)]), code, label);
  }
  throwsCode(
    () => encodeListBody(header({ prevHash: new Uint8Array(31) }), []),
    "bad_length",
  );
  throwsCode(() => encodeListBody(header({ epoch: -1n }), []), "out_of_range");
});

Deno.test("times must satisfy validAfter <= freshUntil <= validUntil", () => {
  throwsCode(
    () => encodeListBody(header({ freshUntil: 999n }), []),
    "out_of_range",
  );
  throwsCode(
    () => encodeListBody(header({ validUntil: 1_119n }), []),
    "out_of_range",
  );
  // Equal times are allowed.
  encodeListBody(
    header({ validAfter: 5n, freshUntil: 5n, validUntil: 5n }),
    [],
  );
  const bytes = encodeNodeList(smallList());
  const b = bytes.slice();
  new DataView(b.buffer).setBigUint64(14, 2_000n); // validAfter > freshUntil
  throwsCode(() => decodeNodeList(b, DEVNET), "out_of_range");
  const c = bytes.slice();
  new DataView(c.buffer).setBigUint64(30, 1_000n); // validUntil < freshUntil
  throwsCode(() => decodeNodeList(c, DEVNET), "out_of_range");
});

Deno.test("signature sections: unsorted or duplicate key ids are refused", () => {
  const list = smallList();
  const [s0, s1] = list.signatures as [
    typeof list.signatures[0],
    typeof list.signatures[0],
  ];
  throwsCode(
    () => encodeNodeList({ ...list, signatures: [s1!, s0!] }),
    "not_sorted",
  );
  throwsCode(
    () => encodeNodeList({ ...list, signatures: [s0!, s0!] }),
    "not_sorted",
  );
  const bytes = encodeNodeList(list);
  const at = HEADER_LENGTH + 3 * RECORD_LENGTH + 1;
  const dup = bytes.slice();
  dup.set(
    bytes.subarray(at, at + SIGNATURE_ENTRY_LENGTH),
    at + SIGNATURE_ENTRY_LENGTH,
  );
  throwsCode(() => decodeNodeList(dup, DEVNET), "not_sorted");
  throwsCode(
    () =>
      buildSignedList(header(), [], [
        REGISTRY_SECRETS[0]!,
        REGISTRY_SECRETS[0]!,
      ]),
    "not_sorted",
  );
  throwsCode(
    () =>
      encodeNodeList({
        ...list,
        signatures: [{ keyId: new Uint8Array(7), signature: s0!.signature }],
      }),
    "bad_length",
  );
});

Deno.test("signListBody refuses to sign a malformed body", () => {
  const body = encodeListBody(header(), [node(1)]);
  const sig = signListBody(body, REGISTRY_SECRETS[0]!);
  assert.deepEqual(sig.keyId, keyIdOf(REGISTRY_KEYS[0]!));
  assert(
    verify(
      REGISTRY_KEYS[0]!,
      listSigningMessage(listBodyHash(body)),
      sig.signature,
    ),
  );
  throwsCode(
    () => signListBody(body.subarray(0, 90), REGISTRY_SECRETS[0]!),
    "truncated",
  );
  throwsCode(
    () => signListBody(concat(body, new Uint8Array(1)), REGISTRY_SECRETS[0]!),
    "trailing_bytes",
  );
  throwsCode(
    () => signListBody(new Uint8Array(3), REGISTRY_SECRETS[0]!),
    "truncated",
  );
  const bad = body.slice();
  bad[5] = 9;
  throwsCode(() => signListBody(bad, REGISTRY_SECRETS[0]!), "wrong_network");
});

// ---------------------------------------------------------------------------
// Signatures, k of n

/** Signed by trusted keys 0 and 1 of 0..2. */
function twoOfThree(): NodeList {
  return buildSignedList(
    header(),
    [node(0), node(1)],
    REGISTRY_SECRETS.slice(0, 2),
  );
}

function sortedSigs(list: NodeList): NodeList {
  return {
    ...list,
    signatures: [...list.signatures].sort((a, b) =>
      compareBytes(a.keyId, b.keyId)
    ),
  };
}

Deno.test("k of n: counts valid signatures of distinct trusted keys", () => {
  const list = twoOfThree();
  const v = verifyNodeList(list, TRUSTED, { threshold: 2 });
  assert.deepEqual(v.signers, TRUSTED.slice(0, 2));
  assert.deepEqual(v.bodyHash, nodeListBodyHash(list));
  // Default threshold is the strict majority: 2 of 3.
  assert.equal(verifyNodeList(list, TRUSTED).signers.length, 2);
  const err = (() => {
    try {
      verifyNodeList(list, TRUSTED, { threshold: 3 });
    } catch (e) {
      return e as CoreError;
    }
    return undefined;
  })();
  assert.equal(err?.code, "insufficient_signatures");
  assert.match(err!.message, /2 of 3 trusted keys, needs 3/);
  // Bytes need the expected network.
  const bytes = encodeNodeList(list);
  assert.equal(
    verifyNodeList(bytes, TRUSTED, { expectedNetwork: DEVNET }).signers.length,
    2,
  );
  throwsCode(
    () => verifyNodeList(bytes, TRUSTED, { expectedNetwork: 1 }),
    "wrong_network",
  );
  throwsCode(
    () => verifyNodeList(bytes, TRUSTED, {} as { expectedNetwork: number }),
    "wrong_network",
  );
  throwsCode(
    () => verifyNodeList(list, TRUSTED, { expectedNetwork: 1 }),
    "wrong_network",
  );
});

Deno.test("k of n: a forged signature from a trusted key id is not counted", () => {
  const list = buildSignedList(
    header(),
    [node(0)],
    REGISTRY_SECRETS.slice(0, 3),
  );
  const forged = structuredClone(list);
  forged.signatures[1]!.signature[0]! ^= 0x40;
  assert.equal(
    verifyNodeList(forged, TRUSTED, { threshold: 2 }).signers.length,
    2,
  );
  throwsCode(
    () => verifyNodeList(forged, TRUSTED, { threshold: 3 }),
    "insufficient_signatures",
  );
  // The same through bytes.
  throwsCode(
    () =>
      verifyNodeList(encodeNodeList(forged), TRUSTED, {
        threshold: 3,
        expectedNetwork: DEVNET,
      }),
    "insufficient_signatures",
  );
  // All-zero signature bytes (not even a valid encoding) are just not counted.
  const zero = structuredClone(list);
  zero.signatures[0]!.signature.fill(0);
  assert.equal(
    verifyNodeList(zero, TRUSTED, { threshold: 2 }).signers.length,
    2,
  );
});

Deno.test("k of n: signatures by untrusted keys are ignored, even under a trusted key id", () => {
  const withOutsider = buildSignedList(header(), [node(0)], [
    REGISTRY_SECRETS[0]!,
    REGISTRY_SECRETS[3]!,
  ]);
  assert.equal(
    verifyNodeList(withOutsider, TRUSTED, { threshold: 1 }).signers.length,
    1,
  );
  throwsCode(
    () => verifyNodeList(withOutsider, TRUSTED, { threshold: 2 }),
    "insufficient_signatures",
  );
  // The outsider's signature relabelled with trusted key 2's id.
  const relabelled = sortedSigs({
    ...withOutsider,
    signatures: withOutsider.signatures.map((s) =>
      bytesEqual(s.keyId, keyIdOf(REGISTRY_KEYS[3]!))
        ? { ...s, keyId: keyIdOf(REGISTRY_KEYS[2]!) }
        : s
    ),
  });
  throwsCode(
    () => verifyNodeList(relabelled, TRUSTED, { threshold: 2 }),
    "insufficient_signatures",
  );
  // The outsider counts once trusted.
  assert.equal(
    verifyNodeList(withOutsider, [...TRUSTED, REGISTRY_KEYS[3]!], {
      threshold: 2,
    }).signers.length,
    2,
  );
});

Deno.test("k of n: one key counts once, however often it signed or is trusted", () => {
  const list = buildSignedList(header(), [node(0)], [REGISTRY_SECRETS[0]!]);
  const sig = list.signatures[0]!;
  const doubled: NodeList = {
    ...list,
    signatures: [sig, sig, structuredClone(sig)],
  };
  throwsCode(
    () => verifyNodeList(doubled, TRUSTED, { threshold: 2 }),
    "insufficient_signatures",
  );
  // Duplicate trusted keys collapse: 1 signer of 1 distinct key.
  const v = verifyNodeList(list, [TRUSTED[0]!, TRUSTED[0]!.slice()]);
  assert.equal(v.signers.length, 1);
  throwsCode(
    () => verifyNodeList(list, [TRUSTED[0]!, TRUSTED[0]!], { threshold: 2 }),
    "out_of_range",
  );
});

Deno.test("k of n: a signature over a different body or without the domain tag is not counted", () => {
  const list = twoOfThree();
  const other = buildSignedList(header({ epoch: 8n }), list.records, [
    REGISTRY_SECRETS[2]!,
  ]);
  const mixed = sortedSigs({
    ...list,
    signatures: [...list.signatures, ...other.signatures],
  });
  assert.equal(
    verifyNodeList(mixed, TRUSTED, { threshold: 2 }).signers.length,
    2,
  );
  throwsCode(
    () => verifyNodeList(mixed, TRUSTED, { threshold: 3 }),
    "insufficient_signatures",
  );
  // Key 2 signs the bare body hash (no domain tag): not a list signature.
  const bare = sign(REGISTRY_SECRETS[2]!, nodeListBodyHash(list));
  const undomained = sortedSigs({
    ...list,
    signatures: [...list.signatures, {
      keyId: keyIdOf(REGISTRY_KEYS[2]!),
      signature: bare,
    }],
  });
  throwsCode(
    () => verifyNodeList(undomained, TRUSTED, { threshold: 3 }),
    "insufficient_signatures",
  );
  assert.equal(
    toHex(listSigningMessage(new Uint8Array(32))),
    toHex(utf8(LIST_SIGNATURE_DOMAIN)) + "00".repeat(32),
  );
  // Changing one record after signing voids every signature.
  const tampered = {
    ...list,
    records: [list.records[0]!, { ...list.records[1]!, httpsPort: 1 }],
  };
  throwsCode(
    () => verifyNodeList(tampered, TRUSTED, { threshold: 1 }),
    "insufficient_signatures",
  );
});

Deno.test("k of n: thresholds and trusted keys are validated", () => {
  const list = twoOfThree();
  for (const t of [0, -1, 4, 1.5, NaN]) {
    throwsCode(
      () => verifyNodeList(list, TRUSTED, { threshold: t }),
      "out_of_range",
      `threshold ${t}`,
    );
  }
  throwsCode(() => verifyNodeList(list, []), "out_of_range");
  throwsCode(
    () => verifyNodeList(list, [new Uint8Array(32).fill(0xff)]),
    "bad_public_key",
  );
  throwsCode(
    () => verifyNodeList(list, [new Uint8Array(31)]),
    "bad_public_key",
  );
  assert.deepEqual([1, 2, 3, 4, 5, 8, 9].map(majorityThreshold), [
    1,
    2,
    2,
    3,
    3,
    5,
    5,
  ]);
  throwsCode(() => majorityThreshold(0), "out_of_range");
});

// ---------------------------------------------------------------------------
// Chain and freshness

Deno.test("verifyChain: prevHash, increasing epoch, same network", () => {
  const prev = twoOfThree();
  const good = buildSignedList(
    header({ epoch: 8n, prevHash: nodeListBodyHash(prev) }),
    [node(0)],
    [REGISTRY_SECRETS[0]!],
  );
  verifyChain(prev, good);
  // A skipped epoch is fine as long as the hash links.
  verifyChain(prev, { ...good, header: { ...good.header, epoch: 20n } });
  throwsCode(() => verifyChain(good, prev), "chain_broken");
  throwsCode(
    () => verifyChain(prev, { ...good, header: { ...good.header, epoch: 7n } }),
    "chain_broken",
  );
  throwsCode(
    () =>
      verifyChain(prev, {
        ...good,
        header: { ...good.header, prevHash: new Uint8Array(32) },
      }),
    "chain_broken",
  );
  throwsCode(
    () =>
      verifyChain(prev, { ...good, header: { ...good.header, network: 2 } }),
    "chain_broken",
  );
  // A change to any record of prev breaks the link.
  const edited = {
    ...prev,
    records: [prev.records[0]!, { ...prev.records[1]!, quicPort: 1 }],
  };
  throwsCode(() => verifyChain(edited, good), "chain_broken");
});

Deno.test("checkFreshness: not yet valid, fresh, stale, expired, with tolerance", () => {
  const h = header(); // 1000 / 1120 / 4600
  throwsCode(() => checkFreshness(h, 999), "not_yet_valid");
  assert.equal(checkFreshness(h, 999, 1), true);
  assert.equal(checkFreshness(h, 1000), true);
  assert.equal(checkFreshness(h, 1119), true);
  assert.equal(checkFreshness(h, 1120), false);
  assert.equal(checkFreshness(h, 4599), false);
  throwsCode(() => checkFreshness(h, 4600), "expired");
  assert.equal(checkFreshness(h, 4699n, 100n), false);
  throwsCode(() => checkFreshness(h, 4700, 100), "expired");
  throwsCode(() => checkFreshness(h, 899, 100), "not_yet_valid");
  throwsCode(() => checkFreshness(h, -1), "out_of_range");
  throwsCode(() => checkFreshness(h, 1000.5), "out_of_range");
  throwsCode(() => checkFreshness(h, 1000, -5), "out_of_range");
  // Full u64 range works.
  const far = header({
    validAfter: 0n,
    freshUntil: UNASSIGNED_SWARM_ID,
    validUntil: UNASSIGNED_SWARM_ID,
  });
  assert.equal(checkFreshness(far, UNASSIGNED_SWARM_ID - 1n), true);
});

// ---------------------------------------------------------------------------
// JSON errors

function validJson(): Record<string, unknown> {
  return JSON.parse(JSON.stringify(nodeListToJson(smallList())));
}

type Json = Record<string, unknown> & {
  nodes: Record<string, unknown>[];
  signatures: Record<string, unknown>[];
};

Deno.test("JSON: every malformed field gets a specific error", () => {
  const cases: [string, (j: Json) => unknown, string][] = [
    ["null", () => null, "bad_json"],
    ["array", () => [], "bad_json"],
    ["string", () => "SNL1", "bad_json"],
    ["missing epoch", (j) => {
      delete j.epoch;
    }, "bad_json"],
    ["missing nodes", (j) => {
      delete (j as Record<string, unknown>).nodes;
    }, "bad_json"],
    ["unknown field", (j) => {
      j.extra = 1;
    }, "bad_json"],
    ["version 3", (j) => {
      j.version = 3;
    }, "unsupported_version"],
    ["version '1'", (j) => {
      j.version = "1";
    }, "bad_json"],
    ["network moonnet", (j) => {
      j.network = "moonnet";
    }, "bad_json"],
    ["network 3 as a number", (j) => {
      j.network = 3;
    }, "bad_json"],
    ["network mainnet", (j) => {
      j.network = "mainnet";
    }, "wrong_network"],
    ["epoch as a number", (j) => {
      j.epoch = 7;
    }, "bad_json"],
    ["epoch negative", (j) => {
      j.epoch = "-1";
    }, "bad_json"],
    ["epoch leading zero", (j) => {
      j.epoch = "07";
    }, "bad_json"],
    ["epoch exponent", (j) => {
      j.epoch = "7e0";
    }, "bad_json"],
    ["epoch with space", (j) => {
      j.epoch = " 7";
    }, "bad_json"],
    ["epoch empty", (j) => {
      j.epoch = "";
    }, "bad_json"],
    ["epoch 2^64", (j) => {
      j.epoch = "18446744073709551616";
    }, "out_of_range"],
    ["swarmSeed hex", (j) => {
      j.swarmSeed = "0x2a";
    }, "bad_json"],
    ["times out of order", (j) => {
      j.validUntil = "1";
    }, "out_of_range"],
    ["prevHash not hex", (j) => {
      j.prevHash = "zz".repeat(32);
    }, "bad_hex"],
    ["prevHash odd length", (j) => {
      j.prevHash = "0".repeat(63);
    }, "bad_hex"],
    ["prevHash 31 bytes", (j) => {
      j.prevHash = "00".repeat(31);
    }, "bad_length"],
    ["bodyHash wrong", (j) => {
      j.bodyHash = "00".repeat(32);
    }, "hash_mismatch"],
    ["bodyHash missing", (j) => {
      delete j.bodyHash;
    }, "bad_json"],
    ["nodes not an array", (j) => {
      (j as Record<string, unknown>).nodes = {};
    }, "bad_json"],
    ["node not an object", (j) => {
      (j.nodes as unknown[])[0] = "node";
    }, "bad_json"],
    ["node missing ipv4", (j) => {
      delete j.nodes[0]!.ipv4;
    }, "bad_json"],
    ["node unknown field", (j) => {
      j.nodes[0]!.flags = 1;
    }, "bad_json"],
    ["pubkey not hex", (j) => {
      j.nodes[0]!.pubkey = "g".repeat(64);
    }, "bad_hex"],
    ["pubkey 33 bytes", (j) => {
      j.nodes[0]!.pubkey = "00".repeat(33);
    }, "bad_length"],
    ["x25519 wrong", (j) => {
      j.nodes[0]!.x25519 = "00".repeat(32);
    }, "bad_json"],
    ["x25519 null for a valid key", (j) => {
      j.nodes[0]!.x25519 = null;
    }, "bad_json"],
    ["x25519 missing", (j) => {
      delete j.nodes[0]!.x25519;
    }, "bad_json"],
    ["swarmId number", (j) => {
      j.nodes[0]!.swarmId = 0;
    }, "bad_json"],
    ["swarmId 2^64", (j) => {
      j.nodes[0]!.swarmId = "18446744073709551616";
    }, "out_of_range"],
    ["ipv4 256.1.1.1", (j) => {
      j.nodes[0]!.ipv4 = "256.1.1.1";
    }, "out_of_range"],
    ["ipv4 1.2.3", (j) => {
      j.nodes[0]!.ipv4 = "1.2.3";
    }, "out_of_range"],
    ["ipv4 1.2.3.4.5", (j) => {
      j.nodes[0]!.ipv4 = "1.2.3.4.5";
    }, "out_of_range"],
    ["ipv4 01.2.3.4", (j) => {
      j.nodes[0]!.ipv4 = "01.2.3.4";
    }, "out_of_range"],
    ["ipv4 ' 1.2.3.4'", (j) => {
      j.nodes[0]!.ipv4 = " 1.2.3.4";
    }, "out_of_range"],
    ["ipv4 a number", (j) => {
      j.nodes[0]!.ipv4 = 16909060;
    }, "bad_json"],
    ["httpsPort 65536", (j) => {
      j.nodes[0]!.httpsPort = 65536;
    }, "out_of_range"],
    ["httpsPort -1", (j) => {
      j.nodes[0]!.httpsPort = -1;
    }, "out_of_range"],
    ["httpsPort 1.5", (j) => {
      j.nodes[0]!.httpsPort = 1.5;
    }, "bad_json"],
    ["quicPort string", (j) => {
      j.nodes[0]!.quicPort = "443";
    }, "bad_json"],
    ["version 2 numbers", (j) => {
      j.nodes[0]!.version = [1, 2];
    }, "bad_json"],
    ["version 4 numbers", (j) => {
      j.nodes[0]!.version = [1, 2, 3, 4];
    }, "oversized"],
    ["version 256", (j) => {
      j.nodes[0]!.version = [1, 2, 256];
    }, "out_of_range"],
    ["version string", (j) => {
      j.nodes[0]!.version = "2.11.0";
    }, "bad_json"],
    ["state retired", (j) => {
      j.nodes[0]!.state = "retired";
    }, "bad_json"],
    ["unlockRequested 'no'", (j) => {
      j.nodes[0]!.unlockRequested = "no";
    }, "bad_json"],
    [
      "decommissioned in a swarm",
      (j) => {
        j.nodes.find((n) => n.state === "decommissioned")!.swarmId = "5";
      },
      "out_of_range",
    ],
    [
      "active in the unassigned swarm",
      (j) => {
        j.nodes[0]!.swarmId = "18446744073709551615";
      },
      "out_of_range",
    ],
    ["nodes swapped", (j) => {
      j.nodes.reverse();
    }, "not_sorted"],
    ["node repeated", (j) => {
      j.nodes[1] = j.nodes[0]!;
    }, "not_sorted"],
    ["no signatures", (j) => {
      j.signatures = [];
    }, "out_of_range"],
    ["17 signatures", (j) => {
      j.signatures = Array(17).fill(j.signatures[0]);
    }, "oversized"],
    ["signatures swapped", (j) => {
      j.signatures.reverse();
    }, "not_sorted"],
    ["keyId 7 bytes", (j) => {
      j.signatures[0]!.keyId = "00".repeat(7);
    }, "bad_length"],
    ["signature missing", (j) => {
      delete j.signatures[0]!.signature;
    }, "bad_json"],
    ["signature not hex", (j) => {
      j.signatures[0]!.signature = "x".repeat(128);
    }, "bad_hex"],
    // A valid edit without updating bodyHash.
    ["ip changed, bodyHash stale", (j) => {
      j.nodes[0]!.ipv4 = "9.9.9.9";
    }, "hash_mismatch"],
  ];
  for (const [label, mutate, code] of cases) {
    const j = validJson() as Json;
    const replaced = mutate(j);
    const input = replaced === undefined ? j : replaced;
    throwsCode(() => nodeListFromJson(input, DEVNET), code, label);
  }
  // Sanity: the unmodified JSON parses, and decodes as the expected network only.
  nodeListFromJson(validJson(), DEVNET);
  throwsCode(() => nodeListFromJson(validJson(), 1), "wrong_network");
});

// ---------------------------------------------------------------------------
// Diffs

const arbDiffPair: fc.Arbitrary<[NodeList, NodeList]> = fc.tuple(
  arbHeader,
  fc.uniqueArray(arbRecord, {
    selector: (r) => toHex(r.pubkey),
    maxLength: 30,
  }),
).chain(([h, pool]) =>
  fc.tuple(
    fc.constant(h),
    fc.constant(pool),
    fc.array(
      fc.tuple(
        fc.constantFrom("same", "changed", "removed", "added"),
        arbRecord,
      ),
      { minLength: pool.length, maxLength: pool.length },
    ),
    fc.integer({ min: 1, max: 50 }),
    arbHeader,
    arbSigners,
    arbSigners,
  )
).map(([h, pool, actions, k, h2, s1, s2]) => {
  const from: NodeRecord[] = [];
  const to: NodeRecord[] = [];
  pool.forEach((rec, i) => {
    const [action, other] = actions[i]!;
    if (action !== "added") from.push(rec);
    if (action === "same") to.push(rec);
    if (action === "added") to.push(rec);
    if (action === "changed") to.push({ ...other, pubkey: rec.pubkey });
  });
  const a = buildSignedList(h, from, s1);
  const b = buildSignedList(
    {
      ...h2,
      network: h.network,
      epoch: h.epoch + BigInt(k),
      prevHash: nodeListBodyHash(a),
    },
    to,
    s2,
  );
  return [a, b];
});

Deno.test("diff round trip: apply(N-k, diff(N-k, N)) == encode(N) byte for byte", () => {
  fc.assert(
    fc.property(arbDiffPair, ([a, b]) => {
      const diff = diffNodeLists(a, b);
      const expected = encodeNodeList(b);
      assert.deepEqual(applyNodeListDiff(a, diff, a.header.network), expected);
      assert.deepEqual(
        applyNodeListDiff(encodeNodeList(a), diff, a.header.network),
        expected,
      );
      const d = decodeNodeListDiff(diff, a.header.network);
      assert.deepEqual(encodeNodeListDiff(d), diff);
      // Minimal: only keys that left, only records that are new or changed.
      const aKeys = new Set(a.records.map((r) => toHex(r.pubkey)));
      const bKeys = new Set(b.records.map((r) => toHex(r.pubkey)));
      assert.equal(
        d.removed.length,
        [...aKeys].filter((k) => !bKeys.has(k)).length,
      );
      for (const u of d.upserts) {
        const old = a.records.find((r) => bytesEqual(r.pubkey, u.pubkey));
        assert.notDeepEqual(old, u);
      }
    }),
    { numRuns: 60 },
  );
});

function chainPair(): [NodeList, NodeList] {
  const a = buildSignedList(
    header(),
    [node(0), node(1), node(2)],
    REGISTRY_SECRETS.slice(0, 2),
  );
  const b = buildSignedList(
    header({ epoch: 9n, prevHash: nodeListBodyHash(a), swarmSeed: 43n }),
    [node(0), node(2, { ipv4: "10.9.9.9" }), node(3)],
    REGISTRY_SECRETS.slice(0, 3),
  );
  return [a, b];
}

Deno.test("diff: the base must be the one the diff names", () => {
  const [a, b] = chainPair();
  const diff = diffNodeLists(a, b);
  throwsCode(() => applyNodeListDiff(b, diff, DEVNET), "hash_mismatch");
  throwsCode(
    () => applyNodeListDiff(encodeNodeList(b), diff, DEVNET),
    "hash_mismatch",
  );
  // Same epoch, different body.
  const a2 = buildSignedList(a.header, [node(0)], [REGISTRY_SECRETS[0]!]);
  throwsCode(() => applyNodeListDiff(a2, diff, DEVNET), "hash_mismatch");
  throwsCode(() => applyNodeListDiff(a, diff, 1), "wrong_network");
  // The base's signatures do not matter; its body does.
  const resigned = buildSignedList(a.header, a.records, [REGISTRY_SECRETS[3]!]);
  assert.deepEqual(
    applyNodeListDiff(resigned, diff, DEVNET),
    encodeNodeList(b),
  );
});

Deno.test("diff: inconsistent contents are refused", () => {
  const [a, b] = chainPair();
  const d = decodeNodeListDiff(diffNodeLists(a, b), DEVNET);
  assert.equal(d.removed.length, 1);
  assert.equal(d.upserts.length, 2);
  // Removing a key the base does not hold.
  throwsCode(
    () =>
      applyNodeListDiff(
        a,
        encodeNodeListDiff({ ...d, removed: [node(99).pubkey] }),
        DEVNET,
      ),
    "hash_mismatch",
  );
  throwsCode(
    () =>
      applyNodeListDiff(
        a,
        encodeNodeListDiff({
          ...d,
          removed: sorted([
            ...d.removed.map((p) => node(0, { pubkey: p })),
            node(99),
          ]).map((r) => r.pubkey),
        }),
        DEVNET,
      ),
    "hash_mismatch",
  );
  // Removing and upserting the same key.
  const kept = node(0); // in both lists, unchanged
  throwsCode(
    () =>
      applyNodeListDiff(
        a,
        encodeNodeListDiff({
          ...d,
          removed: sorted([
            kept,
            ...d.removed.map((p) => node(0, { pubkey: p })),
          ]).map((r) => r.pubkey),
          upserts: sorted([...d.upserts, { ...kept, httpsPort: 1 }]),
        }),
        DEVNET,
      ),
    "out_of_range",
  );
  // A tampered upsert rebuilds a body with another hash.
  const tampered = d.upserts.map((u, i) =>
    i === 0 ? { ...u, httpsPort: 1 } : u
  );
  throwsCode(
    () =>
      applyNodeListDiff(
        a,
        encodeNodeListDiff({ ...d, upserts: tampered }),
        DEVNET,
      ),
    "hash_mismatch",
  );
  // A wrong target record count.
  throwsCode(
    () =>
      applyNodeListDiff(
        a,
        encodeNodeListDiff({ ...d, toRecordCount: 4 }),
        DEVNET,
      ),
    "hash_mismatch",
  );
  // A wrong toHash.
  throwsCode(
    () =>
      applyNodeListDiff(
        a,
        encodeNodeListDiff({ ...d, toHash: new Uint8Array(32) }),
        DEVNET,
      ),
    "hash_mismatch",
  );
  // Backwards diffs do not exist.
  throwsCode(() => diffNodeLists(b, a), "out_of_range");
  throwsCode(
    () => encodeNodeListDiff({ ...d, fromEpoch: d.toHeader.epoch }),
    "out_of_range",
  );
  throwsCode(
    () => diffNodeLists(a, { ...b, header: { ...b.header, network: 1 } }),
    "wrong_network",
  );
});

Deno.test("diff decoder: magic, version, network, counts, order, trailing bytes", () => {
  const [a, b] = chainPair();
  const diff = diffNodeLists(a, b);
  const d = decodeNodeListDiff(diff, DEVNET);
  const patched = (at: number, values: number[]) => {
    const out = diff.slice();
    out.set(values, at);
    return out;
  };
  throwsCode(() => decodeNodeListDiff(patched(3, [0x32]), DEVNET), "bad_magic");
  throwsCode(() => decodeNodeListDiff(encodeNodeList(b), DEVNET), "bad_magic");
  throwsCode(
    () => decodeNodeListDiff(patched(4, [2]), DEVNET),
    "unsupported_version",
  );
  throwsCode(() => decodeNodeListDiff(diff, 2), "wrong_network");
  // The embedded header must be a list header of the same network.
  throwsCode(
    () => decodeNodeListDiff(patched(DIFF_PREFIX_LENGTH + 5, [1]), DEVNET),
    "wrong_network",
  );
  throwsCode(
    () =>
      decodeNodeListDiff(
        patched(DIFF_PREFIX_LENGTH, [0x53, 0x4e, 0x44]),
        DEVNET,
      ),
    "bad_magic",
  );
  // fromEpoch at or above the target epoch.
  const epochAt = 6;
  const backwards = diff.slice();
  new DataView(backwards.buffer).setBigUint64(epochAt, 9n);
  throwsCode(() => decodeNodeListDiff(backwards, DEVNET), "out_of_range");
  const removedAt = DIFF_PREFIX_LENGTH + HEADER_LENGTH;
  throwsCode(
    () => decodeNodeListDiff(setU32(diff, removedAt, 0xffffffff), DEVNET),
    "oversized",
  );
  throwsCode(
    () => decodeNodeListDiff(setU32(diff, removedAt, MAX_RECORDS + 1), DEVNET),
    "oversized",
  );
  throwsCode(
    () => decodeNodeListDiff(setU32(diff, removedAt, 1000), DEVNET),
    "truncated",
  );
  const upsertAt = removedAt + 4 + d.removed.length * 32;
  throwsCode(
    () => decodeNodeListDiff(setU32(diff, upsertAt, 0xffffffff), DEVNET),
    "oversized",
  );
  throwsCode(
    () => decodeNodeListDiff(setU32(diff, upsertAt, 50_000), DEVNET),
    "truncated",
  );
  // Upserts out of order.
  const u0 = diff.slice(upsertAt + 4, upsertAt + 4 + RECORD_LENGTH);
  const u1 = diff.slice(
    upsertAt + 4 + RECORD_LENGTH,
    upsertAt + 4 + 2 * RECORD_LENGTH,
  );
  throwsCode(
    () => decodeNodeListDiff(patched(upsertAt + 4, [...u1, ...u0]), DEVNET),
    "not_sorted",
  );
  // Removals out of order.
  const twoRemoved = encodeNodeListDiff({
    ...d,
    removed: sorted([node(50), node(51)]).map((r) => r.pubkey),
  });
  const swappedRemovals = twoRemoved.slice();
  swappedRemovals.set(
    twoRemoved.subarray(removedAt + 4 + 32, removedAt + 4 + 64),
    removedAt + 4,
  );
  swappedRemovals.set(
    twoRemoved.subarray(removedAt + 4, removedAt + 4 + 32),
    removedAt + 4 + 32,
  );
  throwsCode(() => decodeNodeListDiff(swappedRemovals, DEVNET), "not_sorted");
  throwsCode(
    () => decodeNodeListDiff(concat(diff, new Uint8Array(1)), DEVNET),
    "trailing_bytes",
  );
  // Bad flags inside an upsert.
  throwsCode(
    () =>
      decodeNodeListDiff(
        patched(upsertAt + 4 + RECORD_LENGTH - 1, [0x03]),
        DEVNET,
      ),
    "out_of_range",
  );
});

// ---------------------------------------------------------------------------
// Sizes (printed for the format's README)

function realisticNodes(n: number, seed: number): NodeRecord[] {
  // Deterministic pseudo-random values: a 32-bit LCG, enough for sizes.
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
  const swarms = Array.from(
    { length: Math.ceil(n / 7) },
    () => BigInt(next()) << 32n | BigInt(next()),
  );
  return sorted(Array.from({ length: n }, (_, i) => {
    const decom = next() % 50 === 0;
    return {
      pubkey: sha256(utf8(`size-node-${seed}-${i}`)),
      swarmId: decom ? UNASSIGNED_SWARM_ID : swarms[next() % swarms.length]!,
      ipv4: [next() & 0xff, next() & 0xff, next() & 0xff, (next() & 0xfe) + 1]
        .join("."),
      httpsPort: next() % 10 === 0 ? 443 : 22021,
      quicPort: 22020,
      version: [2, 11, next() % 3],
      state: decom ? "decommissioned" : "active",
      unlockRequested: next() % 40 === 0,
    } satisfies NodeRecord;
  }));
}

Deno.test("sizes: 1,000 nodes, and a 1% change diff is a small fraction of the list", () => {
  const nodes = realisticNodes(1000, 1);
  const signers = REGISTRY_SECRETS.slice(0, 3);
  const a = buildSignedList(header(), nodes, signers);
  const full = encodeNodeList(a);
  const gz = gzipSync(full, { level: 9 });
  // 1% of nodes change: 4 change address/state/version, 3 leave, 3 join.
  const fresh = realisticNodes(3, 2);
  const changed = nodes.slice(3).map((r, i) => {
    if (i % 250 !== 0) return r;
    return {
      ...r,
      ipv4: "198.51.100.7",
      version: [2, 12, 0] as [number, number, number],
    };
  });
  const b = buildSignedList(
    header({
      epoch: 8n,
      prevHash: nodeListBodyHash(a),
      validAfter: 1_120n,
      freshUntil: 1_240n,
      validUntil: 4_720n,
    }),
    [...changed, ...fresh],
    signers,
  );
  const diff = diffNodeLists(a, b);
  const d = decodeNodeListDiff(diff, DEVNET);
  assert.equal(d.removed.length, 3);
  assert.equal(d.upserts.length, 7);
  assert.deepEqual(applyNodeListDiff(a, diff, DEVNET), encodeNodeList(b));
  const fullB = encodeNodeList(b);
  const ratio = diff.length / fullB.length;
  const gzDiff = gzipSync(diff, { level: 9 });
  const gzFull = gzipSync(fullB, { level: 9 });
  console.log(
    `1,000 nodes, 3 signatures: list ${full.length} B (${
      (full.length / 1000).toFixed(1)
    } B/node), ` +
      `gzip ${gz.length} B (${(gz.length / 1000).toFixed(1)} B/node); ` +
      `1% change diff ${diff.length} B = ${
        (ratio * 100).toFixed(2)
      }% of the list ` +
      `(gzip ${gzDiff.length} B = ${
        (gzDiff.length / gzFull.length * 100).toFixed(2)
      }% of gzip list)`,
  );
  assert.equal(
    full.length,
    HEADER_LENGTH + 1000 * RECORD_LENGTH + 1 + 3 * SIGNATURE_ENTRY_LENGTH,
  );
  assert(ratio < 0.03, `diff ratio ${ratio}`);
});

// ---------------------------------------------------------------------------
// Golden vectors

const VECTORS_URL = new URL(
  "./testdata/nodelist_vectors.json",
  import.meta.url,
);

/** An independent reading of the layout, by offsets, to cross-check the JSON view. */
function parseByOffsets(hex: string) {
  const b = fromHex(hex);
  const v = new DataView(b.buffer);
  const count = v.getUint32(78);
  const nodes = Array.from({ length: count }, (_, i) => {
    const o = 82 + i * 52;
    return {
      pubkey: toHex(b.subarray(o, o + 32)),
      swarmId: v.getBigUint64(o + 32).toString(),
      ipv4: Array.from(b.subarray(o + 40, o + 44)).join("."),
      httpsPort: v.getUint16(o + 44),
      quicPort: v.getUint16(o + 46),
      version: Array.from(b.subarray(o + 48, o + 51)),
      flags: b[o + 51]!,
    };
  });
  const s = 82 + count * 52;
  const sigs = Array.from({ length: b[s]! }, (_, i) => ({
    keyId: toHex(b.subarray(s + 1 + i * 72, s + 9 + i * 72)),
    signature: toHex(b.subarray(s + 9 + i * 72, s + 73 + i * 72)),
  }));
  assert.equal(s + 1 + sigs.length * 72, b.length);
  return {
    magic: new TextDecoder().decode(b.subarray(0, 4)),
    version: b[4],
    network: b[5],
    epoch: v.getBigUint64(6).toString(),
    validAfter: v.getBigUint64(14).toString(),
    freshUntil: v.getBigUint64(22).toString(),
    validUntil: v.getBigUint64(30).toString(),
    prevHash: toHex(b.subarray(38, 70)),
    swarmSeed: v.getBigUint64(70).toString(),
    nodes,
    sigs,
    body: b.subarray(0, s),
  };
}

Deno.test("golden vectors: the file matches its generator", async () => {
  const file = JSON.parse(await Deno.readTextFile(VECTORS_URL));
  assert.deepEqual(file, JSON.parse(JSON.stringify(buildNodeListVectors())));
});

Deno.test("golden vectors: every byte re-derived", async () => {
  const vec: NodeListVectors = JSON.parse(await Deno.readTextFile(VECTORS_URL));
  const net = vec.network;
  for (const k of vec.registryKeys) {
    assert.equal(k.secretKey, toHex(sha256(utf8(k.seed))), k.seed);
    assert.equal(k.publicKey, toHex(publicKeyOf(fromHex(k.secretKey))), k.seed);
    assert.equal(
      k.keyId,
      toHex(sha256(fromHex(k.publicKey)).subarray(0, KEY_ID_LENGTH)),
      k.seed,
    );
  }
  const trusted = vec.verify.trustedKeys.map((h) => fromHex(h, 32));
  const byName = new Map(vec.lists.map((l) => [l.name, l]));
  for (const l of vec.lists) {
    const bytes = fromHex(l.hex);
    const list = decodeNodeList(bytes, net);
    assert.deepEqual(encodeNodeList(list), bytes, l.name);
    assert.deepEqual(
      encodeNodeList(nodeListFromJson(l.json, net)),
      bytes,
      l.name,
    );
    assert.deepEqual(nodeListToJson(list), l.json, l.name);
    // Independent layout reading agrees with the JSON view.
    const p = parseByOffsets(l.hex);
    assert.equal(p.magic, "SNL1");
    assert.equal(p.version, 1);
    assert.equal(p.network, net);
    for (
      const f of [
        "epoch",
        "validAfter",
        "freshUntil",
        "validUntil",
        "prevHash",
        "swarmSeed",
      ] as const
    ) {
      assert.equal(p[f], l.json[f], `${l.name}.${f}`);
    }
    assert.equal(toHex(sha256(p.body)), l.bodyHash, l.name);
    assert.equal(l.json.bodyHash, l.bodyHash);
    assert.equal(
      l.signingMessage,
      toHex(utf8(vec.signatureDomain)) + l.bodyHash,
    );
    p.nodes.forEach((n, i) => {
      const j = l.json.nodes[i]!;
      assert.deepEqual(
        { ...n, flags: undefined },
        {
          pubkey: j.pubkey,
          swarmId: j.swarmId,
          ipv4: j.ipv4,
          httpsPort: j.httpsPort,
          quicPort: j.quicPort,
          version: j.version,
          flags: undefined,
        },
      );
      const flags = (j.state === "active" ? 1 : 2) |
        (j.unlockRequested ? 4 : 0);
      assert.equal(n.flags, flags, `${l.name} node ${i} flags`);
      assert.equal(j.x25519, toHex(x25519FromEd25519(fromHex(j.pubkey))));
    });
    assert.deepEqual(p.sigs, l.json.signatures);
    // Each signature checks under its key with the raw primitive, too.
    assert.deepEqual(
      p.sigs.map((s) => s.keyId),
      l.signedBy.map((i) => vec.registryKeys[i]!.keyId).sort(),
    );
    for (const s of p.sigs) {
      const key = vec.registryKeys.find((k) => k.keyId === s.keyId)!;
      assert(
        verify(
          fromHex(key.publicKey),
          fromHex(l.signingMessage),
          fromHex(s.signature),
        ),
        l.name,
      );
    }
    const v = verifyNodeList(bytes, trusted, {
      threshold: vec.verify.threshold,
      expectedNetwork: net,
    });
    assert.equal(v.signers.length, l.signedBy.length);
  }
  const prev = decodeNodeList(fromHex(byName.get(vec.chain.prev)!.hex), net);
  const next = decodeNodeList(fromHex(byName.get(vec.chain.next)!.hex), net);
  verifyChain(prev, next);
  for (const d of vec.diffs) {
    const from = decodeNodeList(fromHex(byName.get(d.from)!.hex), net);
    const to = decodeNodeList(fromHex(byName.get(d.to)!.hex), net);
    assert.equal(toHex(diffNodeLists(from, to)), d.hex);
    assert.equal(
      toHex(
        applyNodeListDiff(
          fromHex(byName.get(d.from)!.hex),
          fromHex(d.hex),
          net,
        ),
      ),
      byName.get(d.to)!.hex,
    );
    const decoded = decodeNodeListDiff(fromHex(d.hex), net);
    assert.equal(decoded.removed.length, d.removed);
    assert.equal(decoded.upserts.length, d.upserts);
    // The diff's embedded header is byte for byte the target's header.
    assert.equal(
      d.hex.slice(
        2 * DIFF_PREFIX_LENGTH,
        2 * (DIFF_PREFIX_LENGTH + HEADER_LENGTH),
      ),
      byName.get(d.to)!.hex.slice(0, 2 * HEADER_LENGTH),
    );
  }
  assert(vec.invalid.length >= 20);
  for (const bad of vec.invalid) {
    const bytes = fromHex(bad.hex);
    const run = bad.kind === "list"
      ? () => decodeNodeList(bytes, bad.network)
      : bad.kind === "verify"
      ? () =>
        verifyNodeList(bytes, trusted, {
          threshold: vec.verify.threshold,
          expectedNetwork: bad.network,
        })
      : () =>
        applyNodeListDiff(
          fromHex(byName.get(bad.base!)!.hex),
          bytes,
          bad.network,
        );
    throwsCode(run, bad.error, bad.name);
  }
});

Deno.test("decode errors are typed DecodeErrors, never RangeError/TypeError, on random bytes", () => {
  const base = encodeNodeList(smallList());
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(base.length - 1), fc.nat(255)), {
        minLength: 1,
        maxLength: 4,
      }),
      (edits) => {
        const b = base.slice();
        for (const [at, v] of edits) b[at] = v;
        try {
          const list = decodeNodeList(b, DEVNET);
          assert.deepEqual(encodeNodeList(list), b);
        } catch (e) {
          assert(e instanceof DecodeError, String(e));
        }
      },
    ),
    { numRuns: 300 },
  );
});
