import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Engine } from "../src/index.js";
import { BACKENDS, engineFor, expectClose, fill, guarded } from "./helpers.js";
import { attentionRef, type AttnShape } from "./reference.js";

function check(e: Engine, s: AttnShape, seed: number, qScale = 1): void {
  const qn = s.seqLen * s.heads * s.headDim, kn = s.kvLen * s.kvHeads * s.headDim;
  const q = fill(e.f32(qn), seed, qScale), k = fill(e.f32(kn), seed + 1), v = fill(e.f32(kn), seed + 2, 3);
  const out = guarded(e, qn);
  e.attention(out.inner, q, k, v, s);
  // the output is a convex combination of V rows (|v| <= 3)
  expectClose(out.inner, attentionRef(q, k, v, s), { rtol: 0, atol: 2e-5 });
  expect(out.guardsIntact()).toBe(true);
  e.free(q); e.free(k); e.free(v); e.free(out.all);
}

describe.each(BACKENDS)("attention (%s)", (backend) => {
  it("matches the float64 reference: causal and not, GQA, many head sizes", async () => {
    const e = await engineFor(backend);
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 30 }), fc.constantFrom(1, 2, 4, 8),
      fc.constantFrom(1, 2, 3), fc.constantFrom(4, 6, 8, 10, 64, 128, 256), fc.boolean(), fc.integer(),
      fc.double({ min: 0.1, max: 6, noNaN: true }),
      (seqLen, extra, kvHeads, group, headDim, causal, seed, qScale) => {
        const heads = kvHeads * group;
        check(e, { seqLen, kvLen: seqLen + extra, heads, kvHeads, headDim, causal, scale: 1 / Math.sqrt(headDim) }, seed, qScale);
      }), { numRuns: 100 });
  });

  it("GQA 8:1, single-query decode against a long cache, kvLen 1, custom scale", async () => {
    const e = await engineFor(backend);
    check(e, { seqLen: 3, kvLen: 40, heads: 32, kvHeads: 4, headDim: 64, causal: true, scale: 0.125 }, 1);
    check(e, { seqLen: 1, kvLen: 700, heads: 8, kvHeads: 1, headDim: 128, causal: true, scale: 1 / Math.sqrt(128) }, 2);
    check(e, { seqLen: 1, kvLen: 257, heads: 4, kvHeads: 4, headDim: 64, causal: true, scale: 1 / 8 }, 3);
    check(e, { seqLen: 1, kvLen: 1, heads: 2, kvHeads: 1, headDim: 256, causal: true, scale: 1 / 16 }, 4);
    check(e, { seqLen: 5, kvLen: 1, heads: 2, kvHeads: 2, headDim: 8, causal: false, scale: 0.3 }, 5);
    check(e, { seqLen: 17, kvLen: 17, heads: 16, kvHeads: 2, headDim: 64, causal: true, scale: 2 }, 6, 4);
  });

  it("defaults: causal, kvHeads = heads, scale 1/sqrt(headDim)", async () => {
    const e = await engineFor(backend);
    const s = { seqLen: 4, kvLen: 6, heads: 2, kvHeads: 2, headDim: 16, causal: true, scale: 0.25 };
    const q = fill(e.f32(4 * 2 * 16), 1), k = fill(e.f32(6 * 2 * 16), 2), v = fill(e.f32(6 * 2 * 16), 3);
    const a = e.f32(4 * 2 * 16), b = e.f32(4 * 2 * 16);
    e.attention(a, q, k, v, { seqLen: 4, kvLen: 6, heads: 2, headDim: 16 });
    e.attention(b, q, k, v, s);
    expect(Array.from(a)).toEqual(Array.from(b));
    for (const t of [q, k, v, a, b]) e.free(t);
  });

  it("a causal query never reads keys after its position, even non-finite ones", async () => {
    const e = await engineFor(backend);
    const s = { seqLen: 4, kvLen: 4, heads: 4, kvHeads: 1, headDim: 8, causal: true, scale: 0.3 };
    const q = fill(e.f32(4 * 4 * 8), 1), k = fill(e.f32(4 * 8), 2), v = fill(e.f32(4 * 8), 3);
    const ref = attentionRef(q, k, v, s);
    // poison the last key and value: only the last query may see them
    k.fill(NaN, 3 * 8, 4 * 8);
    v.fill(Infinity, 3 * 8, 4 * 8);
    const out = e.f32(4 * 4 * 8);
    e.attention(out, q, k, v, s);
    for (let i = 0; i < 3; i++) {
      expectClose(out.subarray(i * 32, (i + 1) * 32), ref.subarray(i * 32, (i + 1) * 32), { rtol: 0, atol: 2e-5 });
    }
    for (const t of [q, k, v, out]) e.free(t);
  });
});
