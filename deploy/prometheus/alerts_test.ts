/**
 * The example alert rules (alerts.yml) against the real registry: every
 * expression names only metrics a registry's /metrics exports (scraped from
 * a test registry with every family filled), every alert has a severity, a
 * summary and a runbook link to a heading that exists in
 * registry/README.md; and where Debian's `prometheus` package is installed,
 * promtool checks the rules and runs their unit tests (alerts_test.yml).
 */

import assert from "node:assert/strict";
import { parse } from "yaml";
import {
  activeNode,
  httpNet,
  postMessage,
} from "../../registry/testkit/http.ts";

const here = new URL("./", import.meta.url);
const README = new URL("../../registry/README.md", import.meta.url);

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

async function rules(): Promise<Rule[]> {
  const doc = parse(await Deno.readTextFile(new URL("alerts.yml", here)));
  return (doc.groups as { rules: Rule[] }[]).flatMap((g) => g.rules);
}

const PROMQL_WORDS = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "offset",
  "and",
  "or",
  "unless",
  "bool",
  "inf",
  "nan",
]);

/** The metric names a PromQL expression reads. */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(\\.|[^"\\])*"/g, '""') // strings
    .replace(/\{[^}]*\}/g, "") // label matchers
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, "") // grouping labels
    .replace(/\[[^\]]*\]/g, "") // ranges
    .replace(/\boffset\s+\w+/g, ""); // offsets
  const names = new Set<string>();
  for (
    const m of bare.matchAll(
      /(?<![\w.:])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])(?!\s*\()/g,
    )
  ) {
    if (!PROMQL_WORDS.has(m[1]!.toLowerCase())) names.add(m[1]!);
  }
  return [...names];
}

Deno.test("metricNames reads the metrics of a PromQL expression, not its functions, labels or numbers", () => {
  assert.deepEqual(
    metricNames(
      'histogram_quantile(0.99, sum by (instance, le) (rate(a_bucket{x="y z"}[5m]))) > 1',
    ),
    ["a_bucket"],
  );
  assert.deepEqual(
    metricNames("b - time() < 14 * 86400 and c offset 1h > 20e9"),
    ["b", "c"],
  );
});

/** Every metric name a registry exports, with every family filled in. */
async function exported(): Promise<Set<string>> {
  const h = await httpNet({
    app: {
      runtime: {
        epochLag: () => 0,
        tickFailures: () => 0,
        tlsNotAfter: () => 2_000_000_000,
      },
    },
  });
  try {
    await activeNode(h, "n0");
    await postMessage(h.app, "/v1/submit", new Uint8Array([1])); // refused
    const text = await (await h.app.request("/metrics")).text();
    const names = new Set<string>();
    for (const line of text.split("\n")) {
      const type = /^# TYPE (\S+) (\w+)$/.exec(line);
      if (type) {
        names.add(type[1]!);
        if (type[2] === "histogram") {
          for (const s of ["_bucket", "_sum", "_count"]) {
            names.add(type[1]! + s);
          }
        }
      } else if (line && !line.startsWith("#")) {
        names.add(/^[^{ ]+/.exec(line)![0]);
      }
    }
    return names;
  } finally {
    await h.close();
  }
}

Deno.test("every alert reads metrics the registry exports, has a severity, a summary and a runbook section", async () => {
  const all = await rules();
  assert(all.length >= 10);
  const names = await exported();
  names.add("up"); // Prometheus's own, per scrape target
  const readme = await Deno.readTextFile(README);
  const anchors = new Set(
    [...readme.matchAll(/^#+ (.+)$/gm)].map((m) =>
      m[1]!.toLowerCase().replace(/[^\w\- ]/g, "").replace(/ /g, "-")
    ),
  );
  const seen = new Set<string>();
  for (const r of all) {
    assert(!seen.has(r.alert), `${r.alert} twice`);
    seen.add(r.alert);
    const used = metricNames(r.expr);
    assert(used.length > 0, `${r.alert}: no metric in ${r.expr}`);
    for (const m of used) {
      assert(names.has(m), `${r.alert}: ${m} is not exported by the registry`);
    }
    assert(
      ["warning", "critical"].includes(r.labels?.severity ?? ""),
      `${r.alert}: severity`,
    );
    assert(r.annotations?.summary, `${r.alert}: summary`);
    const link = r.annotations?.runbook ?? "";
    const [file, anchor] = link.split("#");
    assert.equal(file, "registry/README.md", `${r.alert}: runbook link`);
    assert(
      anchors.has(anchor!),
      `${r.alert}: registry/README.md has no heading for #${anchor}`,
    );
  }
});

function hasPromtool(): boolean {
  try {
    return new Deno.Command("promtool", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
}

const PROMTOOL = hasPromtool();
if (!PROMTOOL) {
  console.warn(
    "deploy/prometheus: promtool not installed (apt-get install prometheus): `promtool check rules` and `promtool test rules` are skipped",
  );
}

Deno.test({
  name: "promtool checks the rules and passes their unit tests",
  ignore: !PROMTOOL,
  async fn() {
    for (
      const args of [["check", "rules", "alerts.yml"], [
        "test",
        "rules",
        "alerts_test.yml",
      ]]
    ) {
      const out = await new Deno.Command("promtool", {
        args,
        cwd: here.pathname,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const said = new TextDecoder().decode(out.stdout) +
        new TextDecoder().decode(out.stderr);
      assert(out.success, `promtool ${args.join(" ")}: ${said}`);
      assert.match(said, /SUCCESS/);
    }
  },
});
