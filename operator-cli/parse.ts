/**
 * Parsers for what users type: node ids, wallets, amounts, fees, reserved
 * spots, addresses, versions. Each throws a usage error (exit 2) whose
 * message says what was expected.
 *
 * @module
 */

import { parseIpv4 } from "../registry/core/bytes.ts";
import { parsePublicKey } from "../registry/core/keys.ts";
import { FEE_BASIS, parseCoins } from "../registry/core/params.ts";
import type { Context } from "./context.ts";
import { usage } from "./errors.ts";
import { keyPath, readKeystoreFile } from "./keystore.ts";
import { fromHex } from "../registry/core/bytes.ts";

/** A node or wallet public key given as 64 hex digits. */
export function parseKeyHex(text: string, what: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(text)) {
    throw usage(
      `${what} "${text}" is not a public key (64 hex digits)`,
      "bad_id",
    );
  }
  try {
    return parsePublicKey(text);
  } catch {
    throw usage(
      `${what} "${text}" is not a valid Ed25519 public key`,
      "bad_id",
    );
  }
}

/**
 * A key given as 64 hex digits or as the name/path of a local keystore (its
 * public key is read without the passphrase).
 */
export async function resolvePubkey(
  ctx: Context,
  text: string,
  kind: "node" | "wallet",
): Promise<Uint8Array> {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return parseKeyHex(text, kind);
  if (/^(0x)?[0-9a-fA-F]+$/.test(text) || text.length >= 32 || text === "") {
    // Hex that is not 64 digits is a mistyped key, unless a keystore has that name.
    try {
      await Deno.lstat(keyPath(ctx, text));
    } catch {
      throw usage(
        `${kind} "${text}" is not a public key (64 hex digits, got ${text.length} characters) nor a keystore name`,
        "bad_id",
      );
    }
  }
  const file = await readKeystoreFile(ctx, text, kind);
  return fromHex(file.keystore.publicKey, 32);
}

/** An amount of coins: `120`, `0.5` (at most 9 decimals). */
export function parseAmount(text: string, what = "amount"): bigint {
  try {
    const v = parseCoins(text);
    if (v === 0n) throw new Error("zero");
    return v;
  } catch {
    throw usage(
      `${what} "${text}" is not an amount of coins (e.g. 30 or 12.5, at most 9 decimals, above 0)`,
      "bad_amount",
    );
  }
}

/** An operator fee: `5%`, `5` or `2.5` percent (of the rewards), to basis points. */
export function parseFee(text: string): number {
  const m = /^(\d{1,3})(?:\.(\d{1,2}))?%?$/.exec(text.trim());
  const bps = m
    ? Number(m[1]) * 100 + Number((m[2] ?? "").padEnd(2, "0"))
    : NaN;
  if (!m || bps > FEE_BASIS) {
    throw usage(
      `fee "${text}" is not a percentage from 0 to 100 with at most 2 decimals (e.g. 5%)`,
      "bad_fee",
    );
  }
  return bps;
}

/** A reserved spot `WALLET:AMOUNT` (wallet as hex or a local key name). */
export async function parseReserve(
  ctx: Context,
  text: string,
): Promise<{ wallet: Uint8Array; amount: bigint }> {
  const i = text.lastIndexOf(":");
  if (i <= 0) {
    throw usage(
      `--reserve "${text}" must be WALLET:AMOUNT (e.g. 3f2a...:30)`,
      "bad_reserve",
    );
  }
  return {
    wallet: await resolvePubkey(ctx, text.slice(0, i), "wallet"),
    amount: parseAmount(text.slice(i + 1), "reserved amount"),
  };
}

/** A public IPv4 address, dotted quad. */
export function parseIp(text: string): string {
  try {
    parseIpv4(text);
    return text;
  } catch {
    throw usage(
      `"${text}" is not an IPv4 address (e.g. 203.0.113.7)`,
      "bad_ip",
    );
  }
}

/** A TCP port 1..65535. */
export function parsePort(text: string, what: string): number {
  const n = Number(text);
  if (!/^\d{1,5}$/.test(text) || n < 1 || n > 65535) {
    throw usage(`${what} "${text}" is not a port (1 to 65535)`, "bad_port");
  }
  return n;
}

/** A version `major.minor.patch`, each 0..255. */
export function parseVersion(
  text: string,
  what: string,
): [number, number, number] {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  const parts = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [];
  if (!m || parts.some((p) => p > 255)) {
    throw usage(
      `${what} "${text}" is not a version like 11.0.0`,
      "bad_version",
    );
  }
  return parts as [number, number, number];
}

/** A positive integer option. */
export function parsePositive(text: string, what: string, max = 1e9): number {
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || n <= 0 || n > max) {
    throw usage(`${what} "${text}" must be a number above 0`, "bad_number");
  }
  return n;
}
