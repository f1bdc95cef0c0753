/**
 * What witnesses need from the registry, and what they give back:
 *
 * - `GET /v1/epochs/{N|latest}/inputs[?format=bin|json]`: the epoch's
 *   inputs document (core `inputs.ts`), binary or JSON; its hash is list N's
 *   `inputsHash`, so it is as signed as the list. Immutable.
 * - `GET /v1/epochs/{N|latest}/state`: the state snapshot after epoch N's
 *   tick (core `state.ts`), for a witness to start from; its hash is list
 *   N's `stateHash`. Only the newest few are kept.
 * - `POST /v1/lists/{N}/cosignatures`: a witness's co-signature of list N,
 *   attached once verified (the witness must be configured on the registry).
 * - `GET /v1/rotations`: every key rotation the lists announced, so a client
 *   pinning an old key finds the lists to follow.
 *
 * @module
 */

import { createRoute, z } from "@hono/zod-openapi";
import { fromHex } from "../../core/bytes.ts";
import { DecodeError } from "../../core/errors.ts";
import { decodeEpochInputs, epochInputsToJson } from "../../core/inputs.ts";
import { type App, type Deps, readBody, untyped } from "../deps.ts";
import { preferredMediaType } from "../negotiate.ts";
import { HttpError } from "../problem.ts";
import { Hex64, problems, U64 } from "../params.ts";

const IMMUTABLE = "public, max-age=31536000, immutable";
const BIN = "application/octet-stream";
const JSON_TYPE = "application/json";

const FormatQuery = z.object({
  format: z.enum(["bin", "binary", "json"]).optional().openapi({
    description: "representation; overrides Accept",
  }),
});

const SnapshotParam = z.object({
  which: z.string().regex(
    /^(latest|[0-9]{1,15})$/,
    "expected latest or an epoch",
  )
    .openapi({ param: { name: "which", in: "path" }, example: "latest" }),
});

const CosignParam = z.object({
  epoch: z.string().regex(/^[0-9]{1,15}$/, "expected an epoch")
    .openapi({ param: { name: "epoch", in: "path" }, example: "42" }),
});

const CosignatureBody = z.object({
  witnessKey: Hex64.openapi({ description: "the witness's public key" }),
  time: U64.openapi({ description: "unix seconds in the co-signature" }),
  signature: z.string().regex(/^[0-9a-fA-F]{128}$/, "expected 128 hex digits")
    .openapi({ description: "Ed25519 over the co-signing statement" }),
  checkpointHash: Hex64.optional().openapi({
    description:
      "the checkpoint hash the witness signed (a clearer 409 when it differs)",
  }),
}).openapi("CosignatureRequest");

const CosignatureResultSchema = z.object({
  epoch: z.number().int(),
  checkpointHash: z.string(),
  cosignatures: z.number().int(),
  added: z.boolean(),
}).openapi("CosignatureResult");

const RotationSchema = z.object({
  epoch: z.number().int().openapi({
    description: "the list that announced it, signed by the old key",
  }),
  oldKey: z.string(),
  newKey: z.string(),
}).openapi("KeyRotation");

function whichOf(text: string): number | "latest" {
  return text === "latest" ? "latest" : Number(text);
}

