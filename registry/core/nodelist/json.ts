/**
 * The JSON view of a node list: hex for bytes, decimal strings for u64
 * values, and a strict parser whose result encodes to the identical binary.
 *
 * @module
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { bytesEqual, fromHex, parseIpv4, toHex } from "../bytes.ts";
import { DecodeError, VerifyError } from "../errors.ts";
import {
  isValidPublicKey,
  SIGNATURE_LENGTH,
  x25519FromEd25519,
} from "../keys.ts";
import {
  checkNetwork,
  encodeListBody,
  encodeNodeList,
  NETWORK_NAMES,
  networkName,
} from "./codec.ts";
import {
  EXTENSION_TYPES,
  KEY_ID_LENGTH,
  LIST_FORMAT_V2,
  LIST_FORMAT_VERSION,
  type ListExtension,
  MAX_COSIGNATURES,
  MAX_RECORDS,
  MAX_SIGNATURES,
  type NodeList,
  type NodeListHeader,
  type NodeListNetworkName,
  type NodeRecord,
  type NodeState,
  RECORD_LENGTH,
} from "./format.ts";
import { listBodyHash, listIdOfBody, nodeListBodyHash } from "./signing.ts";

const U64_MAX = (1n << 64n) - 1n;

// ---------------------------------------------------------------------------
// JSON view

/**
 * JSON view of a record. `x25519` is derived from `pubkey`; it is `null` when
 * the pubkey is not a valid Ed25519 point (clients must skip such a node;
 * an honest registry never lists one, since registration proves the key).
 *
 * @example A client takes the X25519 key it encrypts to from the JSON view
 * ```ts
 * import assert from "node:assert/strict";
 * import { toHex } from "../bytes.ts";
 * import { publicKeyOf, x25519FromEd25519 } from "../keys.ts";
 * import { buildSignedList } from "./signing.ts";
 * const header = { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n };
 * const pubkey = publicKeyOf(new Uint8Array(32).fill(7));
 * const list = buildSignedList(header, [{
 *   pubkey, swarmId: 0n, ipv4: "10.0.0.1", httpsPort: 22021,
 *   quicPort: 22020, version: [2, 11, 0], state: "active", unlockRequested: false,
 * }], [new Uint8Array(32).fill(1)]);
 * const node: NodeRecordJson = nodeListToJson(list).nodes[0]!;
 * assert.equal(node.x25519, toHex(x25519FromEd25519(pubkey)));
 * assert.equal(`${node.ipv4}:${node.httpsPort}`, "10.0.0.1:22021");
 * ```
 */
export interface NodeRecordJson {
  /** Ed25519 key, 64 hex digits. */
  pubkey: string;
  /** X25519 key derived from `pubkey`, 64 hex digits, or null (see above). */
  x25519: string | null;
  /** Swarm id as a decimal string ("18446744073709551615" when unassigned). */
  swarmId: string;
  /** Dotted quad. */
  ipv4: string;
  /** HTTPS port, 0..65535. */
  httpsPort: number;
  /** QUIC port, 0..65535. */
  quicPort: number;
  /** Three integers 0..255. */
  version: [number, number, number];
  /** `"active"` or `"decommissioned"`. */
  state: NodeState;
  /** Unlock requested. */
  unlockRequested: boolean;
}

/**
 * JSON view of a list: hex for bytes, decimal strings for u64 values, the
 * derived body hash. Parsing it back gives the identical binary.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildSignedList } from "./signing.ts";
 * const list = buildSignedList(
 *   { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n },
 *   [], [new Uint8Array(32).fill(1)],
 * );
 * const j: NodeListJson = nodeListToJson(list);
 * assert.equal(j.network, "devnet");
 * ```
 */
