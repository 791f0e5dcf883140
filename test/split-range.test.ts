import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Arena } from "../src/engine/arena.js";
import { attentionCall } from "../src/engine/ops/attention.js";
import { matmulCalls } from "../src/engine/ops/matmul.js";
import type { OpCall, OpContext } from "../src/engine/ops/op-call.js";
import { qkNormCall } from "../src/engine/ops/qk-norm.js";
import { rmsNormCall } from "../src/engine/ops/rms-norm.js";
import { ropeCall } from "../src/engine/ops/rope.js";
import { softmaxCall } from "../src/engine/ops/softmax.js";
import { RopeTables } from "../src/engine/rope-table.js";
import { Scratch } from "../src/engine/scratch.js";
import { Heap } from "../src/kernels/js/heap.js";
import { jsKernels } from "../src/kernels/js/index.js";
import { quantizeQ8 } from "../src/kernels/q8.js";
import type { Kernels } from "../src/kernels/types.js";
import { wasmKernels } from "../src/kernels/wasm/load.js";
import { BACKENDS, backendOptions, fill, rng, type Backend } from "./helpers.js";

// What a worker pool will do: run a call's unit range in pieces. The output
// must be bitwise the output of one run over the whole range.

function setup(backend: Backend) {
  const arena = new Arena({ maxBytes: 256 * 2 ** 20 });
  const o = backendOptions(backend);
  const kernels: Kernels = o.wasmBuild ? wasmKernels(arena.memory, o.wasmBuild) : jsKernels(arena.memory);
  const heap = new Heap(arena.memory);
  const scratch = new Scratch(arena);
  const ctx: OpContext = { arena, scratch, ropeTables: new RopeTables(arena, heap, scratch, 64), threads: 1 };
  const f32 = (n: number) => new Float32Array(arena.buffer(), arena.alloc(n * 4), n);
  return { arena, kernels, ctx, f32 };
}

function run(kernels: Kernels, call: OpCall, start: number, end: number): void {
  (kernels[call.kernel] as (...a: number[]) => void)(...call.args, start, end);
}

/** Random cut points of [0, units). */
function pieces(units: number, seed: number): number[] {
  const r = rng(seed);
  const cuts = new Set<number>([0, units]);
  const n = 1 + Math.floor(r() * Math.min(6, units));
  for (let i = 0; i < n; i++) cuts.add(Math.floor(r() * units));
  return [...cuts].sort((a, b) => a - b);
}

/** Runs `call` whole and in pieces (resetting `out` from `init` each time) and compares the bits. */
function expectSplitEqual(kernels: Kernels, call: OpCall, out: Float32Array, init: Float32Array, seed: number): void {
  out.set(init);
  run(kernels, call, 0, call.units);
  const whole = new Uint32Array(Float32Array.from(out).buffer);
  out.set(init);
  const cuts = pieces(call.units, seed);
  // pieces in a shuffled order, as threads would finish
  const order = cuts.slice(0, -1).map((_, i) => i).sort(() => rng(seed)() - 0.5);
  for (const i of order) run(kernels, call, cuts[i], cuts[i + 1]);
  const split = new Uint32Array(Float32Array.from(out).buffer);
  expect(split).toEqual(whole);
}

