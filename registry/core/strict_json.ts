/**
 * Helpers of the strict JSON parsers (inputs documents, equivocation
 * proofs): exact objects, typed fields, decimal u64 strings, hex. Internal
 * to core (not in `mod.ts`): each format's parser names what it reads.
 *
 * @module
 */

import { fromHex } from "./bytes.ts";
import { DecodeError } from "./errors.ts";

/** A `bad_json` error about `format`. */
export function badJson(format: string, message: string): DecodeError {
  return new DecodeError("bad_json", `${format}: ${message}`);
}

/** A strict reader of one format's JSON. */
export class StrictJson {
  readonly format: string;
  constructor(format: string) {
    this.format = format;
  }

  bad(message: string): DecodeError {
    return badJson(this.format, message);
  }

  /** An object with exactly the `required` keys, plus any of `optional`. */
  object(
    v: unknown,
    required: readonly string[],
    what: string,
    optional: readonly string[] = [],
  ): Record<string, unknown> {
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      throw this.bad(`${what} must be an object`);
    }
    const o = v as Record<string, unknown>;
    for (const k of required) {
      if (!Object.hasOwn(o, k)) throw this.bad(`${what} is missing "${k}"`);
    }
    for (const k of Object.keys(o)) {
      if (!required.includes(k) && !optional.includes(k)) {
        throw this.bad(`${what} has unknown field "${k}"`);
      }
    }
    return o;
  }

  string(v: unknown, what: string): string {
    if (typeof v !== "string") throw this.bad(`${what} must be a string`);
    return v;
  }

  boolean(v: unknown, what: string): boolean {
    if (typeof v !== "boolean") throw this.bad(`${what} must be a boolean`);
    return v;
  }

  /** A decimal string of a u64 (no sign, no leading zeros), at most `max`. */
  u64(v: unknown, what: string, max: bigint = (1n << 64n) - 1n): bigint {
    const s = this.string(v, what);
    if (!/^(0|[1-9][0-9]*)$/.test(s)) {
      throw this.bad(
        `${what} must be a decimal string without sign or leading zeros`,
      );
    }
    const n = BigInt(s);
    if (n > max) {
      throw new DecodeError("out_of_range", `${what} ${s} is above ${max}`);
    }
    return n;
  }

  /** A JSON integer in 0..max. */
  uint(v: unknown, max: number, what: string): number {
    if (typeof v !== "number" || !Number.isInteger(v)) {
      throw this.bad(`${what} must be an integer`);
    }
    if (v < 0 || v > max) {
      throw new DecodeError("out_of_range", `${what} ${v} is not in 0..${max}`);
    }
    return v;
  }

  hex(v: unknown, what: string, length?: number): Uint8Array {
    return fromHex(this.string(v, what), length);
  }

  array(v: unknown, max: number, what: string): unknown[] {
    if (!Array.isArray(v)) throw this.bad(`${what} must be an array`);
    if (v.length > max) {
      throw new DecodeError(
        "oversized",
        `${what} has ${v.length} entries, at most ${max} allowed`,
      );
    }
    return v;
  }
}
