import { describe, expect, it } from "vitest";
import { BACKENDS, engineFor, expectClose, fill } from "./helpers.js";

// 0.5 x (1 + tanh(y)) = x / (1 + e^(-2y)): the second form, because 1 + tanh(y)
// cancels catastrophically for y < -18 even in float64
const geluRef = (x: number) => x / (1 + Math.exp(-2 * Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
const siluRef = (x: number) => x / (1 + Math.exp(-x));

describe.each(BACKENDS)("elementwise ops (%s)", (backend) => {
  for (const n of [1, 3, 4, 7, 64, 1001]) {
    it(`add and mul are exact in f32, n=${n}, in place too`, async () => {
      const e = await engineFor(backend);
      const a = fill(e.f32(n), n), b = fill(e.f32(n), n + 1), o = e.f32(n);
      e.add(o, a, b);
      for (let i = 0; i < n; i++) expect(o[i]).toBe(Math.fround(a[i] + b[i]));
      e.mul(o, a, b);
      for (let i = 0; i < n; i++) expect(o[i]).toBe(Math.fround(a[i] * b[i]));
      const a0 = Float32Array.from(a);
      e.add(a, a, b);
      for (let i = 0; i < n; i++) expect(a[i]).toBe(Math.fround(a0[i] + b[i]));
      e.free(a); e.free(b); e.free(o);
    });
  }

  it("GELU (tanh form) and SiLU match float64 across the range, tails included", async () => {
    const e = await engineFor(backend);
    const n = 4003;
    const x = e.f32(n);
    for (let i = 0; i < n; i++) x[i] = -30 + (60 * i) / (n - 1); // -30..30: saturated tails and the curved middle
    x[0] = 0; x[1] = -0.0001; x[2] = 1e-30;
    const o = e.f32(n);
    e.gelu(o, x);
    const xs = Array.from(x);
    // In the tails the result is ~x e^z: an f32 rounding of z (relative 6e-8)
    // becomes a relative error of 6e-8 |z| in the result. Allow a few ulp of z and of the rest.
    const tol = (ref: number[], z: (v: number) => number) => ref.map((r, i) => 1e-37 + Math.abs(r) * 1.2e-7 * (4 + 2 * Math.abs(z(xs[i]))));
    const zGelu = (v: number) => 1.5957691216 * (v + 0.044715 * v ** 3);
    const gRef = xs.map(geluRef), sRef = xs.map(siluRef);
    expectClose(o, gRef, { rtol: 0, atol: tol(gRef, zGelu) });
    e.silu(o, x);
    expectClose(o, sRef, { rtol: 0, atol: tol(sRef, (v) => v) });
    e.silu(x, x); // in place
    expectClose(x, sRef, { rtol: 0, atol: tol(sRef, (v) => v) });
    e.free(x); e.free(o);
  });

  it("NaN stays NaN; mismatched lengths and foreign arrays are refused", async () => {
    const e = await engineFor(backend);
    const x = e.f32(5).fill(Number.NaN), o = e.f32(5);
    e.gelu(o, x);
    expect(Array.from(o).every(Number.isNaN)).toBe(true);
    expect(() => e.add(o, x, e.f32(4))).toThrow(/add: b has length 4, expected out.length = 5/);
    expect(() => e.silu(o, new Float32Array(5))).toThrow(/silu: x is not allocated from this engine's arena/);
    expect(() => e.mul(o.subarray(0, 4), o.subarray(1, 5), x.subarray(0, 4))).toThrow(/mul: out overlaps a/);
  });
});
