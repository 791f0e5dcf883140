import { describe, noOverlap, tensor } from "../validate.js";
import type { BinaryKernelName, UnaryKernelName } from "../../kernels/types.js";
import { OPS, PROFILE_OPS, workOf, type ProfileOp } from "./descriptors.js";
import type { OpCall, OpContext } from "./op-call.js";

/** Elementwise ops are named as their kernels are. */
export type BinaryOp = BinaryKernelName & ProfileOp;
export type UnaryOp = UnaryKernelName & ProfileOp;

/** Elementwise slices end on 16-float (64-byte) boundaries so threads never share an output cache line. */
const GRAIN = 16;

/** The op's descriptor name, checked: callers from JavaScript may pass any string. */
/** The elementwise ops of each method (computed once: this check runs on every op). */
const KNOWN = {
  unary: new Set<string>(PROFILE_OPS.filter((o) => OPS[o].method === "unary")),
  binary: new Set<string>(PROFILE_OPS.filter((o) => OPS[o].method === "binary")),
};

function elementwiseOp(method: "unary" | "binary", op: unknown): ProfileOp {
  if (typeof op === "string" && KNOWN[method].has(op)) return op as ProfileOp;
  const known = [...KNOWN[method]].join(", ");
  if (typeof op !== "string") throw new TypeError(`${method}: op must be a string (one of ${known}), got ${describe(op)}`);
  throw new RangeError(`${method}: unknown op ${JSON.stringify(op)}; expected one of ${known}`);
}

function length(op: string, out: unknown): number {
  if (!(out instanceof Float32Array)) throw new TypeError(`${op}: out must be a Float32Array allocated with engine.f32(), got ${describe(out)}`);
  if (out.length === 0) throw new RangeError(`${op}: out is empty`);
  return out.length;
}

/** out = a + b or a * b, elementwise; out may be a or b itself (in place). */
export function binaryCall(ctx: OpContext, name: BinaryOp, out: Float32Array, a: Float32Array, b: Float32Array): OpCall {
  const op = elementwiseOp("binary", name);
  const n = length(op, out);
  const shape = () => `out.length`;
  const o = tensor(ctx.arena, op, "out", out, n, shape);
  const ai = tensor(ctx.arena, op, "a", a, n, shape);
  const bi = tensor(ctx.arena, op, "b", b, n, shape);
  noOverlap(op, "out", o, 4 * n, "a", ai, 4 * n, true);
  noOverlap(op, "out", o, 4 * n, "b", bi, 4 * n, true);
  return { op, work: workOf(op, { n }), kernel: OPS[op].kernels[0], args: [o, ai, bi], units: n, grain: GRAIN };
}

/** out = f(x), e.g. gelu (tanh form) or silu; out may be x itself. */
export function unaryCall(ctx: OpContext, name: UnaryOp, out: Float32Array, x: Float32Array): OpCall {
  const op = elementwiseOp("unary", name);
  const n = length(op, out);
  const o = tensor(ctx.arena, op, "out", out, n, () => "out.length");
  const xi = tensor(ctx.arena, op, "x", x, n, () => "out.length");
  noOverlap(op, "out", o, 4 * n, "x", xi, 4 * n, true);
  return { op, work: workOf(op, { n }), kernel: OPS[op].kernels[0], args: [o, xi], units: n, grain: GRAIN };
}
