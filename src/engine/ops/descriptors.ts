// One descriptor per op: the one place to read how an op is measured and
// split, and what runs it when no profile says otherwise. Dispatch (each op's
// call), plan(), the profile's `work` string, the built-in defaults and the
// report all derive from it (ggml's ggml_get_n_tasks is the model: one place
// to learn an op's threading rule).
import type { KernelName } from "../../kernels/types.js";

export interface OpDescriptor {
  /** The engine method that runs it; elementwise ops run through `unary` or `binary` with their name. */
  method: "rmsNorm" | "qkNorm" | "rope" | "softmax" | "attention" | "matmul" | "unary" | "binary";
  /** The kernels a call runs, in order. */
  kernels: readonly KernelName[];
  /** Kernels a call of `fromBatch` activation rows or more runs instead (the same bits, faster there). */
  batchKernels?: { fromBatch: number; kernels: readonly KernelName[] };
  /** Shape fields whose product is the work size; "*"-joined, the profile's `work` string. */
  workFields: readonly string[];
  /** What one unit of the parallel split is: slices are whole units. */
  unit: string;
  /** Shape fields whose product is the number of units, where a shape can have as few as one (a shape of one unit cannot be split). */
  unitFields?: readonly string[];
  /** An op doing the same arithmetic per unit of work (same kernel, same work measure): the report flags the two when they differ by more than 3x. */
  sameArithmeticAs?: string;
  /** Its operations when not f32 (Q8_0's multiply-adds are int8): `crossover bench` sets only f32 ones against the f32 peak. */
  arithmetic?: "int8";
  /** The built-in rule: the reference document's recommendation, or serial where it gave none. */
  builtIn: { minWork?: number; reason: string };
  /** What the tuner sweeps: families of shapes (fixed fields, one axis walked), and held-out shapes on no grid. */
  sweep: { families: readonly SweepFamily[]; heldOut: readonly Dims[] };
  /** What `crossover bench` measures: the reference document's shapes, named as it names them. */
  bench?: readonly { label: string; shape: Dims }[];
  /** Elementwise ops: the tuner's random inputs lie in [-inputScale, inputScale). */
  inputScale?: number;
}

type Dims = Readonly<Record<string, number>>;

/** Shapes with `fixed` fields and `axis` walking `values` (fields in `follow` take the axis value too). */
export interface SweepFamily {
  fixed: Dims;
  axis: string;
  values: readonly number[];
  follow?: readonly string[];
}

const pow2 = (from: number, to: number): number[] => {
  const out: number[] = [];
  for (let v = from; v <= to; v *= 2) out.push(v);
  return out;
};
const SEQ = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];
/** rope and qkNorm: the reference document's seqLen 1..512 x heads 4..32, head sizes 64 and 128. */
const PER_HEAD: SweepFamily[] = [4, 8, 16, 32].flatMap((heads) => [64, 128].map((headDim) => ({ fixed: { heads, headDim }, axis: "seqLen", values: SEQ })));
/** Attention: MHA and GQA (4 query heads per KV head) at 8, 16 and 32 heads. */
const ATTENTION_HEADS = [8, 16, 32].flatMap((heads) => [heads, heads / 4].map((kvHeads) => ({ heads, kvHeads, headDim: 64 })));
/** Small square dims are dense: that is where batch-1 matmuls cross over. */
const MATMUL_SWEEP: SweepFamily[] = ([[128, 128], [160, 160], [256, 256], [320, 320], [512, 512], [1024, 1024], [2048, 2048], [2048, 8192]] as const)
  .map(([inDim, outDim]) => ({ fixed: { inDim, outDim }, axis: "batch", values: pow2(1, 64) }));
const ELEMENTWISE: SweepFamily[] = [{ fixed: {}, axis: "n", values: pow2(256, 1 << 20).filter((_, i) => i % 2 === 0) }];

/** The reference document's matmul shapes: batch x dim x dim. */
const MATMUL_BENCH = ([[1, 128, "Small"], [1, 256, "Small"], [1, 512, "Medium"], [1, 1024, "Medium"], [1, 2048, "Large"], [4, 512, "Medium"], [4, 2048, "Large"], [8, 2048, "Large"]] as const)
  .map(([batch, dim, name]) => ({ label: `${name}_${batch}x${dim}x${dim}`, shape: { batch, inDim: dim, outDim: dim } }));

/** An elementwise op: `kernel` of the unary or binary table, one unit per 16 elements. */
const elementwise = (kernel: KernelName, method: "unary" | "binary", inputScale: number, heldOut: Dims[]): OpDescriptor => ({
  method, kernels: [kernel], workFields: ["n"], unit: "16 elements", builtIn: { reason: NONE }, sweep: { families: ELEMENTWISE, heldOut }, inputScale,
});

