/**
 * Byte helpers shared by every encoder in core: strict hex, and a bounded
 * big-endian reader and writer. Readers throw {@linkcode DecodeError} instead
 * of reading past the end, so truncated input never yields a wrong value.
 *
 * @module
 */

import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { DecodeError } from "./errors.ts";

const U64_MAX = (1n << 64n) - 1n;

/**
 * Lower-case hex of some bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(toHex(new Uint8Array([0, 255])), "00ff");
 * ```
 */
export function toHex(bytes: Uint8Array): string {
  // noble uses the engine's Uint8Array.prototype.toHex where there is one.
  if (bytes instanceof Uint8Array) return bytesToHex(bytes);
  let out = ""; // array-likes of bytes, as before
  for (const b of bytes as Iterable<number>) {
    out += b.toString(16).padStart(2, "0");
  }
  return out;
}

/**
 * Parse hex strictly: even length, `0-9a-f` (upper case accepted), and an
 * exact byte length when `length` is given.
 *
 * @throws {DecodeError} `bad_hex` or `bad_length`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(fromHex("00FF"), new Uint8Array([0, 255]));
 * assert.throws(() => fromHex("abc"), { code: "bad_hex" });
 * assert.throws(() => fromHex("00", 32), { code: "bad_length" });
 * ```
 */
export function fromHex(hex: string, length?: number): Uint8Array {
  let out: Uint8Array;
  try {
    // Case-insensitive, even length, 0-9a-fA-F only: the same strings as
    // /^(?:[0-9a-f]{2})*$/ on hex.toLowerCase() (no other character lower-cases
    // to a hex digit). A non-string goes through toLowerCase, as before.
    out = hexToBytes(
      typeof hex === "string"
        ? hex
        : (hex as { toLowerCase(): string }).toLowerCase(),
    );
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    throw new DecodeError("bad_hex", "expected an even number of hex digits");
  }
  if (length !== undefined && out.length !== length) {
    throw new DecodeError(
      "bad_length",
      `expected ${length} bytes (${length * 2} hex digits), got ${out.length}`,
    );
  }
  return out;
}

/**
 * Compare two byte strings lexicographically (as unsigned bytes), like
 * `memcmp` followed by length. Returns a negative, zero or positive number.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert(compareBytes(new Uint8Array([1]), new Uint8Array([2])) < 0);
 * ```
 */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/**
 * Whether two byte strings are equal.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])));
 * ```
 */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && compareBytes(a, b) === 0;
}

/**
 * Concatenate byte strings.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(concat(new Uint8Array([1]), new Uint8Array([2])), new Uint8Array([1, 2]));
 * ```
 */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Appends big-endian integers and raw bytes to a growing buffer. Values out
 * of range throw {@linkcode DecodeError} `out_of_range` rather than wrapping.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const w = new ByteWriter();
 * w.u8(1).u16(2).u64(3n);
 * assert.equal(toHex(w.finish()), "0100020000000000000003");
 * ```
 */
export class ByteWriter {
  #buf = new Uint8Array(256);
  #len = 0;

  #reserve(n: number): number {
    const at = this.#len;
    if (at + n > this.#buf.length) {
      const next = new Uint8Array(Math.max(this.#buf.length * 2, at + n));
      next.set(this.#buf.subarray(0, at));
      this.#buf = next;
    }
    this.#len += n;
    return at;
  }

  /** Append one unsigned byte. */
  u8(v: number): this {
    checkUint(v, 0xff, "u8");
    // Reserve first: it may replace #buf with a larger buffer.
    const at = this.#reserve(1);
    this.#buf[at] = v;
    return this;
  }

  /** Append an unsigned 16-bit big-endian integer. */
  u16(v: number): this {
    checkUint(v, 0xffff, "u16");
    const at = this.#reserve(2);
    this.#buf[at] = v >>> 8;
    this.#buf[at + 1] = v & 0xff;
    return this;
  }

  /** Append an unsigned 32-bit big-endian integer. */
  u32(v: number): this {
    checkUint(v, 0xffffffff, "u32");
    const at = this.#reserve(4);
    new DataView(this.#buf.buffer).setUint32(at, v);
    return this;
  }

  /** Append an unsigned 64-bit big-endian integer. */
  u64(v: bigint): this {
    if (typeof v !== "bigint" || v < 0n || v > U64_MAX) {
      throw new DecodeError("out_of_range", `u64 out of range: ${v}`);
    }
    const at = this.#reserve(8);
    new DataView(this.#buf.buffer).setBigUint64(at, v);
    return this;
  }

  /** Append raw bytes; when `length` is given they must be exactly that long. */
  bytes(b: Uint8Array, length?: number): this {
    if (length !== undefined && b.length !== length) {
      throw new DecodeError(
        "bad_length",
        `expected ${length} bytes, got ${b.length}`,
      );
    }
    const at = this.#reserve(b.length);
    this.#buf.set(b, at);
    return this;
  }

  /** The bytes written so far (a copy). */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

function checkUint(v: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new DecodeError("out_of_range", `${what} out of range: ${v}`);
  }
}

/**
 * Reads big-endian integers and raw bytes from a buffer, throwing
 * {@linkcode DecodeError} `truncated` instead of reading past the end, and
 * `trailing_bytes` from {@linkcode ByteReader.end} when input is left over.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const r = new ByteReader(fromHex("0100020000000000000003"));
 * assert.equal(r.u8(), 1);
 * assert.equal(r.u16(), 2);
 * assert.equal(r.u64(), 3n);
 * r.end();
 * assert.throws(() => r.u8(), { code: "truncated" });
 * ```
 */
