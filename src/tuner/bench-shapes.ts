// The shapes `crossover bench` measures: those of the reference document's
// tables (pure-go-llamas' benchmark results), so our numbers can be read
// beside theirs. Data, not code: add a row to measure another shape.

export type BenchOp = "rope" | "qkNorm" | "rmsNorm" | "softmax" | "attention" | "matmul.f32" | "matmul.q8_0";

export interface BenchCase {
  op: BenchOp;
  /** A short name like the reference document's (SingleQuery_16h, Large_1x2048x2048). */
  label: string;
  shape: Record<string, number>;
}

const ropeSeq = [1, 4, 8, 16, 32, 64, 128, 256, 512];

export const BENCH_CASES: BenchCase[] = [
  ...ropeSeq.map((seqLen) => ({ op: "rope" as const, label: `seq${seqLen}_16h_64`, shape: { seqLen, heads: 16, headDim: 64 } })),
  ...([[1, 8], [8, 8], [32, 16], [128, 16]] as const).map(([seqLen, heads]) => ({
    op: "qkNorm" as const, label: `${seqLen}x${heads}x64`, shape: { seqLen, heads, headDim: 64 },
  })),
  ...[128, 256, 512, 1024, 2048, 4096, 8192].map((dim) => ({ op: "rmsNorm" as const, label: `dim${dim}`, shape: { rows: 1, dim } })),
  ...[2, 4, 8, 16].map((rows) => ({ op: "rmsNorm" as const, label: `batch${rows}x2048`, shape: { rows, dim: 2048 } })),
  ...[128, 1024, 4096, 32000].map((n) => ({ op: "softmax" as const, label: `n${n}`, shape: { rows: 1, n } })),
  // single-query decode: one query against a 512-token cache (the reference does not give its cache length)
  ...[8, 16, 32].map((heads) => ({ op: "attention" as const, label: `SingleQuery_${heads}h`, shape: { seqLen: 1, kvLen: 512, heads, headDim: 64 } })),
  ...([[8, 8, "Short"], [8, 16, "Short"], [8, 32, "Short"], [32, 16, "Medium"], [128, 16, "Long"]] as const).map(([seqLen, heads, name]) => ({
    op: "attention" as const, label: `${name}_${seqLen}x${heads}`, shape: { seqLen, kvLen: seqLen, heads, headDim: 64 },
  })),
  ...(["matmul.f32", "matmul.q8_0"] as const).flatMap((op) =>
    ([[1, 128, "Small"], [1, 256, "Small"], [1, 512, "Medium"], [1, 1024, "Medium"], [1, 2048, "Large"], [4, 512, "Medium"], [4, 2048, "Large"], [8, 2048, "Large"]] as const)
      .map(([batch, dim, name]) => ({ op, label: `${name}_${batch}x${dim}x${dim}`, shape: { batch, inDim: dim, outDim: dim } }))),
];
