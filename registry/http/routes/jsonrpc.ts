/**
 * `POST /json_rpc`: oxen-core's JSON-RPC `get_service_nodes` (and
 * `get_n_service_nodes`), answered by {@linkcode JsonRpcService}. JSON-RPC
 * errors are answered with HTTP 200 and an `error` member, as JSON-RPC over
 * HTTP does; only HTTP-level failures (body too large) are problems.
 *
 * @module
 */

import { createRoute } from "@hono/zod-openapi";
import { type App, type Deps, readBody } from "../deps.ts";
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
      summary: "oxen-core JSON-RPC: get_service_nodes, get_n_service_nodes",
      description:
        'JSON-RPC 2.0 (single or batch). Params: `fields` (names, or {name: true}; "all" is the default; "-name" removes), `service_node_pubkeys`, `active_only`, `limit` (>0 a random subset, <0 all shuffled), `poll_block_hash` (equal to the current `block_hash` -> `unchanged: true`). The result uses upstream\'s field names; `height`/`block_hash` are the latest list\'s epoch and body hash; `operator_fee` is in basis points of 10,000; amounts and `swarm_id` are exact u64 JSON numbers. Errors: -32700 parse, -32600 invalid request, -32601 unknown method, -32602 bad params.',
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
                    enum: ["get_service_nodes", "get_n_service_nodes"],
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
        204: { description: "only notifications were sent" },
        ...problems(413),
      },
    }),
    async (c) => {
      const bytes = await readBody(c.req.raw, limit);
      const answer = await service.handle(
        new TextDecoder().decode(bytes),
      );
      if (answer === null) return c.body(null, 204);
      return c.body(answer, 200, {
        "content-type": "application/json",
        "cache-control": "no-store",
      });
    },
  );
}