const REFERENCE = "reference document (pure-go-llamas, Ryzen 9 7900)";
const NONE = "no recommendation in the reference document: serial";
const MATMUL = ["batch", "inDim", "outDim"] as const;
const ATTENTION = ["seqLen", "kvLen", "heads", "headDim"] as const;
const HEADS = ["seqLen", "heads", "headDim"] as const;

const DESCRIPTORS = {
  rmsNorm: { method: "rmsNorm", kernels: ["rmsNorm"], workFields: ["rows", "dim"], unit: "row", unitFields: ["rows"],
    builtIn: { minWork: 4 * 2048, reason: `${REFERENCE}: parallelize at batch level, from 4 rows (dim 2048)` },
    sweep: { families: [768, 2048, 4096, 8192].map((dim) => ({ fixed: { dim }, axis: "rows", values: pow2(1, 64) })),
      heldOut: [{ rows: 3, dim: 3072 }, { rows: 12, dim: 1536 }, { rows: 48, dim: 5120 }] },
    bench: [...[128, 256, 512, 1024, 2048, 4096, 8192].map((dim) => ({ label: `dim${dim}`, shape: { rows: 1, dim } })),
      ...[2, 4, 8, 16].map((rows) => ({ label: `batch${rows}x2048`, shape: { rows, dim: 2048 } }))] },
  qkNorm: { method: "qkNorm", kernels: ["rmsNorm"], workFields: HEADS, unit: "head of a token", unitFields: ["seqLen", "heads"], sameArithmeticAs: "rmsNorm",
    builtIn: { reason: `${REFERENCE}: per-head normalization too fine-grained, keep serial` },
    sweep: { families: PER_HEAD, heldOut: [{ seqLen: 24, heads: 12, headDim: 64 }, { seqLen: 3, heads: 6, headDim: 128 }, { seqLen: 200, heads: 12, headDim: 128 }] },
    bench: ([[1, 8], [8, 8], [32, 16], [128, 16]] as const).map(([seqLen, heads]) => ({ label: `${seqLen}x${heads}x64`, shape: { seqLen, heads, headDim: 64 } })) },
  rope: { method: "rope", kernels: ["rope"], workFields: HEADS, unit: "head of a token", unitFields: ["seqLen", "heads"],
    builtIn: { minWork: 64 * 64, reason: `${REFERENCE}: minWork = 64 (seqLen x heads), kept; here x headDim 64` },
    sweep: { families: PER_HEAD, heldOut: [{ seqLen: 48, heads: 12, headDim: 64 }, { seqLen: 3, heads: 20, headDim: 128 }, { seqLen: 384, heads: 12, headDim: 64 }] },
    bench: [1, 4, 8, 16, 32, 64, 128, 256, 512].map((seqLen) => ({ label: `seq${seqLen}_16h_64`, shape: { seqLen, heads: 16, headDim: 64 } })) },
  softmax: { method: "softmax", kernels: ["softmax"], workFields: ["rows", "n"], unit: "row", unitFields: ["rows"], builtIn: { reason: NONE },
    sweep: { families: [1024, 4096, 32000].map((n) => ({ fixed: { n }, axis: "rows", values: pow2(1, 64) })), heldOut: [{ rows: 3, n: 2048 }, { rows: 24, n: 16000 }] },
    bench: [128, 1024, 4096, 32000].map((n) => ({ label: `n${n}`, shape: { rows: 1, n } })) },
  "attention.prefill": { method: "attention", kernels: ["attention"], workFields: ATTENTION, unit: "query of a head", unitFields: ["seqLen", "heads"],
    builtIn: { minWork: 32 * 32 * 8 * 64, reason: `${REFERENCE}: multi-query from 8 heads with 32+ tokens (32 queries x 32 keys x 8 heads x headDim 64)` },
    sweep: { families: ATTENTION_HEADS.map((fixed) => ({ fixed, axis: "seqLen", values: SEQ.slice(1), follow: ["kvLen"] })),
      heldOut: [{ seqLen: 24, kvLen: 24, heads: 12, kvHeads: 4, headDim: 64 }, { seqLen: 3, kvLen: 3, heads: 12, kvHeads: 12, headDim: 64 }, { seqLen: 96, kvLen: 96, heads: 12, kvHeads: 12, headDim: 64 }] },
    bench: ([[8, 8, "Short"], [8, 16, "Short"], [8, 32, "Short"], [32, 16, "Medium"], [128, 16, "Long"]] as const)
      .map(([seqLen, heads, name]) => ({ label: `${name}_${seqLen}x${heads}`, shape: { seqLen, kvLen: seqLen, heads, headDim: 64 } })) },
  "attention.decode": { method: "attention", kernels: ["attention"], workFields: ATTENTION, unit: "query of a head", unitFields: ["seqLen", "heads"],
    builtIn: { reason: `${REFERENCE}: single-query attention regressed on 16 and 32 heads; "consider disabling"` },
    sweep: { families: ATTENTION_HEADS.map((h) => ({ fixed: { seqLen: 1, ...h }, axis: "kvLen", values: pow2(16, 8192) })),
      heldOut: [{ seqLen: 1, kvLen: 24, heads: 12, kvHeads: 12, headDim: 64 }, { seqLen: 1, kvLen: 300, heads: 12, kvHeads: 4, headDim: 64 }, { seqLen: 1, kvLen: 3000, heads: 12, kvHeads: 12, headDim: 64 }] },
    // one query against a 512-token cache (the reference document does not give its cache length)
    bench: [8, 16, 32].map((heads) => ({ label: `SingleQuery_${heads}h`, shape: { seqLen: 1, kvLen: 512, heads, headDim: 64 } })) },
  "matmul.f32": { method: "matmul", kernels: ["matmulF32"], workFields: MATMUL, unit: "output row (16 at a time)",
    builtIn: { reason: `${REFERENCE}: matmul kept serial` },
    sweep: { families: MATMUL_SWEEP, heldOut: [{ batch: 1, inDim: 192, outDim: 192 }, { batch: 3, inDim: 768, outDim: 768 }, { batch: 12, inDim: 1536, outDim: 1536 }] },
    bench: MATMUL_BENCH },
  "matmul.q8_0": { method: "matmul", kernels: ["quantizeRowsQ8", "matmulQ8"], workFields: MATMUL, unit: "activation row, then output row (16 at a time)", arithmetic: "int8",
    // the u8 form (see kernels/types.ts) pays off from the 4x4 tile's four activation rows
    batchKernels: { fromBatch: 4, kernels: ["quantizeRowsQ8U", "matmulQ8U"] },
    builtIn: { reason: `${REFERENCE}: matmul kept serial` },
    sweep: { families: MATMUL_SWEEP, heldOut: [{ batch: 1, inDim: 192, outDim: 192 }, { batch: 3, inDim: 768, outDim: 3072 }, { batch: 12, inDim: 1536, outDim: 1536 }] },
    bench: MATMUL_BENCH },
  add: elementwise("add", "binary", 1, [{ n: 3000 }, { n: 300000 }]),
  mul: elementwise("mul", "binary", 1, [{ n: 24000 }]),
  gelu: elementwise("gelu", "unary", 4, [{ n: 6000 }, { n: 200000 }]),
  silu: elementwise("silu", "unary", 4, [{ n: 1500 }, { n: 90000 }]),
} satisfies Record<string, OpDescriptor>;

