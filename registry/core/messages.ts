/**
 * Signed messages: the one canonical binary encoding of every write the
 * registry accepts. Each message carries the network id, a timestamp and a
 * per-signer sequence number (replay protection), and each signature covers a
 * domain-separation tag naming the message kind, so a signature made for one
 * purpose can never be replayed as another. The byte layout is specified in
 * `README.md` ("Signed messages").
 *
 * @module
 */

import { sha256 } from "@noble/hashes/sha2.js";
import {
  ByteReader,
  bytesEqual,
  ByteWriter,
  concat,
  formatIpv4,
  parseIpv4,
  toHex,
} from "./bytes.ts";
import { DecodeError, VerifyError } from "./errors.ts";
import { PUBLIC_KEY_LENGTH, sign, SIGNATURE_LENGTH, verify } from "./keys.ts";
import { MAX_CONTRIBUTORS } from "./params.ts";

export { challengePreimage, verifyChallenge } from "./challenge.ts";

/**
 * Version byte of the message encoding.
 *
 * @example The first byte of every message; other versions are refused
 * ```ts
 * import assert from "node:assert/strict";
 * const bytes = encodeUnsigned({ kind: "faucet_request", network: 3, timestamp: 1, sequence: 1,
 *   wallet: new Uint8Array(32), amount: 5n });
 * assert.equal(MESSAGE_VERSION, 1);
 * assert.equal(bytes[0], MESSAGE_VERSION);
 * bytes[0] = MESSAGE_VERSION + 1;
 * assert.throws(() => decodeMessage(bytes, 3), { code: "unsupported_version" });
 * ```
 */
export const MESSAGE_VERSION = 1;
/**
 * Bytes before the kind-specific fields: version, kind, network, timestamp, sequence.
 *
 * @example Version 1 + kind 1 + network 1 + timestamp 8 + sequence 8
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(MESSAGE_HEADER_LENGTH, 19);
 * const unlock = encodeUnsigned({ kind: "unlock_request", network: 3, timestamp: 1, sequence: 1,
 *   wallet: new Uint8Array(32), nodePubkey: new Uint8Array(32) });
 * assert.equal(unlock.length, MESSAGE_HEADER_LENGTH + 32 + 32);
 * ```
 */
export const MESSAGE_HEADER_LENGTH: number = 1 + 1 + 1 + 8 + 8;
/**
 * Largest encoded message (a registration with every reserved spot, two signatures).
 *
 * @example Longer input is refused before it is parsed
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(MAX_MESSAGE_LENGTH, 19 + 32 + 32 + 8 + 2 + 1 + 9 * 40 + 2 * 64);
 * assert.throws(() => decodeMessage(new Uint8Array(MAX_MESSAGE_LENGTH + 1), 3), { code: "oversized" });
 * ```
 */
export const MAX_MESSAGE_LENGTH: number = MESSAGE_HEADER_LENGTH + 32 + 32 + 8 +
  2 + 1 +
  (MAX_CONTRIBUTORS - 1) * 40 + 2 * SIGNATURE_LENGTH;

/**
 * Kind codes on the wire (the second byte).
 *
 * @example The kind code is the second byte; unknown codes are refused
 * ```ts
 * import assert from "node:assert/strict";
 * const bytes = encodeUnsigned({ kind: "faucet_request", network: 3, timestamp: 1, sequence: 1,
 *   wallet: new Uint8Array(32), amount: 5n });
 * assert.equal(MESSAGE_KINDS.faucet_request, 5);
 * assert.equal(bytes[1], MESSAGE_KINDS.faucet_request);
 * bytes[1] = 99;
 * assert.throws(() => decodeMessage(bytes, 3), { code: "unknown_kind" });
 * ```
 */
export const MESSAGE_KINDS = {
  register_node: 1,
  contribute: 2,
  unlock_request: 3,
  uptime_proof: 4,
  faucet_request: 5,
} as const;

