/**
 * The node side of the registry's reachability test: a small HTTP server on
 * the advertised storage port answering
 * `POST /snode-registry/v1/challenge {"network": <id>, "nonce": "<64 hex>"}`
 * with `{"pubkey": "<hex>", "signature": "<128 hex>"}`, the Ed25519
 * signature by the node key over `challengePreimage(network, pubkey, nonce)`.
 * It signs only challenges for its own network, and nothing else.
 *
 * @module
 */

import { fromHex, toHex } from "../registry/core/bytes.ts";
import { sign } from "../registry/core/keys.ts";
import { challengePreimage } from "../registry/core/messages.ts";

/** Path of the challenge endpoint (as the registry's prober calls it). */
export const CHALLENGE_PATH = "/snode-registry/v1/challenge";
const MAX_BODY = 4096;

/** Options of {@linkcode challengeHandler}. */
export interface ChallengeOptions {
  /** Network id challenges must name. */
  network: number;
  /** The node's secret key. */
  secretKey: Uint8Array;
  /** Its public key. */
  publicKey: Uint8Array;
  /** Called after each answered challenge. */
  onChallenge?: (ok: boolean, detail: string, remote: string) => void;
}

/** The request handler (a `Deno.serve` handler). */
export function challengeHandler(
  options: ChallengeOptions,
): (req: Request, info: Deno.ServeHandlerInfo) => Promise<Response> {
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), {
      status,
      headers: {
        "content-type": "application/json",
        "cache-control": "no-store",
      },
    });
  return async (req, info) => {
    const remote = "hostname" in info.remoteAddr
      ? `${info.remoteAddr.hostname}:${info.remoteAddr.port}`
      : "?";
    const url = new URL(req.url);
    if (url.pathname !== CHALLENGE_PATH) {
      return json(404, { error: "not found" });
    }
    if (req.method !== "POST") return json(405, { error: "POST only" });
    const refuse = (detail: string) => {
      options.onChallenge?.(false, detail, remote);
      return json(400, { error: detail });
    };
    let text: string;
    try {
      text = await readLimited(req, MAX_BODY);
    } catch {
      return refuse("body too large");
    }
    let body: { network?: unknown; nonce?: unknown };
    try {
      body = JSON.parse(text);
    } catch {
      return refuse("body is not JSON");
    }
    if (body === null || typeof body !== "object") {
      return refuse("body is not an object");
    }
    if (body.network !== options.network) {
      return refuse(
        `challenge is for network ${
          String(body.network)
        }, this node is on ${options.network}`,
      );
    }
    if (
      typeof body.nonce !== "string" || !/^[0-9a-fA-F]{64}$/.test(body.nonce)
    ) {
      return refuse("nonce must be 64 hex digits");
    }
    const signature = sign(
      options.secretKey,
      challengePreimage(
        options.network,
        options.publicKey,
        fromHex(body.nonce, 32),
      ),
    );
    options.onChallenge?.(true, "signed", remote);
    return json(200, {
      pubkey: toHex(options.publicKey),
      signature: toHex(signature),
    });
  };
}

async function readLimited(req: Request, limit: number): Promise<string> {
  if (!req.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req.body) {
    size += chunk.length;
    if (size > limit) throw new RangeError("too large");
    chunks.push(chunk);
  }
  const all = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) {
    all.set(c, o);
    o += c.length;
  }
  return new TextDecoder().decode(all);
}
