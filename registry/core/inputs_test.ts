// Epoch inputs and state snapshots: strict decoders (every prefix is
// truncated, any change is a typed error or another valid document, never a
// crash), the JSON view round-trips, and the rules of a document.
import assert from "node:assert/strict";
import fc from "fast-check";
import { CoreError } from "./errors.ts";
import {
  decodeEpochInputs,
  encodeEpochInputs,
  encodeReachabilityPayload,
  type EpochInputs,
  epochInputsFromJson,
  epochInputsToJson,
} from "./inputs.ts";
import { decodeStateSnapshot, encodeStateSnapshot } from "./state.ts";
import { buildWitnessVectors } from "./testdata/gen_witness_vectors.ts";
import { fromHex } from "./bytes.ts";

const vectors = buildWitnessVectors() as {
  inputs: { hex: string };
  state: { hex: string };
};
const doc = fromHex(vectors.inputs.hex);
const state = fromHex(vectors.state.hex);

function typed(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    assert(e instanceof CoreError, `not a typed error: ${e}`);
  }
}

Deno.test("inputs: every proper prefix is truncated; every byte change a typed error or a valid document", () => {
  for (let n = 0; n < doc.length; n++) {
    assert.throws(
      () => decodeEpochInputs(doc.subarray(0, n), 3),
      (e: Error) => e instanceof CoreError,
      `prefix ${n}`,
    );
  }
  fc.assert(
    fc.property(fc.nat(doc.length - 1), fc.nat(255), (i, v) => {
      const m = doc.slice();
      m[i] = v;
      typed(() => {
        const d = decodeEpochInputs(m, 3);
        assert.deepEqual(encodeEpochInputs(d), m, "canonical");
      });
    }),
    { numRuns: 2000 },
  );
});

Deno.test("inputs: document rules and the JSON view", () => {
  const d = decodeEpochInputs(doc, 3);
  const json = JSON.parse(JSON.stringify(epochInputsToJson(d)));
  assert.deepEqual(epochInputsFromJson(json, 3), d);
  assert.throws(
    () => epochInputsFromJson({ ...json, inputsHash: "00".repeat(32) }, 3),
    { code: "hash_mismatch" },
  );
  assert.throws(() => epochInputsFromJson({ ...json, extra: 1 }, 3), {
    code: "bad_json",
  });
  assert.throws(() => epochInputsFromJson(json, 1), { code: "wrong_network" });
  const base: EpochInputs = { ...d, entries: d.entries.slice(-1) };
  const tick = base.entries[0]!;
  assert.throws(() => encodeEpochInputs({ ...base, entries: [] }), {
    code: "out_of_range",
  });
  assert.throws(() => encodeEpochInputs({ ...base, entries: [tick, tick] }), {
    code: "out_of_range",
  });
  assert.throws(
    () =>
      encodeEpochInputs({
        ...base,
        entries: [
          { kind: "genesis", atMs: 0, payload: new Uint8Array(4) },
          tick,
        ],
      }),
    { code: "out_of_range" },
    "genesis only in epoch 0",
  );
  assert.throws(
    () =>
      encodeEpochInputs({
        ...base,
        entries: [{ kind: "write", atMs: 0, payload: new Uint8Array() }, tick],
      }),
    { code: "bad_length" },
  );
  assert.throws(
    () =>
      encodeEpochInputs({
        ...base,
        settings: { ...base.settings, epochSeconds: 0 },
      }),
    { code: "out_of_range" },
  );
  assert.throws(
    () =>
      encodeReachabilityPayload([{
        node: new Uint8Array(32),
        address: "x",
        ok: true,
        detail: "é".repeat(600),
        latencyMs: null,
      }]),
    { code: "out_of_range" },
  );
  assert.throws(
    () =>
      encodeReachabilityPayload([{
        node: new Uint8Array(32),
        address: "x",
        ok: true,
        detail: "\ud800",
        latencyMs: null,
      }]),
    { code: "out_of_range" },
  );
});

Deno.test("state: every proper prefix is truncated; every byte change a typed error or a canonical snapshot", () => {
  for (let n = 0; n < state.length; n++) {
    assert.throws(
      () => decodeStateSnapshot(state.subarray(0, n), 3),
      (e: Error) => e instanceof CoreError,
      `prefix ${n}`,
    );
  }
  fc.assert(
    fc.property(fc.nat(state.length - 1), fc.nat(255), (i, v) => {
      const m = state.slice();
      m[i] = v;
      typed(() => {
        const s = decodeStateSnapshot(m, 3);
        assert.deepEqual(encodeStateSnapshot(s), m, "canonical");
      });
    }),
    { numRuns: 2000 },
  );
  const s = decodeStateSnapshot(state, 3);
  assert.throws(
    () => encodeStateSnapshot({ ...s, nodes: [...s.nodes].reverse() }),
    { code: "not_sorted" },
  );
  assert.throws(() => decodeStateSnapshot(state, 1), { code: "wrong_network" });
});
