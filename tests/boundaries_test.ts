// The dependency rules of the layout (README "Layout"), machine-checked over
// every TypeScript file's imports: what may import what, and no cycles.
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SKIP = new Set(["node_modules", "data", ".git", "test-output"]);

/** Every .ts/.tsx file of the repository, relative to the root. */
async function sourceFiles(dir = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(path.join(root, dir))) {
    if (SKIP.has(e.name) || e.name.startsWith(".")) continue;
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory) out.push(...await sourceFiles(rel));
    else if (/\.tsx?$/.test(e.name)) out.push(rel);
  }
  return out;
}

/** The specifiers a file imports or re-exports (static and dynamic). */
function importsOf(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(
    /^\s*\/\/.*$/gm,
    "",
  );
  const out: string[] = [];
  const re =
    /(?:^|\s|;)(?:import|export)\s+(?:type\s+)?(?:[^'"`;]*?\sfrom\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
  for (const m of code.matchAll(re)) out.push(m[1] ?? m[2]!);
  return out;
}

interface Edge {
  from: string;
  /** Resolved repository path for relative imports; the bare specifier otherwise. */
  to: string;
  relative: boolean;
}

async function edges(): Promise<Edge[]> {
  const out: Edge[] = [];
  for (const file of await sourceFiles()) {
    const text = await Deno.readTextFile(path.join(root, file));
    for (const spec of importsOf(text)) {
      const relative = spec.startsWith(".");
      out.push({
        from: file,
        to: relative
          ? path.posix.normalize(
            path.posix.join(path.posix.dirname(file), spec),
          )
          : spec,
        relative,
      });
    }
  }
  return out;
}

const all = await edges();
const isTest = (f: string) => /_test\.tsx?$/.test(f);
const inside = (f: string, dir: string) => f.startsWith(dir + "/");

function violations(pred: (e: Edge) => boolean): string[] {
  return all.filter(pred).map((e) => `${e.from} -> ${e.to}`);
}

Deno.test("boundaries: the import parser sees static, type-only, re-export and dynamic imports", () => {
  assert.deepEqual(
    importsOf(
      `import a from "./a.ts";\nimport type { B } from "./b.ts";\nexport * from "./c.ts";\nconst d = await import("./d.ts");\n// import x from "./commented.ts";`,
    ),
    ["./a.ts", "./b.ts", "./c.ts", "./d.ts"],
  );
});

Deno.test("boundaries: only registry/store/ speaks SQL (imports kysely, node:sqlite or pg)", () => {
  assert.deepEqual(
    violations((e) =>
      !e.relative && /^(kysely|node:sqlite|pg)(\/|$)/.test(e.to) &&
      !inside(e.from, "registry/store")
    ),
    [],
  );
});

Deno.test("boundaries: the CLI, the explorer and the client library never import the registry's store, actions, queries or http", () => {
  const service = ["store", "actions", "queries", "http"].map((d) =>
    `registry/${d}`
  );
  assert.deepEqual(
    violations((e) =>
      e.relative &&
      (inside(e.from, "operator-cli") || inside(e.from, "web") ||
        inside(e.from, "registry/client")) &&
      service.some((d) => inside(e.to, d))
    ),
    [],
  );
});

Deno.test("boundaries: the client library depends on core and api only", () => {
  assert.deepEqual(
    violations((e) =>
      e.relative && inside(e.from, "registry/client") &&
      !["registry/client", "registry/core", "registry/api"].some((d) =>
        inside(e.to, d)
      ) &&
      // Tests start a real registry through the test kit.
      !(isTest(e.from) && inside(e.to, "registry/testkit"))
    ),
    [],
  );
});

Deno.test("boundaries: nothing under registry/ imports operator-cli/, web/ or the tools", () => {
  assert.deepEqual(
    violations((e) =>
      e.relative && inside(e.from, "registry") &&
      ["operator-cli", "web", "devnet", "tools"].some((d) => inside(e.to, d))
    ),
    [],
  );
});

Deno.test("boundaries: production code never imports the test kit", () => {
  assert.deepEqual(
    violations((e) =>
      e.relative && inside(e.to, "registry/testkit") && !isTest(e.from) &&
      !inside(e.from, "registry/testkit") &&
      !/test_util|testing\//.test(e.from) &&
      !inside(e.from, "bench") && !inside(e.from, "tests")
    ),
    [],
  );
});

Deno.test("boundaries: core's nodelist/, keystore/ and inputs/ are reached only through their entry files", () => {
  // Their modules export helpers for each other; the entry files re-export
  // the public API and are what everything else imports.
  const folders = [
    "registry/core/nodelist",
    "registry/core/keystore",
    "registry/core/inputs",
  ];
  assert.deepEqual(
    violations((e) =>
      e.relative &&
      folders.some((d) =>
        inside(e.to, d) && !inside(e.from, d) && e.from !== `${d}.ts`
      )
    ),
    [],
  );
});

Deno.test("boundaries: no import cycles anywhere", () => {
  const graph = new Map<string, string[]>();
  for (const e of all) {
    if (!e.relative) continue;
    graph.set(e.from, [...graph.get(e.from) ?? [], e.to]);
  }
  const cycles: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (n: string) => {
    state.set(n, "visiting");
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      const s = state.get(m);
      if (s === "visiting") {
        cycles.push([...stack.slice(stack.indexOf(m)), m].join(" -> "));
      } else if (s === undefined) visit(m);
    }
    stack.pop();
    state.set(n, "done");
  };
  for (const n of graph.keys()) if (!state.has(n)) visit(n);
  assert.deepEqual(cycles, []);
});
