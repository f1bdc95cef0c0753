/**
 * The binary epoch inputs document: encoding, strict decoding, its hash.
 *
 * @module
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { ByteReader, ByteWriter, concat } from "../bytes.ts";
import { DecodeError } from "../errors.ts";
import { NETWORK_IDS } from "../params.ts";
import {
  type EpochInputs,
  type EpochSettings,
  INPUT_KINDS,
  type InputEntry,
  type InputKind,
  INPUTS_FORMAT_VERSION,
  INPUTS_MAGIC,
  MAX_INPUT_ENTRIES,
  MAX_INPUTS_LENGTH,
} from "./format.ts";
import { checkPayload } from "./payloads.ts";

const MAGIC_BYTES = new TextEncoder().encode(INPUTS_MAGIC);
const KIND_NAMES = new Map<number, InputKind>(
  Object.entries(INPUT_KINDS).map(([k, v]) => [v, k as InputKind]),
);
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

// ---------------------------------------------------------------------------
// Document

export function checkSettings(s: EpochSettings): void {
  const bad = (m: string) => new DecodeError("out_of_range", m);
  if (
    !Number.isInteger(s.epochSeconds) || s.epochSeconds < 1 ||
    s.epochSeconds > 3600
  ) throw bad(`epochSeconds ${s.epochSeconds} is not 1 to 3600`);
  if (
    !Number.isInteger(s.reachabilityFailureThreshold) ||
    s.reachabilityFailureThreshold < 1 || s.reachabilityFailureThreshold > 255
  ) {
    throw bad(
      `reachabilityFailureThreshold ${s.reachabilityFailureThreshold} is not 1 to 255`,
    );
  }
  if (typeof s.allowPrivateAddresses !== "boolean") {
    throw bad("allowPrivateAddresses must be a boolean");
  }
}

export function checkEntries(doc: EpochInputs): void {
  const n = doc.entries.length;
  if (n > MAX_INPUT_ENTRIES) {
    throw new DecodeError(
      "oversized",
      `an inputs document holds at most ${MAX_INPUT_ENTRIES} entries, got ${n}`,
    );
  }
  doc.entries.forEach((e, i) => {
    const what = `inputs entry ${i}`;
    if (!Number.isSafeInteger(e.atMs) || e.atMs < 0) {
      throw new DecodeError(
        "out_of_range",
        `${what}: atMs ${e.atMs} is not 0 to 2^53-1`,
      );
    }
    if (e.kind === "tick" && i !== n - 1) {
      throw new DecodeError(
        "out_of_range",
        `${what}: the tick closes the epoch and must be the last entry`,
      );
    }
    if (e.kind === "genesis" && (i !== 0 || doc.epoch !== 0n)) {
      throw new DecodeError(
        "out_of_range",
        `${what}: genesis is the first entry of epoch 0 only`,
      );
    }
    checkPayload(e, what);
  });
  if (doc.entries.at(-1)?.kind !== "tick") {
    throw new DecodeError(
      "out_of_range",
      "an inputs document ends with the tick that closed the epoch",
    );
  }
}

/**
 * Encode a document, checking every rule: settings in range, at most one
 * genesis (first, epoch 0), exactly one tick (last), each payload well
 * formed for its kind.
 *
 * @throws {DecodeError} for any rule broken.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const settings = { epochSeconds: 2, faucetLimit: 0n, reachabilityFailureThreshold: 2, allowPrivateAddresses: true, minimumNodeVersion: null };
 * const tick = { kind: "tick" as const, atMs: 0, payload: new Uint8Array() };
 * const doc = { network: 3, epoch: 1n, prevHash: new Uint8Array(32), settings, entries: [tick] };
 * import { INPUTS_HEADER_LENGTH } from "./format.ts";
 * assert.equal(encodeEpochInputs(doc).length, INPUTS_HEADER_LENGTH + 13);
 * assert.throws(() => encodeEpochInputs({ ...doc, entries: [] }), { code: "out_of_range" });
 * ```
 */
export function encodeEpochInputs(doc: EpochInputs): Uint8Array {
  if (!Object.values(NETWORK_IDS).includes(doc.network)) {
    throw new DecodeError("wrong_network", `unknown network id ${doc.network}`);
  }
  checkSettings(doc.settings);
  checkEntries(doc);
  const s = doc.settings;
  const v = s.minimumNodeVersion;
  const head = new ByteWriter().bytes(MAGIC_BYTES).u8(INPUTS_FORMAT_VERSION)
    .u8(doc.network).u64(doc.epoch).bytes(doc.prevHash, 32)
    .u16(s.epochSeconds).u64(s.faucetLimit).u8(s.reachabilityFailureThreshold)
    .u8(s.allowPrivateAddresses ? 1 : 0).u8(v === null ? 0 : 1)
    .u8(v?.[0] ?? 0).u8(v?.[1] ?? 0).u8(v?.[2] ?? 0)
    .u32(doc.entries.length).finish();
  const parts = [head];
  for (const e of doc.entries) {
    parts.push(
      new ByteWriter().u8(INPUT_KINDS[e.kind]).u64(BigInt(e.atMs))
        .u32(e.payload.length).finish(),
      e.payload,
    );
  }
  const out = concat(...parts);
  if (out.length > MAX_INPUTS_LENGTH) {
    throw new DecodeError(
      "oversized",
      `an inputs document is at most ${MAX_INPUTS_LENGTH} bytes`,
    );
  }
  return out;
}

