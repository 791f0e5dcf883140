import { planWork } from "../engine/plan-work.js";
import type { ProfileOp } from "../engine/profile/types.js";
import type { GridPoint, Level, Shape } from "../results/types.js";

// What `crossover tune` sweeps. Data, not code: a family is an op, the shape
// fields it keeps fixed, and the axis it walks; refinement inserts points on
// that axis where the winner changes.

export const LEVELS: Level[] = ["quick", "standard", "thorough"];

export interface Family {
  op: ProfileOp;
  fixed: Shape;
  axis: string;
  values: number[];
  /** Fields that follow the axis (attention prefill: kvLen = seqLen). */
  follow?: string[];
}

export interface LevelSpec {
  /** Default budget of the whole run, seconds. */
  budgetSeconds: number;
  /** Sample time per thread count per point, ms (split over the rounds). */
  sampleMs: number;
  rounds: number;
  /** Keep every n-th family variant and axis value of the full grid (1: all). */
  thin: number;
  /** Bisection passes over the flips. */
  refinePasses: number;
  /** Preset for the layer proof. */
  layer: { preset: "gemma-3-270m" | "llama-3.2-1b"; weights: "f32" | "q8_0" };
}

export const LEVEL_SPECS: Record<Level, LevelSpec> = {
  quick: { budgetSeconds: 60, sampleMs: 30, rounds: 2, thin: 2, refinePasses: 1, layer: { preset: "gemma-3-270m", weights: "q8_0" } },
  standard: { budgetSeconds: 300, sampleMs: 90, rounds: 3, thin: 1, refinePasses: 3, layer: { preset: "llama-3.2-1b", weights: "q8_0" } },
  thorough: { budgetSeconds: 900, sampleMs: 250, rounds: 4, thin: 1, refinePasses: 5, layer: { preset: "llama-3.2-1b", weights: "q8_0" } },
};

const pow2 = (from: number, to: number) => {
  const out: number[] = [];
  for (let v = from; v <= to; v *= 2) out.push(v);
  return out;
};

function families(): Family[] {
  const f: Family[] = [];
  const seq = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];
  for (const op of ["rope", "qkNorm"] as const) {
    for (const heads of [4, 8, 16, 32]) for (const headDim of [64, 128]) f.push({ op, fixed: { heads, headDim }, axis: "seqLen", values: seq });
  }
  for (const dim of [768, 2048, 4096, 8192]) f.push({ op: "rmsNorm", fixed: { dim }, axis: "rows", values: pow2(1, 64) });
  for (const n of [1024, 4096, 32000]) f.push({ op: "softmax", fixed: { n }, axis: "rows", values: pow2(1, 64) });
  for (const heads of [8, 16, 32]) {
    for (const kvHeads of [heads, heads / 4]) {
      f.push({ op: "attention.prefill", fixed: { heads, kvHeads, headDim: 64 }, axis: "seqLen", values: seq.slice(1), follow: ["kvLen"] });
      f.push({ op: "attention.decode", fixed: { seqLen: 1, heads, kvHeads, headDim: 64 }, axis: "kvLen", values: pow2(16, 8192) });
    }
  }
  // small square dims are dense: that is where batch-1 matmuls cross over
  const dims: [number, number][] = [[128, 128], [160, 160], [256, 256], [320, 320], [512, 512], [1024, 1024], [2048, 2048], [2048, 8192]];
  for (const op of ["matmul.f32", "matmul.q8_0"] as const) {
    for (const [inDim, outDim] of dims) f.push({ op, fixed: { inDim, outDim }, axis: "batch", values: pow2(1, 64) });
  }
  for (const op of ["add", "mul", "gelu", "silu"] as const) f.push({ op, fixed: {}, axis: "n", values: pow2(256, 1 << 20).filter((_, i) => i % 2 === 0) });
  return f;
}

export function familyName(f: Family): string {
  const fixed = Object.entries(f.fixed).map(([k, v]) => `${k}=${v}`).join(",");
  return `${f.op}[${fixed}] by ${f.axis}`;
}

/** The families a level sweeps, restricted to `ops` when given. */
export function gridFamilies(level: Level, ops?: readonly ProfileOp[]): Family[] {
  const thin = LEVEL_SPECS[level].thin;
  const all = families().filter((f) => !ops || ops.includes(f.op));
  const byOp = new Map<ProfileOp, Family[]>();
  for (const f of all) byOp.set(f.op, [...(byOp.get(f.op) ?? []), f]);
  const out: Family[] = [];
  for (const fs of byOp.values()) {
    // thinning keeps the first and last variants of each op (its smallest and largest shapes)
    const kept = fs.filter((_, i) => i % thin === 0 || i === fs.length - 1);
    for (const f of kept) {
      const values = thin === 1 ? f.values : f.values.filter((_, i) => i % thin === 0 || i === f.values.length - 1);
      out.push({ ...f, values });
    }
  }
  return out;
}

