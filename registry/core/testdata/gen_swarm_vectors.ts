/**
 * Regenerates `swarm_vectors.json`, the golden vectors of `../swarm.ts`.
 *
 * The expected outputs come from `gen_swarm_vectors.cpp`, our own C++
 * implementation of upstream's `calc_swarm_changes` compiled with g++, so
 * they carry the real libstdc++ `std::sort` order of equal-size swarms; this
 * script builds the inputs and runs that program. From the repository root:
 *
 *     g++ -O2 -std=c++17 -o /tmp/gen_swarm_vectors registry/core/testdata/gen_swarm_vectors.cpp
 *     node_modules/.bin/deno run --allow-run=/tmp/gen_swarm_vectors --allow-write=registry/core/testdata registry/core/testdata/gen_swarm_vectors.ts /tmp/gen_swarm_vectors
 *
 * Node keys are `sha256("node-" + i)`, block hashes `sha256("block-" + name)`
 * and seeds `swarmSeedFromHash(blockHash)`. Vectors whose input depends on an
 * earlier output (churn, histories) are built from the C++ output. The format
 * is described in `../README.md`.
 *
 * @module
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { fromHex, toHex } from "../bytes.ts";
import {
  MAX_SWARM_ID,
  Mt19937_64,
  swarmSeedFromHash,
  UNASSIGNED_SWARM_ID,
  uniformPortable,
} from "../swarm.ts";

/** One swarm of a vector: decimal id and hex member keys in order. */
export interface VectorSwarm {
  id: string;
  nodes: string[];
}

/** One golden vector: `output = calcSwarmChanges(input, seed)`. */
export interface SwarmVector {
  name: string;
  note: string;
  blockHash: string;
  seed: string;
  input: VectorSwarm[];
  output: VectorSwarm[];
  /** Present (true) when the port's one documented deviation applied. */
  deviation?: boolean;
}

/** One epoch of a {@linkcode SwarmHistory}. */
export interface HistoryEpoch {
  blockHash: string;
  seed: string;
  /** Nodes that left their swarm this epoch (deregistered or decommissioned). */
  left: number;
  /** Nodes that came back (recommissioned) through UNASSIGNED. */
  returned: number;
  /** New nodes registered through UNASSIGNED. */
  joined: number;
  /** Number of swarms in the output. */
  swarms: number;
  /** SHA-256 of the output, see {@linkcode digestSwarms}. */
  outputSha256: string;
}

/** A simulated network history: each epoch's input is the last output plus churn. */
export interface SwarmHistory {
  name: string;
  note: string;
  epochs: HistoryEpoch[];
}

/** The function under test (or the C++ program): the result and whether the deviation applied. */
export type Calc = (
  input: Map<bigint, Uint8Array[]>,
  seed: bigint,
) =>
  | { output: Map<bigint, Uint8Array[]>; deviation: boolean }
  | Promise<{ output: Map<bigint, Uint8Array[]>; deviation: boolean }>;

type Swarms = Map<bigint, Uint8Array[]>;

const encoder = new TextEncoder();

/** The test key of node `i`: sha256("node-" + i). */
export function nodeKey(i: number): Uint8Array {
  return sha256(encoder.encode(`node-${i}`));
}

function keys(from: number, count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => nodeKey(from + i));
}

function encode(
  swarms: ReadonlyMap<bigint, readonly Uint8Array[]>,
): VectorSwarm[] {
  return [...swarms].map(([id, nodes]) => ({
    id: id.toString(),
    nodes: nodes.map(toHex),
  }));
}

/**
 * SHA-256 (hex) of a swarm map: for each swarm in iteration order the UTF-8
 * text `<decimal id>:<hex>,<hex>,...;` (members in order, no trailing comma).
 */
export function digestSwarms(
  swarms: ReadonlyMap<bigint, readonly Uint8Array[]>,
): string {
  let text = "";
  for (const [id, nodes] of swarms) {
    text += `${id}:${nodes.map(toHex).join(",")};`;
  }
  return toHex(sha256(encoder.encode(text)));
}

