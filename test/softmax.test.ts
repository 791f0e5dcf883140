import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BACKENDS, engineFor, expectClose, fill, guarded } from "./helpers.js";
import { softmaxRef } from "./reference.js";

describe.each(BACKENDS)("softmax (%s)", (backend) => {
  it("matches the float64 reference over random rows", async () => {
    const e = await engineFor(backend);
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 300 }), fc.double({ min: 0.01, max: 80, noNaN: true }), fc.integer(),
      (rows, n, scale, seed) => {
        const x = fill(e.f32(rows * n), seed, scale);
        const out = guarded(e, rows * n);
        e.softmax(out.inner, x, { rows, n });
        expectClose(out.inner, softmaxRef(x, rows, n), { rtol: 2e-6, atol: 1e-9 });
        expect(out.guardsIntact()).toBe(true);
        e.free(x); e.free(out.all);
      }), { numRuns: 120 });
  });

  it("is accurate to ~1e-6 relative for every exponent down to -87, and keeps subnormals below that", async () => {
    const e = await engineFor(backend);
    // softmax([0, t]) = [1, e^t] / (1 + e^t): the second entry is e^t to within the sum's rounding
    const ts: number[] = [];
    for (let t = 0; t >= -103.5; t -= 0.173) ts.push(t);
    const x = e.f32(ts.length * 2), y = e.f32(ts.length * 2);
    ts.forEach((t, i) => { x[2 * i] = 0; x[2 * i + 1] = t; });
    e.softmax(y, x, { rows: ts.length, n: 2 });
    ts.forEach((t, i) => {
      const tf = x[2 * i + 1];
      const ref = Math.exp(tf) / (1 + Math.exp(tf));
      const got = y[2 * i + 1];
      if (ref > 1.2e-38) expect(Math.abs(got - ref) / ref, `t = ${t}`).toBeLessThan(1e-6);
      else {
        expect(got, `t = ${t} must not flush to zero`).toBeGreaterThan(0);
        expect(Math.abs(got - ref), `t = ${t}`).toBeLessThanOrEqual(2 ** -149);
      }
    });
    e.free(x); e.free(y);
  });

  it("is stable for huge inputs and works in place", async () => {
    const e = await engineFor(backend);
    const x = e.f32(4);
    x.set([1e30, 1e30 - 1e24, -1e30, 3e38]);
    const ref = softmaxRef(x, 1, 4);
    e.softmax(x, x, { rows: 1, n: 4 });
    expectClose(x, ref, { rtol: 1e-6, atol: 1e-12 });
    e.free(x);
  });
});
