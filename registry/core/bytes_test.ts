import assert from "node:assert/strict";
import fc from "fast-check";
import {
  ByteReader,
  ByteWriter,
  compareBytes,
  fromHex,
  toHex,
} from "./bytes.ts";

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