export interface NodeListJson {
  /** The format version, 1 or 2; the fields marked v1 or v2 are present exactly in it. */
  version: 1 | 2;
  /** Network name. */
  network: NodeListNetworkName;
  /** Decimal u64. */
  epoch: string;
  /** Decimal u64, unix seconds. */
  validAfter: string;
  /** Decimal u64, unix seconds. */
  freshUntil: string;
  /** Decimal u64, unix seconds. */
  validUntil: string;
  /** 64 hex digits. */
  prevHash: string;
  /** Decimal u64. */
  swarmSeed: string;
  /** v1: SHA-256 of the binary body, 64 hex digits (derived; checked on parse). */
  bodyHash?: string;
  /** v2: SHA-256 of the records, hex (derived; checked on parse). */
  recordsHash?: string;
  /** v2: the epoch inputs document's hash, hex. */
  inputsHash?: string;
  /** v2: the state commitment after the epoch, hex. */
  stateHash?: string;
  /** v2: the header's extensions, ascending by type. */
  extensions?: ListExtensionJson[];
  /** v2: SHA-256 of the header, the list's identity, hex (derived; checked on parse). */
  checkpointHash?: string;
  /** Records in binary order. */
  nodes: NodeRecordJson[];
  /** Registry signatures in binary order. */
  signatures: { keyId: string; signature: string }[];
  /** v2: witness co-signatures in binary order; `time` a decimal string. */
  cosignatures?: { keyId: string; time: string; signature: string }[];
}

/**
 * JSON view of a v2 header extension: a key rotation (type 1) with its keys
 * and signature, or another (non-critical) type with its value as hex.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const e: ListExtensionJson = { type: 16, value: "00" };
 * assert.equal(e.type, 16);
 * ```
 */
export type ListExtensionJson =
  | { type: 1; oldKey: string; newKey: string; signature: string }
  | { type: number; value: string };

function x25519Hex(pubkey: Uint8Array): string | null {
  return isValidPublicKey(pubkey) ? toHex(x25519FromEd25519(pubkey)) : null;
}

/**
 * The JSON view of a list (plain, `JSON.stringify`-able). The list is
 * encoded first, so an invalid list throws rather than giving bad JSON.
 *
 * @throws {DecodeError} for any field that breaks the format.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeNodeList } from "./codec.ts";
 * import { buildSignedList } from "./signing.ts";
 * const list = buildSignedList(
 *   { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n },
 *   [], [new Uint8Array(32).fill(1)],
 * );
 * const json = JSON.parse(JSON.stringify(nodeListToJson(list)));
 * assert.deepEqual(encodeNodeList(nodeListFromJson(json, 3)), encodeNodeList(list));
 * ```
 */
export function nodeListToJson(list: NodeList): NodeListJson {
  const h = list.header;
  const body = encodeListBody(h, list.records);
  encodeNodeList(list);
  const c = h.commitments;
  const common = {
    network: networkName(h.network),
    epoch: h.epoch.toString(),
    validAfter: h.validAfter.toString(),
    freshUntil: h.freshUntil.toString(),
    validUntil: h.validUntil.toString(),
    prevHash: toHex(h.prevHash),
    swarmSeed: h.swarmSeed.toString(),
  };
  const head = c === undefined
    ? {
      version: LIST_FORMAT_VERSION as 1 | 2,
      ...common,
      bodyHash: toHex(listBodyHash(body)),
    }
    : {
      version: LIST_FORMAT_V2 as 1 | 2,
      ...common,
      recordsHash: toHex(
        sha256(
          body.subarray(body.length - list.records.length * RECORD_LENGTH),
        ),
      ),
      inputsHash: toHex(c.inputsHash),
      stateHash: toHex(c.stateHash),
      extensions: c.extensions.map((e): ListExtensionJson =>
        "rotation" in e
          ? {
            type: 1,
            oldKey: toHex(e.rotation.oldKey),
            newKey: toHex(e.rotation.newKey),
            signature: toHex(e.rotation.signature),
          }
          : { type: e.type, value: toHex(e.value) }
      ),
      checkpointHash: toHex(listIdOfBody(body)),
    };
  const json: NodeListJson = {
    ...head,
    nodes: list.records.map((r) => ({
      pubkey: toHex(r.pubkey),
      x25519: x25519Hex(r.pubkey),
      swarmId: r.swarmId.toString(),
      ipv4: r.ipv4,
      httpsPort: r.httpsPort,
      quicPort: r.quicPort,
      version: [r.version[0], r.version[1], r.version[2]],
      state: r.state,
      unlockRequested: r.unlockRequested,
    })),
    signatures: list.signatures.map((s) => ({
      keyId: toHex(s.keyId),
      signature: toHex(s.signature),
    })),
  };
  if (c !== undefined) {
    json.cosignatures = (list.cosignatures ?? []).map((x) => ({
      keyId: toHex(x.keyId),
      time: x.time.toString(),
      signature: toHex(x.signature),
    }));
  }
  return json;
}