/**
 * Name of a message kind.
 *
 * @example Every kind signs under its own domain tag
 * ```ts
 * import assert from "node:assert/strict";
 * const kinds = Object.keys(MESSAGE_KINDS) as MessageKind[];
 * const tags = new Set(kinds.map((kind) => new TextDecoder().decode(domainTag(kind))));
 * assert.equal(tags.size, 5);
 * assert(tags.has("snode-registry/msg/v1/register_node\n"));
 * ```
 */
export type MessageKind = keyof typeof MESSAGE_KINDS;

/**
 * Fields every message carries.
 *
 * @example Spread the common fields into any body
 * ```ts
 * import assert from "node:assert/strict";
 * import { NETWORK_IDS } from "./params.ts";
 * const common: MessageCommon = { network: NETWORK_IDS.devnet, timestamp: 1_700_000_000, sequence: 7 };
 * checkTimestamp(common, 1_700_000_300, 300);
 * assert.throws(() => checkTimestamp(common, 1_700_000_301, 300), { code: "stale_timestamp" });
 * const bytes = encodeUnsigned({ ...common, kind: "unlock_request",
 *   wallet: new Uint8Array(32), nodePubkey: new Uint8Array(32) });
 * assert.equal(bytes[2], NETWORK_IDS.devnet);
 * ```
 */
export interface MessageCommon {
  /** One-byte network id ({@linkcode NETWORK_IDS}). */
  network: number;
  /** Unix seconds when signed; the registry refuses it outside its clock tolerance. */
  timestamp: number;
  /** Per-signer counter; the registry accepts only a sequence above the signer's last. */
  sequence: number;
}

/**
 * A reserved contribution spot named at registration.
 *
 * @example A reserved spot becomes a stake with nothing contributed yet
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRESETS } from "./params.ts";
 * import { stakesFromRegistration } from "./staking.ts";
 * const p = PRESETS.devnet;
 * const spot: Reservation = { wallet: new Uint8Array(32).fill(3), amount: p.operatorMinimum };
 * const node = stakesFromRegistration(p, { kind: "register_node", network: 3, timestamp: 0, sequence: 1,
 *   nodePubkey: new Uint8Array(32).fill(1), operator: new Uint8Array(32).fill(2),
 *   operatorStake: p.operatorMinimum, feeBasisPoints: 0, reserved: [spot] }, 0);
 * assert.deepEqual(node.stakes[1], { wallet: spot.wallet, amount: 0n, reserved: spot.amount, sinceEpoch: 0 });
 * ```
 */
export interface Reservation {
  /** Wallet public key the spot is reserved for. */
  wallet: Uint8Array;
  /** Amount, atomic units, the wallet must contribute at least. */
  amount: bigint;
}

/**
 * Register a node: signed by the node key (possession) and the operator wallet (stake).
 *
 * @example Signed by the node key, then the operator wallet
 * ```ts
 * import assert from "node:assert/strict";
 * import { publicKeyOf } from "./keys.ts";
 * const nodeSk = new Uint8Array(32).fill(1), walletSk = new Uint8Array(32).fill(2);
 * const reg: RegisterNode = {
 *   kind: "register_node", network: 3, timestamp: 1_700_000_000, sequence: 1,
 *   nodePubkey: publicKeyOf(nodeSk), operator: publicKeyOf(walletSk),
 *   operatorStake: 30_000_000_000n, feeBasisPoints: 500, reserved: [],
 * };
 * assert.deepEqual(decodeMessage(signMessage(reg, [nodeSk, walletSk]).bytes, 3).body, reg);
 * assert.throws(() => signMessage(reg, [walletSk, nodeSk]), { code: "bad_signature" });
 * ```
 */
