import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dequantizeQ8, quantizeQ8 } from "../src/index.js";
import { Q8_ROW_GROUP_BLOCK_BYTES } from "../src/kernels/types.js";
import { WASM_BUILDS, wasmBuildRuns, wasmModule } from "../src/kernels/wasm/load.js";
import { BACKENDS, engineFor, expectClose, fill, guarded } from "./helpers.js";
import { matmulRef } from "./reference.js";

describe.each(BACKENDS)("matmul FP32 (%s)", (backend) => {
  it("matches the float64 reference, dims not multiples of 4, 8 or 32 included", async () => {
    const e = await engineFor(backend);
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 40 }), fc.integer(),
      (batch, inDim, outDim, seed) => {
        const w = fill(e.f32(outDim * inDim), seed), x = fill(e.f32(batch * inDim), seed + 1, 2);
        const out = guarded(e, batch * outDim);
        e.matmul(out.inner, w, x, { batch, inDim, outDim });
        const { out: ref, mag } = matmulRef(w, x, batch, inDim, outDim);
        expectClose(out.inner, ref, { rtol: 0, atol: mag.map((m) => 1e-6 * m + 1e-30) });
        expect(out.guardsIntact()).toBe(true);
        e.free(w); e.free(x); e.free(out.all);
      }), { numRuns: 120 });
  });

  it("a larger layer shape: 3 x 2048 -> 96", async () => {
    const e = await engineFor(backend);
    const w = fill(e.f32(96 * 2048), 1), x = fill(e.f32(3 * 2048), 2), out = e.f32(3 * 96);
    e.matmul(out, w, x, { batch: 3, inDim: 2048, outDim: 96 });
    const { out: ref, mag } = matmulRef(w, x, 3, 2048, 96);
    expectClose(out, ref, { rtol: 0, atol: mag.map((m) => 2e-6 * m) });
    e.free(w); e.free(x); e.free(out);
  });
});

describe.each(BACKENDS)("matmul Q8_0 (%s)", (backend) => {
  it("equals the exact dot of the quantized weights and activations (ggml's scheme)", async () => {
    const e = await engineFor(backend);
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 21 }), fc.integer(),
      fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
      (batch, blocks, outDim, seed, xScale) => {
        const inDim = blocks * 32;
        const wf = fill(e.f32(outDim * inDim), seed), x = fill(e.f32(batch * inDim), seed + 1, xScale);
        const w = e.quantizeQ8(wf, outDim, inDim);
        const out = guarded(e, batch * outDim);
        e.matmul(out.inner, w, x, { batch, inDim, outDim });
        // reference: float64 dot of what the two sides quantize to
        const wd = dequantizeQ8(w.bytes, outDim, inDim);
        const xd = dequantizeQ8(quantizeQ8(x, batch, inDim), batch, inDim);
        const { out: ref, mag } = matmulRef(wd, xd, batch, inDim, outDim);
        expectClose(out.inner, ref, { rtol: 0, atol: mag.map((m) => 1e-6 * m + 1e-30) });
        // and it stays close to the unquantized product
        const { out: exact, mag: m2 } = matmulRef(wf, x, batch, inDim, outDim);
        expectClose(out.inner, exact, { rtol: 0, atol: m2.map((m) => 0.02 * m) });
        expect(out.guardsIntact()).toBe(true);
        e.free(wf); e.free(x); e.free(w); e.free(out.all);
      }), { numRuns: 100 });
  });

  it("rejects activations too large for an f16 scale instead of returning inf", async () => {
    const e = await engineFor(backend);
    const w = e.quantizeQ8(fill(e.f32(4 * 32), 1), 4, 32), x = e.f32(32), out = e.f32(4);
    x[3] = 1e7;
    expect(() => e.matmul(out, w, x, { batch: 1, inDim: 32, outDim: 4 })).toThrow(/too large for Q8_0/);
    e.free(w); e.free(x); e.free(out);
  });
});

describe("matmulQ8's per-thread scratch", () => {
  it.each(WASM_BUILDS.filter(wasmBuildRuns))("is as large as the %s module writes (a smaller one would overwrite the next thread's)", (build) => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const { q8RowGroupBytes } = new WebAssembly.Instance(wasmModule(build), { env: { memory } }).exports as { q8RowGroupBytes: (inDim: number) => number };
    for (const inDim of [32, 96, 2048, 8192]) expect(q8RowGroupBytes(inDim)).toBe((inDim / 32) * Q8_ROW_GROUP_BLOCK_BYTES);
  });
});

describe.runIf(BACKENDS.includes("wasm-relaxed"))("the two wasm builds", () => {
  it("give the same Q8_0 matmul bits (exact int8 dots, the same f32 accumulation), and FP32 within the dot's rounding", async () => {
    const [a, b] = await Promise.all([engineFor("wasm"), engineFor("wasm-relaxed")]);
    fc.assert(fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 21 }), fc.integer(),
      (batch, blocks, outDim, seed) => {
        const inDim = blocks * 32;
        const outs = [a, b].map((e) => {
          const wf = fill(e.f32(outDim * inDim), seed), x = fill(e.f32(batch * inDim), seed + 1);
          const w = e.quantizeQ8(wf, outDim, inDim), oq = e.f32(batch * outDim), of = e.f32(batch * outDim);
          e.matmul(oq, w, x, { batch, inDim, outDim });
          e.matmul(of, wf, x, { batch, inDim, outDim });
          const r = { q8: Array.from(oq), f32: Array.from(of), wf: Array.from(wf), x: Array.from(x) };
          e.free(wf); e.free(x); e.free(w); e.free(oq); e.free(of);
          return r;
        });
        expect(outs[1].q8).toEqual(outs[0].q8);
        const { mag } = matmulRef(outs[0].wf, outs[0].x, batch, inDim, outDim);
        expectClose(outs[1].f32, outs[0].f32, { rtol: 0, atol: mag.map((m) => 2e-6 * m + 1e-30) });
      }), { numRuns: 60 });
  });
});