function badJson(message: string): DecodeError {
  return new DecodeError("bad_json", `node list JSON: ${message}`);
}

function jsonObject(
  v: unknown,
  keys: readonly string[],
  what: string,
): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw badJson(`${what} must be an object`);
  }
  const o = v as Record<string, unknown>;
  for (const k of keys) {
    if (!Object.hasOwn(o, k)) throw badJson(`${what} is missing "${k}"`);
  }
  for (const k of Object.keys(o)) {
    if (!keys.includes(k)) throw badJson(`${what} has unknown field "${k}"`);
  }
  return o;
}

function jsonString(v: unknown, what: string): string {
  if (typeof v !== "string") throw badJson(`${what} must be a string`);
  return v;
}

function jsonU64(v: unknown, what: string): bigint {
  const s = jsonString(v, what);
  if (!/^(0|[1-9][0-9]*)$/.test(s)) {
    throw badJson(
      `${what} must be a decimal string without sign or leading zeros`,
    );
  }
  const n = BigInt(s);
  if (n > U64_MAX) {
    throw new DecodeError("out_of_range", `${what} ${s} is above 2^64-1`);
  }
  return n;
}

function jsonUint(v: unknown, max: number, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw badJson(`${what} must be an integer`);
  }
  if (v < 0 || v > max) {
    throw new DecodeError("out_of_range", `${what} ${v} is not in 0..${max}`);
  }
  return v;
}

function jsonHex(v: unknown, length: number, what: string): Uint8Array {
  return fromHex(jsonString(v, what), length);
}

function jsonArray(v: unknown, max: number, what: string): unknown[] {
  if (!Array.isArray(v)) throw badJson(`${what} must be an array`);
  if (v.length > max) {
    throw new DecodeError(
      "oversized",
      `${what} has ${v.length} entries, at most ${max} allowed`,
    );
  }
  return v;
}

const HEADER_KEYS = [
  "version",
  "network",
  "epoch",
  "validAfter",
  "freshUntil",
  "validUntil",
  "prevHash",
  "swarmSeed",
] as const;
const LIST_KEYS = [...HEADER_KEYS, "bodyHash", "nodes", "signatures"] as const;
const LIST_V2_KEYS = [
  ...HEADER_KEYS,
  "recordsHash",
  "inputsHash",
  "stateHash",
  "extensions",
  "checkpointHash",
  "nodes",
  "signatures",
  "cosignatures",
] as const;
const NODE_KEYS = [
  "pubkey",
  "x25519",
  "swarmId",
  "ipv4",
  "httpsPort",
  "quicPort",
  "version",
  "state",
  "unlockRequested",
] as const;

