/**
 * Epoch inputs: everything that went into one epoch of the registry, in the
 * order it was applied - the signed writes it accepted, its own
 * observations the rules depend on (reachability results), a key rotation
 * it announced, the genesis allocations (epoch 0), and the tick that closed
 * the epoch, each with the registry's clock reading when it was applied.
 * The registry's rules are deterministic given these, so list N follows
 * from the state after list N-1 and inputs N; anyone can re-execute them.
 *
 * A document names the previous epoch's document by hash (a chain) and the
 * deployment's settings the rules read; its SHA-256 is in list N's header
 * (`inputsHash`), so the registry's list signature covers it. Byte layout in
 * `README.md` ("Epoch inputs").
 *
 * @module
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { ByteReader, ByteWriter, concat, toHex } from "./bytes.ts";
import { DecodeError, VerifyError } from "./errors.ts";
import { PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH } from "./keys.ts";
import { MAX_MESSAGE_LENGTH } from "./messages.ts";
import { NETWORK_IDS, type NetworkName } from "./params.ts";
import type { KeyRotation } from "./nodelist.ts";
import { StrictJson } from "./strict_json.ts";

/**
 * The 4 ASCII bytes an epoch inputs document starts with.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const settings = { epochSeconds: 2, faucetLimit: 0n, reachabilityFailureThreshold: 2, allowPrivateAddresses: true, minimumNodeVersion: null };
 * const doc = encodeEpochInputs({ network: 3, epoch: 1n, prevHash: new Uint8Array(32), settings, entries: [{ kind: "tick", atMs: 0, payload: new Uint8Array() }] });
 * assert.equal(new TextDecoder().decode(doc.subarray(0, 4)), INPUTS_MAGIC);
 * ```
 */
export const INPUTS_MAGIC = "SNI1";
/**
 * Version byte of the epoch inputs format.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(INPUTS_FORMAT_VERSION, 1);
 * ```
 */
export const INPUTS_FORMAT_VERSION = 1;
/**
 * Kind bytes of the entries.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(INPUT_KINDS.tick, 5);
 * ```
 */
export const INPUT_KINDS = {
  genesis: 1,
  write: 2,
  reachability: 3,
  key_rotation: 4,
  tick: 5,
} as const;
/**
 * Name of an entry kind.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const k: InputKind = "write";
 * assert.equal(INPUT_KINDS[k], 2);
 * ```
 */
export type InputKind = keyof typeof INPUT_KINDS;
/**
 * Length of a document's fixed part: magic 4, version 1, network 1, epoch 8,
 * prevHash 32, settings 16, entryCount 4.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(INPUTS_HEADER_LENGTH, 66);
 * ```
 */
export const INPUTS_HEADER_LENGTH: number = 4 + 1 + 1 + 8 + 32 + 16 + 4;
/**
 * Most entries one document may hold.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(MAX_INPUT_ENTRIES, 1_000_000);
 * ```
 */
export const MAX_INPUT_ENTRIES = 1_000_000;
/**
 * Largest document, bytes (64 MiB); longer input is `oversized`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.throws(() => decodeEpochInputs(new Uint8Array(MAX_INPUTS_LENGTH + 1), 3), { code: "oversized" });
 * ```
 */
export const MAX_INPUTS_LENGTH: number = 64 * 1024 * 1024;
/**
 * Most reachability results in one entry, and longest detail (UTF-8 bytes).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(MAX_REACHABILITY_DETAIL, 1024);
 * ```
 */
export const MAX_REACHABILITY_DETAIL = 1024;

const MAGIC_BYTES = new TextEncoder().encode(INPUTS_MAGIC);
const KIND_NAMES = new Map<number, InputKind>(
  Object.entries(INPUT_KINDS).map(([k, v]) => [v, k as InputKind]),
);
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * The deployment settings the rules read beyond the network's preset: they
 * are published with every epoch, so a re-execution uses the same ones.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const s: EpochSettings = { epochSeconds: 120, faucetLimit: 0n, reachabilityFailureThreshold: 2, allowPrivateAddresses: false, minimumNodeVersion: [11, 0, 0] };
 * assert.equal(s.minimumNodeVersion?.join("."), "11.0.0");
 * ```
 */
export interface EpochSettings {
  /** Epoch length, 1 to 3600 s (list times derive from it). */
  epochSeconds: number;
  /** Largest faucet request, atomic units (devnet). */
  faucetLimit: bigint;
  /** Consecutive failed reachability tests that mark a node unreachable, 1 to 255. */
  reachabilityFailureThreshold: number;
  /** Whether proofs may name private and loopback addresses. */
  allowPrivateAddresses: boolean;
  /** Proofs from node software older than this are refused; null: any. */
  minimumNodeVersion: readonly [number, number, number] | null;
}

/**
 * One entry: what was applied, when (the registry's clock, unix ms), and its
 * payload bytes (the kind's encoding, below).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const tick: InputEntry = { kind: "tick", atMs: 1700000000000, payload: new Uint8Array() };
 * assert.equal(tick.payload.length, 0);
 * ```
 */
