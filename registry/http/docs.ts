/**
 * `GET /v1/docs`: a self-contained HTML page rendered on the server from the
 * OpenAPI document (no scripts, no external assets: the machines are
 * offline), plus the table of problem codes each problem's `type` points at.
 *
 * @module
 */

import { type ErrorFamily, ERRORS } from "../api/errors.ts";

const FAMILY: Record<ErrorFamily, string> = {
  decode: "malformed bytes or text",
  verify: "signature or freshness check",
  staking: "staking rule",
  lifecycle: "lifecycle rule",
  registry: "registry state",
  http: "HTTP",
};

/** Every problem code with its status and where it comes from. */
export function problemCodes(): {
  code: string;
  status: number;
  from: string;
}[] {
  return Object.entries(ERRORS).map(([code, e]) => ({
    code,
    status: e.status,
    from: `${FAMILY[e.family]}: ${e.meaning}`,
  })).sort((a, b) => a.code.localeCompare(b.code));
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
