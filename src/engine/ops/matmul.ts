import { q8Bytes } from "../../kernels/q8.js";
import { Q8_BLOCK, Q8_ROW_GROUP_BLOCK_BYTES } from "../../kernels/types.js";
import { isQ8Tensor, type Q8Tensor } from "../q8-tensor.js";
import { arenaAddress, describe, dim, noOverlap, options, tensor } from "../validate.js";
import { OPS, workOf } from "./descriptors.js";
import type { OpCall, OpContext } from "./op-call.js";

/** Output rows per slice boundary: whole tiles, and 64-byte lines of out when outDim is a multiple of 16. */
const GRAIN = 16;

export interface MatmulShape {
  batch: number;
  inDim: number;
  outDim: number;
}

/** Q8_0 weights come in blocks of 32 along inDim: for the op and for plan(). */
export function q8InDim(op: string, inDim: number): void {
  if (inDim % Q8_BLOCK !== 0) throw new RangeError(`${op}: inDim must be a multiple of ${Q8_BLOCK} for Q8_0 weights, got ${inDim}`);
}

/**
 * out [batch, outDim] = x [batch, inDim] times W^T, W [outDim, inDim] in FP32 or Q8_0.
 * Q8_0 first quantizes x per block (one call over batch rows), then runs the integer dot.
 */
export function matmulCalls(ctx: OpContext, out: Float32Array, weight: Float32Array | Q8Tensor, x: Float32Array,
    shape: MatmulShape): OpCall[] {
  const op = "matmul";
  const s = options<MatmulShape>(op, shape);
  const batch = dim(op, "batch", s.batch);
  const inDim = dim(op, "inDim", s.inDim);
  const outDim = dim(op, "outDim", s.outDim);
  const o = tensor(ctx.arena, op, "out", out, batch * outDim, () => `batch*outDim (${batch}x${outDim})`);
  const xi = tensor(ctx.arena, op, "x", x, batch * inDim, () => `batch*inDim (${batch}x${inDim})`);
  noOverlap(op, "out", o, 4 * batch * outDim, "x", xi, 4 * batch * inDim);
  if (weight instanceof Float32Array) {
    const w = tensor(ctx.arena, op, "weight", weight, outDim * inDim, () => `outDim*inDim (${outDim}x${inDim})`);
    noOverlap(op, "out", o, 4 * batch * outDim, "weight", w, 4 * outDim * inDim);
    return [{ op: "matmul.f32", work: workOf("matmul.f32", { batch, inDim, outDim }), kernel: "matmulF32", args: [o, w, xi, batch, inDim, outDim], units: outDim, grain: GRAIN }];
  }
  if (!isQ8Tensor(weight)) {
    throw new TypeError(`${op}: weight must be a Float32Array or a Q8Tensor from engine.quantizeQ8() / engine.q8(), got ${describe(weight)}`);
  }
  if (weight.rows !== outDim || weight.cols !== inDim) {
    throw new RangeError(`${op}: Q8_0 weight is ${weight.rows}x${weight.cols}, expected outDim x inDim = ${outDim}x${inDim}`);
  }
  q8InDim(op, inDim);
  if (weight.bytes.length !== q8Bytes(outDim, inDim)) {
    throw new RangeError(`${op}: Q8_0 weight has ${weight.bytes.length} bytes, expected ${q8Bytes(outDim, inDim)} for ${outDim}x${inDim}`);
  }
  const w = arenaAddress(ctx.arena, op, "weight.bytes", weight.bytes);
  noOverlap(op, "out", o, 4 * batch * outDim, "weight", w, weight.bytes.length);
  const blocks = batch * (inDim / Q8_BLOCK);
  const qx = ctx.scratch.get("q8.values", blocks * 64);
  const qd = ctx.scratch.get("q8.scales", blocks * 4);
  // what the kernel works out once per four weight rows, each thread its own, a cache line apart
  const scratchStride = Math.ceil((inDim / Q8_BLOCK) * Q8_ROW_GROUP_BLOCK_BYTES / 64) * 64;
  const scratch = ctx.scratch.get("q8.rowGroup", scratchStride * ctx.threads);
  const work = workOf("matmul.q8_0", { batch, inDim, outDim });
  const alt = OPS["matmul.q8_0"].batchKernels;
  const [quantK, dotK] = alt && batch >= alt.fromBatch ? alt.kernels : OPS["matmul.q8_0"].kernels;
  return [
    {
      op: "matmul.q8_0", work, kernel: quantK, args: [qx, qd, xi, inDim], units: batch,
      check: (overflow) => {
        if (overflow === 0) return;
        // only on the error path: tell broken activations (NaN, Infinity) from merely large ones
        let nonFinite = 0;
        for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) nonFinite++;
        if (nonFinite > 0) {
          throw new RangeError(`${op}: x holds ${nonFinite} NaN or infinite value(s): the activations went wrong before this matmul ` +
            `(check the ops that produced x)`);
        }
        throw new RangeError(`${op}: x has values too large for Q8_0 (${overflow} block(s) with |x| above ~8.3e6 need a scale ` +
          `beyond f16's range): use FP32 weights for this layer or rescale the activations`);
      },
    },
    {
      op: "matmul.q8_0", work, kernel: dotK, args: [o, w, qx, qd, batch, inDim, outDim, scratch], units: outDim, grain: GRAIN,
      perThreadScratch: { arg: 7, bytes: scratchStride },
    },
  ];
}