export interface RegisterNode extends MessageCommon {
  /** Kind tag. */
  kind: "register_node";
  /** The node's Ed25519 identity key. */
  nodePubkey: Uint8Array;
  /** The operator's wallet key; its stake is locked. */
  operator: Uint8Array;
  /** Atomic units the operator stakes now. */
  operatorStake: bigint;
  /** Operator fee, basis points of 10,000. */
  feeBasisPoints: number;
  /** Spots reserved for named contributors. */
  reserved: Reservation[];
}

/**
 * Contribute stake to a node awaiting contributions. Signed by the wallet.
 *
 * @example Signed by the contributing wallet, whose sequence it consumes
 * ```ts
 * import assert from "node:assert/strict";
 * import { publicKeyOf } from "./keys.ts";
 * const sk = new Uint8Array(32).fill(3);
 * const c: Contribute = { kind: "contribute", network: 3, timestamp: 1_700_000_000, sequence: 2,
 *   wallet: publicKeyOf(sk), nodePubkey: new Uint8Array(32).fill(1), amount: 10_000_000_000n };
 * const msg = signMessage(c, [sk]);
 * assert.deepEqual(msg.signer, c.wallet);
 * assert.deepEqual(decodeMessage(msg.bytes, 3).body, c);
 * ```
 */
export interface Contribute extends MessageCommon {
  /** Kind tag. */
  kind: "contribute";
  /** Contributing wallet. */
  wallet: Uint8Array;
  /** Node contributed to. */
  nodePubkey: Uint8Array;
  /** Atomic units. */
  amount: bigint;
}

/**
 * Ask for a node's stakes to unlock. Signed by a contributor's wallet.
 *
 * @example A fixed size: header, two keys, one signature
 * ```ts
 * import assert from "node:assert/strict";
 * import { publicKeyOf, SIGNATURE_LENGTH } from "./keys.ts";
 * const sk = new Uint8Array(32).fill(4);
 * const u: UnlockRequest = { kind: "unlock_request", network: 3, timestamp: 1_700_000_000, sequence: 3,
 *   wallet: publicKeyOf(sk), nodePubkey: new Uint8Array(32).fill(1) };
 * const msg = signMessage(u, [sk]);
 * assert.equal(msg.bytes.length, MESSAGE_HEADER_LENGTH + 32 + 32 + SIGNATURE_LENGTH);
 * assert.deepEqual(decodeMessage(msg.bytes, 3).body, u);
 * ```
 */
export interface UnlockRequest extends MessageCommon {
  /** Kind tag. */
  kind: "unlock_request";
  /** Requesting contributor's wallet. */
  wallet: Uint8Array;
  /** Node to unlock. */
  nodePubkey: Uint8Array;
}

/**
 * A node's uptime proof (network.md §6). Signed by the node key.
 *
 * @example Signed by the node key; the address must be a dotted quad
 * ```ts
 * import assert from "node:assert/strict";
 * import { publicKeyOf } from "./keys.ts";
 * const sk = new Uint8Array(32).fill(5);
 * const proof: UptimeProof = { kind: "uptime_proof", network: 3, timestamp: 1_700_000_000, sequence: 9,
 *   nodePubkey: publicKeyOf(sk), ipv4: "203.0.113.7", httpsPort: 22021, quicPort: 22020,
 *   nodeVersion: [11, 0, 0], storageVersion: [2, 11, 0] };
 * assert.deepEqual(decodeMessage(signMessage(proof, [sk]).bytes, 3).body, proof);
 * assert.throws(() => encodeUnsigned({ ...proof, ipv4: "203.0.113.256" }), { code: "out_of_range" });
 * ```
 */
export interface UptimeProof extends MessageCommon {
  /** Kind tag. */
  kind: "uptime_proof";
  /** The proving node. */
  nodePubkey: Uint8Array;
  /** Public IPv4 address, dotted quad. */
  ipv4: string;
  /** Storage server HTTPS port. */
  httpsPort: number;
  /** Storage server QUIC / OMQ port. */
  quicPort: number;
  /** Service node software version. */
  nodeVersion: [number, number, number];
  /** Storage server version. */
  storageVersion: [number, number, number];
}

