/**
 * Writes: signed messages in their canonical bytes, as
 * `application/octet-stream` or `application/json` `{"message": "<hex>"}`.
 * `POST /v1/submit` takes any kind; the kind-specific routes refuse another
 * kind with 400 `wrong_kind`. The registry verifies everything else
 * (signature, network, timestamp, sequence, rules) and changes nothing when
 * it refuses.
 *
 * @module
 */

import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { fromHex } from "../../core/bytes.ts";
import { DecodeError } from "../../core/errors.ts";
import { toHex } from "../../core/bytes.ts";
import {
  decodeMessage,
  type MessageKind,
  peekMessageKind,
} from "../../core/messages.ts";
import { SubmitResultSchema } from "../../api/views.ts";
import {
  type App,
  clientOf,
  type Deps,
  rateLimited,
  readBody,
  untyped,
} from "../deps.ts";
import { HttpError, problemOf } from "../problem.ts";
import { problems } from "../params.ts";

/** The raw message bytes of a write request. */
async function messageBytes(req: Request, limit: number): Promise<Uint8Array> {
  const type = (req.headers.get("content-type") ?? "").split(";")[0]!.trim()
    .toLowerCase();
  if (
    type !== "" && type !== "application/octet-stream" &&
    type !== "application/json"
  ) {
    throw new HttpError(
      "unsupported_media_type",
      `send the signed message as application/octet-stream or application/json {"message": "<hex>"}, not ${type}`,
    );
  }
  const body = await readBody(req, limit);
  if (type !== "application/json") return body;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch {
    throw new DecodeError("bad_json", "the body is not valid JSON");
  }
  const message = (parsed as { message?: unknown } | null)?.message;
  if (
    typeof parsed !== "object" || parsed === null || Array.isArray(parsed) ||
    typeof message !== "string"
  ) {
    throw new HttpError(
      "bad_body",
      'a JSON write is {"message": "<hex of the signed message>"}',
    );
  }
  return fromHex(message.trim());
}

/** Refuse a well-formed message of another kind before verifying it. */
function checkKind(bytes: Uint8Array, expected: MessageKind | null): void {
  if (expected === null) return;
  const kind = peekMessageKind(bytes);
  if (kind !== null && kind !== expected) {
    throw new HttpError(
      "wrong_kind",
      `this route takes ${expected} messages; this is a ${kind} (POST /v1/submit takes any kind)`,
    );
  }
}

const WRITES: {
  path: string;
  kind: MessageKind | null;
  summary: string;
  operationId: string;
}[] = [
  {
    path: "/v1/submit",
    kind: null,
    summary: "Submit any signed message",
    operationId: "submit",
  },
  {
    path: "/v1/nodes",
    kind: "register_node",
    summary: "Register a node (signed by the node key and the operator wallet)",
    operationId: "registerNode",
  },
  {
    path: "/v1/contributions",
    kind: "contribute",
    summary: "Contribute stake to a node awaiting contributions",
    operationId: "contribute",
  },
  {
    path: "/v1/unlocks",
    kind: "unlock_request",
    summary: "Ask for a node's stakes to unlock",
    operationId: "requestUnlock",
  },
  {
    path: "/v1/proofs",
    kind: "uptime_proof",
    summary: "Send a node's uptime proof",
    operationId: "submitProof",
  },
  {
    path: "/v1/faucet",
    kind: "faucet_request",
    summary: "Ask the devnet faucet for coins",
    operationId: "faucet",
  },
];

/** The wallet of a well-formed faucet request (not yet verified), else null. */
function faucetWallet(bytes: Uint8Array, network: number): string | null {
  if (peekMessageKind(bytes) !== "faucet_request") return null;
  try {
    const { body } = decodeMessage(bytes, network);
    return body.kind === "faucet_request" ? toHex(body.wallet) : null;
  } catch {
    return null; // the registry refuses it with the decoder's code
  }
}

/**
 * Take the faucet's tokens (the wallet's, then everybody's) for a request
 * about to be submitted; returns how to give them back if the request is
 * refused, so forged or failing requests cost the wallet nothing.
 */
