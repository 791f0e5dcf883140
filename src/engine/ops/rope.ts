import { describe, dim, finite, options, tensor } from "../validate.js";
import { unitsOf, workOf } from "./descriptors.js";
import type { OpCall, OpContext } from "./op-call.js";

export interface RopeShape {
  seqLen: number;
  heads: number;
  headDim: number;
  /** The position of each token, or the first position of consecutive ones. */
  positions: ArrayLike<number> | number;
  base?: number;
  /** neox pairs element i with i + headDim/2; interleaved pairs 2i with 2i+1. */
  style?: "neox" | "interleaved";
}

/** RoPE rotates pairs: headDim must be even. For the op and for plan(). */
export function ropeHeadDim(op: string, value: unknown): number {
  const headDim = dim(op, "headDim", value, 2);
  if (headDim % 2 !== 0) throw new RangeError(`${op}: headDim must be even (elements are rotated in pairs), got ${headDim}`);
  return headDim;
}

export function ropeCall(ctx: OpContext, x: Float32Array, shape: RopeShape): OpCall {
  const op = "rope";
  const s = options<RopeShape>(op, shape);
  const seqLen = dim(op, "seqLen", s.seqLen);
  const heads = dim(op, "heads", s.heads);
  const headDim = ropeHeadDim(op, s.headDim);
  const base = finite(op, "base", s.base ?? 10000, true);
  const style = s.style ?? "neox";
  if (style !== "neox" && style !== "interleaved") throw new RangeError(`${op}: style must be "neox" or "interleaved", got ${String(style)}`);
  checkPositions(op, s.positions, seqLen);
  const xi = tensor(ctx.arena, op, "x", x, seqLen * heads * headDim, () => `seqLen*heads*headDim (${seqLen}x${heads}x${headDim})`);
  const table = ctx.ropeTables.rowTable(headDim, base, s.positions, seqLen);
  return { op, work: workOf(op, { seqLen, heads, headDim }), kernel: "rope", args: [xi, table, heads, headDim, style === "interleaved" ? 1 : 0], units: unitsOf(op, { seqLen, heads }) };
}

const MAX_POSITION = 2 ** 31 - 1;

function checkPositions(op: string, positions: unknown, seqLen: number): void {
  if (typeof positions === "number") {
    if (!Number.isInteger(positions) || positions < 0 || positions + seqLen - 1 > MAX_POSITION) {
      throw new RangeError(`${op}: positions as a start position must be an integer >= 0, got ${positions}`);
    }
    return;
  }
  if (positions === null || typeof positions !== "object" || typeof (positions as ArrayLike<number>).length !== "number") {
    throw new TypeError(`${op}: positions must be an array of seqLen integers or a start position, got ${describe(positions)}`);
  }
  const p = positions as ArrayLike<number>;
  if (p.length !== seqLen) throw new RangeError(`${op}: positions has length ${p.length}, expected seqLen = ${seqLen}`);
  for (let i = 0; i < seqLen; i++) {
    const v = p[i];
    if (!Number.isInteger(v) || v < 0 || v > MAX_POSITION) {
      throw new RangeError(`${op}: positions[${i}] must be an integer from 0 to ${MAX_POSITION}, got ${v}`);
    }
  }
}
