/**
 * Test kit: a registry on a real database (SQLite in memory or in a
 * temporary file, or PostgreSQL: `backend.ts`) with a test clock, deterministic keys and signers that
 * keep their own sequence numbers. Used by the service, HTTP and end-to-end
 * tests; never by production code.
 *
 * @module
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { toHex } from "../core/bytes.ts";
import { publicKeyOf } from "../core/keys.ts";
import {
  type MessageBody,
  type SignedMessage,
  signMessage,
} from "../core/messages.ts";
import {
  ATOMIC_PER_COIN,
  type NetworkParams,
  PRESETS,
} from "../core/params.ts";
import type {
  EventKind,
  RegistryEvent,
  RegistryEventOf,
} from "../api/events.ts";
import { Registry, type RegistryOptions } from "../registry.ts";
import type { EventQuery } from "../store/events.ts";
import type { Store } from "../store/store.ts";
import { openTestStore, type TestBackend } from "./backend.ts";

/** A key pair derived from a label, so tests are reproducible. */
export interface TestKey {
  /** 32-byte secret seed. */
  secret: Uint8Array;
  /** Public key. */
  public: Uint8Array;
  /** Public key, hex. */
  hex: string;
}

/** A deterministic key: the seed is SHA-256 of the label. */
export function testKey(label: string): TestKey {
  const secret = sha256(new TextEncoder().encode(label));
  const pub = publicKeyOf(secret);
  return { secret, public: pub, hex: toHex(pub) };
}

/** A clock tests move by hand. */
export class TestClock {
  /** Unix milliseconds. */
  now: number;
  /** Start at a fixed, realistic time. */
  constructor(start = Date.UTC(2026, 10, 24, 12, 0, 0)) {
    this.now = start;
  }
  /** Read the clock. */
  read = (): number => this.now;
  /** Move forward. */
  advance(ms: number): void {
    this.now += ms;
  }
}

/** Signs messages for one key, with its own increasing sequence numbers. */
export class Signer {
  readonly key: TestKey;
  readonly #network: number;
  readonly #clock: () => number;
  #sequence = 0;
  constructor(key: TestKey, network: number, clock: () => number) {
    this.key = key;
    this.#network = network;
    this.#clock = clock;
  }
  /** Common fields for the next message. */
  common(): { network: number; timestamp: number; sequence: number } {
    return {
      network: this.#network,
      timestamp: Math.floor(this.#clock() / 1000),
      sequence: ++this.#sequence,
    };
  }
}

/** Fields of a message kind without the common ones. */
type Fields<K extends MessageBody["kind"]> = Omit<
  Extract<MessageBody, { kind: K }>,
  "kind" | "network" | "timestamp" | "sequence"
>;

/** A registry under test with helpers to sign writes. */
export interface TestNet {
  registry: Registry;
  /** The registry's store (real SQLite or PostgreSQL). */
  store: Store;
  /** Stored events, filtered. */
  events(query?: EventQuery): Promise<RegistryEvent[]>;
  /** Stored events of one kind, typed. */
  eventsOf<K extends EventKind>(
    kind: K,
    query?: EventQuery,
  ): Promise<RegistryEventOf<K>[]>;
  clock: TestClock;
  params: NetworkParams;
  /** The registry's signing key. */
  registryKey: TestKey;
  /** A signer per label, created on first use. */
  signer(label: string): Signer;
  /** Sign a wallet-signed message. */
  walletMessage<K extends "contribute" | "unlock_request" | "faucet_request">(
    wallet: string,
    kind: K,
    fields: Omit<Fields<K>, "wallet">,
  ): SignedMessage;
  /** Sign a registration by `node` and `operator`. */
  registration(
    node: string,
    operator: string,
    fields: Omit<Fields<"register_node">, "nodePubkey" | "operator">,
  ): SignedMessage;
  /** Sign an uptime proof by `node`. */
  proof(node: string, fields?: Partial<Fields<"uptime_proof">>): SignedMessage;
  /** Close the database. */
  close(): Promise<void>;
}

/**
 * Start a registry for tests on devnet rules with a test clock. Wallets
 * named in `funded` get `fundedCoins` coins each at genesis. The database
 * is SQLite in memory (or at `path`) unless `backend` says `"postgres"`: a
 * fresh schema on the test server, dropped by `close`.
 */
export async function testNet(
  options: {
    params?: NetworkParams;
    backend?: TestBackend;
    path?: string;
    funded?: string[];
    fundedCoins?: bigint;
    registry?: Partial<RegistryOptions>;
  } = {},
): Promise<TestNet> {
  const params = options.params ?? PRESETS.devnet;
  const clock = new TestClock();
  const opened = await openTestStore(
    options.backend ?? "sqlite",
    options.path === undefined ? {} : { path: options.path },
  );
  const store = opened.store;
  const registryKey = testKey("registry");
  const signers = new Map<string, Signer>();
  const signer = (label: string) => {
    let s = signers.get(label);
    if (!s) {
      // Signers date messages by the registry's clock (a real one, when a
      // test serves the registry to programs that use the wall clock).
      signers.set(
        label,
        s = new Signer(
          testKey(label),
          params.id,
          options.registry?.clock ?? clock.read,
        ),
      );
    }
    return s;
  };
  const coins = options.fundedCoins ?? 1000n;
  let registry: Registry;
  try {
    registry = await Registry.open({
      store,
      params,
      signingKeys: [registryKey.secret],
      clock: clock.read,
      genesis: (options.funded ?? []).map((label) => ({
        wallet: testKey(label).hex,
        amount: coins * ATOMIC_PER_COIN,
      })),
      ...options.registry,
    });
  } catch (e) {
    await opened.close().catch(() => {});
    throw e;
  }
  return {
    registry,
    store,
    events: (query = {}) => store.read.events.list(query),
    eventsOf: async <K extends EventKind>(kind: K, query: EventQuery = {}) =>
      (await store.read.events.list({
        ...query,
        kinds: [kind],
      })) as RegistryEventOf<K>[],
    clock,
    params,
    registryKey,
    signer,
    walletMessage(wallet, kind, fields) {
      const s = signer(wallet);
      return signMessage(
        {
          kind,
          ...s.common(),
          wallet: s.key.public,
          ...fields,
        } as unknown as MessageBody,
        [s.key.secret],
      );
    },
    registration(node, operator, fields) {
      const n = signer(node), o = signer(operator);
      return signMessage({
        kind: "register_node",
        ...o.common(),
        nodePubkey: n.key.public,
        operator: o.key.public,
        ...fields,
      }, [n.key.secret, o.key.secret]);
    },
    proof(node, fields = {}) {
      const n = signer(node);
      return signMessage({
        kind: "uptime_proof",
        ...n.common(),
        nodePubkey: n.key.public,
        ipv4: "127.0.0.1",
        httpsPort: 22021,
        quicPort: 22020,
        nodeVersion: [11, 0, 0],
        storageVersion: [2, 10, 0],
        ...fields,
      }, [n.key.secret]);
    },
    close: () => opened.close(),
  };
}