/**
 * Ask the devnet faucet for coins. Signed by the receiving wallet.
 *
 * @example Bound to one network: another network refuses it
 * ```ts
 * import assert from "node:assert/strict";
 * import { publicKeyOf } from "./keys.ts";
 * const sk = new Uint8Array(32).fill(6);
 * const req: FaucetRequest = { kind: "faucet_request", network: 3, timestamp: 1_700_000_000, sequence: 1,
 *   wallet: publicKeyOf(sk), amount: 100_000_000_000n };
 * const msg = signMessage(req, [sk]);
 * assert.equal(decodeMessage(msg.bytes, 3).id, msg.id);
 * assert.throws(() => decodeMessage(msg.bytes, 1), { code: "wrong_network" });
 * ```
 */
export interface FaucetRequest extends MessageCommon {
  /** Kind tag. */
  kind: "faucet_request";
  /** Receiving wallet. */
  wallet: Uint8Array;
  /** Atomic units asked for. */
  amount: bigint;
}

/**
 * Any message body.
 *
 * @example Decoding yields the union; narrow it on `kind`
 * ```ts
 * import assert from "node:assert/strict";
 * import { publicKeyOf } from "./keys.ts";
 * const sk = new Uint8Array(32).fill(7);
 * const sent: MessageBody = { kind: "faucet_request", network: 3, timestamp: 1_700_000_000, sequence: 1,
 *   wallet: publicKeyOf(sk), amount: 10n };
 * const { body } = decodeMessage(signMessage(sent, [sk]).bytes, 3);
 * assert(body.kind === "faucet_request");
 * assert.equal(body.amount, 10n);
 * ```
 */
export type MessageBody =
  | RegisterNode
  | Contribute
  | UnlockRequest
  | UptimeProof
  | FaucetRequest;

/**
 * A decoded message whose signatures have been verified.
 *
 * @example The body's type follows from the message signed
 * ```ts
 * import assert from "node:assert/strict";
 * import { publicKeyOf } from "./keys.ts";
 * const sk = new Uint8Array(32).fill(8);
 * const msg: SignedMessage<FaucetRequest> = signMessage({ kind: "faucet_request", network: 3,
 *   timestamp: 1_700_000_000, sequence: 1, wallet: publicKeyOf(sk), amount: 10n }, [sk]);
 * assert.equal(msg.body.amount, 10n);
 * assert.match(msg.id, /^[0-9a-f]{64}$/);
 * assert(sameMessage(msg, decodeMessage(msg.bytes, 3)));
 * ```
 */
export interface SignedMessage<B extends MessageBody = MessageBody> {
  /** The fields. */
  body: B;
  /** Signatures in the kind's fixed order (registration: node key, then operator). */
  signatures: Uint8Array[];
  /** The full canonical encoding (fields then signatures). */
  bytes: Uint8Array;
  /** The key whose sequence number this message consumes. */
  signer: Uint8Array;
  /** Hex SHA-256 of `bytes`: a stable id for logs and idempotency. */
  id: string;
}

/**
 * The domain-separation tag each signature of a message kind covers:
 * `snode-registry/msg/v1/<kind>\n` in UTF-8, prepended to the unsigned bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(new TextDecoder().decode(domainTag("contribute")), "snode-registry/msg/v1/contribute\n");
 * ```
 */
export function domainTag(kind: MessageKind): Uint8Array {
  return new TextEncoder().encode(`snode-registry/msg/v1/${kind}\n`);
}

/** Keys whose signatures a message needs, in wire order. */
function signersOf(body: MessageBody): Uint8Array[] {
  switch (body.kind) {
    case "register_node":
      return [body.nodePubkey, body.operator];
    case "uptime_proof":
      return [body.nodePubkey];
    case "contribute":
    case "unlock_request":
    case "faucet_request":
      return [body.wallet];
  }
}

