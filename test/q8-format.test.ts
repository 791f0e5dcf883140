import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dequantizeQ8, f16ToF32, f32ToF16, q8Bytes, quantizeQ8 } from "../src/index.js";

describe("Q8_0 format", () => {
  it("lays out a hand-computed block as ggml does: f16 scale (little endian), then 32 int8", () => {
    // amax = 2.54 -> d = 0.02 (f16 0x251F), q = round(x / 0.02) with ties away from zero
    const x = new Float32Array(32);
    x[0] = 2.54; x[1] = -2.54; x[2] = 0.01; x[3] = -0.01; x[4] = 1.0; x[5] = 0.03; x[31] = -0.5;
    const bytes = quantizeQ8(x, 1, 32);
    expect(bytes.length).toBe(34);
    const d = Math.fround(Math.fround(2.54) / 127);
    expect(f32ToF16(d)).toBe(0x251f);
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x25]);
    const q = Array.from(new Int8Array(bytes.buffer, 2, 32));
    expect(q.slice(0, 6)).toEqual([127, -127, 1, -1, 50, 2]);
    expect(q[31]).toBe(-25);
    expect(q.slice(6, 31).every((v) => v === 0)).toBe(true);
  });

  it("round-trips: every value within half a step of its block's scale", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }),
      fc.float32Array({ minLength: 512, maxLength: 512, noNaN: true, noDefaultInfinity: true, min: -1e4, max: 1e4 }),
      (rows, blocks, data) => {
        const cols = blocks * 32;
        const src = data.subarray(0, rows * cols);
        const bytes = quantizeQ8(src, rows, cols);
        expect(bytes.length).toBe(q8Bytes(rows, cols));
        const back = dequantizeQ8(bytes, rows, cols);
        for (let b = 0; b < (rows * cols) / 32; b++) {
          const d = f16ToF32(bytes[b * 34] | (bytes[b * 34 + 1] << 8));
          let amax = 0;
          for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(src[b * 32 + j]));
          const exactD = Math.fround(amax / 127);
          for (let j = 0; j < 32; j++) {
            const i = b * 32 + j;
            // half a step, plus the f16 rounding of the scale times the largest code
            expect(Math.abs(back[i] - src[i])).toBeLessThanOrEqual(0.5 * exactD + 127 * Math.abs(d - exactD) + 1e-45);
          }
        }
        // quantizing the dequantized values again gives the same bytes
        expect(Array.from(quantizeQ8(back, rows, cols))).toEqual(Array.from(bytes));
      }), { numRuns: 200 });
  });

  it("f16 conversion is exact and rounds to nearest even", () => {
    expect(f32ToF16(1)).toBe(0x3c00);
    expect(f32ToF16(65504)).toBe(0x7bff);
    expect(f32ToF16(65520)).toBe(0x7c00);
    expect(f32ToF16(2 ** -24)).toBe(1);
    expect(f32ToF16(2 ** -25)).toBe(0); // tie -> even (0)
    expect(f32ToF16(3 * 2 ** -25)).toBe(2); // tie -> even (2)
    expect(f32ToF16(1 + 2 ** -11)).toBe(0x3c00); // tie -> even
    expect(f32ToF16(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(f32ToF16(-2)).toBe(0xc000);
    for (let h = 0; h < 0x7c00; h += 7) expect(f32ToF16(f16ToF32(h))).toBe(h);
    expect(f16ToF32(0x7c00)).toBe(Infinity);
    expect(Number.isNaN(f16ToF32(0x7e00))).toBe(true);
  });

  it("rejects shapes that are not whole blocks", () => {
    expect(() => quantizeQ8(new Float32Array(40), 1, 40)).toThrow(/multiple of 32/);
    expect(() => quantizeQ8(new Float32Array(64), 1, 32)).toThrow(/length 64, expected rows\*cols = 32/);
    expect(() => dequantizeQ8(new Uint8Array(33), 1, 32)).toThrow(/expected 34/);
  });
});
