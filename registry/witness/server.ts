/**
 * What a witness serves, so clients can compare what they were shown with
 * what it co-signed:
 *
 * - `GET /v1/checkpoint`: its latest co-signed checkpoint - the signed
 *   checkpoint (v2 header, the registry's signatures, its own
 *   co-signature), binary, with `X-Epoch` and `X-Checkpoint-Hash`;
 *   `?format=json` gives `{epoch, checkpointHash, cosignedAt, checkpoint}`
 *   with the bytes in hex.
 * - `GET /v1/checkpoints/{N}`: the one it co-signed for epoch N (404 when
 *   it did not).
 * - `GET /v1/proofs`: the equivocation proofs it found (JSON array).
 * - `GET /v1/status`: its key, the registry keys it follows, its latest
 *   checkpoint, whether and why it stopped co-signing.
 *
 * @module
 */

import { toHex } from "../core/bytes.ts";
import type { Decision } from "../store/witness.ts";
import type { Witness } from "./witness.ts";

const CORS = {
  "access-control-allow-origin": "*",
  "access-control-expose-headers": "X-Epoch, X-Checkpoint-Hash",
};

function json(value: unknown, status = 200): Response {
  return new Response(JSON.stringify(value), {
    status,
    headers: { "content-type": "application/json", ...CORS },
  });
}

function problem(status: number, code: string, detail: string): Response {
  return new Response(
    JSON.stringify({ type: `about:blank`, title: code, status, code, detail }),
    {
      status,
      headers: { "content-type": "application/problem+json", ...CORS },
    },
  );
}

function checkpointResponse(d: Decision, format: string | null): Response {
  if (format === "json") {
    return json({
      epoch: d.epoch,
      checkpointHash: d.checkpointHash,
      cosignedAt: d.cosignedAt,
      checkpoint: toHex(d.checkpoint),
    });
  }
  return new Response(d.checkpoint as Uint8Array<ArrayBuffer>, {
    status: 200,
    headers: {
      "content-type": "application/octet-stream",
      "cache-control": "no-cache",
      "x-epoch": String(d.epoch),
      "x-checkpoint-hash": d.checkpointHash,
      ...CORS,
    },
  });
}

/** The witness's HTTP handler. */
export function witnessHandler(
  witness: Witness,
): (req: Request) => Promise<Response> {
  return async (req) => {
    const url = new URL(req.url);
    if (req.method === "OPTIONS") {
      return new Response(null, {
        status: 204,
        headers: { ...CORS, "access-control-allow-methods": "GET, HEAD" },
      });
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      return problem(405, "method_not_allowed", "a witness serves reads only");
    }
    const format = url.searchParams.get("format");
    const path = url.pathname.replace(/\/+$/, "");
    if (path === "/v1/checkpoint") {
      const d = await witness.checkpoint();
      return d ? checkpointResponse(d, format) : problem(
        404,
        "no_checkpoint",
        "this witness has co-signed nothing yet",
      );
    }
    const m = /^\/v1\/checkpoints\/([0-9]{1,15})$/.exec(path);
    if (m) {
      const d = await witness.checkpoint(Number(m[1]));
      return d ? checkpointResponse(d, format) : problem(
        404,
        "no_checkpoint",
        `this witness co-signed no list for epoch ${m[1]}`,
      );
    }
    if (path === "/v1/proofs") return json(await witness.proofs());
    if (path === "/v1/status") return json(await witness.status());
    if (path === "/v1/health") {
      const halted = await witness.halted();
      return json({ ok: halted === null, halted }, halted === null ? 200 : 503);
    }
    return problem(404, "not_found", `no route ${req.method} ${path}`);
  };
}
