import assert from "node:assert/strict";
import fc from "fast-check";
import {
  introsortDepthLimit,
  libstdcxxSelect,
  libstdcxxSort,
  libstdcxxSortPairs,
  sortWithDepthLimit,
} from "./introsort.ts";
import vectorFile from "./testdata/sort_vectors.json" with { type: "json" };

interface Item {
  id: number;
  size: number;
}

const bySize = (a: Item, b: Item) => a.size < b.size;

function numbers(text: string): number[] {
  return text === "" ? [] : text.split(" ").map(Number);
}

function items(keys: readonly number[]): Item[] {
  return keys.map((size, id) => ({ id, size }));
}

const cases = vectorFile.cases.map((c) => ({
  name: c.name,
  keys: numbers(c.keys),
  order: numbers(c.order),
}));

Deno.test("libstdcxxSort reproduces every g++ std::sort ordering in testdata/sort_vectors.json", () => {
  assert(vectorFile.generator.startsWith("g++ "), vectorFile.generator);
  assert(cases.length > 200);
  const lengths = new Set(cases.map((c) => c.keys.length));
  for (let n = 1; n <= 40; n++) assert(lengths.has(n), `length ${n}`);
  assert(lengths.has(2000));
  for (const c of cases) {
    assert.equal(c.order.length, c.keys.length, c.name);
    const got = libstdcxxSort(items(c.keys), bySize).map((e) => e.id);
    assert.deepEqual(got, c.order, c.name);
  }
});

Deno.test("the vectors exercise reordering of equal keys and the heap-sort fallback", () => {
  const stable = (keys: number[]) =>
    keys.map((size, id) => ({ id, size })).sort((a, b) => a.size - b.size)
      .map((e) => e.id);
  // Up to 16 elements std::sort is a plain insertion sort: stable.
  for (const c of cases.filter((c) => c.keys.length <= 16)) {
    assert.deepEqual(c.order, stable(c.keys), c.name);
  }
  // Above 16, equal keys are reordered in most cases.
  const reordered = cases.filter((c) =>
    c.keys.length > 16 &&
    c.order.some((id, i) => id !== stable(c.keys)[i])
  );
  assert(reordered.length > 100, `${reordered.length}`);
  // Without the depth limit (plain quicksort), the killer inputs sort
  // differently: the heap-sort fallback is what makes them match g++.
  const killers = cases.filter((c) => c.name.startsWith("killer"));
  assert(killers.length >= 6);
  const differ = killers.filter((c) =>
    sortWithDepthLimit(items(c.keys), bySize, Infinity).some((e, i) =>
      e.id !== c.order[i]
    )
  );
  assert(differ.length >= 5, `${differ.map((c) => c.name)}`);
});

Deno.test("libstdcxxSort sorts: output ordered by the comparator, a permutation of the input", () => {
  fc.assert(
    fc.property(
      fc.array(fc.nat(6), { maxLength: 300 }),
      (keys) => {
        const out = libstdcxxSort(items(keys), bySize);
        for (let i = 1; i < out.length; i++) {
          assert(out[i - 1]!.size <= out[i]!.size);
        }
        assert.deepEqual(
          out.map((e) => e.id).sort((a, b) => a - b),
          keys.map((_, i) => i),
        );
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("introsortDepthLimit is 2 * floor(log2 n)", () => {
  assert.equal(introsortDepthLimit(0), 0);
  assert.equal(introsortDepthLimit(1), 0);
  assert.equal(introsortDepthLimit(16), 8);
  assert.equal(introsortDepthLimit(17), 8);
  assert.equal(introsortDepthLimit(2000), 20);
});

Deno.test("libstdcxxSortPairs and libstdcxxSelect agree with libstdcxxSort", () => {
  // The g++ vectors, through the typed-array versions.
  for (const c of cases) {
    const n = c.keys.length;
    const keys = Int32Array.from(c.keys);
    const vals = Int32Array.from(c.keys, (_, i) => i);
    libstdcxxSortPairs(keys, vals, n);
    assert.deepEqual([...vals], c.order, c.name);
    for (const r of [0, n >> 2, n >> 1, n - 1]) {
      const k = Int32Array.from(c.keys);
      const v = Int32Array.from(c.keys, (_, i) => i);
      assert.equal(libstdcxxSelect(k, v, n, r), c.order[r], `${c.name} @${r}`);
    }
  }
  // Random arrays with few keys, every position.
  fc.assert(
    fc.property(
      fc.array(fc.nat(5), { minLength: 1, maxLength: 200 }),
      fc.nat(),
      (keys, at) => {
        const order = libstdcxxSort(items(keys), bySize).map((e) => e.id);
        const r = at % keys.length;
        const k = new Int32Array(keys.length + 3).fill(-7);
        k.set(keys);
        const v = Int32Array.from(k, (_, i) => i);
        assert.equal(libstdcxxSelect(k, v, keys.length, r), order[r]);
        assert.deepEqual([...k.subarray(keys.length)], [-7, -7, -7]);
      },
    ),
    { numRuns: 500 },
  );
});
