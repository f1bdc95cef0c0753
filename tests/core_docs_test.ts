// Every export of registry/core has JSDoc with an example that
// `deno test --doc` runs. This test reads core's public API as `deno doc`
// sees it and names every export without an `@example`.
import assert from "node:assert/strict";
import { fileURLToPath, pathToFileURL } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const entry = "registry/core/mod.ts";

interface DocDeclaration {
  kind: string;
  location?: { filename: string; line: number };
  jsDoc?: { tags?: { kind: string }[] };
}

interface DocSymbol {
  name: string;
  declarations: DocDeclaration[];
}

async function deno(...args: string[]): Promise<Deno.CommandOutput> {
  return await new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
}

function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

async function coreExports(): Promise<DocSymbol[]> {
  const out = await deno("doc", "--json", entry);
  assert(out.success, text(out.stderr));
  const doc = JSON.parse(text(out.stdout)) as {
    nodes?: Record<string, { symbols?: DocSymbol[] }>;
  };
  const key = pathToFileURL(path.join(root, entry)).href;
  const symbols = doc.nodes?.[key]?.symbols;
  assert(
    symbols !== undefined,
    `deno doc --json has no symbols for ${key}; nodes: ${
      Object.keys(doc.nodes ?? {}).join(", ")
    }`,
  );
  return symbols;
}

function hasExample(symbol: DocSymbol): boolean {
  return symbol.declarations.some((d) =>
    (d.jsDoc?.tags ?? []).some((t) => t.kind === "example")
  );
}

function where(symbol: DocSymbol): string {
  const loc = symbol.declarations[0]?.location;
  if (loc === undefined) return symbol.name;
  const file = path.relative(root, fileURLToPath(loc.filename));
  return `${symbol.name} (${file}:${loc.line + 1})`; // deno doc counts from 0
}

Deno.test("every export of registry/core has a JSDoc @example", async () => {
  const symbols = await coreExports();
  assert(symbols.length > 50, "deno doc should list core's exports");
  const missing = symbols.filter((s) => !hasExample(s)).map(where);
  assert.deepEqual(
    missing,
    [],
    `${missing.length} export(s) of ${entry} have no @example ` +
      `(add one that \`deno test --doc\` runs):\n  ${missing.join("\n  ")}`,
  );
});

Deno.test("deno doc --lint passes on registry/core", async () => {
  const out = await deno("doc", "--lint", entry);
  assert(
    out.success,
    `deno doc --lint ${entry} failed:\n${text(out.stdout)}${text(out.stderr)}`,
  );
});
