import { dim, noOverlap, options, tensor } from "../validate.js";
import { unitsOf, workOf } from "./descriptors.js";
import type { OpCall, OpContext } from "./op-call.js";

export interface SoftmaxShape {
  rows: number;
  n: number;
}

export function softmaxCall(ctx: OpContext, out: Float32Array, x: Float32Array, shape: SoftmaxShape): OpCall {
  const op = "softmax";
  const s = options<SoftmaxShape>(op, shape);
  const rows = dim(op, "rows", s.rows);
  const n = dim(op, "n", s.n);
  const shapeText = () => `rows*n (${rows}x${n})`;
  const o = tensor(ctx.arena, op, "out", out, rows * n, shapeText);
  const xi = tensor(ctx.arena, op, "x", x, rows * n, shapeText);
  noOverlap(op, "out", o, 4 * rows * n, "x", xi, 4 * rows * n, true);
  return { op, work: workOf(op, { rows, n }), kernel: "softmax", args: [o, xi, n], units: unitsOf(op, { rows }) };
}
