import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BACKENDS, engineFor, expectClose, fill, guarded } from "./helpers.js";
import { rmsNormRef } from "./reference.js";

describe.each(BACKENDS)("rmsNorm (%s)", (backend) => {
  it("matches the float64 reference over random shapes, both weight forms", async () => {
    const e = await engineFor(backend);
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 5 }), fc.oneof(fc.integer({ min: 1, max: 300 }), fc.constantFrom(4096, 2048, 1023)),
      fc.boolean(), fc.constantFrom(1e-6, 1e-5, 1e-3), fc.integer(), fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
      (rows, dim, gemma, eps, seed, scale) => {
        const x = fill(e.f32(rows * dim), seed, scale), w = fill(e.f32(dim), seed + 1);
        const out = guarded(e, rows * dim);
        e.rmsNorm(out.inner, x, w, { rows, dim, eps, gemma });
        expectClose(out.inner, rmsNormRef(x, w, rows, dim, eps, gemma), { rtol: 2e-6, atol: 1e-6 });
        expect(out.guardsIntact()).toBe(true);
        e.free(x); e.free(w); e.free(out.all);
      }), { numRuns: 120 });
  });

  it("works in place (out is x)", async () => {
    const e = await engineFor(backend);
    const x = fill(e.f32(3 * 77), 5), w = fill(e.f32(77), 6);
    const ref = rmsNormRef(x, w, 3, 77, 1e-6, false);
    e.rmsNorm(x, x, w, { rows: 3, dim: 77 });
    expectClose(x, ref, { rtol: 2e-6, atol: 1e-6 });
    e.free(x); e.free(w);
  });
});
