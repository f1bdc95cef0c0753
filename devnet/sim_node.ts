/**
 * One simulated service node: its own node key, operator wallet and (for a
 * shared node) a contributor's wallet; coins from the faucet; a signed
 * registration; uptime proofs on schedule; and a storage server on its own
 * loopback address (127.0.x.1, so each node is in its own /24 as clients'
 * path rules need) that answers the registry's reachability challenges and
 * a minimal storage RPC (`info`) that clients use to test guards. It can be
 * taken down and brought back, asked to unlock, or completed by its
 * contributor later.
 *
 * @module
 */

import { challengeHandler } from "../operator-cli/challenge.ts";
import { RegistryClient } from "../registry/client/api.ts";
import { RegistryApiError } from "../registry/client/errors.ts";
import { sleep } from "../registry/client/api.ts";
import { ATOMIC_PER_COIN, PRESETS } from "../registry/core/params.ts";
import { type DevKey, devKey, sign } from "./signing.ts";

/** How a node is funded. */
export type Funding = "solo" | "shared";

/** What a node reports about itself. */
export interface SimNodeState {
  name: string;
  address: string;
  port: number;
  up: boolean;
  /** The registry's view, as last seen. */
  status: string;
}

/** Options of a simulated node. */
export interface SimNodeOptions {
  /** Index: keys are derived from it, the address is 127.0.(index+1).1. */
  index: number;
  funding: Funding;
  client: RegistryClient;
  epochSeconds: number;
  log: (who: string, text: string) => void;
}

const P = PRESETS.devnet;
const STORAGE_RPC_PATH = "/storage_rpc/v1";

/** Treat a refusal that a restarted devnet expects as done. */
async function tolerate(work: Promise<unknown>, ...codes: string[]) {
  try {
    await work;
  } catch (e) {
    if (!(e instanceof RegistryApiError && codes.includes(e.code))) throw e;
  }
}

/** A simulated service node. */
export class SimNode {
  readonly name: string;
  readonly node: DevKey;
  readonly operator: DevKey;
  readonly contributor: DevKey | null;
  readonly address: string;
  readonly #o: SimNodeOptions;
  #port = 0;
  #up = true;
  #status = "new";
  #server: Deno.HttpServer | null = null;

  constructor(options: SimNodeOptions) {
    this.#o = options;
    const i = options.index;
    this.name = `node${i}`;
    this.node = devKey(`node-${i}`);
    this.operator = devKey(`operator-${i}`);
    this.contributor = options.funding === "shared"
      ? devKey(`contributor-${i}`)
      : null;
    // 127.0.0.0/8 is all loopback on Linux: a /24 of its own per node.
    this.address = `127.0.${(i % 250) + 1}.${Math.floor(i / 250) + 1}`;
  }

  /** Its state for the status screen. */
  get state(): SimNodeState {
    return {
      name: this.name,
      address: this.address,
      port: this.#port,
      up: this.#up,
      status: this.#status,
    };
  }

  /** Take the node down (no proofs, challenges fail) or bring it back. */
  setUp(up: boolean): void {
    this.#up = up;
  }

