/**
 * The genesis file: coin allocations credited when the database is created,
 * read and checked strictly (every mistake names the file, the entry and
 * the field).
 *
 * @module
 */

import { toHex } from "../core/bytes.ts";
import { parsePublicKey } from "../core/keys.ts";
import { formatCoins, parseCoins } from "../core/params.ts";
import type { GenesisAllocation } from "../registry.ts";
import { ConfigError } from "./config.ts";

/** Largest genesis file read, bytes. */
const MAX_GENESIS_BYTES = 16 * 1024 * 1024;

/**
 * Read and validate a genesis file: a JSON array of
 * `{"wallet": "<64 hex Ed25519 public key>", "amount": "<coins, decimal string>"}`,
 * no other fields, amounts above 0, each wallet once.
 *
 * @throws {ConfigError} naming the file, the entry and the field.
 */
export async function loadGenesis(path: string): Promise<GenesisAllocation[]> {
  let text: string;
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) {
      throw new ConfigError(`genesis file ${path} is not a file`);
    }
    if (info.size > MAX_GENESIS_BYTES) {
      throw new ConfigError(`genesis file ${path} is larger than 16 MiB`);
    }
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(
      `cannot read genesis file ${path}: ${(e as Error).message}`,
    );
  }
  return parseGenesis(text, path);
}

/**
 * Validate the text of a genesis file (see {@linkcode loadGenesis}).
 *
 * @throws {ConfigError}
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConfigError } from "./config.ts";
 * const wallet = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
 * const g = parseGenesis(JSON.stringify([{ wallet, amount: "1.5" }]), "g.json");
 * assert.equal(g[0]!.amount, 1_500_000_000n);
 * assert.throws(() => parseGenesis('[{"wallet": "00", "amount": "1"}]', "g.json"), ConfigError);
 * ```
 */
export function parseGenesis(text: string, path: string): GenesisAllocation[] {
  const where = `genesis file ${path}`;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(
      `${where} is not valid JSON: ${(e as Error).message}`,
    );
  }
  if (!Array.isArray(value)) {
    throw new ConfigError(
      `${where} must be a JSON array of {"wallet": hex, "amount": "coins"} objects`,
    );
  }
  const out: GenesisAllocation[] = [];
  const seen = new Map<string, number>();
  let total = 0n;
  value.forEach((entry: unknown, i) => {
    const at = `${where}, entry ${i}`;
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
      throw new ConfigError(
        `${at}: expected an object {"wallet": hex, "amount": "coins"}`,
      );
    }
    const keys = Object.keys(entry);
    for (const k of keys) {
      if (k !== "wallet" && k !== "amount") {
        throw new ConfigError(
          `${at}: unexpected field "${k}" (only "wallet" and "amount")`,
        );
      }
    }
    const { wallet, amount } = entry as Record<string, unknown>;
    if (typeof wallet !== "string") {
      throw new ConfigError(
        `${at}: "wallet" must be a string of 64 hex digits`,
      );
    }
    let key: string;
    try {
      key = toHex(parsePublicKey(wallet));
    } catch (e) {
      throw new ConfigError(`${at}: "wallet": ${(e as Error).message}`);
    }
    if (typeof amount !== "string") {
      throw new ConfigError(
        `${at}: "amount" must be a decimal string of coins, e.g. "1000" or "0.5"`,
      );
    }
    let atomic: bigint;
    try {
      atomic = parseCoins(amount);
    } catch (e) {
      throw new ConfigError(`${at}: "amount": ${(e as Error).message}`);
    }
    if (atomic === 0n) {
      throw new ConfigError(`${at}: "amount" must be more than 0 coins`);
    }
    const previous = seen.get(key);
    if (previous !== undefined) {
      throw new ConfigError(
        `${at}: wallet ${key} is already credited by entry ${previous}`,
      );
    }
    seen.set(key, i);
    total += atomic;
    out.push({ wallet: key, amount: atomic });
  });
  if (total > (1n << 64n) - 1n) {
    throw new ConfigError(
      `${where}: the total, ${formatCoins(total)} coins, is too large`,
    );
  }
  return out;
}