export class ByteReader {
  readonly #buf: Uint8Array;
  readonly #view: DataView;
  readonly #what: string;
  #at = 0;

  /** Read from `buf`; `what` names the thing being decoded in errors. */
  constructor(buf: Uint8Array, what = "input") {
    this.#buf = buf;
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.#what = what;
  }

  /** Current offset from the start. */
  get offset(): number {
    return this.#at;
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return this.#buf.length - this.#at;
  }

  #take(n: number): number {
    if (this.#at + n > this.#buf.length) {
      throw new DecodeError(
        "truncated",
        `${this.#what} is truncated: needed ${n} more bytes at offset ${this.#at}, ${this.remaining} left`,
      );
    }
    const at = this.#at;
    this.#at += n;
    return at;
  }

  /** Read one unsigned byte. */
  u8(): number {
    return this.#buf[this.#take(1)]!;
  }

  /** Read an unsigned 16-bit big-endian integer. */
  u16(): number {
    return this.#view.getUint16(this.#take(2));
  }

  /** Read an unsigned 32-bit big-endian integer. */
  u32(): number {
    return this.#view.getUint32(this.#take(4));
  }

  /** Read an unsigned 64-bit big-endian integer. */
  u64(): bigint {
    return this.#view.getBigUint64(this.#take(8));
  }

  /** Read `n` raw bytes (a copy). */
  bytes(n: number): Uint8Array {
    const at = this.#take(n);
    return this.#buf.slice(at, at + n);
  }

  /** Assert the whole input was consumed. */
  end(): void {
    if (this.remaining !== 0) {
      throw new DecodeError(
        "trailing_bytes",
        `${this.#what} has ${this.remaining} unexpected trailing bytes at offset ${this.#at}`,
      );
    }
  }
}

/**
 * Parse a dotted-quad IPv4 address into 4 bytes. Leading zeros are refused
 * (`"01.2.3.4"` is ambiguous in other parsers).
 *
 * @throws {DecodeError} `out_of_range` for anything but a dotted quad.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseIpv4("10.0.0.1"), new Uint8Array([10, 0, 0, 1]));
 * assert.throws(() => parseIpv4("256.1.1.1"), { code: "out_of_range" });
 * ```
 */
export function parseIpv4(text: string): Uint8Array {
  const out = typeof text === "string" && text.length <= 15
    ? scanIpv4(text)
    : undefined;
  if (out === undefined) {
    throw new DecodeError(
      "out_of_range",
      `${JSON.stringify(text)} is not an IPv4 address (a.b.c.d, each 0-255)`,
    );
  }
  return out;
}

/**
 * The 4 bytes of a dotted quad whose parts match `0|[1-9][0-9]{0,2}` and are
 * at most 255, or undefined. One pass over the characters, no regex or split.
 */
function scanIpv4(text: string): Uint8Array | undefined {
  const out = new Uint8Array(4);
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46; // end acts as a dot
    if (c === 46) {
      if (digits === 0 || value > 255 || part === 4) return undefined;
      out[part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits === 3 || (digits === 1 && value === 0)) return undefined; // "1234", "01"
      value = value * 10 + (c - 48);
      digits++;
    } else {
      return undefined;
    }
  }
  return part === 4 ? out : undefined;
}

/**
 * Format 4 bytes as a dotted-quad IPv4 address.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(formatIpv4(new Uint8Array([127, 0, 0, 1])), "127.0.0.1");
 * ```
 */
export function formatIpv4(bytes: Uint8Array): string {
  if (bytes.length !== 4) {
    throw new DecodeError("bad_length", "an IPv4 address is 4 bytes");
  }
  return bytes instanceof Uint8Array
    ? `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`
    : Array.from(bytes).join(".");
}

/**
 * Whether an IPv4 address is publicly routable: not "this network",
 * private (RFC 1918), shared/CGNAT (RFC 6598), loopback, link-local,
 * multicast or reserved. Mainnet and testnet accept only such addresses in
 * uptime proofs, so clients are never sent to a private address.
 *
 * @throws {DecodeError} `out_of_range` when `ip` is not dotted-quad IPv4.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(isPublicIpv4("203.0.113.9"), true);
 * assert.equal(isPublicIpv4("192.168.1.20"), false);
 * assert.equal(isPublicIpv4("100.64.0.1"), false);
 * ```
 */
export function isPublicIpv4(ip: string): boolean {
  const bytes = parseIpv4(ip);
  const a = bytes[0]!, b = bytes[1]!;
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false;
  if (a === 100 && b >= 64 && b < 128) return false; // shared address space, RFC 6598
  if (a === 169 && b === 254) return false; // link-local, RFC 3927
  if (a === 172 && b >= 16 && b < 32) return false; // RFC 1918
  if (a === 192 && b === 168) return false; // RFC 1918
  return true;
}