/** An op with its own rule in a profile (attention and matmul split by kind). */
export type ProfileOp = keyof typeof DESCRIPTORS;
export const OPS: Readonly<Record<ProfileOp, OpDescriptor>> = DESCRIPTORS;
/** Every profile op, in the order profiles, sweeps and reports list them. */
export const PROFILE_OPS = Object.keys(OPS) as ProfileOp[];

/** The profile's `work` string of an op, e.g. "seqLen*heads*headDim". */
export function workFormula(op: ProfileOp): string {
  return OPS[op].workFields.join("*");
}

/** Every kernel an op's calls may run, the batch alternates included. */
export function kernelsOf(op: ProfileOp): readonly KernelName[] {
  return [...OPS[op].kernels, ...(OPS[op].batchKernels?.kernels ?? [])];
}

/** An op's work size from its checked dimensions: the product of its work fields. */
export function workOf(op: ProfileOp, dims: Readonly<Record<string, number>>): number {
  let w = 1;
  for (const f of OPS[op].workFields) w *= dims[f];
  return w;
}

/** How many units an op's call splits into (Infinity where the descriptor names no unit fields: never as few as one). */
export function unitsOf(op: ProfileOp, dims: Readonly<Record<string, number>>): number {
  const fields = OPS[op].unitFields;
  if (!fields) return Infinity;
  let u = 1;
  for (const f of fields) u *= dims[f];
  return u;
}

/** The work strings of every op, as profiles record them. */
export const WORK_UNITS: Record<ProfileOp, string> = Object.fromEntries(PROFILE_OPS.map((op) => [op, workFormula(op)])) as Record<ProfileOp, string>;
