// The indexes of swarm_state.ts against straightforward recomputation, under
// random sequences of the operations calc_swarm_changes performs.
import assert from "node:assert/strict";
import fc from "fast-check";
import { libstdcxxSort } from "./introsort.ts";
import { PoolIndex, SwarmState } from "./swarm_state.ts";
import { MAX_SWARM_ID, newSwarmId } from "./swarm.ts";

const RULES = { minSwarmSize: 5, excessBase: 5, maxSwarmId: MAX_SWARM_ID };

/** A node placeholder; the state never looks inside. */
const node = new Uint8Array(32);

type Op =
  | { kind: "push"; at: number }
  | { kind: "take"; at: number }
  | { kind: "add"; size: number; where: number }
  | { kind: "remove"; at: number };

const arbOp: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant("push"), at: fc.nat() }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("take"), at: fc.nat() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("add"),
      size: fc.nat(12),
      where: fc.nat(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("remove"), at: fc.nat() }),
  },
) as fc.Arbitrary<Op>;

/** Build a state of `sizes.length` swarms with ids spread over the ring. */
function stateOf(sizes: number[]): { st: SwarmState; ids: bigint[] } {
  const st = new SwarmState(RULES);
  const ids: bigint[] = [];
  sizes.forEach((size, i) => {
    const id = BigInt(i) * (MAX_SWARM_ID / BigInt(sizes.length + 1)) + 1n;
    ids.push(id);
    st.add(id, Array.from({ length: size }, () => node));
  });
  return { st, ids };
}

/** Apply an op to the state and to the reference (sizes and ids in id order). */
function apply(
  st: SwarmState,
  ref: { sizes: number[]; ids: bigint[] },
  op: Op,
): void {
  const n = ref.sizes.length;
  if (op.kind === "push" && n > 0) {
    const at = op.at % n;
    st.push(at, node);
    ref.sizes[at]!++;
  } else if (op.kind === "take" && n > 0) {
    const at = op.at % n;
    if (ref.sizes[at] === 0) return;
    st.takeAt(at, 0);
    ref.sizes[at]!--;
  } else if (op.kind === "add") {
    const id = st.newSwarmId();
    assert.equal(id, newSwarmId(ref.ids), "new swarm id");
    st.add(id, Array.from({ length: op.size }, () => node));
    let at = 0;
    while (at < n && ref.ids[at]! < id) at++;
    ref.ids.splice(at, 0, id);
    ref.sizes.splice(at, 0, op.size);
  } else if (op.kind === "remove" && n > 1) {
    const at = op.at % n;
    st.removeAt(at);
    ref.ids.splice(at, 1);
    ref.sizes.splice(at, 1);
  }
}

Deno.test("positionAtSortedIndex is libstdc++ std::sort's entry, through any sequence of changes", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.array(fc.integer({ min: 3, max: 9 }), {
          minLength: 1,
          maxLength: 16,
        }),
        fc.array(fc.integer({ min: 3, max: 9 }), {
          minLength: 17,
          maxLength: 120,
          size: "max",
        }),
      ),
      fc.array(arbOp, { minLength: 10, maxLength: 60, size: "max" }),
      fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
      (sizes, ops, probes) => {
        const { st, ids } = stateOf(sizes);
        const ref = { sizes: [...sizes], ids };
        const check = () => {
          const n = ref.sizes.length;
          const sorted = libstdcxxSort(
            ref.sizes.map((size, position) => ({ size, position })),
            (a, b) => a.size < b.size,
          );
          for (const p of [...probes, 0, n - 1]) {
            const r = p % n;
            assert.equal(st.positionAtSortedIndex(r), sorted[r]!.position);
          }
          assert.deepEqual([...st.sizes.subarray(0, st.count)], ref.sizes);
        };
        check();
        for (const op of ops) {
          apply(st, ref, op);
          check();
        }
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("the state's counts, percentiles, new ids and excess pool match recomputation", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.array(fc.nat(10), { minLength: 1, maxLength: 20 }),
        fc.array(fc.nat(10), { minLength: 60, maxLength: 300, size: "max" }),
      ),
      fc.array(arbOp, { minLength: 10, maxLength: 80, size: "max" }),
      fc.nat(),
      (sizes, ops, probe) => {
        const { st, ids } = stateOf(sizes);
        const ref = { sizes: [...sizes], ids };
        const steal = new PoolIndex(6);
        st.stealPool = steal;
        const check = () => {
          const s = ref.sizes;
          const sorted = [...s].sort((a, b) => a - b);
          const k = probe % s.length;
          assert.equal(st.sizeAtRank(k), sorted[k]);
          assert.equal(
            st.countAtMost(sorted[k]!),
            s.filter((x) => x <= sorted[k]!).length,
          );
          assert.equal(
            st.excess,
            s.reduce((e, x) => e + Math.max(0, x - 5), 0),
          );
          assert.equal(st.starving, s.filter((x) => x < 5).length);
          assert.equal(
            st.excessAbove(6),
            s.filter((x) => x > 6).reduce((e, x) => e + x - 5, 0),
          );
          assert.equal(st.firstStarving(), s.findIndex((x) => x < 5));
          for (const pool of [st.excessPool, steal]) {
            // The pool: every node of every swarm above the threshold, in order.
            const entries: [number, number][] = [];
            s.forEach((x, i) => {
              if (x > pool.threshold) {
                for (let j = 0; j < x; j++) entries.push([i, j]);
              }
            });
            assert.equal(pool.size(st.sizes, st.count), entries.length);
            if (entries.length > 0) {
              const x = probe % entries.length;
              assert.deepEqual(pool.find(st.sizes, st.count, x), entries[x]);
              assert.deepEqual(
                pool.find(st.sizes, st.count, entries.length - 1),
                entries[entries.length - 1],
              );
            }
          }
        };
        check();
        for (const op of ops) {
          apply(st, ref, op);
          check();
        }
      },
    ),
    { numRuns: 300 },
  );
});