function seedOf(label: string): { blockHash: Uint8Array; seed: bigint } {
  const blockHash = sha256(encoder.encode(`block-${label}`));
  return { blockHash, seed: swarmSeedFromHash(blockHash) };
}

/** Copy a swarm map (fresh arrays). */
function copy(m: ReadonlyMap<bigint, readonly Uint8Array[]>): Swarms {
  return new Map([...m].map(([id, nodes]) => [id, [...nodes]]));
}

/** Build every explicit vector, computing outputs (and chained inputs) with `calc`. */
export async function buildVectors(calc: Calc): Promise<SwarmVector[]> {
  const out: SwarmVector[] = [];
  const add = async (name: string, note: string, input: Swarms) => {
    const { blockHash, seed } = seedOf(name);
    const { output, deviation } = await calc(copy(input), seed);
    const v: SwarmVector = {
      name,
      note,
      blockHash: toHex(blockHash),
      seed: seed.toString(),
      input: encode(input),
      output: encode(output),
    };
    if (deviation) v.deviation = true;
    out.push(v);
    return output;
  };
  const fresh = (from: number, count: number): Swarms =>
    new Map([[UNASSIGNED_SWARM_ID, keys(from, count)]]);

  await add("empty", "an empty map stays empty (step 0)", new Map());
  await add(
    "unassigned-bucket-empty",
    "only an empty UNASSIGNED bucket: swarm 0 is created, empty",
    new Map([[UNASSIGNED_SWARM_ID, []]]),
  );
  await add("one-node", "first registration", fresh(0, 1));
  await add("seven-nodes", "one swarm of 7", fresh(0, 7));
  await add(
    "fourteen-nodes",
    "the second swarm is cut at 14 nodes",
    fresh(0, 14),
  );
  await add("twenty-nodes", "bulk registration of 20", fresh(0, 20));
  const hundred = await add(
    "hundred-nodes",
    "bulk registration of 100",
    fresh(0, 100),
  );

  // Churn on the 100-node network: the first swarm loses 3 nodes (starving),
  // the second and third lose one each, 10 new nodes register and two of the
  // removed nodes come back (recommissioned) through UNASSIGNED.
  const churn: Swarms = new Map();
  const removed: Uint8Array[] = [];
  [...hundred].forEach(([id, nodes], i) => {
    const drop = i === 0 ? 3 : i <= 2 ? 1 : 0;
    removed.push(...nodes.slice(nodes.length - drop));
    churn.set(id, nodes.slice(0, nodes.length - drop));
  });
  churn.set(UNASSIGNED_SWARM_ID, [
    ...keys(100, 10),
    removed[0]!,
    removed[3]!,
  ]);
  await add(
    "hundred-nodes-churn",
    "hundred-nodes output with 5 nodes gone (one swarm starving), 10 new and 2 recommissioned",
    churn,
  );

  const q = 1n << 62n;
  await add(
    "dissolve",
    "every swarm at 5 and one at 4: the starving swarm is dissolved",
    new Map([
      [0n, keys(200, 5)],
      [q, keys(205, 5)],
      [2n * q, keys(210, 4)],
      [3n * q, keys(214, 5)],
    ]),
  );
  await add(
    "robin-hood",
    "a swarm of 3 steals from the swarms above the 75th percentile size - 1",
    new Map([
      [10n, keys(300, 8)],
      [20n, keys(308, 8)],
      [30n, keys(316, 9)],
      [40n, keys(325, 3)],
      [50n, keys(328, 7)],
    ]),
  );
  await add(
    "excess-split",
    "one swarm of 30 and no newcomers: new swarms are cut from excess in step 3",
    new Map([[MAX_SWARM_ID, keys(400, 30)]]),
  );
  await add(
    "empty-percentile-swarm",
    "the 75th-percentile swarm is empty: upstream's size_t wrap means nothing is stolen",
    new Map([
      [1n, []],
      [2n, []],
      [3n, []],
      [4n, []],
      [5n, keys(500, 10)],
    ]),
  );
  await add(
    "last-swarm-kept",
    "3 nodes over 2 swarms: upstream throws std::out_of_range, this port keeps the last swarm",
    new Map([[1n, keys(600, 1)], [2n, keys(601, 2)]]),
  );
  await add("thousand-nodes", "bulk registration of 1000", fresh(1000, 1000));

  // More than 16 swarms: libstdc++'s std::sort reorders equal-size swarms.
  await add(
    "seventeen-swarms",
    "bulk registration of 119 nodes: 17 swarms, the first network where std::sort is not an insertion sort",
    fresh(2000, 119),
  );
  const forty = await add(
    "forty-two-swarms",
    "bulk registration of 300 nodes: 42 swarms",
    fresh(3000, 300),
  );
  {
    // Seven swarms starving at equal sizes (Robin Hood takes them in
    // std::sort order), one losing everything, plus newcomers and returns.
    const m = copy(forty);
    const gone: Uint8Array[] = [];
    [...m.values()].forEach((nodes, i) => {
      const drop = i % 6 === 0 ? nodes.length - (i % 12 === 0 ? 4 : 3) : 0;
      if (i === 41) gone.push(...nodes.splice(0));
      else gone.push(...nodes.splice(nodes.length - drop, drop));
    });
    m.set(UNASSIGNED_SWARM_ID, [...keys(3300, 9), gone[1]!, gone[5]!]);
    await add(
      "forty-two-swarms-churn",
      "forty-two-swarms output: 7 swarms cut to 3 or 4 nodes, one emptied, 9 new and 2 recommissioned",
      m,
    );
  }
  {
    // Robin Hood across 30 swarms: many starving swarms of equal size.
    const m: Swarms = new Map();
    const sizesOf = [
      ...Array(8).fill(4),
      3,
      3,
      ...Array(12).fill(7),
      ...Array(8).fill(9),
    ] as number[];
    let k = 3400;
    sizesOf.forEach((size, i) => {
      const id = BigInt(i * 7919 % 30) * (MAX_SWARM_ID / 31n) + 17n;
      m.set(id, keys(k, size));
      k += size;
    });
    await add(
      "robin-hood-thirty-swarms",
      "30 swarms: ten starving (eight at 4, two at 3), twelve at 7, eight at 9",
      m,
    );
  }
  {
    // Dissolve with more than 16 swarms: no excess to steal from.
    const m: Swarms = new Map();
    let k = 3700;
    for (let i = 0; i < 24; i++) {
      const size = i === 5 ? 2 : i % 7 === 3 ? 4 : 5;
      m.set(BigInt(i) * 1000003n, keys(k, size));
      k += size;
    }
    m.set(UNASSIGNED_SWARM_ID, keys(k, 3));
    await add(
      "dissolve-twenty-four-swarms",
      "24 swarms at 5 except three at 4 and one at 2, 3 newcomers: nothing to steal, the starving swarms are dissolved",
      m,
    );
  }
  return out;
}