/** Register the witness routes. */
export function witnessRoutes(app: App, deps: Deps): void {
  const { queries, registry } = deps;

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/epochs/{which}/inputs",
      tags: ["witnesses"],
      operationId: "getEpochInputs",
      summary: "An epoch's inputs document: binary or JSON",
      description:
        "Everything that went into the epoch, in order: the signed writes accepted, the registry's reachability observations, a key rotation, the tick (each with the registry's clock reading), and the settings the rules ran with. Its SHA-256 (of the binary form) is the epoch's list header's `inputsHash`. `?format=`, else `Accept` (binary by default). Immutable.",
      request: { params: SnapshotParam, query: FormatQuery },
      responses: {
        200: {
          description: "the document (X-Epoch, X-Inputs-Hash)",
          content: {
            [BIN]: { schema: { type: "string", format: "binary" } },
            [JSON_TYPE]: { schema: { type: "object" } },
          },
        },
        ...problems(400, 404, 406),
      },
    }),
    async (c) => {
      const which = c.req.valid("param").which;
      const query = c.req.valid("query").format;
      let format: "bin" | "json" | undefined = query === undefined
        ? undefined
        : query === "json"
        ? "json"
        : "bin";
      if (format === undefined) {
        const chosen = preferredMediaType(c.req.header("accept"), [
          BIN,
          JSON_TYPE,
        ]);
        if (chosen === null) {
          throw new HttpError(
            "not_acceptable",
            "inputs documents are served as application/octet-stream or application/json",
          );
        }
        format = chosen === JSON_TYPE ? "json" : "bin";
      }
      const doc = await queries.epochInputs(whichOf(which));
      const headers = {
        "content-type": format === "json" ? JSON_TYPE : BIN,
        "cache-control": which === "latest" ? "no-cache" : IMMUTABLE,
        vary: "Accept",
        "x-epoch": String(doc.epoch),
        "x-inputs-hash": doc.hash,
        etag: `"${doc.hash}.${format}"`,
      };
      const body = format === "json"
        ? new TextEncoder().encode(
          JSON.stringify(
            epochInputsToJson(decodeEpochInputs(doc.bytes, registry.params.id)),
          ),
        )
        : doc.bytes;
      return untyped(
        new Response(body as Uint8Array<ArrayBuffer>, { status: 200, headers }),
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/epochs/{which}/state",
      tags: ["witnesses"],
      operationId: "getStateSnapshot",
      summary: "The state snapshot after an epoch (binary)",
      description:
        "The canonical state the rules read after the epoch's tick; its SHA-256 is that list's `stateHash`. A witness can start from it instead of replaying from genesis. Only the newest few are kept: 404 `unknown_epoch` otherwise.",
      request: { params: SnapshotParam },
      responses: {
        200: {
          description: "the snapshot (X-Epoch, X-State-Hash)",
          content: { [BIN]: { schema: { type: "string", format: "binary" } } },
        },
        ...problems(400, 404),
      },
    }),
    async (c) => {
      const which = c.req.valid("param").which;
      const snap = await queries.stateSnapshot(whichOf(which));
      return untyped(
        new Response(snap.bytes as Uint8Array<ArrayBuffer>, {
          status: 200,
          headers: {
            "content-type": BIN,
            "cache-control": which === "latest" ? "no-cache" : IMMUTABLE,
            "x-epoch": String(snap.epoch),
            "x-state-hash": snap.hash,
            etag: `"${snap.hash}"`,
          },
        }),
      );
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/lists/{epoch}/cosignatures",
      tags: ["witnesses"],
      operationId: "postCosignature",
      summary: "Attach a witness's co-signature to a list",
      description:
        "The witness must be one of the registry's (`/v1/info` witnesses; else 403 `unknown_witness`) and its signature must verify over the list's checkpoint hash (else 401 `bad_signature`; 409 `checkpoint_mismatch` when the witness says it signed another checkpoint). Idempotent: a witness's first co-signature of a list stays.",
      request: {
        params: CosignParam,
        // A plain JSON schema: the body is read with a size limit and
        // checked against CosignatureBody by the handler.
        body: {
          required: true,
          content: {
            [JSON_TYPE]: {
              schema: {
                type: "object",
                required: ["witnessKey", "time", "signature"],
                properties: {
                  witnessKey: { type: "string", description: "64 hex" },
                  time: { type: "string", description: "decimal u64" },
                  signature: { type: "string", description: "128 hex" },
                  checkpointHash: { type: "string", description: "64 hex" },
                },
              },
            },
          },
        },
      },
      responses: {
        200: {
          description: "attached (or already attached)",
          content: { [JSON_TYPE]: { schema: CosignatureResultSchema } },
        },
        ...problems(400, 401, 403, 404, 409, 413),
      },
    }),
    async (c) => {
      const epoch = Number(c.req.valid("param").epoch);
      const raw = await readBody(c.req.raw, 4096);
      let json: unknown;
      try {
        json = JSON.parse(
          new TextDecoder("utf-8", { fatal: true }).decode(raw),
        );
      } catch {
        throw new DecodeError("bad_json", "the body is not valid JSON");
      }
      const parsed = CosignatureBody.safeParse(json);
      if (!parsed.success) {
        throw new HttpError(
          "bad_body",
          parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`)
            .join("; "),
        );
      }
      const b = parsed.data;
      const result = await registry.attachCosignature({
        epoch,
        witnessKey: fromHex(b.witnessKey, 32),
        time: BigInt(b.time),
        signature: fromHex(b.signature, 64),
        ...(b.checkpointHash === undefined
          ? {}
          : { checkpointHash: fromHex(b.checkpointHash, 32) }),
      });
      return c.json(result, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/rotations",
      tags: ["witnesses"],
      operationId: "listRotations",
      summary: "Every signing-key rotation the lists announced",
      description:
        "Oldest first. Each names the list that announced it (signed by the old key, carrying the rotation in its header); those lists are kept for as long as the registry runs. A client that pins an old key verifies each such list in turn and follows it.",
      responses: {
        200: {
          description: "the rotations",
          content: { [JSON_TYPE]: { schema: z.array(RotationSchema) } },
        },
      },
    }),
    async (c) => c.json(await queries.rotations(), 200),
  );
}
