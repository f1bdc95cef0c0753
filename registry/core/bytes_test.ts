import assert from "node:assert/strict";
import fc from "fast-check";
import {
  ByteReader,
  ByteWriter,
  compareBytes,
  formatIpv4,
  fromHex,
  parseIpv4,
  toHex,
} from "./bytes.ts";
import { DecodeError } from "./errors.ts";

Deno.test("ByteWriter grows past its initial buffer without losing a byte", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.integer({ min: 0, max: 255 }),
          fc.uint8Array({ maxLength: 700 }),
        ),
        { maxLength: 80 },
      ),
      (parts) => {
        const w = new ByteWriter();
        const expected: number[] = [];
        for (const p of parts) {
          if (typeof p === "number") {
            w.u8(p);
            expected.push(p);
          } else {
            w.bytes(p);
            expected.push(...p);
          }
        }
        assert.deepEqual(w.finish(), new Uint8Array(expected));
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("writer and reader round-trip every width, big-endian", () => {
  const w = new ByteWriter();
  for (let i = 0; i < 100; i++) {
    w.u8(i).u16(i * 600).u32(i * 40_000_000).u64(BigInt(i) << 56n);
  }
  const r = new ByteReader(w.finish());
  for (let i = 0; i < 100; i++) {
    assert.equal(r.u8(), i);
    assert.equal(r.u16(), i * 600);
    assert.equal(r.u32(), i * 40_000_000);
    assert.equal(r.u64(), BigInt(i) << 56n);
  }
  r.end();
});

Deno.test("out-of-range integers are refused, not wrapped", () => {
  const w = new ByteWriter();
  assert.throws(() => w.u8(256), { code: "out_of_range" });
  assert.throws(() => w.u16(-1), { code: "out_of_range" });
  assert.throws(() => w.u32(2 ** 32), { code: "out_of_range" });
  assert.throws(() => w.u64(1n << 64n), { code: "out_of_range" });
  assert.throws(() => w.u8(1.5), { code: "out_of_range" });
  assert.throws(() => w.bytes(new Uint8Array(3), 4), { code: "bad_length" });
});

Deno.test("reader on a subarray reads only its window", () => {
  const buf = fromHex("ff0102ff");
  const r = new ByteReader(buf.subarray(1, 3));
  assert.equal(r.u16(), 0x0102);
  assert.throws(() => r.u8(), { code: "truncated" });
});

Deno.test("hex and compare", () => {
  assert.equal(toHex(fromHex("DEADbeef")), "deadbeef");
  for (const bad of ["0", "0g", "0x00", " 00"]) {
    assert.throws(() => fromHex(bad), { code: "bad_hex" }, bad);
  }
  assert(compareBytes(fromHex("00ff"), fromHex("0100")) < 0);
  assert(compareBytes(fromHex("01"), fromHex("0100")) < 0);
  assert.equal(compareBytes(fromHex("0102"), fromHex("0102")), 0);
});

// The previous (slow) implementations, kept as the definition of the
// behaviour the fast ones must keep, errors included.
const oldHexRe = /^(?:[0-9a-f]{2})*$/;
function oldToHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}
function oldFromHex(hex: string, length?: number): Uint8Array {
  const lower = hex.toLowerCase();
  if (!oldHexRe.test(lower)) {
    throw new DecodeError("bad_hex", "expected an even number of hex digits");
  }
  const out = new Uint8Array(lower.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = parseInt(lower.slice(i * 2, i * 2 + 2), 16);
  }
  if (length !== undefined && out.length !== length) {
    throw new DecodeError(
      "bad_length",
      `expected ${length} bytes (${length * 2} hex digits), got ${out.length}`,
    );
  }
  return out;
}
function oldParseIpv4(text: string): Uint8Array {
  const parts = typeof text === "string" ? text.split(".") : [];
  if (
    parts.length !== 4 ||
    !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)
  ) {
    throw new DecodeError(
      "out_of_range",
      `${JSON.stringify(text)} is not an IPv4 address (a.b.c.d, each 0-255)`,
    );
  }
  return new Uint8Array(parts.map(Number));
}

