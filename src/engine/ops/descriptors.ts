// One descriptor per op: the one place to read how an op is measured and
// split, and what runs it when no profile says otherwise. Dispatch (each op's
// call), plan(), the profile's `work` string, the built-in defaults and the
// report all derive from it (ggml's ggml_get_n_tasks is the model: one place
// to learn an op's threading rule).
import type { KernelName } from "../pool/control-block.js";
import { PROFILE_OPS, type ProfileOp } from "../profile/types.js";

export interface OpDescriptor {
  /** The engine method that runs it (plan() takes this name too). */
  method: "rmsNorm" | "qkNorm" | "rope" | "softmax" | "attention" | "matmul" | "add" | "mul" | "gelu" | "silu";
  /** The kernels a call runs, in order. */
  kernels: readonly KernelName[];
  /** Shape fields whose product is the work size; "*"-joined, the profile's `work` string. */
  workFields: readonly string[];
  /** What one unit of the parallel split is: slices are whole units. */
  unit: string;
  /** The built-in rule: the reference document's recommendation, or serial where it gave none. */
  builtIn: { minWork?: number; reason: string };
}

const REFERENCE = "reference document (pure-go-llamas, Ryzen 9 7900)";
const NONE = "no recommendation in the reference document: serial";
const MATMUL = ["batch", "inDim", "outDim"] as const;
const ATTENTION = ["seqLen", "kvLen", "heads", "headDim"] as const;
const HEADS = ["seqLen", "heads", "headDim"] as const;

export const OPS: Record<ProfileOp, OpDescriptor> = {
  rmsNorm: { method: "rmsNorm", kernels: ["rmsNorm"], workFields: ["rows", "dim"], unit: "row",
    builtIn: { minWork: 4 * 2048, reason: `${REFERENCE}: parallelize at batch level, from 4 rows (dim 2048)` } },
  qkNorm: { method: "qkNorm", kernels: ["rmsNorm"], workFields: HEADS, unit: "head of a token",
    builtIn: { reason: `${REFERENCE}: per-head normalization too fine-grained, keep serial` } },
  rope: { method: "rope", kernels: ["rope"], workFields: HEADS, unit: "head of a token",
    builtIn: { minWork: 64 * 64, reason: `${REFERENCE}: minWork = 64 (seqLen x heads), kept; here x headDim 64` } },
  softmax: { method: "softmax", kernels: ["softmax"], workFields: ["rows", "n"], unit: "row", builtIn: { reason: NONE } },
  "attention.prefill": { method: "attention", kernels: ["attention"], workFields: ATTENTION, unit: "query of a head",
    builtIn: { minWork: 32 * 32 * 8 * 64, reason: `${REFERENCE}: multi-query from 8 heads with 32+ tokens (32 queries x 32 keys x 8 heads x headDim 64)` } },
  "attention.decode": { method: "attention", kernels: ["attention"], workFields: ATTENTION, unit: "query of a head",
    builtIn: { reason: `${REFERENCE}: single-query attention regressed on 16 and 32 heads; "consider disabling"` } },
  "matmul.f32": { method: "matmul", kernels: ["matmulF32"], workFields: MATMUL, unit: "output row (16 at a time)",
    builtIn: { reason: `${REFERENCE}: matmul kept serial` } },
  "matmul.q8_0": { method: "matmul", kernels: ["quantizeRowsQ8", "matmulQ8"], workFields: MATMUL, unit: "activation row, then output row (16 at a time)",
    builtIn: { reason: `${REFERENCE}: matmul kept serial` } },
  add: { method: "add", kernels: ["add"], workFields: ["n"], unit: "16 elements", builtIn: { reason: NONE } },
  mul: { method: "mul", kernels: ["mul"], workFields: ["n"], unit: "16 elements", builtIn: { reason: NONE } },
  gelu: { method: "gelu", kernels: ["gelu"], workFields: ["n"], unit: "16 elements", builtIn: { reason: NONE } },
  silu: { method: "silu", kernels: ["silu"], workFields: ["n"], unit: "16 elements", builtIn: { reason: NONE } },
};

/** The profile's `work` string of an op, e.g. "seqLen*heads*headDim". */
export function workFormula(op: ProfileOp): string {
  return OPS[op].workFields.join("*");
}

/** An op's work size from its checked dimensions: the product of its work fields. */
export function workOf(op: ProfileOp, dims: Readonly<Record<string, number>>): number {
  let w = 1;
  for (const f of OPS[op].workFields) w *= dims[f];
  return w;
}

/** The work strings of every op, as profiles record them. */
export const WORK_UNITS: Record<ProfileOp, string> = Object.fromEntries(PROFILE_OPS.map((op) => [op, workFormula(op)])) as Record<ProfileOp, string>;
