import { describe, noOverlap, tensor } from "../validate.js";
import { workOf } from "./descriptors.js";
import type { OpCall, OpContext } from "./op-call.js";

export type BinaryOp = "add" | "mul";
export type ActivationOp = "gelu" | "silu";

/** Elementwise slices end on 16-float (64-byte) boundaries so threads never share an output cache line. */
const GRAIN = 16;

function length(op: string, out: unknown): number {
  if (!(out instanceof Float32Array)) throw new TypeError(`${op}: out must be a Float32Array allocated with engine.f32(), got ${describe(out)}`);
  if (out.length === 0) throw new RangeError(`${op}: out is empty`);
  return out.length;
}

/** out = a + b or a * b, elementwise; out may be a or b itself (in place). */
export function binaryCall(ctx: OpContext, op: BinaryOp, out: Float32Array, a: Float32Array, b: Float32Array): OpCall {
  const n = length(op, out);
  const shape = () => `out.length`;
  const o = tensor(ctx.arena, op, "out", out, n, shape);
  const ai = tensor(ctx.arena, op, "a", a, n, shape);
  const bi = tensor(ctx.arena, op, "b", b, n, shape);
  noOverlap(op, "out", out, "a", a, true);
  noOverlap(op, "out", out, "b", b, true);
  return { op, work: workOf(op, { n }), kernel: op, args: [o, ai, bi], units: n, grain: GRAIN };
}

/** out = gelu(x) (tanh form) or silu(x); out may be x itself. */
export function activationCall(ctx: OpContext, op: ActivationOp, out: Float32Array, x: Float32Array): OpCall {
  const n = length(op, out);
  const o = tensor(ctx.arena, op, "out", out, n, () => "out.length");
  const xi = tensor(ctx.arena, op, "x", x, n, () => "out.length");
  noOverlap(op, "out", out, "x", x, true);
  return { op, work: workOf(op, { n }), kernel: op, args: [o, xi], units: n, grain: GRAIN };
}