/** Split `n` into a small deterministic count in [0, max). */
function draw(rng: Mt19937_64, max: number): number {
  return Number(uniformPortable(rng, BigInt(max)));
}

/**
 * A simulated network history: bulk registration of `start` nodes, then
 * `epochs` epochs of churn, each computed from the previous output. Epoch `e`
 * (from 1) draws its churn from `Mt19937_64(e)`: some nodes leave (removed
 * from their swarm; every second one is "decommissioned" and may come back
 * later through UNASSIGNED), some decommissioned nodes return, new nodes
 * register (every third epoch a wave of 10% more); every fourth epoch also
 * cuts a few swarms down to 3 nodes so Robin Hood runs on a large network.
 */
export async function buildHistory(
  name: string,
  start: number,
  epochs: number,
  firstKey: number,
  calc: Calc,
): Promise<SwarmHistory> {
  const out: HistoryEpoch[] = [];
  let next = firstKey;
  const away: Uint8Array[] = [];
  let current: Swarms = new Map();
  for (let e = 0; e <= epochs; e++) {
    const input = copy(current);
    let left = 0;
    let returned = 0;
    let joined = 0;
    const unassigned: Uint8Array[] = [];
    if (e === 0) {
      joined = start;
    } else {
      const rng = new Mt19937_64(BigInt(e));
      const total = [...input.values()].reduce((n, s) => n + s.length, 0);
      const leaving = Math.max(1, Math.floor(total / 100)) +
        draw(rng, Math.max(1, Math.floor(total / 50)));
      const swarms = [...input.values()];
      for (let i = 0; i < leaving; i++) {
        const s = swarms[draw(rng, swarms.length)]!;
        if (s.length === 0) continue;
        const [node] = s.splice(draw(rng, s.length), 1);
        if (i % 2 === 0) away.push(node!);
        left++;
      }
      if (e % 4 === 0) {
        for (let i = 0; i < 3; i++) {
          const s = swarms[draw(rng, swarms.length)]!;
          while (s.length > 3) {
            away.push(s.pop()!);
            left++;
          }
        }
      }
      returned = Math.min(away.length, draw(rng, 8));
      unassigned.push(...away.splice(0, returned));
      joined = draw(rng, Math.max(2, Math.floor(total / 40)));
      if (e % 3 === 0) joined += Math.floor(total / 10); // a registration wave
    }
    unassigned.push(...keys(next, joined));
    next += joined;
    if (unassigned.length > 0) input.set(UNASSIGNED_SWARM_ID, unassigned);
    const { blockHash, seed } = seedOf(`history-${name}-${e}`);
    const { output } = await calc(input, seed);
    current = output;
    out.push({
      blockHash: toHex(blockHash),
      seed: seed.toString(),
      left,
      returned,
      joined,
      swarms: output.size,
      outputSha256: digestSwarms(output),
    });
  }
  return {
    name,
    note:
      `bulk registration of ${start} nodes, then ${epochs} epochs of churn (see buildHistory)`,
    epochs: out,
  };
}

