import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { createEngine } from "../src/index.js";
import { BACKENDS, backendOptions, expectClose, fill, guarded } from "./helpers.js";
import { ropeRef } from "./reference.js";

describe.each(BACKENDS)("rope (%s)", (backend) => {
  // a short table, so that positions past it are exercised cheaply
  const enginePromise = createEngine({ ...backendOptions(backend), threads: 1, policy: "serial", ropeTableLength: 16, maxMemory: 256 * 2 ** 20 });
  afterAll(async () => (await enginePromise).close());

  it("matches the float64 reference for both pairings, inside and past the table", async () => {
    const e = await enginePromise;
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 6 }), fc.constantFrom(2, 6, 10, 64, 128, 256),
      fc.constantFrom("neox" as const, "interleaved" as const), fc.constantFrom(10000, 500000, 1e6),
      fc.array(fc.oneof(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 16, max: 200000 })), { minLength: 7, maxLength: 7 }),
      fc.integer(),
      (seqLen, heads, headDim, style, base, pos, seed) => {
        const positions = pos.slice(0, seqLen);
        const x = guarded(e, seqLen * heads * headDim);
        fill(x.inner, seed, 2);
        const ref = ropeRef(x.inner, seqLen, heads, headDim, positions, base, style);
        e.rope(x.inner, { seqLen, heads, headDim, positions, base, style });
        // the table holds correctly rounded f32 cos/sin: error is a few f32 ulps of |x|
        expectClose(x.inner, ref, { rtol: 1e-6, atol: 2e-6 });
        expect(x.guardsIntact()).toBe(true);
        e.free(x.all);
      }), { numRuns: 120 });
  });

  it("a start position means consecutive positions", async () => {
    const e = await enginePromise;
    const a = fill(e.f32(5 * 2 * 8), 3), b = e.f32(5 * 2 * 8);
    b.set(a);
    e.rope(a, { seqLen: 5, heads: 2, headDim: 8, positions: 14 });
    e.rope(b, { seqLen: 5, heads: 2, headDim: 8, positions: [14, 15, 16, 17, 18] });
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it("a position past the table gives exactly what the table would", async () => {
    const big = await createEngine({ ...backendOptions(backend), threads: 1, policy: "serial", ropeTableLength: 4096, maxMemory: 64 * 2 ** 20 });
    const e = await enginePromise;
    const a = fill(e.f32(3 * 64), 9), b = fill(big.f32(3 * 64), 9);
    e.rope(a, { seqLen: 3, heads: 1, headDim: 64, positions: [20, 300, 4000] });
    big.rope(b, { seqLen: 3, heads: 1, headDim: 64, positions: [20, 300, 4000] });
    expect(Array.from(a)).toEqual(Array.from(b));
    big.close();
  });
});