function recordFromJson(v: unknown, what: string): NodeRecord {
  const o = jsonObject(v, NODE_KEYS, what);
  const pubkey = jsonHex(o.pubkey, 32, `${what}.pubkey`);
  const x = o.x25519 === null ? null : jsonHex(o.x25519, 32, `${what}.x25519`);
  const expectedX = x25519Hex(pubkey);
  if ((x === null ? null : toHex(x)) !== expectedX) {
    throw badJson(
      `${what}.x25519 must be ${
        expectedX === null
          ? "null (the pubkey is not a valid Ed25519 point)"
          : expectedX
      }`,
    );
  }
  const ipv4 = jsonString(o.ipv4, `${what}.ipv4`);
  parseIpv4(ipv4);
  const version = jsonArray(o.version, 3, `${what}.version`);
  if (version.length !== 3) {
    throw badJson(`${what}.version must have 3 numbers`);
  }
  if (o.state !== "active" && o.state !== "decommissioned") {
    throw badJson(`${what}.state must be "active" or "decommissioned"`);
  }
  if (typeof o.unlockRequested !== "boolean") {
    throw badJson(`${what}.unlockRequested must be a boolean`);
  }
  return {
    pubkey,
    swarmId: jsonU64(o.swarmId, `${what}.swarmId`),
    ipv4,
    httpsPort: jsonUint(o.httpsPort, 0xffff, `${what}.httpsPort`),
    quicPort: jsonUint(o.quicPort, 0xffff, `${what}.quicPort`),
    version: [
      jsonUint(version[0], 0xff, `${what}.version[0]`),
      jsonUint(version[1], 0xff, `${what}.version[1]`),
      jsonUint(version[2], 0xff, `${what}.version[2]`),
    ],
    state: o.state,
    unlockRequested: o.unlockRequested,
  };
}

/**
 * Parse the JSON view strictly: every field present with the right type, no
 * unknown fields, hex of the exact length, u64 decimal strings in range, the
 * derived `x25519` and `bodyHash` matching, and every binary rule (sorting,
 * flags, times). The result encodes to the identical binary.
 *
 * @throws {DecodeError} `bad_json`, `bad_hex`, `bad_length`, `out_of_range`,
 * `wrong_network`, `not_sorted`, `oversized`, `unsupported_version`;
 * {@linkcode VerifyError} `hash_mismatch` when `bodyHash` is not the body's.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildSignedList } from "./signing.ts";
 * const list = buildSignedList(
 *   { network: 3, epoch: 1n, validAfter: 0n, freshUntil: 0n, validUntil: 0n, prevHash: new Uint8Array(32), swarmSeed: 0n },
 *   [], [new Uint8Array(32).fill(1)],
 * );
 * const json = nodeListToJson(list);
 * assert.deepEqual(nodeListFromJson(json, 3), list);
 * assert.throws(() => nodeListFromJson({ ...json, epoch: 1 }, 3), { code: "bad_json" });
 * assert.throws(() => nodeListFromJson(json, 1), { code: "wrong_network" });
 * ```
 */
