/**
 * `GET /v1/docs`: a self-contained HTML page rendered on the server from the
 * OpenAPI document (no scripts, no external assets: the machines are
 * offline), plus the table of problem codes each problem's `type` points at.
 *
 * @module
 */

import {
  CoreError,
  type DecodeErrorCode,
  LifecycleError,
  type LifecycleErrorCode,
  StakingError,
  type StakingErrorCode,
  type VerifyErrorCode,
} from "../core/errors.ts";
import { httpStatusOf, type RegistryErrorCode } from "../service/errors.ts";
import { HTTP_ERROR_MEANING, HTTP_ERROR_STATUS } from "./problem.ts";

// Records, so a code added to a union without being listed fails `deno check`.
const DECODE: Record<DecodeErrorCode, true> = {
  truncated: true,
  trailing_bytes: true,
  oversized: true,
  bad_magic: true,
  unsupported_version: true,
  wrong_network: true,
  unknown_kind: true,
  out_of_range: true,
  not_sorted: true,
  bad_hex: true,
  bad_length: true,
  bad_json: true,
  bad_session_id: true,
};
const VERIFY: Record<VerifyErrorCode, true> = {
  bad_signature: true,
  bad_public_key: true,
  insufficient_signatures: true,
  hash_mismatch: true,
  chain_broken: true,
  stale_timestamp: true,
  expired: true,
  not_yet_valid: true,
};
const STAKING: Record<StakingErrorCode, true> = {
  operator_stake_too_low: true,
  fee_out_of_range: true,
  too_many_contributors: true,
  duplicate_contributor: true,
  reservation_too_small: true,
  stake_over_cap: true,
  node_key_is_wallet: true,
  not_accepting_contributions: true,
  contribution_too_small: true,
  contribution_too_large: true,
  no_free_slot: true,
  not_a_contributor: true,
  unlock_already_requested: true,
  unlock_too_early: true,
  not_funded: true,
};
const LIFECYCLE: Record<LifecycleErrorCode, true> = {
  invalid_transition: true,
  proof_too_soon: true,
  epoch_went_backwards: true,
};
const REGISTRY: Record<RegistryErrorCode, true> = {
  replayed: true,
  unknown_node: true,
  unknown_wallet: true,
  unknown_list: true,
  unknown_swarm: true,
  node_already_registered: true,
  node_not_live: true,
  insufficient_balance: true,
  faucet_disabled: true,
  faucet_limit: true,
  address_not_public: true,
  diff_unavailable: true,
  bad_request: true,
  shutting_down: true,
};

/** Every problem code with its status and where it comes from. */
export function problemCodes(): {
  code: string;
  status: number;
  from: string;
}[] {
  const out: { code: string; status: number; from: string }[] = [];
  const add = (codes: object, from: string, make: (c: string) => CoreError) => {
    for (const code of Object.keys(codes)) {
      out.push({ code, status: httpStatusOf(make(code)), from });
    }
  };
  add(DECODE, "malformed bytes or text", (c) => new CoreError(c, ""));
  add(VERIFY, "signature or freshness check", (c) => new CoreError(c, ""));
  add(
    STAKING,
    "staking rule",
    (c) => new StakingError(c as StakingErrorCode, ""),
  );
  add(
    LIFECYCLE,
    "lifecycle rule",
    (c) => new LifecycleError(c as LifecycleErrorCode, ""),
  );
  add(REGISTRY, "registry state", (c) => new CoreError(c, ""));
  for (const [code, status] of Object.entries(HTTP_ERROR_STATUS)) {
    out.push({
      code,
      status,
      from: `HTTP: ${
        HTTP_ERROR_MEANING[code as keyof typeof HTTP_ERROR_MEANING]
      }`,
    });
  }
  return out.sort((a, b) => a.code.localeCompare(b.code));
}