export interface InputEntry {
  /** The kind. */
  kind: InputKind;
  /** Unix milliseconds (0 to 2^53-1) the registry applied it at. */
  atMs: number;
  /** The payload: a signed message, an encoded result list, ... */
  payload: Uint8Array;
}

/**
 * A decoded epoch inputs document.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const settings = { epochSeconds: 2, faucetLimit: 0n, reachabilityFailureThreshold: 2, allowPrivateAddresses: true, minimumNodeVersion: null };
 * const doc: EpochInputs = { network: 3, epoch: 1n, prevHash: new Uint8Array(32), settings, entries: [{ kind: "tick", atMs: 0, payload: new Uint8Array() }] };
 * assert.deepEqual(decodeEpochInputs(encodeEpochInputs(doc), 3), doc);
 * ```
 */
export interface EpochInputs {
  /** Network id. */
  network: number;
  /** The epoch these inputs closed. */
  epoch: bigint;
  /** Hash of the previous epoch's document; zeros when there is none. */
  prevHash: Uint8Array;
  /** The settings the rules ran with. */
  settings: EpochSettings;
  /** Entries in the order applied; the last is the tick. */
  entries: InputEntry[];
}

// ---------------------------------------------------------------------------
// Payloads

/**
 * A genesis allocation (payload of a `genesis` entry: count u32, then per
 * allocation wallet 32 and amount u64).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const a: GenesisCredit = { wallet: new Uint8Array(32), amount: 5n };
 * assert.deepEqual(decodeGenesisPayload(encodeGenesisPayload([a])), [a]);
 * ```
 */
export interface GenesisCredit {
  /** Wallet public key. */
  wallet: Uint8Array;
  /** Atomic units. */
  amount: bigint;
}

/**
 * Encode a `genesis` payload.
 *
 * @throws {DecodeError} for a wallet that is not 32 bytes or an amount out of u64.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(encodeGenesisPayload([]).length, 4);
 * ```
 */
export function encodeGenesisPayload(
  credits: readonly GenesisCredit[],
): Uint8Array {
  const w = new ByteWriter().u32(credits.length);
  for (const c of credits) w.bytes(c.wallet, PUBLIC_KEY_LENGTH).u64(c.amount);
  return w.finish();
}

/**
 * Decode a `genesis` payload.
 *
 * @throws {DecodeError} `truncated`, `trailing_bytes`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.throws(() => decodeGenesisPayload(new Uint8Array([0, 0, 0, 1])), { code: "truncated" });
 * ```
 */
export function decodeGenesisPayload(payload: Uint8Array): GenesisCredit[] {
  const r = new ByteReader(payload, "genesis payload");
  const count = r.u32();
  if (count * 40 > r.remaining) {
    throw new DecodeError(
      "truncated",
      `genesis payload announces ${count} allocations, only ${r.remaining} bytes follow`,
    );
  }
  const out: GenesisCredit[] = [];
  for (let i = 0; i < count; i++) {
    out.push({ wallet: r.bytes(PUBLIC_KEY_LENGTH), amount: r.u64() });
  }
  r.end();
  return out;
}

/**
 * One reachability test result as the registry observed it (payload of a
 * `reachability` entry: count u32, then per result node 32, address length
 * u8 and UTF-8 address, ok u8 (0 or 1), latency u32 (ms; 0xffffffff when
 * none), detail length u16 and UTF-8 detail of at most 1024 bytes).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const r: ReachabilityObservation = { node: new Uint8Array(32), address: "10.0.0.1:22021", ok: false, detail: "connection failed: refused", latencyMs: null };
 * assert.deepEqual(decodeReachabilityPayload(encodeReachabilityPayload([r])), [r]);
 * ```
 */
