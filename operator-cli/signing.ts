/**
 * Signing writes and delivering them: straight to the registry, or into an
 * offline payload file (`--offline --out FILE`) that `snode submit FILE`
 * posts later from a connected machine, byte for byte the same message.
 *
 * Sequence numbers: the registry accepts a message only if its sequence is
 * above the last one it accepted from the same signer (the wallet; the node
 * key for uptime proofs). There is no API to ask for the last one, and an
 * offline machine could not ask anyway, so the default sequence is the
 * current time in unix milliseconds: strictly increasing for one signer
 * without any state. `--sequence N` overrides it (it must still be above the
 * last accepted one).
 *
 * @module
 */

import { writeFileAtomic as writeAtomic } from "../registry/client/atomic_file.ts";
import { toHex } from "../registry/core/bytes.ts";
import {
  decodeMessage,
  type MessageBody,
  type SignedMessage,
  signMessage,
} from "../registry/core/messages.ts";
import { formatCoins, networkById } from "../registry/core/params.ts";
import type { WriteRoute } from "../registry/client/api.ts";
import type { SubmitResultView } from "../registry/client/types.ts";
import type { Context } from "./context.ts";
import { CliError, usage } from "./errors.ts";

/** Options every write command takes. */
export interface WriteOptions {
  /** Sign only; write the payload to `out`. */
  offline?: boolean;
  /** Payload file for `--offline`. */
  out?: string;
  /** Explicit sequence number. */
  sequence?: string;
  /** Explicit timestamp: unix seconds, an ISO 8601 time, or `+10m` from now. */
  timestamp?: string;
}

/** The offline payload file. */
export interface OfflinePayload {
  /** Format tag. */
  format: "snode-signed-message/v1";
  /** Message kind. */
  kind: MessageBody["kind"];
  /** Network name. */
  network: string;
  /** Network id. */
  networkId: number;
  /** The canonical signed message, hex. */
  message: string;
  /** SHA-256 of the message bytes, hex (the registry's message id). */
  id: string;
  /** What it does, for people. */
  summary: string;
  /** The fields, readable. */
  fields: Record<string, unknown>;
  /** The signed timestamp as ISO 8601; submit within the clock tolerance of it. */
  timestamp: string;
  /** Sequence number. */
  sequence: number;
}

let lastSequence = 0;

/** The default sequence: unix milliseconds, strictly increasing within this process. */
export function defaultSequence(): number {
  lastSequence = Math.max(Date.now(), lastSequence + 1);
  return lastSequence;
}

/** Parse `--sequence`. */
export function parseSequence(text: string | undefined): number {
  if (text === undefined) return defaultSequence();
  if (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw usage(
      `--sequence must be a whole number up to 2^53-1, got "${text}"`,
      "bad_sequence",
    );
  }
  return Number(text);
}

/** Parse `--timestamp`: unix seconds, ISO 8601, or `+N[s|m|h|d]` from now. */
export function parseTimestamp(
  text: string | undefined,
  nowMs = Date.now(),
): number {
  const now = Math.floor(nowMs / 1000);
  if (text === undefined) return now;
  if (/^\d{1,12}$/.test(text)) return Number(text);
  const rel = /^([+-])(\d{1,6})([smhd]?)$/.exec(text);
  if (rel) {
    const unit = { "": 1, s: 1, m: 60, h: 3600, d: 86400 }[rel[3]!]!;
    const delta = Number(rel[2]) * unit;
    return rel[1] === "+" ? now + delta : now - delta;
  }
  const ms = Date.parse(text);
  if (/^\d{4}-\d\d-\d\d/.test(text) && Number.isFinite(ms)) {
    return Math.floor(ms / 1000);
  }
  throw usage(
    `--timestamp must be unix seconds, an ISO 8601 time or +10m, got "${text}"`,
    "bad_timestamp",
  );
}

/** Common fields of a message. */
export async function commonFields(
  ctx: Context,
  options: WriteOptions,
): Promise<{ network: number; timestamp: number; sequence: number }> {
  if (options.offline && !options.out) {
    throw usage("--offline needs --out FILE for the signed payload");
  }
  if (!options.offline && options.out) {
    throw usage("--out is only for --offline signing");
  }
  return {
    network: await ctx.networkId(options.offline === true),
    timestamp: parseTimestamp(options.timestamp),
    sequence: parseSequence(options.sequence),
  };
}