/** The key whose sequence a message consumes: the wallet, or the node for proofs. */
function sequenceOwner(body: MessageBody): Uint8Array {
  const signers = signersOf(body);
  return signers[signers.length - 1]!;
}

/**
 * The canonical unsigned bytes of a message (what the signatures cover, after
 * the domain tag). Throws on any field out of range, so nothing unencodable is
 * ever signed.
 *
 * @throws {DecodeError} `out_of_range` / `bad_length` for invalid fields.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const bytes = encodeUnsigned({
 *   kind: "faucet_request", network: 3, timestamp: 1, sequence: 1,
 *   wallet: new Uint8Array(32), amount: 5n,
 * });
 * assert.equal(bytes.length, MESSAGE_HEADER_LENGTH + 32 + 8);
 * ```
 */
export function encodeUnsigned(body: MessageBody): Uint8Array {
  const w = new ByteWriter();
  w.u8(MESSAGE_VERSION).u8(MESSAGE_KINDS[body.kind]).u8(body.network);
  w.u64(safeIntToU64(body.timestamp, "timestamp"));
  w.u64(safeIntToU64(body.sequence, "sequence"));
  switch (body.kind) {
    case "register_node":
      if (body.reserved.length > MAX_CONTRIBUTORS - 1) {
        throw new DecodeError(
          "out_of_range",
          `at most ${
            MAX_CONTRIBUTORS - 1
          } reserved spots (the operator is the 10th contributor)`,
        );
      }
      w.bytes(body.nodePubkey, PUBLIC_KEY_LENGTH);
      w.bytes(body.operator, PUBLIC_KEY_LENGTH);
      w.u64(body.operatorStake).u16(body.feeBasisPoints);
      w.u8(body.reserved.length);
      for (const r of body.reserved) {
        w.bytes(r.wallet, PUBLIC_KEY_LENGTH).u64(r.amount);
      }
      break;
    case "contribute":
      w.bytes(body.wallet, PUBLIC_KEY_LENGTH);
      w.bytes(body.nodePubkey, PUBLIC_KEY_LENGTH);
      w.u64(body.amount);
      break;
    case "unlock_request":
      w.bytes(body.wallet, PUBLIC_KEY_LENGTH);
      w.bytes(body.nodePubkey, PUBLIC_KEY_LENGTH);
      break;
    case "uptime_proof":
      w.bytes(body.nodePubkey, PUBLIC_KEY_LENGTH);
      w.bytes(parseIpv4(body.ipv4), 4);
      w.u16(body.httpsPort).u16(body.quicPort);
      for (const v of [...body.nodeVersion, ...body.storageVersion]) w.u8(v);
      break;
    case "faucet_request":
      w.bytes(body.wallet, PUBLIC_KEY_LENGTH);
      w.u64(body.amount);
      break;
  }
  return w.finish();
}

/**
 * Sign a message. `secretKeys` are in the kind's signer order: for a
 * registration the node key then the operator wallet; otherwise the one
 * signer. Each signature covers `domainTag(kind) || encodeUnsigned(body)`.
 *
 * @throws {DecodeError} for invalid fields; {@linkcode VerifyError}
 * `bad_signature` when a secret key does not belong to the named signer.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { publicKeyOf } from "./keys.ts";
 * const sk = new Uint8Array(32).fill(4);
 * const msg = signMessage({
 *   kind: "faucet_request", network: 3, timestamp: 1_700_000_000, sequence: 1,
 *   wallet: publicKeyOf(sk), amount: 10n,
 * }, [sk]);
 * assert.equal(decodeMessage(msg.bytes, 3).id, msg.id);
 * ```
 */