export interface ReachabilityObservation {
  /** Node key. */
  node: Uint8Array;
  /** `ip:port` tried, at most 255 UTF-8 bytes. */
  address: string;
  /** Whether the node proved its key. */
  ok: boolean;
  /** What happened, at most 1024 UTF-8 bytes. */
  detail: string;
  /** Round trip in whole ms (0 to 2^32-2), or null. */
  latencyMs: number | null;
}

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function text(bytes: Uint8Array, what: string): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new DecodeError("bad_length", `${what} is not valid UTF-8`);
  }
}

function utf8Of(s: string, max: number, what: string): Uint8Array {
  const b = utf8.encode(typeof s === "string" ? s : "");
  if (typeof s !== "string" || b.length > max || text(b, what) !== s) {
    throw new DecodeError(
      "out_of_range",
      `${what} must be a well-formed string of at most ${max} UTF-8 bytes`,
    );
  }
  return b;
}

/**
 * Encode a `reachability` payload.
 *
 * @throws {DecodeError} `out_of_range` for an address or detail too long or
 * not well-formed, a latency outside u32.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(encodeReachabilityPayload([]).length, 4);
 * ```
 */
export function encodeReachabilityPayload(
  results: readonly ReachabilityObservation[],
): Uint8Array {
  const w = new ByteWriter().u32(results.length);
  for (const r of results) {
    const address = utf8Of(r.address, 255, "a reachability address");
    const detail = utf8Of(
      r.detail,
      MAX_REACHABILITY_DETAIL,
      "a reachability detail",
    );
    if (
      r.latencyMs !== null &&
      (!Number.isInteger(r.latencyMs) || r.latencyMs < 0 ||
        r.latencyMs >= 0xffffffff)
    ) {
      throw new DecodeError(
        "out_of_range",
        `latency ${r.latencyMs} ms is not a whole number below 2^32-1`,
      );
    }
    w.bytes(r.node, PUBLIC_KEY_LENGTH).u8(address.length).bytes(address)
      .u8(r.ok ? 1 : 0).u32(r.latencyMs ?? 0xffffffff).u16(detail.length)
      .bytes(detail);
  }
  return w.finish();
}

/**
 * Decode a `reachability` payload.
 *
 * @throws {DecodeError} `truncated`, `trailing_bytes`, `out_of_range` (an
 * ok byte other than 0 or 1, a detail over 1024 bytes), `bad_length`
 * (invalid UTF-8).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(decodeReachabilityPayload(new Uint8Array(4)), []);
 * ```
 */
export function decodeReachabilityPayload(
  payload: Uint8Array,
): ReachabilityObservation[] {
  const r = new ByteReader(payload, "reachability payload");
  const count = r.u32();
  if (count * 40 > r.remaining) {
    throw new DecodeError(
      "truncated",
      `reachability payload announces ${count} results, only ${r.remaining} bytes follow`,
    );
  }
  const out: ReachabilityObservation[] = [];
  for (let i = 0; i < count; i++) {
    const node = r.bytes(PUBLIC_KEY_LENGTH);
    const address = text(r.bytes(r.u8()), "a reachability address");
    const okByte = r.u8();
    if (okByte > 1) {
      throw new DecodeError("out_of_range", `ok byte ${okByte} is not 0 or 1`);
    }
    const latency = r.u32();
    const length = r.u16();
    if (length > MAX_REACHABILITY_DETAIL) {
      throw new DecodeError(
        "out_of_range",
        `a reachability detail is at most ${MAX_REACHABILITY_DETAIL} bytes, got ${length}`,
      );
    }
    out.push({
      node,
      address,
      ok: okByte === 1,
      detail: text(r.bytes(length), "a reachability detail"),
      latencyMs: latency === 0xffffffff ? null : latency,
    });
  }
  r.end();
  return out;
}

/**
 * Encode a `key_rotation` payload: old key 32, new key 32, the new key's
 * signature 64 (exactly the v2 header extension's value).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const r = { oldKey: new Uint8Array(32), newKey: new Uint8Array(32).fill(1), signature: new Uint8Array(64) };
 * assert.deepEqual(decodeKeyRotationPayload(encodeKeyRotationPayload(r)), r);
 * ```
 */
