// registry/core is the pure protocol core: it may import only itself,
// @noble/* and @scure/*, and must not reach for I/O, clocks or randomness
// (they come in as arguments). This test walks the real module graph.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const coreDir = path.join(root, "registry", "core") + path.sep;
const allowedPackages =
  /[\\/]node_modules[\\/](\.deno[\\/][^\\/]+[\\/]node_modules[\\/])?@(noble|scure)[\\/]/;

async function moduleGraph(entry: string): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { specifier: string; local?: string; error?: string }[];
  };
  for (const m of info.modules) {
    assert.equal(m.error, undefined, `${m.specifier}: ${m.error}`);
  }
  return info.modules.map((m) => m.local ?? m.specifier);
}

Deno.test("registry/core imports only itself, @noble/* and @scure/*", async () => {
  const modules = await moduleGraph("registry/core/mod.ts");
  assert(modules.length > 5, "the graph should contain core's modules");
  const outside = modules.filter((m) =>
    !m.startsWith(coreDir) && !allowedPackages.test(m)
  );
  assert.deepEqual(
    outside,
    [],
    `core reaches outside its allowed dependencies:\n${outside.join("\n")}`,
  );
});

/**
 * Core's source files, relative to `registry/core/`, in every subfolder
 * (`nodelist/`, `keystore/`, ...). Tests and `testdata/` (whose generators
 * write their vector files) are not part of core.
 */
async function coreSources(dir = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(coreDir + dir)) {
    const rel = dir + entry.name;
    if (entry.isDirectory) {
      if (entry.name !== "testdata") out.push(...await coreSources(rel + "/"));
    } else if (
      entry.isFile && entry.name.endsWith(".ts") &&
      !entry.name.endsWith("_test.ts")
    ) out.push(rel);
  }
  return out.sort();
}

Deno.test("registry/core source does not touch clocks, randomness, the network or files", async () => {
  const forbidden =
    /\b(Date\.now|new Date\(|Math\.random|crypto\.getRandomValues|randomBytes|performance\.now|fetch\(|Deno\.|process\.)/;
  const files = await coreSources();
  assert(
    files.some((f) => f.includes("/")),
    `the scan should reach core's subfolders, saw only: ${files.join(", ")}`,
  );
  const offenders: string[] = [];
  for (const file of files) {
    const lines = (await Deno.readTextFile(coreDir + file)).split("\n");
    lines.forEach((line, i) => {
      // JSDoc examples may show callers using a clock; only code counts.
      if (/^\s*(\*|\/\/)/.test(line)) return;
      if (forbidden.test(line)) {
        offenders.push(`${file}:${i + 1}: ${line.trim()}`);
      }
    });
  }
  assert.deepEqual(offenders, []);
});
