import assert from "node:assert/strict";
import fc from "fast-check";
import { sha256 } from "@noble/hashes/sha2.js";
import { concat, parseIpv4, toHex } from "./bytes.ts";
import { CoreError } from "./errors.ts";
import { publicKeyOf, verify } from "./keys.ts";
import {
  checkTimestamp,
  decodeMessage,
  domainTag,
  encodeUnsigned,
  MAX_MESSAGE_LENGTH,
  MESSAGE_HEADER_LENGTH,
  type MessageBody,
  signMessage,
} from "./messages.ts";
import { ATOMIC_PER_COIN, NETWORK_IDS } from "./params.ts";

const DEVNET = NETWORK_IDS.devnet;
const seed = (label: string) => sha256(new TextEncoder().encode(label));
const nodeSk = seed("node"), walletSk = seed("wallet"), otherSk = seed("other");
const nodePk = publicKeyOf(nodeSk), walletPk = publicKeyOf(walletSk);
const common = { network: DEVNET, timestamp: 1_800_000_000, sequence: 7 };

const samples: [MessageBody, Uint8Array[]][] = [
  [{
    kind: "register_node",
    ...common,
    nodePubkey: nodePk,
    operator: walletPk,
    operatorStake: 30n * ATOMIC_PER_COIN,
    feeBasisPoints: 250,
    reserved: [{ wallet: publicKeyOf(otherSk), amount: 10n * ATOMIC_PER_COIN }],
  }, [nodeSk, walletSk]],
  [{
    kind: "contribute",
    ...common,
    wallet: walletPk,
    nodePubkey: nodePk,
    amount: 5n,
  }, [walletSk]],
  [
    { kind: "unlock_request", ...common, wallet: walletPk, nodePubkey: nodePk },
    [walletSk],
  ],
  [{
    kind: "uptime_proof",
    ...common,
    nodePubkey: nodePk,
    ipv4: "203.0.113.7",
    httpsPort: 22021,
    quicPort: 22020,
    nodeVersion: [11, 2, 0],
    storageVersion: [2, 10, 0],
  }, [nodeSk]],
  [{
    kind: "faucet_request",
    ...common,
    wallet: walletPk,
    amount: 100n * ATOMIC_PER_COIN,
  }, [walletSk]],
];

Deno.test("every kind round-trips through sign and decode", () => {
  for (const [body, keys] of samples) {
    const msg = signMessage(body, keys);
    const back = decodeMessage(msg.bytes, DEVNET);
    assert.deepEqual(back.body, body, body.kind);
    assert.equal(back.id, msg.id);
    assert.deepEqual(
      back.signer,
      body.kind === "uptime_proof" ? nodePk : walletPk,
    );
  }
});

Deno.test("signatures cover the domain tag: a contribute signature does not verify as another kind", () => {
  const [body, keys] = samples[1]!;
  const msg = signMessage(body, keys);
  const unsigned = encodeUnsigned(body);
  assert(
    verify(
      walletPk,
      concat(domainTag("contribute"), unsigned),
      msg.signatures[0]!,
    ),
  );
  assert.equal(verify(walletPk, unsigned, msg.signatures[0]!), false);
  assert.equal(
    verify(
      walletPk,
      concat(domainTag("unlock_request"), unsigned),
      msg.signatures[0]!,
    ),
    false,
  );
});

Deno.test("a registration needs both the node key and the operator wallet", () => {
  const [body] = samples[0]!;
  assert.throws(() => signMessage(body, [walletSk, nodeSk]), {
    code: "bad_signature",
  });
  assert.throws(() => signMessage(body, [nodeSk]), { code: "out_of_range" });
  const msg = signMessage(body, [nodeSk, walletSk]);
  // Replace the operator's signature with the node's: refused, naming the wallet.
  const forged = msg.bytes.slice();
  forged.set(msg.signatures[0]!, forged.length - 64);
  assert.throws(
    () => decodeMessage(forged, DEVNET),
    (e: CoreError) =>
      e.code === "bad_signature" && /operator wallet/.test(e.message),
  );
});

Deno.test("every truncation of every kind throws 'truncated', never anything else", () => {
  for (const [body, keys] of samples) {
    const { bytes } = signMessage(body, keys);
    for (let n = 0; n < bytes.length; n++) {
      assert.throws(() => decodeMessage(bytes.subarray(0, n), DEVNET), {
        code: "truncated",
      }, `${body.kind} at ${n}`);
    }
  }
});

Deno.test("trailing bytes, oversize, version, kind and network are each refused specifically", () => {
  const { bytes } = signMessage(...samples[1]!);
  assert.throws(
    () => decodeMessage(concat(bytes, new Uint8Array([0])), DEVNET),
    { code: "trailing_bytes" },
  );
  assert.throws(
    () => decodeMessage(new Uint8Array(MAX_MESSAGE_LENGTH + 1), DEVNET),
    { code: "oversized" },
  );
  const v2 = bytes.slice();
  v2[0] = 2;
  assert.throws(() => decodeMessage(v2, DEVNET), {
    code: "unsupported_version",
  });
  const kind9 = bytes.slice();
  kind9[1] = 9;
  assert.throws(() => decodeMessage(kind9, DEVNET), { code: "unknown_kind" });
  assert.throws(() => decodeMessage(bytes, NETWORK_IDS.mainnet), {
    code: "wrong_network",
  });
});