export function signMessage<B extends MessageBody>(
  body: B,
  secretKeys: readonly Uint8Array[],
): SignedMessage<B> {
  const unsigned = encodeUnsigned(body);
  const preimage = concat(domainTag(body.kind), unsigned);
  const signers = signersOf(body);
  if (secretKeys.length !== signers.length) {
    throw new DecodeError(
      "out_of_range",
      `${body.kind} needs ${signers.length} signature(s), got ${secretKeys.length} key(s)`,
    );
  }
  const signatures = secretKeys.map((sk) => sign(sk, preimage));
  signatures.forEach((sig, i) => {
    if (!verify(signers[i]!, preimage, sig)) {
      throw new VerifyError(
        "bad_signature",
        `secret key ${i + 1} does not match the ${signerName(body, i)}`,
      );
    }
  });
  const bytes = concat(unsigned, ...signatures);
  return {
    body,
    signatures,
    bytes,
    signer: sequenceOwner(body),
    id: toHex(sha256(bytes)),
  };
}

/**
 * One signature a message needs: verify `signature` by `publicKey` over
 * `preimage`.
 *
 * @example A message's checks, e.g. `decodeUnverifiedMessage(bytes, 3).checks`
 * ```ts
 * const check: SignatureCheck = { publicKey: new Uint8Array(32), preimage: new Uint8Array(0),
 *   signature: new Uint8Array(64), failure: "faucet_request: the wallet's signature does not verify" };
 * ```
 */
export interface SignatureCheck {
  /** The signer's key. */
  publicKey: Uint8Array;
  /** The domain tag and the unsigned bytes. */
  preimage: Uint8Array;
  /** The signature as sent. */
  signature: Uint8Array;
  /** The `bad_signature` message when it does not verify. */
  failure: string;
}

/**
 * A decoded message whose signatures are still to be checked, in order
 * (the first that fails is the error).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { publicKeyOf, verify } from "./keys.ts";
 * const sk = new Uint8Array(32).fill(4);
 * const msg = signMessage({ kind: "faucet_request", network: 3, timestamp: 1, sequence: 1,
 *   wallet: publicKeyOf(sk), amount: 10n }, [sk]);
 * const u: UnverifiedMessage = decodeUnverifiedMessage(msg.bytes, 3);
 * assert(u.checks.every((c) => verify(c.publicKey, c.preimage, c.signature)));
 * ```
 */
export interface UnverifiedMessage {
  /** The message, trustworthy only once every check passed. */
  message: SignedMessage;
  /** The signatures to verify, in order. */
  checks: SignatureCheck[];
}

/**
 * Decode a message without verifying its signatures, returning the checks
 * {@linkcode decodeMessage} would make, for a caller that verifies them
 * itself (the registry, asynchronously) with the same strict rules. Not
 * trustworthy until every check passed.
 *
 * @throws {DecodeError} as {@linkcode decodeMessage}, never `bad_signature`.
 * @example A forged signature decodes; its check fails
 * ```ts
 * import assert from "node:assert/strict";
 * import { publicKeyOf, verify } from "./keys.ts";
 * const sk = new Uint8Array(32).fill(4);
 * const msg = signMessage({ kind: "faucet_request", network: 3, timestamp: 1, sequence: 1,
 *   wallet: publicKeyOf(sk), amount: 10n }, [sk]);
 * const forged = msg.bytes.slice();
 * forged[forged.length - 1]! ^= 1;
 * const { checks } = decodeUnverifiedMessage(forged, 3);
 * assert.equal(verify(checks[0]!.publicKey, checks[0]!.preimage, checks[0]!.signature), false);
 * assert.equal(checks[0]!.failure, "faucet_request: the wallet's signature does not verify");
 * ```
 */