function esc(text: unknown): string {
  return String(text).replaceAll("&", "&amp;").replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

type Json = Record<string, unknown>;

function schemaText(schema: unknown): string {
  if (typeof schema !== "object" || schema === null) return "";
  const s = schema as Json;
  if (typeof s.$ref === "string") return s.$ref.split("/").at(-1) ?? "";
  if (Array.isArray(s.enum)) return s.enum.map(String).join(" | ");
  const type = Array.isArray(s.type) ? s.type.join(" | ") : s.type;
  if (type === "array") return `${schemaText(s.items)}[]`;
  return typeof type === "string" ? type : "";
}

const METHODS = ["get", "post", "put", "patch", "delete"] as const;

/** The docs page for an OpenAPI 3.1 document. */
export function renderDocs(doc: Json): string {
  const info = (doc.info ?? {}) as Json;
  const paths = (doc.paths ?? {}) as Record<string, Json>;
  const ops: string[] = [];
  const index: string[] = [];
  for (const [path, item] of Object.entries(paths)) {
    for (const method of METHODS) {
      const op = item[method] as Json | undefined;
      if (!op) continue;
      const id = `op-${method}-${path.replace(/[^a-zA-Z0-9]+/g, "-")}`;
      index.push(
        `<li><a href="#${esc(id)}"><code>${method.toUpperCase()} ${
          esc(path)
        }</code></a> ${esc(op.summary ?? "")}</li>`,
      );
      const params = (op.parameters ?? []) as Json[];
      const paramRows = params.map((p) => {
        const schema = (p.schema ?? {}) as Json;
        const desc = p.description ?? schema.description ?? "";
        return `<tr><td><code>${esc(p.name)}</code></td><td>${
          esc(p.in)
        }</td><td>${p.required ? "yes" : ""}</td><td>${
          esc(schemaText(schema))
        }</td><td>${esc(desc)}</td></tr>`;
      }).join("");
      const body = op.requestBody as Json | undefined;
      const bodyTypes = body
        ? Object.keys((body.content ?? {}) as Json).map((t) =>
          `<code>${esc(t)}</code>`
        ).join(", ")
        : "";
      const responses = Object.entries(
        (op.responses ?? {}) as Record<string, Json>,
      )
        .map(([status, r]) => {
          const types = Object.entries(
            (r.content ?? {}) as Record<string, Json>,
          )
            .map(([t, m]) => {
              const schema = schemaText(m.schema);
              return `<code>${esc(t)}</code>${schema ? ` ${esc(schema)}` : ""}`;
            }).join(", ");
          return `<tr><td>${esc(status)}</td><td>${
            esc(r.description ?? "")
          }</td><td>${types}</td></tr>`;
        }).join("");
      ops.push(`<section id="${esc(id)}">
<h3><span class="m">${method.toUpperCase()}</span> <code>${
        esc(path)
      }</code></h3>
<p><strong>${esc(op.summary ?? "")}</strong></p>
${op.description ? `<p>${esc(op.description)}</p>` : ""}
${
        paramRows
          ? `<table><tr><th>parameter</th><th>in</th><th>required</th><th>type</th><th>description</th></tr>${paramRows}</table>`
          : ""
      }
${bodyTypes ? `<p>Request body: ${bodyTypes}</p>` : ""}
<table><tr><th>status</th><th>meaning</th><th>content</th></tr>${responses}</table>
</section>`);
    }
  }
  const codes = problemCodes().map((p) =>
    `<tr id="problem-${esc(p.code)}"><td><code>${
      esc(p.code)
    }</code></td><td>${p.status}</td><td>${esc(p.from)}</td></tr>`
  ).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(info.title ?? "API")} ${esc(info.version ?? "")}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem;color:#222}
code{font:13px ui-monospace,monospace;background:#f3f3f3;padding:0 .2em}
table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top}
section{border-top:1px solid #ccc;padding-top:.5rem}.m{background:#333;color:#fff;padding:0 .4em;border-radius:3px;font-size:13px}
</style></head><body>
<h1>${esc(info.title ?? "API")} <small>${esc(info.version ?? "")}</small></h1>
<p>${esc(info.description ?? "")}</p>
<p>Machine-readable: <a href="/v1/openapi.json"><code>/v1/openapi.json</code></a> (OpenAPI ${
    esc(doc.openapi ?? "")
  }).</p>
<h2>Endpoints</h2><ul>${index.join("")}</ul>
${ops.join("\n")}
<h2 id="problems">Problem codes</h2>
<p>Every error is <code>application/problem+json</code>: <code>{type, title, status, detail, code}</code>; <code>type</code> links to the row below.</p>
<table><tr><th>code</th><th>status</th><th>from</th></tr>${codes}</table>
</body></html>
`;
}
