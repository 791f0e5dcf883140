import { dim, finite, flag, noOverlap, options, tensor } from "../validate.js";
import { unitsOf, workOf } from "./descriptors.js";
import type { OpCall, OpContext } from "./op-call.js";

export interface QkNormShape {
  seqLen: number;
  heads: number;
  headDim: number;
  eps?: number;
  gemma?: boolean;
}

/** Per-head RMSNorm in place over [seqLen, heads, headDim]: the rmsNorm kernel with rows = seqLen * heads. */
export function qkNormCall(ctx: OpContext, x: Float32Array, weight: Float32Array, shape: QkNormShape): OpCall {
  const op = "qkNorm";
  const s = options<QkNormShape>(op, shape);
  const seqLen = dim(op, "seqLen", s.seqLen);
  const heads = dim(op, "heads", s.heads);
  const headDim = dim(op, "headDim", s.headDim);
  const eps = finite(op, "eps", s.eps ?? 1e-6, true);
  const xi = tensor(ctx.arena, op, "x", x, seqLen * heads * headDim, () => `seqLen*heads*headDim (${seqLen}x${heads}x${headDim})`);
  const w = tensor(ctx.arena, op, "weight", weight, headDim, () => "headDim");
  noOverlap(op, "x", xi, 4 * seqLen * heads * headDim, "weight", w, 4 * headDim);
  return { op, work: workOf(op, { seqLen, heads, headDim }), kernel: "rmsNorm", args: [xi, xi, w, headDim, eps, flag(op, "gemma", s.gemma, false) ? 1 : 0], units: unitsOf(op, { seqLen, heads }) };
}