export function pointOf(f: Family, value: number): GridPoint {
  const shape: Shape = { ...f.fixed, [f.axis]: value };
  for (const k of f.follow ?? []) shape[k] = value;
  const work = planWork(f.op, shape).work;
  const key = `${f.op} ${Object.keys(shape).sort().map((k) => `${k}=${shape[k]}`).join(" ")}`;
  return { op: f.op, shape, work, key, family: familyName(f) };
}

/** Every point of the coarse grid, smallest work first within each op. */
export function gridPoints(fams: readonly Family[]): GridPoint[] {
  return fams.flatMap((f) => f.values.map((v) => pointOf(f, v)));
}

/**
 * Points to measure next: on each family, the geometric middle of each pair of
 * neighbouring measured axis values where the winner changes (bisection on
 * work). `winner(key)` says which variant won a measured point.
 */
export function refinePoints(fams: readonly Family[], measured: ReadonlyMap<string, number[]>, winner: (key: string) => number | undefined): GridPoint[] {
  const out: GridPoint[] = [];
  for (const f of fams) {
    const values = [...new Set([...(measured.get(familyName(f)) ?? [])])].sort((a, b) => a - b);
    for (let i = 0; i + 1 < values.length; i++) {
      const a = values[i], b = values[i + 1];
      const wa = winner(pointOf(f, a).key), wb = winner(pointOf(f, b).key);
      if (wa === undefined || wb === undefined || wa === wb) continue;
      const mid = Math.round(Math.sqrt(a * b));
      if (mid <= a || mid >= b) continue;
      out.push(pointOf(f, mid));
    }
  }
  return out;
}

/** Shapes that are not on any grid, to check the profile's choices after fitting. */
export function heldOutPoints(ops?: readonly ProfileOp[]): GridPoint[] {
  const shapes: [ProfileOp, Shape][] = [
    ["rope", { seqLen: 48, heads: 12, headDim: 64 }], ["rope", { seqLen: 3, heads: 20, headDim: 128 }], ["rope", { seqLen: 384, heads: 12, headDim: 64 }],
    ["qkNorm", { seqLen: 24, heads: 12, headDim: 64 }], ["qkNorm", { seqLen: 3, heads: 6, headDim: 128 }], ["qkNorm", { seqLen: 200, heads: 12, headDim: 128 }],
    ["rmsNorm", { rows: 3, dim: 3072 }], ["rmsNorm", { rows: 12, dim: 1536 }], ["rmsNorm", { rows: 48, dim: 5120 }],
    ["softmax", { rows: 3, n: 2048 }], ["softmax", { rows: 24, n: 16000 }],
    ["attention.prefill", { seqLen: 24, kvLen: 24, heads: 12, kvHeads: 4, headDim: 64 }], ["attention.prefill", { seqLen: 3, kvLen: 3, heads: 12, kvHeads: 12, headDim: 64 }],
    ["attention.prefill", { seqLen: 96, kvLen: 96, heads: 12, kvHeads: 12, headDim: 64 }],
    ["attention.decode", { seqLen: 1, kvLen: 24, heads: 12, kvHeads: 12, headDim: 64 }], ["attention.decode", { seqLen: 1, kvLen: 300, heads: 12, kvHeads: 4, headDim: 64 }],
    ["attention.decode", { seqLen: 1, kvLen: 3000, heads: 12, kvHeads: 12, headDim: 64 }],
    ["matmul.f32", { batch: 1, inDim: 192, outDim: 192 }], ["matmul.f32", { batch: 3, inDim: 768, outDim: 768 }], ["matmul.f32", { batch: 12, inDim: 1536, outDim: 1536 }],
    ["matmul.q8_0", { batch: 1, inDim: 192, outDim: 192 }], ["matmul.q8_0", { batch: 3, inDim: 768, outDim: 3072 }], ["matmul.q8_0", { batch: 12, inDim: 1536, outDim: 1536 }],
    ["add", { n: 3000 }], ["add", { n: 300000 }], ["mul", { n: 24000 }], ["gelu", { n: 6000 }], ["gelu", { n: 200000 }], ["silu", { n: 1500 }], ["silu", { n: 90000 }],
  ];
  return shapes.filter(([op]) => !ops || ops.includes(op)).map(([op, shape]) => {
    const work = planWork(op, shape).work;
    return { op, shape, work, key: `held-out ${op} ${Object.keys(shape).sort().map((k) => `${k}=${shape[k]}`).join(" ")}`, family: "held-out" };
  });
}