/** One line describing a message. */
export function describe(body: MessageBody): {
  summary: string;
  fields: Record<string, unknown>;
} {
  switch (body.kind) {
    case "register_node":
      return {
        summary: `register node ${toHex(body.nodePubkey)} with operator ${
          toHex(body.operator)
        } staking ${formatCoins(body.operatorStake)} coins, fee ${
          body.feeBasisPoints / 100
        }%${
          body.reserved.length
            ? `, ${body.reserved.length} reserved spot(s)`
            : ""
        }`,
        fields: {
          node: toHex(body.nodePubkey),
          operator: toHex(body.operator),
          operatorStake: formatCoins(body.operatorStake),
          feePercent: body.feeBasisPoints / 100,
          reserved: body.reserved.map((r) => ({
            wallet: toHex(r.wallet),
            amount: formatCoins(r.amount),
          })),
        },
      };
    case "contribute":
      return {
        summary: `contribute ${formatCoins(body.amount)} coins from wallet ${
          toHex(body.wallet)
        } to node ${toHex(body.nodePubkey)}`,
        fields: {
          wallet: toHex(body.wallet),
          node: toHex(body.nodePubkey),
          amount: formatCoins(body.amount),
        },
      };
    case "unlock_request":
      return {
        summary: `request the unlock of node ${
          toHex(body.nodePubkey)
        } by wallet ${toHex(body.wallet)}`,
        fields: { wallet: toHex(body.wallet), node: toHex(body.nodePubkey) },
      };
    case "uptime_proof":
      return {
        summary: `uptime proof of node ${
          toHex(body.nodePubkey)
        } at ${body.ipv4}:${body.httpsPort}`,
        fields: {
          node: toHex(body.nodePubkey),
          ip: body.ipv4,
          httpsPort: body.httpsPort,
          quicPort: body.quicPort,
          version: body.nodeVersion.join("."),
          storageVersion: body.storageVersion.join("."),
        },
      };
    case "faucet_request":
      return {
        summary: `ask the faucet for ${
          formatCoins(body.amount)
        } coins for wallet ${toHex(body.wallet)}`,
        fields: {
          wallet: toHex(body.wallet),
          amount: formatCoins(body.amount),
        },
      };
  }
}

/** What {@linkcode deliver} did. */
export type Delivery =
  | { offline: true; path: string; payload: OfflinePayload }
  | { offline: false; message: SignedMessage; result: SubmitResultView };

/**
 * Sign `body` and either write the offline payload or post it to the
 * registry (on the kind's own route).
 */
export async function deliver(
  ctx: Context,
  body: MessageBody,
  secretKeys: Uint8Array[],
  options: WriteOptions,
): Promise<Delivery> {
  const message = signMessage(body, secretKeys);
  if (options.offline) {
    const payload = payloadOf(message);
    await writeFileAtomic(
      options.out!,
      JSON.stringify(payload, null, 2) + "\n",
    );
    return { offline: true, path: options.out!, payload };
  }
  const route = body.kind as WriteRoute;
  const result = await ctx.client.submit(message.bytes, route);
  return { offline: false, message, result };
}

/** The offline payload of a signed message. */
export function payloadOf(message: SignedMessage): OfflinePayload {
  const { summary, fields } = describe(message.body);
  return {
    format: "snode-signed-message/v1",
    kind: message.body.kind,
    network: networkById(message.body.network).name,
    networkId: message.body.network,
    message: toHex(message.bytes),
    id: message.id,
    summary,
    fields,
    timestamp: new Date(message.body.timestamp * 1000).toISOString(),
    sequence: message.body.sequence,
  };
}

/** Read an offline payload (or a bare hex message) and verify its signatures locally. */
export async function readPayload(
  path: string,
): Promise<{ payload: OfflinePayload | null; message: SignedMessage }> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw usage(`cannot read ${path}: ${(e as Error).message}`, "no_payload");
  }
  let hex: string;
  let network: number | undefined;
  let payload: OfflinePayload | null = null;
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]+$/.test(trimmed)) {
    hex = trimmed;
  } else {
    try {
      payload = JSON.parse(trimmed) as OfflinePayload;
    } catch {
      throw usage(
        `${path} is neither an offline payload (JSON) nor a hex message`,
        "bad_payload",
      );
    }
    if (typeof payload?.message !== "string") {
      throw usage(`${path} has no "message" field`, "bad_payload");
    }
    hex = payload.message;
    network = typeof payload.networkId === "number"
      ? payload.networkId
      : undefined;
  }
  if (!/^([0-9a-fA-F]{2})+$/.test(hex)) {
    throw usage(`the message in ${path} is not hex`, "bad_payload");
  }
  const bytes = Uint8Array.from(
    hex.match(/../g)!.map((b) => parseInt(b, 16)),
  );
  const net = network ?? bytes[2] ?? 0;
  try {
    return { payload, message: decodeMessage(bytes, net) };
  } catch (e) {
    const code = (e as { code?: string }).code ?? "bad_payload";
    throw new CliError(
      code === "bad_signature" ? "verify" : "usage",
      code,
      `the payload in ${path} is not a valid signed message: ${
        (e as Error).message
      }`,
    );
  }
}

/** Write a file atomically (temporary file, synced, then renamed); 0644 unless told. */
export function writeFileAtomic(
  path: string,
  content: string | Uint8Array,
  mode = 0o644,
): Promise<void> {
  return writeAtomic(path, content, { mode });
}