/**
 * Decode a document strictly (the rules of {@linkcode encodeEpochInputs});
 * decoding and re-encoding gives the same bytes.
 *
 * @throws {DecodeError} `oversized`, `bad_magic`, `unsupported_version`,
 * `wrong_network`, `truncated`, `trailing_bytes`, `unknown_kind`,
 * `out_of_range`, `bad_length`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.throws(() => decodeEpochInputs(new TextEncoder().encode("SNL1"), 3), { code: "bad_magic" });
 * ```
 */
export function decodeEpochInputs(
  bytes: Uint8Array,
  expectedNetwork: number,
): EpochInputs {
  if (bytes.length > MAX_INPUTS_LENGTH) {
    throw new DecodeError(
      "oversized",
      `an inputs document is at most ${MAX_INPUTS_LENGTH} bytes, got ${bytes.length}`,
    );
  }
  const r = new ByteReader(bytes, "inputs document");
  const magic = r.bytes(4);
  if (magic.some((b, i) => b !== MAGIC_BYTES[i])) {
    throw new DecodeError(
      "bad_magic",
      `an inputs document starts with "${INPUTS_MAGIC}"`,
    );
  }
  const version = r.u8();
  if (version !== INPUTS_FORMAT_VERSION) {
    throw new DecodeError(
      "unsupported_version",
      `inputs document version ${version}, only ${INPUTS_FORMAT_VERSION} is supported`,
    );
  }
  const network = r.u8();
  if (network !== expectedNetwork) {
    throw new DecodeError(
      "wrong_network",
      `the inputs document is for network ${network}, expected ${expectedNetwork}`,
    );
  }
  const epoch = r.u64();
  const prevHash = r.bytes(32);
  const epochSeconds = r.u16();
  const faucetLimit = r.u64();
  const reachabilityFailureThreshold = r.u8();
  const allow = r.u8();
  const hasVersion = r.u8();
  const version3: [number, number, number] = [r.u8(), r.u8(), r.u8()];
  if (
    allow > 1 || hasVersion > 1 ||
    (hasVersion === 0 && version3.some((x) => x !== 0))
  ) {
    throw new DecodeError(
      "out_of_range",
      "inputs settings flags must be 0 or 1 (and an absent version all zeros)",
    );
  }
  const settings: EpochSettings = {
    epochSeconds,
    faucetLimit,
    reachabilityFailureThreshold,
    allowPrivateAddresses: allow === 1,
    minimumNodeVersion: hasVersion === 1 ? version3 : null,
  };
  const count = r.u32();
  if (count > MAX_INPUT_ENTRIES) {
    throw new DecodeError(
      "oversized",
      `an inputs document holds at most ${MAX_INPUT_ENTRIES} entries, got ${count}`,
    );
  }
  if (count * 13 > r.remaining) {
    throw new DecodeError(
      "truncated",
      `${count} entries need at least ${count * 13} bytes, ${r.remaining} left`,
    );
  }
  const entries: InputEntry[] = [];
  for (let i = 0; i < count; i++) {
    const code = r.u8();
    const kind = KIND_NAMES.get(code);
    if (kind === undefined) {
      throw new DecodeError(
        "unknown_kind",
        `inputs entry ${i} has unknown kind ${code}`,
      );
    }
    const at = r.u64();
    if (at > BigInt(MAX_SAFE)) {
      throw new DecodeError(
        "out_of_range",
        `inputs entry ${i}: atMs ${at} is above 2^53-1`,
      );
    }
    entries.push({ kind, atMs: Number(at), payload: r.bytes(r.u32()) });
  }
  r.end();
  const doc: EpochInputs = { network, epoch, prevHash, settings, entries };
  checkSettings(settings);
  checkEntries(doc);
  return doc;
}

/**
 * The hash of an encoded document: what list N's header carries as
 * `inputsHash` and the next document as `prevHash`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(epochInputsHash(new Uint8Array()).length, 32);
 * ```
 */
export function epochInputsHash(bytes: Uint8Array): Uint8Array {
  return sha256(bytes);
}
