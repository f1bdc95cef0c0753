// No source file under registry/ may grow past MAX_LINES: a file that does
// is doing more than one thing. Split it into a folder of modules of one
// purpose behind a stable entry file that re-exports them, as
// registry/core/nodelist.ts (nodelist/) and registry/core/keystore.ts
// (keystore/) do. Tests and testdata/ (golden vectors and their generators)
// are exempt.
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const MAX_LINES = 800;
const SKIP_DIRS = new Set(["node_modules", "testdata", "data"]);

/** Non-test .ts/.tsx files under `dir`, relative to the repository root. */
async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(path.join(root, dir))) {
    if (e.name.startsWith(".")) continue;
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory) {
      if (!SKIP_DIRS.has(e.name)) out.push(...await sourceFiles(rel));
    } else if (/\.tsx?$/.test(e.name) && !/_test\.tsx?$/.test(e.name)) {
      out.push(rel);
    }
  }
  return out;
}

/** Lines of text; a final newline ends the last line, it does not start one. */
function lineCount(text: string): number {
  if (text === "") return 0;
  const lines = text.split("\n").length;
  return text.endsWith("\n") ? lines - 1 : lines;
}

Deno.test("line count: a final newline does not start another line", () => {
  assert.equal(lineCount(""), 0);
  assert.equal(lineCount("a\n"), 1);
  assert.equal(lineCount("a\nb"), 2);
  assert.equal(lineCount("a\n\nb\n"), 3);
});

Deno.test(`no source file under registry/ is over ${MAX_LINES} lines`, async () => {
  const files = await sourceFiles("registry");
  assert(
    files.includes("registry/core/nodelist.ts") && files.length > 50,
    `the walk should see registry's sources, saw ${files.length}`,
  );
  const offenders: string[] = [];
  for (const file of files.sort()) {
    const lines = lineCount(await Deno.readTextFile(path.join(root, file)));
    if (lines > MAX_LINES) offenders.push(`${file}: ${lines} lines`);
  }
  assert.deepEqual(
    offenders,
    [],
    `${offenders.length} file(s) under registry/ exceed ${MAX_LINES} lines; ` +
      `split each into modules of one purpose behind a stable entry file:\n  ` +
      offenders.join("\n  "),
  );
});
