// `npm ci` on the Node.js the set-up states must be quiet: package.json
// states it (`engines.node`), the README's set-up line says the same, and
// every package in the lockfile accepts it (else npm prints an EBADENGINE
// warning per package, as @inquirer/* and commander 15 did on Node 20).
// The CLI runs on Deno; Node is only what installs the packages.
import assert from "node:assert/strict";

const root = new URL("../", import.meta.url);

/**
 * Packages allowed to want a newer Node than the one stated, and why: none.
 * (kysely is pinned to 0.28, the last line that accepts Node 20.)
 */
const PENDING: Record<string, string> = {};

type Version = [number, number, number];

function parseVersion(text: string): Version {
  const m = /^v?(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?/.exec(text.trim());
  assert(m, `not a version: ${text}`);
  const n = (
    s: string | undefined,
  ) => (s === undefined || !/\d/.test(s) ? 0 : Number(s));
  return [Number(m[1]), n(m[2]), n(m[3])];
}

function compare(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** Whether `v` satisfies an npm range (`>=20`, `^22.22.2 || >=26`, `>= 20.19.0`). */
export function satisfies(v: Version, range: string): boolean {
  return range.split("||").some((alternative) => {
    const parts = alternative.trim().replace(/(>=|<=|>|<|=|\^|~)\s+/g, "$1")
      .split(/\s+/).filter((p) => p !== "");
    return parts.every((p) => {
      const m = /^(>=|<=|>|<|=|\^|~)?(.*)$/.exec(p)!;
      const op = m[1] ?? "=";
      const w = parseVersion(m[2]!);
      const c = compare(v, w);
      switch (op) {
        case ">=":
          return c >= 0;
        case ">":
          return c > 0;
        case "<=":
          return c <= 0;
        case "<":
          return c < 0;
        case "^":
          return c >= 0 && v[0] === w[0];
        case "~":
          return c >= 0 && v[0] === w[0] && v[1] === w[1];
        default:
          return m[2]!.split(".").length < 3 ? v[0] === w[0] : c === 0;
      }
    });
  });
}

Deno.test("the npm range check reads npm's engine ranges", () => {
  const v = parseVersion("20.19.0");
  assert(satisfies(v, ">= 20.19.0"));
  assert(satisfies(v, ">=20"));
  assert(!satisfies(v, "^22.22.2 || ^24.15.0 || >=26.0.0"));
  assert(!satisfies(v, ">=22.12.0"));
  assert(satisfies(v, "^20.1 || >=22"));
  assert(!satisfies(parseVersion("20.18.3"), ">= 20.19.0"));
});

Deno.test("package.json states the Node.js for npm ci, the README says it, and every locked package accepts it", async () => {
  const pkg = JSON.parse(
    await Deno.readTextFile(new URL("package.json", root)),
  ) as { engines?: { node?: string } };
  const stated = pkg.engines?.node;
  assert(stated, "package.json has engines.node");
  const m = /^>=\s*(\d+\.\d+\.\d+)$/.exec(stated);
  assert(m, `engines.node is a lower bound like ">=20.19.0": ${stated}`);
  const minimum = parseVersion(m[1]!);

  const readme = await Deno.readTextFile(new URL("README.md", root));
  const setup = readme.slice(readme.indexOf("## Set-up"));
  const [major, minor] = minimum;
  assert.match(
    setup.slice(0, 400),
    new RegExp(`Node\\.js ${major}\\.${minor}`),
    "the README's set-up says which Node.js",
  );

  const lock = JSON.parse(
    await Deno.readTextFile(new URL("package-lock.json", root)),
  ) as {
    packages: Record<string, { engines?: { node?: string } | string[] }>;
  };
  const unhappy: string[] = [];
  for (const [where, p] of Object.entries(lock.packages)) {
    const range = Array.isArray(p.engines) ? undefined : p.engines?.node;
    if (where === "" || range === undefined) continue;
    const name = where.slice(where.lastIndexOf("node_modules/") + 13);
    if (!satisfies(minimum, range) && !(name in PENDING)) {
      unhappy.push(`${name} wants node ${range}`);
    }
  }
  assert.deepEqual(unhappy, [], `packages that warn on Node ${m[1]}`);
});