Deno.test("any changed byte of a signed message is refused", () => {
  for (const [body, keys] of samples) {
    const { bytes } = signMessage(body, keys);
    for (let i = MESSAGE_HEADER_LENGTH; i < bytes.length; i++) {
      const bad = bytes.slice();
      bad[i]! ^= 0x80;
      assert.throws(
        () => decodeMessage(bad, DEVNET),
        (e: unknown) => e instanceof CoreError,
        `${body.kind} byte ${i}`,
      );
    }
  }
});

Deno.test("random bytes only ever produce typed errors", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: MAX_MESSAGE_LENGTH + 4 }),
      (bytes) => {
        try {
          decodeMessage(bytes, DEVNET);
          return false; // a random buffer carrying valid signatures is not plausible
        } catch (e) {
          return e instanceof CoreError;
        }
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("mutations of valid messages only ever produce typed errors", () => {
  const valid = samples.map(([b, k]) => signMessage(b, k).bytes);
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: valid.length - 1 }),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      (which, at, xor) => {
        const bytes = valid[which]!.slice();
        bytes[at % bytes.length]! ^= xor;
        try {
          decodeMessage(bytes, DEVNET);
          return false;
        } catch (e) {
          return e instanceof CoreError;
        }
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("fields out of range are refused before signing", () => {
  const [contribute] = samples[1]!;
  assert.throws(() => encodeUnsigned({ ...contribute, timestamp: -1 }), {
    code: "out_of_range",
  });
  assert.throws(() => encodeUnsigned({ ...contribute, sequence: 1.5 }), {
    code: "out_of_range",
  });
  assert.throws(
    () =>
      encodeUnsigned(
        { ...contribute, kind: "contribute", amount: 1n << 64n } as MessageBody,
      ),
    {
      code: "out_of_range",
    },
  );
  assert.throws(
    () =>
      encodeUnsigned(
        { ...contribute, kind: "contribute", amount: -1n } as MessageBody,
      ),
    {
      code: "out_of_range",
    },
  );
  const [reg] = samples[0]!;
  const tooMany = Array.from(
    { length: 10 },
    (_, i) => ({ wallet: new Uint8Array(32).fill(i), amount: 1n }),
  );
  assert.throws(
    () =>
      encodeUnsigned(
        { ...reg, kind: "register_node", reserved: tooMany } as MessageBody,
      ),
    {
      code: "out_of_range",
    },
  );
  const [proof] = samples[3]!;
  assert.throws(
    () =>
      encodeUnsigned(
        { ...proof, kind: "uptime_proof", httpsPort: 70000 } as MessageBody,
      ),
    {
      code: "out_of_range",
    },
  );
});

Deno.test("a u64 timestamp above 2^53 is refused rather than rounded", () => {
  const { bytes } = signMessage(...samples[2]!);
  const bad = bytes.slice();
  bad.fill(0xff, 3, 11);
  assert.throws(() => decodeMessage(bad, DEVNET), { code: "out_of_range" });
});

Deno.test("timestamps: inside the tolerance pass, outside say which way the clock is off", () => {
  const body = samples[1]![0];
  checkTimestamp(body, body.timestamp + 300, 300);
  checkTimestamp(body, body.timestamp - 300, 300);
  assert.throws(
    () => checkTimestamp(body, body.timestamp + 301, 300),
    /behind/,
  );
  assert.throws(
    () => checkTimestamp(body, body.timestamp - 301, 300),
    /ahead of/,
  );
});

Deno.test("IPv4 parsing is strict", () => {
  assert.deepEqual(parseIpv4("0.0.0.0"), new Uint8Array(4));
  for (
    const bad of [
      "1.2.3",
      "1.2.3.4.5",
      "256.0.0.1",
      "01.2.3.4",
      "a.b.c.d",
      "1.2.3.-4",
      "",
      " 1.2.3.4",
    ]
  ) {
    assert.throws(() => parseIpv4(bad), { code: "out_of_range" }, bad);
  }
});

Deno.test("signatures are deterministic, so the same body gives the same id", () => {
  const [body, keys] = samples[4]!;
  assert.equal(signMessage(body, keys).id, signMessage(body, keys).id);
  assert.equal(
    signMessage(body, keys).id,
    toHex(sha256(signMessage(body, keys).bytes)),
  );
  assert.notEqual(
    signMessage({ ...body, sequence: 8 }, keys).id,
    signMessage(body, keys).id,
  );
});

Deno.test("the largest message (a registration with 9 reservations) round-trips at MAX_MESSAGE_LENGTH", () => {
  const [reg, keys] = samples[0]!;
  const reserved = Array.from(
    { length: 9 },
    (_, i) => ({
      wallet: new Uint8Array(32).fill(i + 1),
      amount: BigInt(i + 1),
    }),
  );
  const msg = signMessage(
    { ...reg, kind: "register_node", reserved } as MessageBody,
    keys,
  );
  assert.equal(msg.bytes.length, MAX_MESSAGE_LENGTH);
  assert.deepEqual(decodeMessage(msg.bytes, DEVNET).body, msg.body);
});