export function nodeListFromJson(
  json: unknown,
  expectedNetwork: number,
): NodeList {
  const version = typeof json === "object" && json !== null &&
      !Array.isArray(json)
    ? (json as Record<string, unknown>).version
    : undefined;
  if (version !== LIST_FORMAT_VERSION && version !== LIST_FORMAT_V2) {
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
      throw badJson("the list must be an object");
    }
    if (typeof version !== "number") throw badJson("version must be 1 or 2");
    throw new DecodeError(
      "unsupported_version",
      `node list JSON has version ${version}, only 1 and 2 are supported`,
    );
  }
  const v2 = version === LIST_FORMAT_V2;
  const o = jsonObject(json, v2 ? LIST_V2_KEYS : LIST_KEYS, "the list");
  const name = jsonString(o.network, "network");
  const network = [...NETWORK_NAMES].find(([, n]) => n === name)?.[0];
  if (network === undefined) {
    throw badJson(`network must be "mainnet", "testnet" or "devnet"`);
  }
  checkNetwork(network, expectedNetwork, "node list JSON");
  const header: NodeListHeader = {
    network,
    epoch: jsonU64(o.epoch, "epoch"),
    validAfter: jsonU64(o.validAfter, "validAfter"),
    freshUntil: jsonU64(o.freshUntil, "freshUntil"),
    validUntil: jsonU64(o.validUntil, "validUntil"),
    prevHash: jsonHex(o.prevHash, 32, "prevHash"),
    swarmSeed: jsonU64(o.swarmSeed, "swarmSeed"),
  };
  const bodyHash = jsonHex(
    v2 ? o.checkpointHash : o.bodyHash,
    32,
    v2 ? "checkpointHash" : "bodyHash",
  );
  if (v2) {
    header.commitments = {
      inputsHash: jsonHex(o.inputsHash, 32, "inputsHash"),
      stateHash: jsonHex(o.stateHash, 32, "stateHash"),
      extensions: jsonArray(o.extensions, 256, "extensions").map((e, i) =>
        extensionFromJson(e, `extensions[${i}]`)
      ),
    };
  }
  const records = jsonArray(o.nodes, MAX_RECORDS, "nodes").map((n, i) =>
    recordFromJson(n, `nodes[${i}]`)
  );
  const signatures = jsonArray(o.signatures, MAX_SIGNATURES, "signatures")
    .map((s, i) => {
      const so = jsonObject(s, ["keyId", "signature"], `signatures[${i}]`);
      return {
        keyId: jsonHex(so.keyId, KEY_ID_LENGTH, `signatures[${i}].keyId`),
        signature: jsonHex(
          so.signature,
          SIGNATURE_LENGTH,
          `signatures[${i}].signature`,
        ),
      };
    });
  const list: NodeList = { header, records, signatures };
  if (v2) {
    list.cosignatures = jsonArray(
      o.cosignatures,
      MAX_COSIGNATURES,
      "cosignatures",
    ).map((c, i) => {
      const w = `cosignatures[${i}]`;
      const co = jsonObject(c, ["keyId", "time", "signature"], w);
      return {
        keyId: jsonHex(co.keyId, KEY_ID_LENGTH, `${w}.keyId`),
        time: jsonU64(co.time, `${w}.time`),
        signature: jsonHex(co.signature, SIGNATURE_LENGTH, `${w}.signature`),
      };
    });
  }
  encodeNodeList(list); // every binary rule: sorting, flags, times, counts
  if (v2) {
    const recordsHash = jsonHex(o.recordsHash, 32, "recordsHash");
    const body = encodeListBody(header, records);
    const actual = sha256(
      body.subarray(body.length - records.length * RECORD_LENGTH),
    );
    if (!bytesEqual(actual, recordsHash)) {
      throw new VerifyError(
        "hash_mismatch",
        `node list JSON says recordsHash ${
          toHex(recordsHash)
        }, its records hash to ${toHex(actual)}`,
      );
    }
  }
  const actual = nodeListBodyHash(list);
  if (!bytesEqual(actual, bodyHash)) {
    const field = v2 ? "checkpointHash" : "bodyHash";
    throw new VerifyError(
      "hash_mismatch",
      `node list JSON says ${field} ${toHex(bodyHash)}, its ${
        v2 ? "header" : "body"
      } hashes to ${toHex(actual)}`,
    );
  }
  return list;
}

function extensionFromJson(v: unknown, what: string): ListExtension {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw badJson(`${what} must be an object`);
  }
  const type = jsonUint(
    (v as Record<string, unknown>).type,
    0xff,
    `${what}.type`,
  );
  if (type === EXTENSION_TYPES.keyRotation) {
    const o = jsonObject(v, ["type", "oldKey", "newKey", "signature"], what);
    return {
      type,
      rotation: {
        oldKey: jsonHex(o.oldKey, 32, `${what}.oldKey`),
        newKey: jsonHex(o.newKey, 32, `${what}.newKey`),
        signature: jsonHex(o.signature, SIGNATURE_LENGTH, `${what}.signature`),
      },
    };
  }
  const o = jsonObject(v, ["type", "value"], what);
  return { type, value: fromHex(jsonString(o.value, `${what}.value`)) };
}