  /** Start serving, get coins, register (and for a solo node, be active). */
  async start(signal: AbortSignal): Promise<void> {
    this.#server = Deno.serve({
      hostname: this.address,
      port: 0,
      signal,
      onListen: () => {},
    }, this.#handler());
    this.#port = (this.#server.addr as Deno.NetAddr).port;
    const shared = this.contributor !== null;
    await this.#faucet(this.operator);
    await tolerate(
      this.#o.client.submit(
        sign({
          kind: "register_node",
          nodePubkey: this.node.public,
          operator: this.operator.public,
          operatorStake: shared ? P.operatorMinimum : P.stakingRequirement,
          feeBasisPoints: shared ? 500 : 0,
          reserved: [],
        }, [this.node, this.operator]),
        "register_node",
      ),
      "node_already_registered",
    );
    await this.refresh();
    this.#o.log(
      this.name,
      `${
        this.node.hex.slice(0, 12)
      }... registered at ${this.address}:${this.#port} (${
        shared ? "operator + a contributor to come" : "operator alone"
      }): ${this.#status}`,
    );
  }

  /** The contributor completes a shared node's stake. */
  async contribute(): Promise<void> {
    if (!this.contributor) return;
    const detail = await this.#o.client.node(this.node.hex);
    if (detail.status !== "awaiting_contributions") return;
    await this.#faucet(this.contributor);
    await this.#o.client.submit(
      sign({
        kind: "contribute",
        wallet: this.contributor.public,
        nodePubkey: this.node.public,
        amount: BigInt(detail.funding.remaining),
      }, [this.contributor]),
      "contribute",
    );
    await this.refresh();
    this.#o.log(
      this.name,
      `contribution of ${
        Number(BigInt(detail.funding.remaining) / ATOMIC_PER_COIN)
      } coins arrived: ${this.#status}`,
    );
  }

  /** The operator asks for the stakes back; the node exits after the delay. */
  async requestUnlock(): Promise<void> {
    await tolerate(
      this.#o.client.submit(
        sign({
          kind: "unlock_request",
          wallet: this.operator.public,
          nodePubkey: this.node.public,
        }, [this.operator]),
        "unlock_request",
      ),
      "unlock_already_requested",
      "node_not_live",
    );
    this.#o.log(
      this.name,
      `operator asked to unlock: the node exits in ${P.unlockDelayEpochs} epochs`,
    );
  }

  /** Send proofs on schedule while up, until the node leaves the network. */
  async prove(signal: AbortSignal): Promise<void> {
    const interval = P.proofIntervalEpochs * this.#o.epochSeconds * 1000;
    while (!signal.aborted) {
      if (this.#up) {
        try {
          await this.#o.client.submit(
            sign({
              kind: "uptime_proof",
              nodePubkey: this.node.public,
              ipv4: this.address,
              httpsPort: this.#port,
              quicPort: this.#port,
              nodeVersion: [11, 0, 0],
              storageVersion: [2, 10, 0],
            }, [this.node]),
            "uptime_proof",
          );
        } catch (e) {
          if (!(e instanceof RegistryApiError)) throw e;
          if (e.code === "node_not_live") {
            await this.refresh();
            this.#o.log(this.name, `left the network (${this.#status})`);
            return;
          }
          if (e.code !== "proof_too_soon") throw e;
        }
      }
      await sleep(interval, signal).catch(() => {});
    }
  }

  /** Ask the registry for this node's status. */
  async refresh(): Promise<string> {
    try {
      this.#status = (await this.#o.client.node(this.node.hex)).status;
    } catch {
      // Unknown for now; the next look will tell.
    }
    return this.#status;
  }

  async #faucet(wallet: DevKey): Promise<void> {
    await this.#o.client.submit(
      sign({
        kind: "faucet_request",
        wallet: wallet.public,
        amount: 200n * ATOMIC_PER_COIN,
      }, [wallet]),
      "faucet_request",
    );
  }

  #handler(): (req: Request, info: Deno.ServeHandlerInfo) => Promise<Response> {
    const challenge = challengeHandler({
      network: P.id,
      secretKey: this.node.secret,
      publicKey: this.node.public,
    });
    return async (req, info) => {
      if (!this.#up) {
        return new Response("node is down", { status: 503 });
      }
      if (new URL(req.url).pathname === STORAGE_RPC_PATH) {
        // Just enough of a storage server for clients to test a guard.
        const body = await req.json().catch(() => null);
        if (body?.method === "info") {
          return Response.json({ version: [2, 10, 0], hf: [19, 0] });
        }
        return Response.json({ error: "unknown method" }, { status: 400 });
      }
      return await challenge(req, info);
    };
  }
}
