import { dim, finite, flag, noOverlap, options, tensor } from "../validate.js";
import { unitsOf, workOf } from "./descriptors.js";
import type { OpCall, OpContext } from "./op-call.js";

export interface RmsNormShape {
  rows: number;
  dim: number;
  eps?: number;
  /** Gemma's form: scale by (1 + w) instead of w. */
  gemma?: boolean;
}

export function rmsNormCall(ctx: OpContext, out: Float32Array, x: Float32Array, weight: Float32Array, shape: RmsNormShape): OpCall {
  const op = "rmsNorm";
  const s = options<RmsNormShape>(op, shape);
  const rows = dim(op, "rows", s.rows);
  const d = dim(op, "dim", s.dim);
  const eps = finite(op, "eps", s.eps ?? 1e-6, true);
  const n = rows * d;
  const shapeText = () => `rows*dim (${rows}x${d})`;
  const o = tensor(ctx.arena, op, "out", out, n, shapeText);
  const xi = tensor(ctx.arena, op, "x", x, n, shapeText);
  const w = tensor(ctx.arena, op, "weight", weight, d, () => "dim");
  noOverlap(op, "out", o, 4 * n, "x", xi, 4 * n, true);
  noOverlap(op, "out", o, 4 * n, "weight", w, 4 * d);
  return { op, work: workOf(op, { rows, dim: d }), kernel: "rmsNorm", args: [o, xi, w, d, eps, flag(op, "gemma", s.gemma, false) ? 1 : 0], units: unitsOf(op, { rows }) };
}
