import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../src/index.js";
import { wasmBuildRuns } from "../src/kernels/wasm/load.js";

// Every op checks its arguments before touching memory; messages name the argument and what was expected.

let e: Engine;
let other: Engine;
beforeAll(async () => {
  e = await createEngine({ maxMemory: 64 * 2 ** 20 });
  other = await createEngine({ maxMemory: 16 * 2 ** 20 });
});
afterAll(() => { e.close(); other.close(); });

describe("argument checks", () => {
  it("rmsNorm: wrong lengths, bad sizes, foreign arrays, bad eps", () => {
    const x = e.f32(8), w = e.f32(4), y = e.f32(8);
    expect(() => e.rmsNorm(y, x, w, { rows: 2, dim: 3 })).toThrow(/rmsNorm: out has length 8, expected rows\*dim \(2x3\) = 6/);
    expect(() => e.rmsNorm(y, x, e.f32(5), { rows: 2, dim: 4 })).toThrow(/weight has length 5, expected dim = 4/);
    expect(() => e.rmsNorm(y, x, w, { rows: NaN, dim: 4 })).toThrow(RangeError);
    expect(() => e.rmsNorm(y, x, w, { rows: -2, dim: 4 })).toThrow(/rows must be an integer >= 1, got -2/);
    expect(() => e.rmsNorm(y, x, w, { rows: 2, dim: 4.5 })).toThrow(/dim must be an integer/);
    expect(() => e.rmsNorm(y, x, w, { rows: 2, dim: 4, eps: -1 })).toThrow(/eps must be a finite positive number/);
    expect(() => e.rmsNorm(y, new Float32Array(8), w, { rows: 2, dim: 4 })).toThrow(/x is not allocated from this engine's arena/);
    expect(() => e.rmsNorm(y, other.f32(8), w, { rows: 2, dim: 4 })).toThrow(/x is not allocated from this engine's arena/);
    expect(() => e.rmsNorm(y, [1, 2] as unknown as Float32Array, w, { rows: 2, dim: 4 })).toThrow(TypeError);
    expect(() => e.rmsNorm(y, x, w, undefined as unknown as { rows: number; dim: number })).toThrow(/options must be an object/);
    // partial overlap of out and x is refused; exact aliasing is allowed
    const big = e.f32(12);
    expect(() => e.rmsNorm(big.subarray(0, 8), big.subarray(4, 12), w, { rows: 2, dim: 4 })).toThrow(/out overlaps x/);
    expect(() => e.rmsNorm(x, x, w, { rows: 2, dim: 4 })).not.toThrow();
  });

  it("a freed tensor is refused", () => {
    const x = e.f32(8), w = e.f32(4), y = e.f32(8);
    e.free(x);
    expect(() => e.rmsNorm(y, x, w, { rows: 2, dim: 4 })).toThrow(/not allocated from this engine's arena \(or was freed\)/);
    expect(() => e.free(x)).toThrow(/not a live allocation/);
  });

  it("qkNorm and rope: shapes, headDim parity, positions, style, base", () => {
    const x = e.f32(2 * 4 * 8), w = e.f32(8);
    expect(() => e.qkNorm(x, w, { seqLen: 2, heads: 3, headDim: 8 })).toThrow(/x has length 64, expected seqLen\*heads\*headDim \(2x3x8\) = 48/);
    expect(() => e.qkNorm(x, e.f32(4), { seqLen: 2, heads: 4, headDim: 8 })).toThrow(/weight has length 4, expected headDim = 8/);
    const r = e.f32(2 * 2 * 7);
    expect(() => e.rope(r, { seqLen: 2, heads: 2, headDim: 7, positions: [0, 1] })).toThrow(/headDim must be even/);
    expect(() => e.rope(x, { seqLen: 2, heads: 4, headDim: 8, positions: [0] })).toThrow(/positions has length 1, expected seqLen = 2/);
    expect(() => e.rope(x, { seqLen: 2, heads: 4, headDim: 8, positions: [0, -3] })).toThrow(/positions\[1\] must be an integer/);
    expect(() => e.rope(x, { seqLen: 2, heads: 4, headDim: 8, positions: [0, 1.5] })).toThrow(/positions\[1\]/);
    expect(() => e.rope(x, { seqLen: 2, heads: 4, headDim: 8, positions: "ab" as unknown as number[] })).toThrow(TypeError);
    expect(() => e.rope(x, { seqLen: 2, heads: 4, headDim: 8, positions: -1 })).toThrow(/start position/);
    expect(() => e.rope(x, { seqLen: 2, heads: 4, headDim: 8, positions: 0, style: "gptj" as "neox" })).toThrow(/style must be "neox" or "interleaved"/);
    expect(() => e.rope(x, { seqLen: 2, heads: 4, headDim: 8, positions: 0, base: 0 })).toThrow(/base must be a finite positive/);
  });

  it("attention: GQA divisibility, causal kvLen, lengths, overlap", () => {
    const q = e.f32(2 * 6 * 8), k = e.f32(3 * 4 * 8), v = e.f32(3 * 4 * 8), out = e.f32(2 * 6 * 8);
    expect(() => e.attention(out, q, k, v, { seqLen: 2, kvLen: 3, heads: 6, kvHeads: 4, headDim: 8 }))
      .toThrow(/heads \(6\) must be a multiple of kvHeads \(4\)/);
    const k2 = e.f32(1 * 6 * 8), v2 = e.f32(1 * 6 * 8);
    expect(() => e.attention(out, q, k2, v2, { seqLen: 2, kvLen: 1, heads: 6, headDim: 8 })).toThrow(/kvLen >= seqLen/);
    expect(() => e.attention(out, q, k, v, { seqLen: 2, kvLen: 3, heads: 6, kvHeads: 3, headDim: 8 }))
      .toThrow(/k has length 96, expected kvLen\*kvHeads\*headDim \(3x3x8\) = 72/);
    expect(() => e.attention(q, q, k.subarray(0, 72), v.subarray(0, 72), { seqLen: 2, kvLen: 3, heads: 6, kvHeads: 3, headDim: 8 }))
      .toThrow(/out overlaps q/);
    expect(() => e.attention(out, q, k.subarray(0, 72), v.subarray(0, 72), { seqLen: 2, kvLen: 3, heads: 6, kvHeads: 3, headDim: 8, scale: NaN }))
      .toThrow(/scale must be a finite number/);
  });

  it("matmul: FP32 and Q8_0 shapes", () => {
    const w = e.f32(6 * 64), x = e.f32(2 * 64), out = e.f32(2 * 6);
    expect(() => e.matmul(out, w, x, { batch: 2, inDim: 64, outDim: 5 })).toThrow(/out has length 12, expected batch\*outDim \(2x5\) = 10/);
    expect(() => e.matmul(out, e.f32(7), x, { batch: 2, inDim: 64, outDim: 6 })).toThrow(/weight has length 7, expected outDim\*inDim/);
    const q = e.quantizeQ8(w, 6, 64);
    expect(() => e.matmul(out, q, x.subarray(0, 64), { batch: 2, inDim: 32, outDim: 6 })).toThrow(/Q8_0 weight is 6x64, expected outDim x inDim = 6x32/);
    expect(() => e.matmul(out, { rows: 6, cols: 64, bytes: new Uint8Array(6 * 68) }, x, { batch: 2, inDim: 64, outDim: 6 }))
      .toThrow(/weight.bytes is not allocated from this engine's arena/);
    expect(() => e.matmul(out, {} as Float32Array, x, { batch: 2, inDim: 64, outDim: 6 })).toThrow(TypeError);
    expect(() => e.q8(2, 40)).toThrow(/multiple of 32/);
    expect(() => e.quantizeQ8(w, 5, 64)).toThrow(/src has length 384, expected rows\*cols = 320/);
  });

  it("engine options", async () => {
    await expect(createEngine({ backend: "gpu" as "wasm" })).rejects.toThrow(/backend must be "wasm" or "js"/);
    await expect(createEngine({ maxMemory: 5 * 2 ** 32 })).rejects.toThrow(/maxMemory must be/);
    await expect(createEngine({ threads: 0 })).rejects.toThrow(/threads must be an integer >= 1/);
    const closed = await createEngine({ maxMemory: 2 ** 20 });
    closed.close();
    expect(() => closed.f32(4)).toThrow(/engine is closed/);
  });
});

describe("the wasm build", () => {
  it("is one of the two, and one this runtime runs; the engine says which it runs", async () => {
    await expect(createEngine({ threads: 1, wasmBuild: "avx512" as never })).rejects.toThrow(/wasmBuild: the wasm build must be one of simd128, relaxed, got "avx512"/);
    const e = await createEngine({ threads: 1, wasmBuild: "simd128", onWarning: () => {} });
    expect(e.wasmBuild).toBe("simd128");
    e.close();
    const js = await createEngine({ threads: 1, backend: "js", onWarning: () => {} });
    expect(js.wasmBuild).toBeUndefined();
    js.close();
    if (!wasmBuildRuns("relaxed")) {
      // Node 20: relaxed SIMD is behind a V8 flag
      await expect(createEngine({ threads: 1, wasmBuild: "relaxed" })).rejects.toThrow(/does not run the relaxed wasm build \(relaxed SIMD needs Node 22 or later\); use "simd128"/);
    } else {
      const r = await createEngine({ threads: 1, wasmBuild: "relaxed", onWarning: () => {} });
      expect(r.wasmBuild).toBe("relaxed");
      r.close();
    }
  });
});
