/**
 * Regenerates `swarm_vectors.json`, the golden vectors of `../swarm.ts`:
 *
 *     deno run --allow-write=registry/core/testdata registry/core/testdata/gen_swarm_vectors.ts
 *
 * Node keys are `sha256("node-" + i)`, block hashes `sha256("block-" + name)`
 * and seeds `swarmSeedFromHash(blockHash)`. The format is described in
 * `../README.md`.
 *
 * @module
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { toHex } from "../bytes.ts";
import {
  calcSwarmChanges,
  MAX_SWARM_ID,
  swarmSeedFromHash,
  UNASSIGNED_SWARM_ID,
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
}

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

function vector(
  name: string,
  note: string,
  input: Map<bigint, Uint8Array[]>,
): { vector: SwarmVector; output: Map<bigint, Uint8Array[]> } {
  const blockHash = sha256(encoder.encode(`block-${name}`));
  const seed = swarmSeedFromHash(blockHash);
  const output = calcSwarmChanges(input, seed);
  return {
    vector: {
      name,
      note,
      blockHash: toHex(blockHash),
      seed: seed.toString(),
      input: encode(input),
      output: encode(output),
    },
    output,
  };
}

/** Build every vector. */
export function buildVectors(): SwarmVector[] {
  const out: SwarmVector[] = [];
  const add = (
    name: string,
    note: string,
    input: Map<bigint, Uint8Array[]>,
  ) => {
    const v = vector(name, note, input);
    out.push(v.vector);
    return v.output;
  };
  const fresh = (from: number, count: number) =>
    new Map([[UNASSIGNED_SWARM_ID, keys(from, count)]]);

  add("empty", "an empty map stays empty (step 0)", new Map());
  add(
    "unassigned-bucket-empty",
    "only an empty UNASSIGNED bucket: swarm 0 is created, empty",
    new Map([[UNASSIGNED_SWARM_ID, []]]),
  );
  add("one-node", "first registration", fresh(0, 1));
  add("seven-nodes", "one swarm of 7", fresh(0, 7));
  add("fourteen-nodes", "the second swarm is cut at 14 nodes", fresh(0, 14));
  add("twenty-nodes", "bulk registration of 20", fresh(0, 20));
  const hundred = add(
    "hundred-nodes",
    "bulk registration of 100",
    fresh(0, 100),
  );

  // Churn on the 100-node network: the first swarm loses 3 nodes (starving),
  // the second and third lose one each, 10 new nodes register and two of the
  // removed nodes come back (recommissioned) through UNASSIGNED.
  const churn = new Map<bigint, Uint8Array[]>();
  const removed: Uint8Array[] = [];
  [...hundred].forEach(([id, nodes], i) => {
    const drop = i === 0 ? 3 : i <= 2 ? 1 : 0;
    removed.push(...nodes.slice(nodes.length - drop));
    churn.set(id, nodes.slice(0, nodes.length - drop));
  });
  churn.set(UNASSIGNED_SWARM_ID, [...keys(100, 10), removed[0]!, removed[3]!]);
  add(
    "hundred-nodes-churn",
    "hundred-nodes output with 5 nodes gone (one swarm starving), 10 new and 2 recommissioned",
    churn,
  );

  const q = 1n << 62n;
  add(
    "dissolve",
    "every swarm at 5 and one at 4: the starving swarm is dissolved",
    new Map([
      [0n, keys(200, 5)],
      [q, keys(205, 5)],
      [2n * q, keys(210, 4)],
      [3n * q, keys(214, 5)],
    ]),
  );
  add(
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
  add(
    "excess-split",
    "one swarm of 30 and no newcomers: new swarms are cut from excess in step 3",
    new Map([[MAX_SWARM_ID, keys(400, 30)]]),
  );
  add(
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
  add(
    "last-swarm-kept",
    "3 nodes over 2 swarms: upstream throws std::out_of_range, this port keeps the last swarm",
    new Map([[1n, keys(600, 1)], [2n, keys(601, 2)]]),
  );
  add("thousand-nodes", "bulk registration of 1000", fresh(1000, 1000));
  return out;
}

if (import.meta.main) {
  const file = new URL("./swarm_vectors.json", import.meta.url);
  const doc = {
    description:
      "Golden vectors of calcSwarmChanges (registry/core/swarm.ts); format in registry/core/README.md",
    vectors: buildVectors(),
  };
  Deno.writeTextFileSync(file, JSON.stringify(doc, null, 2) + "\n");
}
