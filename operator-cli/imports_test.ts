// The CLI's import structure, from the real module graph (`deno info`):
// no import cycles among its modules, and outside itself it imports only
// registry/core and registry/client (README "Layout"; tests may use the
// registry's test kit).
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import path from "node:path";

const cliDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(cliDir, "..");

interface Dep {
  code?: { specifier: string };
  type?: { specifier: string };
}

/** Edges between local files, for every module reachable from `entries`. */
async function graph(entries: string[]): Promise<Map<string, Set<string>>> {
  const edges = new Map<string, Set<string>>();
  for (const entry of entries) {
    if (edges.has(entry)) continue;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(out.success, new TextDecoder().decode(out.stderr));
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      modules: { specifier: string; local?: string; dependencies?: Dep[] }[];
    };
    for (const m of info.modules) {
      if (
        !m.specifier.startsWith("file:") ||
        m.specifier.includes("/node_modules/")
      ) continue;
      const from = fileURLToPath(m.specifier);
      const to = edges.get(from) ?? new Set<string>();
      for (const d of m.dependencies ?? []) {
        for (const s of [d.code?.specifier, d.type?.specifier]) {
          if (s?.startsWith("file:") && !s.includes("/node_modules/")) {
            to.add(fileURLToPath(s));
          }
        }
      }
      edges.set(from, to);
    }
  }
  return edges;
}

/** Every .ts file of the CLI; tests and their kit (test_util.ts) separately. */
async function cliFiles(): Promise<{ code: string[]; tests: string[] }> {
  const code: string[] = [];
  const tests: string[] = [];
  for (const dir of [cliDir, path.join(cliDir, "commands")]) {
    for await (const e of Deno.readDir(dir)) {
      if (!e.isFile || !e.name.endsWith(".ts")) continue;
      const file = path.join(dir, e.name);
      const test = e.name.endsWith("_test.ts") || e.name === "test_util.ts";
      (test ? tests : code).push(file);
    }
  }
  return { code: code.sort(), tests: tests.sort() };
}

/** The cycles of a graph restricted to `inside` (each reported once). */
function cycles(
  edges: Map<string, Set<string>>,
  inside: (f: string) => boolean,
): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, "open");
    stack.push(f);
    for (const g of edges.get(f) ?? []) {
      if (!inside(g)) continue;
      if (state.get(g) === "open") found.push(stack.slice(stack.indexOf(g)));
      else if (!state.has(g)) visit(g);
    }
    stack.pop();
    state.set(f, "done");
  };
  for (const f of [...edges.keys()].sort()) {
    if (inside(f) && !state.has(f)) visit(f);
  }
  return found;
}

Deno.test("operator-cli has no import cycles and imports only registry/core and registry/client", async () => {
  const { code, tests } = await cliFiles();
  const edges = await graph([...code, ...tests]);
  const inCli = (f: string) => f.startsWith(cliDir + path.sep);
  assert(code.every((f) => edges.has(f)), "every CLI module is in the graph");

  const rel = (f: string) => path.relative(root, f);
  assert.deepEqual(
    cycles(edges, inCli).map((c) => [...c, c[0]!].map(rel).join(" -> ")),
    [],
    "import cycles in operator-cli",
  );

  const allowed = ["registry/core/", "registry/client/"].map((p) =>
    path.join(root, p)
  );
  const outside: string[] = [];
  for (const f of code) {
    for (const g of edges.get(f) ?? []) {
      if (
        tests.includes(g) || !inCli(g) && !allowed.some((a) => g.startsWith(a))
      ) {
        outside.push(`${rel(f)} imports ${rel(g)}`);
      }
    }
  }
  assert.deepEqual(outside, [], "operator-cli reaches past core and client");
});

Deno.test("mod.ts exports what other folders use: main and the challenge handler", async () => {
  const mod = await import("./mod.ts");
  assert.equal(typeof mod.main, "function");
  assert.equal(typeof mod.challengeHandler, "function");
  assert.equal(mod.CHALLENGE_PATH, "/snode-registry/v1/challenge");
});