export function decodeUnverifiedMessage(
  bytes: Uint8Array,
  expectedNetwork: number,
): UnverifiedMessage {
  if (bytes.length > MAX_MESSAGE_LENGTH) {
    throw new DecodeError(
      "oversized",
      `message is ${bytes.length} bytes, more than the ${MAX_MESSAGE_LENGTH} any message can be`,
    );
  }
  const r = new ByteReader(bytes, "message");
  const version = r.u8();
  const kindCode = r.u8();
  const network = r.u8();
  const timestamp = u64ToSafeInt(r.u64(), "timestamp");
  const sequence = u64ToSafeInt(r.u64(), "sequence");
  if (version !== MESSAGE_VERSION) {
    throw new DecodeError(
      "unsupported_version",
      `message version ${version} is not supported (expected ${MESSAGE_VERSION})`,
    );
  }
  const kind = kindName(kindCode);
  if (network !== expectedNetwork) {
    throw new DecodeError(
      "wrong_network",
      `message is for network ${network}, this is network ${expectedNetwork}`,
    );
  }
  const common = { network, timestamp, sequence };
  let body: MessageBody;
  switch (kind) {
    case "register_node": {
      const nodePubkey = r.bytes(32);
      const operator = r.bytes(32);
      const operatorStake = r.u64();
      const feeBasisPoints = r.u16();
      const count = r.u8();
      if (count > MAX_CONTRIBUTORS - 1) {
        throw new DecodeError(
          "out_of_range",
          `${count} reserved spots; at most ${MAX_CONTRIBUTORS - 1}`,
        );
      }
      const reserved: Reservation[] = [];
      for (let i = 0; i < count; i++) {
        reserved.push({ wallet: r.bytes(32), amount: r.u64() });
      }
      body = {
        kind,
        ...common,
        nodePubkey,
        operator,
        operatorStake,
        feeBasisPoints,
        reserved,
      };
      break;
    }
    case "contribute":
      body = {
        kind,
        ...common,
        wallet: r.bytes(32),
        nodePubkey: r.bytes(32),
        amount: r.u64(),
      };
      break;
    case "unlock_request":
      body = { kind, ...common, wallet: r.bytes(32), nodePubkey: r.bytes(32) };
      break;
    case "uptime_proof":
      body = {
        kind,
        ...common,
        nodePubkey: r.bytes(32),
        ipv4: formatIpv4(r.bytes(4)),
        httpsPort: r.u16(),
        quicPort: r.u16(),
        nodeVersion: [r.u8(), r.u8(), r.u8()],
        storageVersion: [r.u8(), r.u8(), r.u8()],
      };
      break;
    case "faucet_request":
      body = { kind, ...common, wallet: r.bytes(32), amount: r.u64() };
      break;
  }
  const unsignedLength = r.offset;
  const signers = signersOf(body);
  const signatures = signers.map(() => r.bytes(SIGNATURE_LENGTH));
  r.end();
  const preimage = concat(domainTag(kind), bytes.subarray(0, unsignedLength));
  const copy = bytes.slice();
  return {
    message: {
      body,
      signatures,
      bytes: copy,
      signer: sequenceOwner(body),
      id: toHex(sha256(copy)),
    },
    checks: signers.map((publicKey, i) => ({
      publicKey,
      preimage,
      signature: signatures[i]!,
      failure: `${kind}: the ${
        signerName(body, i)
      }'s signature does not verify`,
    })),
  };
}

/**
 * Decode a message and verify every signature it needs (strict RFC 8032).
 * The result is trustworthy as to *who* signed it; timestamps and sequence
 * numbers are checked against state by {@linkcode checkTimestamp} and the
 * registry.
 *
 * @throws {DecodeError} `truncated`, `oversized`, `trailing_bytes`,
 * `unsupported_version`, `unknown_kind`, `wrong_network`, `out_of_range`;
 * {@linkcode VerifyError} `bad_signature`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.throws(() => decodeMessage(new Uint8Array([1, 9]), 3), { code: "truncated" });
 * ```
 */
export function decodeMessage(
  bytes: Uint8Array,
  expectedNetwork: number,
): SignedMessage {
  const { message, checks } = decodeUnverifiedMessage(bytes, expectedNetwork);
  for (const c of checks) {
    if (!verify(c.publicKey, c.preimage, c.signature)) {
      throw new VerifyError("bad_signature", c.failure);
    }
  }
  return message;
}

