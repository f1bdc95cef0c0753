/**
 * Devnet identities and signing: keys derived from labels (the same on
 * every run, so a restarted devnet finds its nodes again) and signed
 * messages dated by the wall clock, with sequence numbers that keep
 * increasing across restarts (unix milliseconds).
 *
 * @module
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { toHex } from "../registry/core/bytes.ts";
import { publicKeyOf } from "../registry/core/keys.ts";
import { type MessageBody, signMessage } from "../registry/core/messages.ts";
import { PRESETS } from "../registry/core/params.ts";

/** A key pair. */
export interface DevKey {
  secret: Uint8Array;
  public: Uint8Array;
  hex: string;
}

/** A key from a label: devnet identities are the same on every run. */
export function devKey(label: string): DevKey {
  const secret = sha256(new TextEncoder().encode(`devnet/${label}`));
  const pub = publicKeyOf(secret);
  return { secret, public: pub, hex: toHex(pub) };
}

const lastSequence = new Map<string, number>();

/** Unix milliseconds, bumped when two messages of one signer share one. */
function nextSequence(signer: string): number {
  const next = Math.max(Date.now(), (lastSequence.get(signer) ?? 0) + 1);
  lastSequence.set(signer, next);
  return next;
}

/** A message body without the fields `sign` fills in (distributes over kinds). */
export type Unsigned = MessageBody extends infer B
  ? B extends MessageBody ? Omit<B, "network" | "timestamp" | "sequence">
  : never
  : never;

/** Sign a devnet message; the last key's sequence numbers are used. */
export function sign(body: Unsigned, keys: DevKey[]): Uint8Array {
  const sequenceOwner = keys[keys.length - 1]!;
  const full = {
    ...body,
    network: PRESETS.devnet.id,
    timestamp: Math.floor(Date.now() / 1000),
    sequence: nextSequence(sequenceOwner.hex),
  } as MessageBody;
  return signMessage(full, keys.map((k) => k.secret)).bytes;
}
