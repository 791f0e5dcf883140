import { dim, finite, flag, noOverlap, options, tensor } from "../validate.js";
import { unitsOf, workOf } from "./descriptors.js";
import type { OpCall, OpContext } from "./op-call.js";

export interface AttentionShape {
  seqLen: number;
  kvLen: number;
  heads: number;
  /** K/V heads; heads % kvHeads == 0 (grouped-query attention). Default: heads. */
  kvHeads?: number;
  headDim: number;
  /** Query i sits at position kvLen - seqLen + i and sees keys up to it. Default true. */
  causal?: boolean;
  /** Default 1 / sqrt(headDim). */
  scale?: number;
}

/**
 * Per-thread scratch bytes of the wasm attention kernel: the two-pass kernel's
 * score rows (four units' scores per key), or the tiled prefill kernel's block
 * of scores and each tile unit's output, softmax state, query row and key count (blocks of 64 keys,
 * tiles of 16 units), whichever is larger. The module's attentionScratchBytes
 * must agree (test/attention.test.ts checks).
 */
export function attentionScratchBytes(kvLen: number, headDim: number): number {
  const keys = 64, units = 16;
  return Math.max(16 * (kvLen + 4), keys * 16 + units * headDim * 4 + units * 16);
}

/** One query is decoding; more are a prefill: two rules, since their costs differ. */
export function attentionKey(seqLen: number): "attention.decode" | "attention.prefill" {
  return seqLen === 1 ? "attention.decode" : "attention.prefill";
}

/** An attention shape's sizes, checked field by field and against each other: for the op and for plan(). */
export function attentionDims(op: string, shape: unknown) {
  const s = options<AttentionShape>(op, shape);
  const seqLen = dim(op, "seqLen", s.seqLen);
  const kvLen = dim(op, "kvLen", s.kvLen);
  const heads = dim(op, "heads", s.heads);
  const kvHeads = dim(op, "kvHeads", s.kvHeads ?? heads);
  const headDim = dim(op, "headDim", s.headDim);
  const causal = flag(op, "causal", s.causal, true);
  if (heads % kvHeads !== 0) throw new RangeError(`${op}: heads (${heads}) must be a multiple of kvHeads (${kvHeads})`);
  if (causal && kvLen < seqLen) {
    throw new RangeError(`${op}: causal attention needs kvLen >= seqLen (the queries are the last seqLen positions), got kvLen ${kvLen} < seqLen ${seqLen}`);
  }
  return { s, seqLen, kvLen, heads, kvHeads, headDim, causal };
}

export function attentionCall(ctx: OpContext, out: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array,
    shape: AttentionShape): OpCall {
  const op = "attention";
  const { s, seqLen, kvLen, heads, kvHeads, headDim, causal } = attentionDims(op, shape);
  const scale = finite(op, "scale", s.scale ?? 1 / Math.sqrt(headDim));
  const qShape = () => `seqLen*heads*headDim (${seqLen}x${heads}x${headDim})`;
  const kvShape = () => `kvLen*kvHeads*headDim (${kvLen}x${kvHeads}x${headDim})`;
  const o = tensor(ctx.arena, op, "out", out, seqLen * heads * headDim, qShape);
  const qi = tensor(ctx.arena, op, "q", q, seqLen * heads * headDim, qShape);
  const ki = tensor(ctx.arena, op, "k", k, kvLen * kvHeads * headDim, kvShape);
  const vi = tensor(ctx.arena, op, "v", v, kvLen * kvHeads * headDim, kvShape);
  const qBytes = 4 * seqLen * heads * headDim, kvBytes = 4 * kvLen * kvHeads * headDim;
  noOverlap(op, "out", o, qBytes, "q", qi, qBytes);
  noOverlap(op, "out", o, qBytes, "k", ki, kvBytes);
  noOverlap(op, "out", o, qBytes, "v", vi, kvBytes);
  // each thread gets its own score rows, a cache line apart
  const stride = Math.ceil(attentionScratchBytes(kvLen, headDim) / 64) * 64;
  const scratch = ctx.scratch.get("attention.scores", stride * ctx.threads);
  const key = attentionKey(seqLen);
  return {
    op: key,
    work: workOf(key, { seqLen, kvLen, heads, headDim }),
    kernel: "attention",
    args: [o, qi, ki, vi, scratch, seqLen, kvLen, heads, kvHeads, headDim, causal ? 1 : 0, scale],
    units: unitsOf(key, { seqLen, heads }),
    perThreadScratch: { arg: 4, bytes: stride },
  };
}
