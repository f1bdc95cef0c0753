/**
 * What `snode list` trusts: the pinned registry keys (moved by key rotations
 * it verified, remembered per network), the pinned witnesses and how many
 * co-signatures it needs; from flags, a pinned-keys file or the config file.
 * And what it does with an equivocation proof: write it to a file.
 *
 * A pinned-keys file (`--pinned-keys FILE`) is JSON:
 *
 * ```json
 * {
 *   "registryKeys": ["<64 hex>"],
 *   "registryThreshold": 1,
 *   "witnesses": [{ "key": "<64 hex>", "url": "http://127.0.0.1:9101" }],
 *   "threshold": 2
 * }
 * ```
 *
 * @module
 */

import { toHex } from "../../registry/core/bytes.ts";
import { parsePublicKey } from "../../registry/core/keys.ts";
import {
  type EquivocationProof,
  equivocationProofToJson,
  majorityThreshold,
} from "../../registry/core/nodelist.ts";
import type { PinnedWitness } from "../../registry/client/witness.ts";
import { type Context, join } from "../context.ts";
import { usage } from "../errors.ts";
import { writeFileAtomic } from "../signing.ts";

/** Everything `snode list` trusts. */
export interface Trust {
  /** Registry keys to verify with now (after any rotation followed). */
  registryKeys: Uint8Array[];
  /** The keys as pinned (flags, file or config), hex. */
  pinnedRegistryKeys: string[];
  /** Registry signatures needed. */
  registryThreshold: number;
  /** Pinned witnesses. */
  witnesses: PinnedWitness[];
  /** Co-signatures needed from them. */
  threshold: number;
}

/** The options the list commands share. */
export interface TrustOptions {
  registryKey?: string[];
  witnessKey?: string[];
  threshold?: string;
  registryThreshold?: string;
  pinnedKeys?: string;
}

interface PinnedFile {
  registryKeys?: string[];
  registryThreshold?: number;
  witnesses?: { key: string; url?: string }[];
  threshold?: number;
}

function key(hex: string, what: string): Uint8Array {
  try {
    return parsePublicKey(hex);
  } catch {
    throw usage(
      `${what} "${hex}" is not an Ed25519 public key (64 hex digits)`,
      "bad_id",
    );
  }
}

/** `HEX` or `HEX@URL`. */
function witnessOf(text: string): PinnedWitness {
  const at = text.indexOf("@");
  const hex = at < 0 ? text : text.slice(0, at);
  const url = at < 0 ? undefined : text.slice(at + 1);
  if (url !== undefined && !/^https?:\/\/\S+$/.test(url)) {
    throw usage(`--witness-key "${text}": "${url}" is not an http(s) URL`);
  }
  return { key: key(hex, "--witness-key"), ...(url ? { url } : {}) };
}

async function readPinned(path: string): Promise<PinnedFile> {
  let value: unknown;
  try {
    value = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw usage(
      `cannot read the pinned-keys file ${path}: ${(e as Error).message}`,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw usage(`${path} is not a JSON object of pinned keys`);
  }
  return value as PinnedFile;
}

function count(
  text: string | number | undefined,
  what: string,
  max: number,
): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > max) {
    throw usage(`${what} must be 0 to ${max}, got ${text}`);
  }
  return n;
}

/** Where the registry keys followed through rotations are remembered. */
function keysPath(ctx: Context, network: string): string {
  return join(ctx.home, "lists", network, "registry-keys.json");
}

/** Resolve what to trust for `network`. */
export async function resolveTrust(
  ctx: Context,
  opts: TrustOptions,
  network: string,
): Promise<Trust> {
  const file = opts.pinnedKeys ? await readPinned(opts.pinnedKeys) : {};
  const pinnedHex = opts.registryKey && opts.registryKey.length > 0
    ? opts.registryKey
    : file.registryKeys ?? ctx.config.registryKeys ?? [];
  if (pinnedHex.length === 0) {
    throw usage(
      'no pinned registry keys: pass --registry-key HEX (repeatable), --pinned-keys FILE, or set "registryKeys" in the config file; get them from the registry operator, not from the registry you are checking',
      "no_pinned_keys",
    );
  }
  const pinned = pinnedHex.map((h) => key(h, "--registry-key"));
  const witnesses = opts.witnessKey && opts.witnessKey.length > 0
    ? opts.witnessKey.map(witnessOf)
    : file.witnesses
    ? file.witnesses.map((w) => ({
      key: key(w.key, "witness key"),
      ...(w.url ? { url: w.url } : {}),
    }))
    : (ctx.config.witnessKeys ?? []).map(witnessOf);
  const registryThreshold = count(
    opts.registryThreshold ?? file.registryThreshold ?? ctx.config.threshold,
    "--registry-threshold",
    pinned.length,
  ) ?? majorityThreshold(pinned.length);
  if (registryThreshold < 1) {
    throw usage("--registry-threshold must be at least 1");
  }
  const threshold = count(
    opts.threshold ?? file.threshold ?? ctx.config.witnessThreshold,
    "--threshold",
    witnesses.length,
  ) ?? (witnesses.length === 0 ? 0 : majorityThreshold(witnesses.length));
  if (opts.threshold !== undefined && witnesses.length === 0) {
    throw usage(
      "--threshold counts co-signatures of pinned witnesses, and none is pinned (--witness-key HEX[@URL]); registry signatures are --registry-threshold",
    );
  }
  // Keys followed through rotations since these keys were pinned.
  let registryKeys = pinned;
  try {
    const saved = JSON.parse(
      await Deno.readTextFile(keysPath(ctx, network)),
    ) as {
      pinned?: string[];
      current?: string[];
    };
    if (
      JSON.stringify(saved.pinned) === JSON.stringify(pinned.map(toHex)) &&
      Array.isArray(saved.current) && saved.current.length > 0
    ) {
      registryKeys = saved.current.map((h) => key(h, "saved registry key"));
    }
  } catch {
    // Nothing followed yet.
  }
  return {
    registryKeys,
    pinnedRegistryKeys: pinned.map(toHex),
    registryThreshold,
    witnesses,
    threshold,
  };
}

/** Remember the registry keys followed (after a rotation). */
export async function saveFollowedKeys(
  ctx: Context,
  network: string,
  trust: Trust,
  current: string[],
): Promise<void> {
  await Deno.mkdir(join(ctx.home, "lists", network), { recursive: true });
  await writeFileAtomic(
    keysPath(ctx, network),
    JSON.stringify({ pinned: trust.pinnedRegistryKeys, current }) + "\n",
  );
}

/** Write an equivocation proof (JSON) and return where. */
export async function writeProof(
  ctx: Context,
  network: string,
  proof: EquivocationProof,
  out: string | undefined,
): Promise<string> {
  const path = out ??
    join(ctx.home, "lists", network, `equivocation-${proof.epoch}.json`);
  await Deno.mkdir(path.replace(/\/[^/]*$/, "") || ".", { recursive: true });
  await writeFileAtomic(
    path,
    JSON.stringify(equivocationProofToJson(proof), null, 2) + "\n",
  );
  return path;
}