describe.each(BACKENDS)("split ranges give bitwise the whole-range output (%s)", (backend) => {
  const { kernels, ctx, f32 } = setup(backend);

  it("rmsNorm, qkNorm, softmax, rope", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 5 }), fc.constantFrom(6, 64, 70, 128), fc.integer(),
      (seqLen, heads, headDim, seed) => {
        const n = seqLen * heads * headDim;
        const x = fill(f32(n), seed), w = fill(f32(headDim), seed + 1), out = f32(n), init = fill(new Float32Array(n), seed + 2);
        expectSplitEqual(kernels, rmsNormCall(ctx, out, x, w, { rows: seqLen * heads, dim: headDim }), out, init, seed);
        expectSplitEqual(kernels, qkNormCall(ctx, out, w, { seqLen, heads, headDim }), out, init, seed + 3);
        expectSplitEqual(kernels, softmaxCall(ctx, out, x, { rows: seqLen * heads, n: headDim }), out, init, seed + 4);
        const positions = Array.from({ length: seqLen }, (_, i) => i * 37);
        for (const style of ["neox", "interleaved"] as const) {
          expectSplitEqual(kernels, ropeCall(ctx, out, { seqLen, heads, headDim, positions, style }), out, init, seed + 5);
        }
      }), { numRuns: 30 });
  });

  it("attention (prefill, decode, GQA groups cut anywhere)", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 11 }), fc.integer({ min: 0, max: 20 }), fc.constantFrom(1, 2, 4),
      fc.constantFrom(1, 2, 8), fc.constantFrom(6, 8, 64), fc.boolean(), fc.integer(),
      (seqLen, extra, kvHeads, group, headDim, causal, seed) => {
        const heads = kvHeads * group, kvLen = seqLen + extra;
        const q = fill(f32(seqLen * heads * headDim), seed), k = fill(f32(kvLen * kvHeads * headDim), seed + 1);
        const v = fill(f32(kvLen * kvHeads * headDim), seed + 2), out = f32(seqLen * heads * headDim);
        const call = attentionCall(ctx, out, q, k, v, { seqLen, kvLen, heads, kvHeads, headDim, causal });
        expectSplitEqual(kernels, call, out, new Float32Array(out.length), seed);
      }), { numRuns: 60 });
  });

  it("matmul FP32 and Q8_0", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 37 }), fc.integer(),
      (batch, blocks, outDim, seed) => {
        const inDim = blocks * 32 + (seed & 1 ? 0 : 3);
        const w = fill(f32(outDim * inDim), seed), x = fill(f32(batch * inDim), seed + 1), out = f32(batch * outDim);
        const [f32call] = matmulCalls(ctx, out, w, x, { batch, inDim, outDim });
        expectSplitEqual(kernels, f32call, out, new Float32Array(out.length), seed);
        const qIn = blocks * 32;
        const wq = fill(new Float32Array(outDim * qIn), seed + 5);
        const bytes = new Uint8Array(ctx.arena.buffer(), ctx.arena.alloc((outDim * qIn / 32) * 34), (outDim * qIn / 32) * 34);
        quantizeQ8(wq, outDim, qIn, bytes);
        const xq = fill(f32(batch * qIn), seed + 6), outq = f32(batch * outDim);
        const [quant, dot] = matmulCalls(ctx, outq, { rows: outDim, cols: qIn, bytes }, xq, { batch, inDim: qIn, outDim });
        run(kernels, quant, 0, quant.units);
        expectSplitEqual(kernels, dot, outq, new Float32Array(outq.length), seed);
      }), { numRuns: 60 });
  });
});

describe("both backends quantize activations to the same Q8_0 values", () => {
  it("bit for bit", () => {
    const a = setup("wasm"), b = setup("js");
    fc.assert(fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 6 }), fc.integer(), fc.double({ min: 1e-6, max: 1e5, noNaN: true }),
      (rows, blocks, seed, scale) => {
        const cols = blocks * 32, nb = rows * blocks;
        const got = [a, b].map(({ arena, kernels, f32 }) => {
          const x = fill(f32(rows * cols), seed, scale);
          const qx = arena.alloc(nb * 64), qd = arena.alloc(nb * 4);
          kernels.quantizeRowsQ8(qx, qd, x.byteOffset, cols, 0, rows);
          return [Array.from(new Int16Array(arena.buffer(), qx, nb * 32)), Array.from(new Float32Array(arena.buffer(), qd, nb))];
        });
        expect(got[0]).toEqual(got[1]);
      }), { numRuns: 60 });
  });
});