export function encodeKeyRotationPayload(rotation: KeyRotation): Uint8Array {
  return new ByteWriter().bytes(rotation.oldKey, PUBLIC_KEY_LENGTH)
    .bytes(rotation.newKey, PUBLIC_KEY_LENGTH)
    .bytes(rotation.signature, SIGNATURE_LENGTH).finish();
}

/**
 * Decode a `key_rotation` payload.
 *
 * @throws {DecodeError} `truncated`, `trailing_bytes`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.throws(() => decodeKeyRotationPayload(new Uint8Array(64)), { code: "truncated" });
 * ```
 */
export function decodeKeyRotationPayload(payload: Uint8Array): KeyRotation {
  const r = new ByteReader(payload, "key rotation payload");
  const rotation = {
    oldKey: r.bytes(PUBLIC_KEY_LENGTH),
    newKey: r.bytes(PUBLIC_KEY_LENGTH),
    signature: r.bytes(SIGNATURE_LENGTH),
  };
  r.end();
  return rotation;
}

function checkPayload(entry: InputEntry, what: string): void {
  const p = entry.payload;
  if (!(p instanceof Uint8Array)) {
    throw new DecodeError("bad_length", `${what}: the payload must be bytes`);
  }
  switch (entry.kind) {
    case "genesis":
      decodeGenesisPayload(p);
      return;
    case "write":
      if (p.length < 1 || p.length > MAX_MESSAGE_LENGTH) {
        throw new DecodeError(
          "bad_length",
          `${what}: a write is 1 to ${MAX_MESSAGE_LENGTH} bytes, got ${p.length}`,
        );
      }
      return;
    case "reachability":
      decodeReachabilityPayload(p);
      return;
    case "key_rotation":
      decodeKeyRotationPayload(p);
      return;
    case "tick":
      if (p.length !== 0) {
        throw new DecodeError(
          "bad_length",
          `${what}: a tick has no payload, got ${p.length} bytes`,
        );
      }
      return;
  }
}

// ---------------------------------------------------------------------------
// Document

