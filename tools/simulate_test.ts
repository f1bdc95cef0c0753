import assert from "node:assert/strict";
import { simulate } from "./simulate.ts";

Deno.test("the core simulation runs a small network end to end and reports what happened", () => {
  const lines = simulate({
    nodes: 40,
    epochs: 120,
    seed: "test",
    registryKeys: 3,
  });
  const text = lines.join("\n");
  assert.match(text, /40 nodes registered and funded through signed messages/);
  assert.match(text, /verified 2-of-3; chain of 121 lists checked/);
  assert.match(text, /each reproducing its list byte for byte/);
  // 40 initial nodes and 11 joiners make 7 swarms at most; every swarm has >= 5 nodes.
  const sizes = /swarms: (\d+); sizes (.*?);/.exec(text);
  assert(sizes, text);
  for (const part of sizes[2]!.split(", ")) {
    const size = Number(part.split(" x ")[1]);
    assert(size >= 5, `swarm of ${size} in ${part}`);
  }
});

Deno.test("the simulation is deterministic for a seed", () => {
  const strip = (ls: string[]) => ls.filter((l) => !/ms/.test(l));
  assert.deepEqual(
    strip(simulate({ nodes: 20, epochs: 15, seed: "x", registryKeys: 1 })),
    strip(simulate({ nodes: 20, epochs: 15, seed: "x", registryKeys: 1 })),
  );
});
