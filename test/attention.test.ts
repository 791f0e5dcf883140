import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Engine } from "../src/index.js";
import { attentionScratchBytes } from "../src/engine/ops/attention.js";
import { WASM_BUILDS, wasmBuildRuns, wasmModule } from "../src/kernels/wasm/load.js";
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

  it("long prefill: the online softmax rescales across key blocks (the running max rises block after block)", async () => {
    const e = await engineFor(backend);
    // random shapes over several 64-key blocks and 16-unit tiles (the wasm kernel tiles where kvLen * headDim > 65536)
    check(e, { seqLen: 50, kvLen: 300, heads: 8, kvHeads: 2, headDim: 256, causal: true, scale: 1 / 16 }, 11, 3);
    check(e, { seqLen: 21, kvLen: 530, heads: 3, kvHeads: 1, headDim: 128, causal: false, scale: 0.1 }, 12, 5);
    check(e, { seqLen: 65, kvLen: 8200, heads: 2, kvHeads: 2, headDim: 8, causal: true, scale: 0.35 }, 13, 6);
    // keys whose scores grow with their position: every block raises the max, so each rescales what came before
    const s = { seqLen: 40, kvLen: 600, heads: 4, kvHeads: 2, headDim: 128, causal: true, scale: 1 / Math.sqrt(128) };
    const q = fill(e.f32(40 * 4 * 128), 21), k = e.f32(600 * 2 * 128), v = fill(e.f32(600 * 2 * 128), 22, 3);
    for (let j = 0; j < 600; j++) for (let c = 0; c < 2 * 128; c++) k[j * 256 + c] = (j / 600) * 4 * Math.sign(q[c % 128] || 1) / 4;
    const out = guarded(e, 40 * 4 * 128);
    e.attention(out.inner, q, k, v, s);
    expectClose(out.inner, attentionRef(q, k, v, s), { rtol: 0, atol: 2e-5 });
    expect(out.guardsIntact()).toBe(true);
    for (const t of [q, k, v]) e.free(t);
    e.free(out.all);
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

describe("attention's per-thread scratch", () => {
  it.each(WASM_BUILDS.filter(wasmBuildRuns))("is as large as the %s module uses (a smaller one would overwrite the next thread's)", (build) => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const exports = new WebAssembly.Instance(wasmModule(build), { env: { memory } }).exports as { attentionScratchBytes: (kvLen: number, headDim: number) => number };
    for (const [kvLen, headDim] of [[1, 8], [5, 64], [40, 256], [4096, 128], [100, 6]]) {
      expect(exports.attentionScratchBytes(kvLen, headDim), `kvLen ${kvLen}, headDim ${headDim}`).toBe(attentionScratchBytes(kvLen, headDim));
    }
  });
});