function checkSettings(s: EpochSettings): void {
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

function checkEntries(doc: EpochInputs): void {
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

// ---------------------------------------------------------------------------
// JSON view

/**
 * The JSON view of one entry: `atMs` a decimal string; the payload shown by
 * kind (a write's message as hex, reachability results and genesis
 * allocations as objects, a rotation's keys as hex, nothing for a tick).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const e: InputEntryJson = { kind: "tick", atMs: "0" };
 * assert.equal(e.kind, "tick");
 * ```
 */
export type InputEntryJson =
  | { kind: "tick"; atMs: string }
  | { kind: "write"; atMs: string; message: string }
  | {
    kind: "genesis";
    atMs: string;
    allocations: { wallet: string; amount: string }[];
  }
  | {
    kind: "reachability";
    atMs: string;
    results: {
      node: string;
      address: string;
      ok: boolean;
      detail: string;
      latencyMs: number | null;
    }[];
  }
  | {
    kind: "key_rotation";
    atMs: string;
    oldKey: string;
    newKey: string;
    signature: string;
  };

/**
 * The JSON view of a document. Parsing it back gives the identical binary.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const j: Pick<EpochInputsJson, "version"> = { version: 1 };
 * assert.equal(j.version, 1);
 * ```
 */
export interface EpochInputsJson {
  /** Always 1. */
  version: 1;
  /** Network name. */
  network: NetworkName;
  /** Decimal u64. */
  epoch: string;
  /** Hex. */
  prevHash: string;
  /** SHA-256 of the binary document, hex (derived; checked on parse). */
  inputsHash: string;
  /** The settings. */
  settings: {
    epochSeconds: number;
    faucetLimit: string;
    reachabilityFailureThreshold: number;
    allowPrivateAddresses: boolean;
    /** `"X.Y.Z"` or null. */
    minimumNodeVersion: string | null;
  };
  /** The entries in order. */
  entries: InputEntryJson[];
}

function entryToJson(e: InputEntry): InputEntryJson {
  const atMs = String(e.atMs);
  switch (e.kind) {
    case "tick":
      return { kind: "tick", atMs };
    case "write":
      return { kind: "write", atMs, message: toHex(e.payload) };
    case "genesis":
      return {
        kind: "genesis",
        atMs,
        allocations: decodeGenesisPayload(e.payload).map((a) => ({
          wallet: toHex(a.wallet),
          amount: a.amount.toString(),
        })),
      };
    case "reachability":
      return {
        kind: "reachability",
        atMs,
        results: decodeReachabilityPayload(e.payload).map((r) => ({
          node: toHex(r.node),
          address: r.address,
          ok: r.ok,
          detail: r.detail,
          latencyMs: r.latencyMs,
        })),
      };
    case "key_rotation": {
      const k = decodeKeyRotationPayload(e.payload);
      return {
        kind: "key_rotation",
        atMs,
        oldKey: toHex(k.oldKey),
        newKey: toHex(k.newKey),
        signature: toHex(k.signature),
      };
    }
  }
}

/**
 * The JSON view of a document (it is encoded first, so an invalid document
 * throws rather than giving bad JSON).
 *
 * @throws {DecodeError} as {@linkcode encodeEpochInputs}.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const settings = { epochSeconds: 2, faucetLimit: 0n, reachabilityFailureThreshold: 2, allowPrivateAddresses: true, minimumNodeVersion: null };
 * const doc = { network: 3, epoch: 1n, prevHash: new Uint8Array(32), settings, entries: [{ kind: "tick" as const, atMs: 5, payload: new Uint8Array() }] };
 * const json = JSON.parse(JSON.stringify(epochInputsToJson(doc)));
 * assert.deepEqual(epochInputsFromJson(json, 3), doc);
 * ```
 */
export function epochInputsToJson(doc: EpochInputs): EpochInputsJson {
  const bytes = encodeEpochInputs(doc);
  const name = (Object.entries(NETWORK_IDS).find(([, id]) => id === doc.network)
    ?.[0]) as NetworkName;
  const s = doc.settings;
  return {
    version: 1,
    network: name,
    epoch: doc.epoch.toString(),
    prevHash: toHex(doc.prevHash),
    inputsHash: toHex(epochInputsHash(bytes)),
    settings: {
      epochSeconds: s.epochSeconds,
      faucetLimit: s.faucetLimit.toString(),
      reachabilityFailureThreshold: s.reachabilityFailureThreshold,
      allowPrivateAddresses: s.allowPrivateAddresses,
      minimumNodeVersion: s.minimumNodeVersion?.join(".") ?? null,
    },
    entries: doc.entries.map(entryToJson),
  };
}

const J = new StrictJson("inputs document JSON");

function entryFromJson(v: unknown, what: string): InputEntry {
  const kind = J.object(v, ["kind", "atMs"], what, [
    "message",
    "allocations",
    "results",
    "oldKey",
    "newKey",
    "signature",
  ]).kind;
  const fields: Record<string, readonly string[]> = {
    tick: [],
    write: ["message"],
    genesis: ["allocations"],
    reachability: ["results"],
    key_rotation: ["oldKey", "newKey", "signature"],
  };
  if (typeof kind !== "string" || !Object.hasOwn(fields, kind)) {
    throw new DecodeError("unknown_kind", `${what}.kind ${String(kind)}`);
  }
  const o = J.object(v, ["kind", "atMs", ...fields[kind]!], what);
  const atMs = Number(J.u64(o.atMs, `${what}.atMs`, BigInt(MAX_SAFE)));
  let payload: Uint8Array;
  switch (kind as InputKind) {
    case "tick":
      payload = new Uint8Array();
      break;
    case "write":
      payload = J.hex(o.message, `${what}.message`);
      break;
    case "genesis":
      payload = encodeGenesisPayload(
        J.array(o.allocations, MAX_INPUT_ENTRIES, `${what}.allocations`).map(
          (a, i) => {
            const w = `${what}.allocations[${i}]`;
            const ao = J.object(a, ["wallet", "amount"], w);
            return {
              wallet: J.hex(ao.wallet, `${w}.wallet`, 32),
              amount: J.u64(ao.amount, `${w}.amount`),
            };
          },
        ),
      );
      break;
    case "reachability":
      payload = encodeReachabilityPayload(
        J.array(o.results, MAX_INPUT_ENTRIES, `${what}.results`).map(
          (x, i) => {
            const w = `${what}.results[${i}]`;
            const ro = J.object(x, [
              "node",
              "address",
              "ok",
              "detail",
              "latencyMs",
            ], w);
            return {
              node: J.hex(ro.node, `${w}.node`, 32),
              address: J.string(ro.address, `${w}.address`),
              ok: J.boolean(ro.ok, `${w}.ok`),
              detail: J.string(ro.detail, `${w}.detail`),
              latencyMs: ro.latencyMs === null
                ? null
                : J.uint(ro.latencyMs, 0xfffffffe, `${w}.latencyMs`),
            };
          },
        ),
      );
      break;
    case "key_rotation":
      payload = encodeKeyRotationPayload({
        oldKey: J.hex(o.oldKey, `${what}.oldKey`, 32),
        newKey: J.hex(o.newKey, `${what}.newKey`, 32),
        signature: J.hex(o.signature, `${what}.signature`, 64),
      });
      break;
  }
  return { kind: kind as InputKind, atMs, payload };
}

/**
 * Parse the JSON view strictly: every field present and typed, no unknown
 * field, every binary rule, and `inputsHash` matching the binary's hash.
 *
 * @throws {DecodeError} `bad_json`, `bad_hex`, `bad_length`,
 * `out_of_range`, `unknown_kind`, `unsupported_version`, `wrong_network`;
 * {@linkcode VerifyError} `hash_mismatch`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.throws(() => epochInputsFromJson({ version: 1 }, 3), { code: "bad_json" });
 * ```
 */
export function epochInputsFromJson(
  json: unknown,
  expectedNetwork: number,
): EpochInputs {
  const o = J.object(json, [
    "version",
    "network",
    "epoch",
    "prevHash",
    "inputsHash",
    "settings",
    "entries",
  ], "the document");
  if (o.version !== INPUTS_FORMAT_VERSION) {
    if (typeof o.version !== "number") throw J.bad("version must be 1");
    throw new DecodeError(
      "unsupported_version",
      `inputs document JSON version ${o.version}, only 1 is supported`,
    );
  }
  const name = J.string(o.network, "network");
  const network = NETWORK_IDS[name as NetworkName];
  if (network === undefined) {
    throw J.bad(`network must be "mainnet", "testnet" or "devnet"`);
  }
  if (network !== expectedNetwork) {
    throw new DecodeError(
      "wrong_network",
      `the inputs document is for ${name}, expected network ${expectedNetwork}`,
    );
  }
  const so = J.object(o.settings, [
    "epochSeconds",
    "faucetLimit",
    "reachabilityFailureThreshold",
    "allowPrivateAddresses",
    "minimumNodeVersion",
  ], "settings");
  let minimumNodeVersion: [number, number, number] | null = null;
  if (so.minimumNodeVersion !== null) {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(
      J.string(so.minimumNodeVersion, "settings.minimumNodeVersion"),
    );
    const parts = m ? [m[1]!, m[2]!, m[3]!].map(Number) : [];
    if (
      !m || parts.some((p) => p > 255) ||
      m.slice(1).some((p) => /^0\d/.test(p!))
    ) {
      throw J.bad(`settings.minimumNodeVersion must be "X.Y.Z" or null`);
    }
    minimumNodeVersion = [parts[0]!, parts[1]!, parts[2]!];
  }
  const doc: EpochInputs = {
    network,
    epoch: J.u64(o.epoch, "epoch"),
    prevHash: J.hex(o.prevHash, "prevHash", 32),
    settings: {
      epochSeconds: J.uint(so.epochSeconds, 3600, "settings.epochSeconds"),
      faucetLimit: J.u64(so.faucetLimit, "settings.faucetLimit"),
      reachabilityFailureThreshold: J.uint(
        so.reachabilityFailureThreshold,
        255,
        "settings.reachabilityFailureThreshold",
      ),
      allowPrivateAddresses: J.boolean(
        so.allowPrivateAddresses,
        "settings.allowPrivateAddresses",
      ),
      minimumNodeVersion,
    },
    entries: J.array(o.entries, MAX_INPUT_ENTRIES, "entries").map((e, i) =>
      entryFromJson(e, `entries[${i}]`)
    ),
  };
  const claimed = J.hex(o.inputsHash, "inputsHash", 32);
  const actual = epochInputsHash(encodeEpochInputs(doc));
  if (toHex(actual) !== toHex(claimed)) {
    throw new VerifyError(
      "hash_mismatch",
      `inputs document JSON says inputsHash ${toHex(claimed)}, it hashes to ${
        toHex(actual)
      }`,
    );
  }
  return doc;
}
