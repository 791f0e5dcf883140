import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BACKENDS, engineFor, expectClose, fill, guarded } from "./helpers.js";
import { rmsNormRef } from "./reference.js";

describe.each(BACKENDS)("qkNorm (%s)", (backend) => {
  it("normalises every head of every token in place with one [headDim] weight", async () => {
    const e = await engineFor(backend);
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 9 }), fc.constantFrom(64, 128, 256, 37, 2, 100),
      fc.boolean(), fc.integer(),
      (seqLen, heads, headDim, gemma, seed) => {
        const n = seqLen * heads * headDim;
        const x = guarded(e, n);
        fill(x.inner, seed, 3);
        const w = fill(e.f32(headDim), seed ^ 7);
        const ref = rmsNormRef(x.inner, w, seqLen * heads, headDim, 1e-6, gemma);
        e.qkNorm(x.inner, w, { seqLen, heads, headDim, gemma });
        expectClose(x.inner, ref, { rtol: 2e-6, atol: 1e-6 });
        expect(x.guardsIntact()).toBe(true);
        e.free(x.all); e.free(w);
      }), { numRuns: 80 });
  });
});
