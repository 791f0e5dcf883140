import type { ProfileOp } from "./types.js";

/** How each op's work size is computed from its shape (recorded in profiles, shown by plan()). */
export const WORK_UNITS: Record<ProfileOp, string> = {
  rmsNorm: "rows*dim",
  qkNorm: "seqLen*heads*headDim",
  rope: "seqLen*heads*headDim",
  softmax: "rows*n",
  "attention.prefill": "seqLen*kvLen*heads*headDim",
  "attention.decode": "seqLen*kvLen*heads*headDim",
  "matmul.f32": "batch*inDim*outDim",
  "matmul.q8_0": "batch*inDim*outDim",
  add: "n",
  mul: "n",
  gelu: "n",
  silu: "n",
};
