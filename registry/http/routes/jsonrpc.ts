/**
 * `POST /json_rpc`: oxen-core's JSON-RPC `get_service_nodes` (and
 * `get_n_service_nodes`), answered by {@linkcode JsonRpcService}. JSON-RPC
 * errors are answered with HTTP 200 and an `error` member, as JSON-RPC over
 * HTTP does; only HTTP-level failures (body too large) are problems.
 *
 * @module
 */

import { createRoute } from "@hono/zod-openapi";
import { type App, type Deps, readBody, untyped } from "../deps.ts";
import { problems } from "../params.ts";

/** Register the JSON-RPC route. */
export function jsonRpcRoutes(app: App, deps: Deps): void {
  const service = deps.queries.oxenRpc;
  const limit = deps.options.jsonRpcBodyLimit ?? 65_536;
  app.openapi(
    createRoute({
      method: "post",
      path: "/json_rpc",
      tags: ["compatibility"],
      operationId: "jsonRpc",
      summary:
        "oxen-core JSON-RPC: get_service_nodes (aliases get_n_service_nodes, get_all_service_nodes)",
      description:
        'JSON-RPC 2.0 (single or batch); every request is answered, with `"id": null` when it carries none (as oxend: Session desktop sends none). Params: `fields` (a list of names, or {name: true}; empty or absent is everything; with "all" listed, "-name" removes a field; without "all", only the names listed), `service_node_pubkeys`, `active_only`, `limit` (>0 a random subset, <0 all shuffled), `poll_block_hash` (equal to the current `block_hash` -> `unchanged: true`; "" or all zeros: not polling). The result uses upstream\'s field names; `height`/`block_hash` are the latest list\'s epoch and body hash; `operator_fee` is in millionths (1,000,000 = 100%); `swarm` is `swarm_id` in hex; amounts and `swarm_id` are exact u64 JSON numbers; `last_uptime_proof` is when the registry received the proof. Errors: -32700 parse, -32600 invalid request, -32601 unknown method, -32602 bad params. Differences from upstream: see registry/queries/oxen_rpc.ts.',
      request: {
        body: {
          required: true,
          content: {
            "application/json": {
              schema: {
                type: "object",
                properties: {
                  jsonrpc: { type: "string", enum: ["2.0"] },
                  id: { type: ["string", "number", "null"] },
                  method: {
                    type: "string",
                    enum: [
                      "get_service_nodes",
                      "get_n_service_nodes",
                      "get_all_service_nodes",
                    ],
                  },
                  params: { type: "object" },
                },
              },
            },
          },
        },
      },
      responses: {
        200: {
          description: "a JSON-RPC response (result or error)",
          content: { "application/json": { schema: { type: "object" } } },
        },
        ...problems(413),
      },
    }),
    async (c) => {
      const bytes = await readBody(c.req.raw, limit);
      const answer = await service.handle(
        new TextDecoder().decode(bytes),
      );
      return untyped(
        new Response(answer, {
          headers: {
            "content-type": "application/json",
            "cache-control": "no-store",
          },
        }),
      );
    },
  );
}
