/**
 * The JSON view of an epoch inputs document and its strict parser.
 *
 * @module
 */

import { toHex } from "../bytes.ts";
import { DecodeError, VerifyError } from "../errors.ts";
import { NETWORK_IDS, type NetworkName } from "../params.ts";
import { StrictJson } from "../strict_json.ts";
import { encodeEpochInputs, epochInputsHash } from "./document.ts";
import {
  type EpochInputs,
  type InputEntry,
  type InputKind,
  INPUTS_FORMAT_VERSION,
  MAX_INPUT_ENTRIES,
} from "./format.ts";
import {
  decodeGenesisPayload,
  decodeKeyRotationPayload,
  decodeReachabilityPayload,
  encodeGenesisPayload,
  encodeKeyRotationPayload,
  encodeReachabilityPayload,
} from "./payloads.ts";

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

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
