import type { ProfileOp } from "./profile/types.js";
import { attentionDims, attentionKey } from "./ops/attention.js";
import { workOf } from "./ops/descriptors.js";
import { q8InDim } from "./ops/matmul.js";
import { ropeHeadDim } from "./ops/rope.js";
import { describe, dim, options } from "./validate.js";

/** Ops plan() knows, by the engine method's name or the profile's. */
export const PLAN_OPS = [
  "rmsNorm", "qkNorm", "rope", "softmax", "attention", "attention.prefill", "attention.decode",
  "matmul", "matmul.f32", "matmul.q8_0", "add", "mul", "gelu", "silu",
] as const;
export type PlanOp = (typeof PLAN_OPS)[number];

type Shape = Record<string, unknown>;

/** The profile op and work size of an op's shape, checked as the op itself would check it. */
export function planWork(op: string, shape: unknown): { key: ProfileOp; work: number } {
  if (!(PLAN_OPS as readonly string[]).includes(op)) {
    throw new RangeError(`plan: unknown op ${JSON.stringify(op)}; expected one of ${PLAN_OPS.join(", ")}`);
  }
  const s = options<Shape>(`plan(${op})`, shape);
  const n = (name: string, fallback?: number) => dim(`plan(${op})`, name, s[name] ?? fallback);
  const of = (key: ProfileOp, dims: Record<string, number>) => ({ key, work: workOf(key, dims) });
  switch (op as PlanOp) {
    case "rmsNorm": return of("rmsNorm", { rows: n("rows"), dim: n("dim") });
    case "qkNorm": return of("qkNorm", { seqLen: n("seqLen"), heads: n("heads"), headDim: n("headDim") });
    case "rope": return of("rope", { seqLen: n("seqLen"), heads: n("heads"), headDim: ropeHeadDim(`plan(${op})`, s.headDim) });
    case "softmax": return of("softmax", { rows: n("rows"), n: n("n") });
    case "attention": case "attention.prefill": case "attention.decode": {
      const { seqLen, kvLen, heads, headDim } = attentionDims(`plan(${op})`, s);
      return of(op === "attention" ? attentionKey(seqLen) : op as ProfileOp, { seqLen, kvLen, heads, headDim });
    }
    case "matmul": case "matmul.f32": case "matmul.q8_0": {
      const weights = s.weights ?? (op === "matmul.q8_0" ? "q8_0" : "f32");
      if (weights !== "f32" && weights !== "q8_0") {
        throw new RangeError(`plan(${op}): weights must be "f32" or "q8_0", got ${typeof weights === "string" ? weights : describe(weights)}`);
      }
      const dims = { batch: n("batch"), inDim: n("inDim"), outDim: n("outDim") };
      if (weights === "q8_0") q8InDim(`plan(${op})`, dims.inDim);
      return of(weights === "q8_0" ? "matmul.q8_0" : "matmul.f32", dims);
    }
    default: return of(op as ProfileOp, { n: n("n") });
  }
}