/** The histories in the vector file: networks of about 150 and 500 swarms. */
export async function buildHistories(calc: Calc): Promise<SwarmHistory[]> {
  return [
    await buildHistory("150-swarms", 1050, 10, 100_000, calc),
    await buildHistory("500-swarms", 3500, 8, 200_000, calc),
  ];
}

/** A {@linkcode Calc} that runs the compiled `gen_swarm_vectors.cpp`. */
export function cppCalc(binary: string): Calc {
  return async (input, seed) => {
    let text = `case c\nseed ${seed}\n`;
    for (const [id, nodes] of input) {
      text += `swarm ${id} ${nodes.length}\n`;
      for (const n of nodes) text += toHex(n) + "\n";
    }
    text += "end\n";
    const child = new Deno.Command(binary, {
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(encoder.encode(text));
    await writer.close();
    const result = await child.output();
    if (!result.success) throw new Error(`${binary} failed`);
    const lines = new TextDecoder().decode(result.stdout).trim().split("\n");
    const output: Swarms = new Map();
    let deviation = false;
    let i = 1; // "case c"
    while (lines[i] !== "end") {
      const line = lines[i++]!;
      if (line === "deviation") {
        deviation = true;
        continue;
      }
      const [word, id, count] = line.split(" ");
      if (word !== "swarm") throw new Error(`unexpected line ${line}`);
      const nodes: Uint8Array[] = [];
      for (let k = 0; k < Number(count); k++) {
        nodes.push(fromHex(lines[i++]!, 32));
      }
      output.set(BigInt(id!), nodes);
    }
    return { output, deviation };
  };
}

if (import.meta.main) {
  const binary = Deno.args[0];
  if (binary === undefined) {
    throw new Error(
      "usage: gen_swarm_vectors.ts <compiled gen_swarm_vectors.cpp>",
    );
  }
  const calc = cppCalc(binary);
  const file = new URL("./swarm_vectors.json", import.meta.url);
  const doc = {
    description:
      "Golden vectors of calcSwarmChanges (registry/core/swarm.ts), outputs computed by gen_swarm_vectors.cpp (g++, libstdc++); format in registry/core/README.md",
    vectors: await buildVectors(calc),
    histories: await buildHistories(calc),
  };
  Deno.writeTextFileSync(file, JSON.stringify(doc, null, 2) + "\n");
}