/**
 * The kind of an encoded message, read from its first two bytes without
 * decoding or verifying it; null when the bytes do not start like a message
 * of this format version. For routing and early refusals only: the message
 * must still be decoded and verified.
 *
 * @example Refuse a proof posted where registrations are expected
 * ```ts
 * import assert from "node:assert/strict";
 * import { publicKeyOf } from "./keys.ts";
 * const sk = new Uint8Array(32).fill(7);
 * const proof = signMessage({
 *   kind: "uptime_proof", network: 3, timestamp: 1, sequence: 1, nodePubkey: publicKeyOf(sk),
 *   ipv4: "10.0.0.1", httpsPort: 1, quicPort: 2, nodeVersion: [1, 0, 0], storageVersion: [1, 0, 0],
 * }, [sk]);
 * assert.equal(peekMessageKind(proof.bytes), "uptime_proof");
 * assert.equal(peekMessageKind(new Uint8Array([MESSAGE_VERSION, 0xff])), null);
 * ```
 */
export function peekMessageKind(bytes: Uint8Array): MessageKind | null {
  if (bytes.length < 2 || bytes[0] !== MESSAGE_VERSION) return null;
  return KIND_BY_CODE.get(bytes[1]!) ?? null;
}

/**
 * Check a message's timestamp against the registry's clock: it must be
 * within `toleranceSeconds` either side of `nowSeconds` (network.md §6: 5 min).
 *
 * @throws {VerifyError} `stale_timestamp`, saying by how much and which way.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const body = { kind: "unlock_request", network: 3, timestamp: 1000, sequence: 1,
 *   wallet: new Uint8Array(32), nodePubkey: new Uint8Array(32) } as const;
 * checkTimestamp(body, 1200, 300);
 * assert.throws(() => checkTimestamp(body, 2000, 300), { code: "stale_timestamp" });
 * ```
 */
export function checkTimestamp(
  body: MessageCommon,
  nowSeconds: number,
  toleranceSeconds: number,
): void {
  const skew = body.timestamp - nowSeconds;
  if (Math.abs(skew) > toleranceSeconds) {
    const way = skew > 0 ? "ahead of" : "behind";
    throw new VerifyError(
      "stale_timestamp",
      `message timestamp is ${Math.abs(skew)} s ${way} the registry's clock ` +
        `(tolerance ${toleranceSeconds} s): check the signer's clock`,
    );
  }
}

/**
 * Whether two messages have the same canonical encoding.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { publicKeyOf } from "./keys.ts";
 * const sk = new Uint8Array(32).fill(5);
 * const body = { kind: "faucet_request", network: 3, timestamp: 1, sequence: 1,
 *   wallet: publicKeyOf(sk), amount: 1n } as const;
 * assert(sameMessage(signMessage(body, [sk]), signMessage(body, [sk])));
 * ```
 */
export function sameMessage(a: SignedMessage, b: SignedMessage): boolean {
  return bytesEqual(a.bytes, b.bytes);
}

const KIND_BY_CODE: ReadonlyMap<number, MessageKind> = new Map(
  Object.entries(MESSAGE_KINDS).map((
    [name, code],
  ) => [code, name as MessageKind]),
);

function kindName(code: number): MessageKind {
  const kind = KIND_BY_CODE.get(code);
  if (kind === undefined) {
    throw new DecodeError("unknown_kind", `unknown message kind ${code}`);
  }
  return kind;
}

function signerName(body: MessageBody, index: number): string {
  if (body.kind === "register_node") {
    return index === 0 ? "node key" : "operator wallet";
  }
  return body.kind === "uptime_proof" ? "node key" : "wallet";
}

function safeIntToU64(v: number, what: string): bigint {
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new DecodeError(
      "out_of_range",
      `${what} must be a non-negative integer, got ${v}`,
    );
  }
  return BigInt(v);
}

function u64ToSafeInt(v: bigint, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new DecodeError("out_of_range", `${what} ${v} is out of range`);
  }
  return Number(v);
}