function takeFaucet(deps: Deps, wallet: string): () => void {
  const { faucetPerWallet, faucetGlobal } = deps.limiters;
  const taken: (() => void)[] = [];
  if (faucetPerWallet) {
    const t = faucetPerWallet.take(wallet);
    if (!t.ok) {
      throw rateLimited(
        `the faucet gives wallet ${
          wallet.slice(0, 16)
        }... at most ${faucetPerWallet.rate.count} payments per ${
          faucetPerWallet.rate.periodMs / 1000
        } s`,
        t.retryAfterSeconds,
      );
    }
    taken.push(() => faucetPerWallet.refund(wallet));
  }
  if (faucetGlobal) {
    const t = faucetGlobal.take("*");
    if (!t.ok) {
      for (const undo of taken) undo();
      throw rateLimited(
        `the faucet pays at most ${faucetGlobal.rate.count} requests per ${
          faucetGlobal.rate.periodMs / 1000
        } s in all`,
        t.retryAfterSeconds,
      );
    }
    taken.push(() => faucetGlobal.refund("*"));
  }
  return () => {
    for (const undo of taken) undo();
  };
}

/** Register the write routes. */
export function writeRoutes(app: App, deps: Deps): void {
  const limit = deps.options.writeBodyLimit ?? 4096;
  for (const w of WRITES) {
    const route = createRoute({
      method: "post",
      path: w.path,
      tags: ["writes"],
      summary: w.summary,
      operationId: w.operationId,
      description: (w.kind === null
        ? "Any kind of signed message (the CLI's offline `submit FILE`)."
        : `Only \`${w.kind}\` messages; another kind is refused with 400 \`wrong_kind\`.`) +
        ` Body: the message's canonical bytes (application/octet-stream) or {"message": "<hex>"} (application/json), at most ${limit} bytes. A refused write changes nothing. Writes are rate-limited per client address, faucet requests also per wallet and in all: 429 \`rate_limited\` with \`Retry-After\` (seconds).`,
      request: {
        body: {
          required: true,
          content: {
            "application/octet-stream": {
              schema: { type: "string", format: "binary" },
            },
            "application/json": {
              schema: {
                type: "object",
                required: ["message"],
                properties: {
                  message: {
                    type: "string",
                    description: "hex of the signed message",
                  },
                },
              },
            },
          },
        },
      },
      responses: {
        200: {
          description: "applied",
          content: { "application/json": { schema: SubmitResultSchema } },
        },
        ...(w.kind === null || w.kind === "register_node"
          ? {
            201: {
              description: "node registered (Location: the node)",
              content: { "application/json": { schema: SubmitResultSchema } },
            },
          }
          : {}),
        ...problems(400, 401, 402, 403, 404, 409, 413, 415, 422, 429),
      },
    });
    app.openapi(route, async (c) => {
      try {
        return await write(c);
      } catch (e) {
        deps.state.writes.rejected(problemOf(e).problem.code);
        throw e;
      }
    });
    const write = async (c: Context) => {
      const { writes } = deps.limiters;
      if (writes) {
        // Before reading the body: every attempt costs a verification.
        const t = writes.take(clientOf(deps, c));
        if (!t.ok) {
          throw rateLimited(
            `at most ${writes.rate.count} writes per ${
              writes.rate.periodMs / 1000
            } s from one client address`,
            t.retryAfterSeconds,
          );
        }
      }
      const bytes = await messageBytes(c.req.raw, limit);
      checkKind(bytes, w.kind);
      const wallet = faucetWallet(bytes, deps.registry.params.id);
      const refund = wallet === null ? () => {} : takeFaucet(deps, wallet);
      let result;
      try {
        result = await deps.state.writes.time(() =>
          deps.registry.submit(bytes)
        );
      } catch (e) {
        refund();
        throw e;
      }
      if (result.kind === "register_node" && result.node !== null) {
        return untyped(
          new Response(JSON.stringify(result), {
            status: 201,
            headers: {
              "content-type": "application/json",
              location: `/v1/nodes/${result.node}`,
            },
          }),
        );
      }
      return c.json(result, 200);
    };
  }
}