/** Same result, or the same error class, code and message. */
function same<T>(f: () => T, g: () => T, label: string): void {
  let a: { ok: T } | { err: unknown };
  let b: { ok: T } | { err: unknown };
  try {
    a = { ok: f() };
  } catch (err) {
    a = { err };
  }
  try {
    b = { ok: g() };
  } catch (err) {
    b = { err };
  }
  if ("ok" in a && "ok" in b) {
    assert.deepEqual(a.ok, b.ok, label);
    return;
  }
  assert(!("ok" in a) && !("ok" in b), `${label}: one threw, one did not`);
  const ea = a.err as Error & { code?: string };
  const eb = b.err as Error & { code?: string };
  assert.equal(ea.constructor, eb.constructor, label);
  assert.equal(ea.code, eb.code, label);
  assert.equal(ea.message, eb.message, label);
}

Deno.test("toHex and fromHex behave exactly as the previous implementation", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
      assert.equal(toHex(bytes), oldToHex(bytes));
      assert.equal(toHex(bytes.subarray(1)), oldToHex(bytes.subarray(1)));
    }),
    { numRuns: 300 },
  );
  const hexChar = fc.constantFrom(..."0123456789abcdefABCDEF");
  const anyChar = fc.oneof(
    hexChar,
    fc.constantFrom(
      "g",
      "G",
      "x",
      " ",
      "\n",
      "-",
      "\u0130",
      "\u212a",
      "\uff21",
      "\u0660",
    ),
    fc.string({ unit: "grapheme", maxLength: 1 }),
  );
  fc.assert(
    fc.property(
      fc.oneof(
        fc.array(hexChar, { maxLength: 70 }).map((c) => c.join("")),
        fc.array(anyChar, { maxLength: 12 }).map((c) => c.join("")),
      ),
      fc.option(fc.nat(40), { nil: undefined }),
      (hex, length) => {
        same(() => fromHex(hex, length), () => oldFromHex(hex, length), hex);
      },
    ),
    { numRuns: 1000 },
  );
  for (const bad of [null, undefined, 5, {}]) {
    same(
      () => fromHex(bad as unknown as string),
      () => oldFromHex(bad as unknown as string),
      String(bad),
    );
  }
  // A String object was lower-cased and decoded before; it still is.
  same(
    () => fromHex(new String("0A") as unknown as string),
    () => oldFromHex(new String("0A") as unknown as string),
    "String object",
  );
});

Deno.test("parseIpv4 and formatIpv4 behave exactly as the previous implementation", () => {
  const part = fc.oneof(
    fc.nat(300).map(String),
    fc.constantFrom(
      "",
      "0",
      "00",
      "01",
      "255",
      "256",
      "1000",
      "099",
      "+1",
      " 1",
      "1 ",
      "\u0661",
      "1e2",
      "0x1",
    ),
  );
  fc.assert(
    fc.property(fc.array(part, { maxLength: 6 }), (parts) => {
      const text = parts.join(".");
      same(() => parseIpv4(text), () => oldParseIpv4(text), text);
    }),
    { numRuns: 2000 },
  );
  for (
    const text of [
      "0.0.0.0",
      "255.255.255.255",
      "1.2.3.4",
      "1.2.3",
      "1.2.3.4.5",
      "1..3.4",
      ".1.2.3",
      "1.2.3.4.",
      "01.2.3.4",
      "256.1.1.1",
      "",
      "1.2.3.4 ",
    ]
  ) {
    same(() => parseIpv4(text), () => oldParseIpv4(text), text);
  }
  for (const bad of [undefined, null, 7, ["1", "2", "3", "4"]]) {
    same(
      () => parseIpv4(bad as unknown as string),
      () => oldParseIpv4(bad as unknown as string),
      String(bad),
    );
  }
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (b) => {
      assert.equal(formatIpv4(b), Array.from(b).join("."));
      assert.deepEqual(parseIpv4(formatIpv4(b)), b);
    }),
  );
  assert.throws(() => formatIpv4(new Uint8Array(3)), { code: "bad_length" });
});
