/**
 * Record sections compared and merged as bytes: what a publisher needs to
 * store a list as the difference from the list before it (no record is
 * decoded, so a 100,000-record section takes milliseconds). The sections
 * are those of `splitNodeList`: records of `RECORD_LENGTH` bytes strictly
 * ascending by their first 32 bytes (the node's key).
 *
 * @module
 */

import { DecodeError, VerifyError } from "../errors.ts";
import { RECORD_LENGTH } from "./format.ts";

const KEY = 32;

/**
 * Records of a list that differ from another list's: the keys of `from`
 * absent from `to`, and the records of `to` that are new or differ.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const rec = (k: number, v: number) => { const r = new Uint8Array(52); r[0] = k; r[51] = v; return r; };
 * const join = (...rs: Uint8Array[]) => { const o = new Uint8Array(rs.length * 52); rs.forEach((r, i) => o.set(r, i * 52)); return o; };
 * const d: RecordDelta = diffRecordSections(join(rec(1, 1), rec(2, 1)), join(rec(2, 2), rec(3, 1)));
 * assert.equal(d.removed.length, 32);
 * assert.equal(d.upserts.length, 2 * 52);
 * ```
 */
export interface RecordDelta {
  /** Keys removed, 32 bytes each, ascending. */
  removed: Uint8Array;
  /** Records added or changed, `RECORD_LENGTH` bytes each, ascending. */
  upserts: Uint8Array;
}

function compareKeys(
  a: Uint8Array,
  ai: number,
  b: Uint8Array,
  bi: number,
): number {
  for (let k = 0; k < KEY; k++) {
    const d = a[ai + k]! - b[bi + k]!;
    if (d !== 0) return d;
  }
  return 0;
}

function sameRecord(
  a: Uint8Array,
  ai: number,
  b: Uint8Array,
  bi: number,
): boolean {
  for (let k = KEY; k < RECORD_LENGTH; k++) {
    if (a[ai + k] !== b[bi + k]) return false;
  }
  return true;
}

function checkSection(records: Uint8Array, what: string): void {
  if (records.length % RECORD_LENGTH !== 0) {
    throw new DecodeError(
      "bad_length",
      `${what} is ${records.length} bytes, not a whole number of ${RECORD_LENGTH}-byte records`,
    );
  }
}

/**
 * The {@linkcode RecordDelta} that turns record section `from` into `to`.
 *
 * @throws {DecodeError} `bad_length` for a section that is not whole records.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const a = new Uint8Array(52).fill(1), b = new Uint8Array(52).fill(2);
 * const d = diffRecordSections(a, b);
 * assert.deepEqual(applyRecordDelta(a, d), b);
 * ```
 */
export function diffRecordSections(
  from: Uint8Array,
  to: Uint8Array,
): RecordDelta {
  checkSection(from, "base records");
  checkSection(to, "records");
  const removed: number[] = [];
  const upserts: number[] = [];
  let i = 0, j = 0;
  while (i < from.length || j < to.length) {
    if (j >= to.length) {
      removed.push(i);
      i += RECORD_LENGTH;
      continue;
    }
    if (i >= from.length) {
      upserts.push(j);
      j += RECORD_LENGTH;
      continue;
    }
    const c = compareKeys(from, i, to, j);
    if (c < 0) {
      removed.push(i);
      i += RECORD_LENGTH;
    } else if (c > 0) {
      upserts.push(j);
      j += RECORD_LENGTH;
    } else {
      if (!sameRecord(from, i, to, j)) upserts.push(j);
      i += RECORD_LENGTH;
      j += RECORD_LENGTH;
    }
  }
  const r = new Uint8Array(removed.length * KEY);
  removed.forEach((at, n) => r.set(from.subarray(at, at + KEY), n * KEY));
  const u = new Uint8Array(upserts.length * RECORD_LENGTH);
  upserts.forEach((at, n) =>
    u.set(to.subarray(at, at + RECORD_LENGTH), n * RECORD_LENGTH)
  );
  return { removed: r, upserts: u };
}

/**
 * Apply a {@linkcode RecordDelta} to a record section: drop the removed
 * keys, replace or insert the upserts, in key order.
 *
 * @throws {DecodeError} `bad_length` for malformed sections;
 * {@linkcode VerifyError} `hash_mismatch` when a removed key is not in
 * `base` (the delta is of another base).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const a = new Uint8Array(52).fill(1);
 * assert.deepEqual(applyRecordDelta(a, { removed: a.slice(0, 32), upserts: new Uint8Array(0) }), new Uint8Array(0));
 * ```
 */
export function applyRecordDelta(
  base: Uint8Array,
  delta: RecordDelta,
): Uint8Array {
  checkSection(base, "base records");
  checkSection(delta.upserts, "upserted records");
  if (delta.removed.length % KEY !== 0) {
    throw new DecodeError("bad_length", "removed keys are 32 bytes each");
  }
  const { removed, upserts } = delta;
  const out = new Uint8Array(base.length + upserts.length);
  let o = 0, i = 0, u = 0, r = 0;
  while (i < base.length || u < upserts.length) {
    // Skip base records whose key is removed.
    if (i < base.length && r < removed.length) {
      const c = compareKeys(base, i, removed, r);
      if (c === 0) {
        i += RECORD_LENGTH;
        r += KEY;
        continue;
      }
      if (c > 0) {
        throw new VerifyError(
          "hash_mismatch",
          "a removed key is not in the base records",
        );
      }
    }
    if (u >= upserts.length) {
      out.set(base.subarray(i, i + RECORD_LENGTH), o);
      i += RECORD_LENGTH;
    } else if (i >= base.length) {
      out.set(upserts.subarray(u, u + RECORD_LENGTH), o);
      u += RECORD_LENGTH;
    } else {
      const c = compareKeys(base, i, upserts, u);
      if (c < 0) {
        out.set(base.subarray(i, i + RECORD_LENGTH), o);
        i += RECORD_LENGTH;
      } else {
        out.set(upserts.subarray(u, u + RECORD_LENGTH), o);
        u += RECORD_LENGTH;
        if (c === 0) i += RECORD_LENGTH;
      }
    }
    o += RECORD_LENGTH;
  }
  if (r < removed.length) {
    throw new VerifyError(
      "hash_mismatch",
      "a removed key is not in the base records",
    );
  }
  return out.slice(0, o);
}
