/**
 * Reads over the registry's views: info, nodes, swarms, the swarm of a
 * Session ID, wallets. Keys are accepted in either case and answered in
 * lower case.
 *
 * @module
 */

import { createRoute, z } from "@hono/zod-openapi";
import {
  InfoSchema,
  NodeDetailSchema,
  type NodeFilter,
  NodePageSchema,
  OpenNodeSchema,
  SessionSwarmSchema,
  SwarmSchema,
  WalletSchema,
} from "../../api/views.ts";
import type { App, Deps } from "../deps.ts";
import {
  NodesQuery,
  problems,
  PubkeyParam,
  SessionIdParam,
  SwarmIdParam,
} from "../params.ts";

function ok<T extends z.ZodType>(schema: T, description: string) {
  return {
    description,
    content: { "application/json": { schema } },
  };
}

/** Register the read routes. */
export function readRoutes(app: App, deps: Deps): void {
  const { queries } = deps;

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/info",
      tags: ["reads"],
      operationId: "info",
      summary: "Network, epoch, registry keys, latest list, rules",
      responses: { 200: ok(InfoSchema, "the registry's vital facts") },
    }),
    async (c) => c.json(await queries.info(), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/nodes",
      tags: ["reads"],
      operationId: "listNodes",
      summary: "Nodes, filtered, by key, paginated",
      description:
        "Every query parameter is validated: an unknown status, a malformed key or swarm id, or a limit outside 1..500 is a 400 `bad_query`.",
      request: { query: NodesQuery },
      responses: {
        200: ok(NodePageSchema, "a page of nodes"),
        ...problems(400),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const filter: NodeFilter = {};
      if (q.status !== undefined) filter.status = q.status;
      if (q.operator !== undefined) filter.operator = q.operator.toLowerCase();
      if (q.wallet !== undefined) filter.wallet = q.wallet.toLowerCase();
      if (q.swarm !== undefined) filter.swarm = BigInt(q.swarm).toString();
      if (q.after !== undefined) filter.after = q.after.toLowerCase();
      if (q.limit !== undefined) filter.limit = q.limit;
      return c.json(await queries.nodes(filter), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/nodes/open",
      tags: ["reads"],
      operationId: "openNodes",
      summary:
        "Nodes taking contributions, with minimum contribution and open slots",
      responses: { 200: ok(z.array(OpenNodeSchema), "open nodes") },
    }),
    async (c) => c.json(await queries.openNodes(), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/nodes/{pubkey}",
      tags: ["reads"],
      operationId: "getNode",
      summary:
        "One node: stakes, funding, proof, credit, swarm mates, history, outlook",
      request: { params: PubkeyParam },
      responses: {
        200: ok(NodeDetailSchema, "the node"),
        ...problems(400, 404),
      },
    }),
    async (c) =>
      c.json(
        await queries.node(c.req.valid("param").pubkey.toLowerCase()),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/swarms",
      tags: ["reads"],
      operationId: "listSwarms",
      summary: "Every swarm of active nodes, by id",
      responses: { 200: ok(z.array(SwarmSchema), "swarms") },
    }),
    async (c) => c.json(await queries.swarms(), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/swarms/{id}",
      tags: ["reads"],
      operationId: "getSwarm",
      summary: "One swarm",
      request: { params: SwarmIdParam },
      responses: {
        200: ok(SwarmSchema, "the swarm"),
        ...problems(400, 404),
      },
    }),
    async (c) =>
      c.json(
        await queries.swarm(BigInt(c.req.valid("param").id).toString()),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/sessions/{sessionId}/swarm",
      tags: ["reads"],
      operationId: "swarmForSessionId",
      summary: "The swarm storing a Session ID's messages, with addresses",
      description:
        "A Session ID is 05 (account) or 03 (group) followed by 64 hex digits; anything else is a 400 `bad_session_id`. The prefix does not affect the mapping (network.md §1, §3).",
      request: { params: SessionIdParam },
      responses: {
        200: ok(SessionSwarmSchema, "the swarm"),
        ...problems(400, 404),
      },
    }),
    async (c) =>
      c.json(
        await queries.swarmForSessionId(c.req.valid("param").sessionId),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/wallets/{pubkey}",
      tags: ["reads"],
      operationId: "getWallet",
      summary: "A wallet: balance, stakes, when each unlocks",
      request: { params: PubkeyParam },
      responses: {
        200: ok(WalletSchema, "the wallet"),
        ...problems(400, 404),
      },
    }),
    async (c) =>
      c.json(
        await queries.wallet(c.req.valid("param").pubkey.toLowerCase()),
        200,
      ),
  );
}
