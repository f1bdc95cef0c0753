import assert from "node:assert/strict";
import { ENV_VARS, optionsMarkdown } from "./config.ts";

/** A markdown table row's cells, trimmed (`\|` stays inside a cell). */
function cells(line: string): string[] {
  return line.trim().replace(/^\|/, "").replace(/\|$/, "")
    .split(/(?<!\\)\|/).map((c) => c.trim());
}

Deno.test("the README's options table is the options table in config.ts", async () => {
  const readme = await Deno.readTextFile(
    new URL("../README.md", import.meta.url),
  );
  const documented = readme.split("\n").filter((l) => l.startsWith("|"))
    .map(cells).map((c) => c.join(" | "));
  const generated = optionsMarkdown().split("\n").slice(2).map(cells);
  for (const row of generated) {
    assert(
      documented.includes(row.join(" | ")),
      `registry/README.md lacks or differs in the row for ${
        row[1]
      }; regenerate it from optionsMarkdown()`,
    );
  }
});

Deno.test("the start task may read exactly the variables config.ts reads", async () => {
  const deno = JSON.parse(
    await Deno.readTextFile(new URL("../../deno.json", import.meta.url)),
  );
  const start: string = deno.tasks.start;
  const allowed = /--allow-env=([A-Z_,]+)/.exec(start)?.[1]?.split(",") ?? [];
  assert.deepEqual([...allowed].sort(), [...ENV_VARS].sort());
});
