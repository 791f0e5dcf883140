import { OPS } from "../engine/ops/descriptors.js";
import { planWork } from "../engine/plan-work.js";
import type { ProfileOp } from "../engine/profile/types.js";
import type { GridPoint, Level, Shape } from "../results/types.js";

// What `crossover tune` sweeps: each op's families and held-out shapes (data,
// in its descriptor), thinned per level. A family is an op, the shape fields it
// keeps fixed, and the axis it walks; refinement inserts points on that axis
// where the winner changes.

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

/** Every op's families, from its descriptor. */
function families(): Family[] {
  return (Object.keys(OPS) as ProfileOp[]).flatMap((op) => OPS[op].sweep.families.map((f) => ({
    op, fixed: { ...f.fixed }, axis: f.axis, values: [...f.values], ...(f.follow ? { follow: [...f.follow] } : {}),
  })));
}

export function familyName(f: Family): string {
  const fixed = Object.entries(f.fixed).map(([k, v]) => `${k}=${v}`).join(",");
  return `${f.op}[${fixed}] by ${f.axis}`;
}

/** Every k-th item, the first and the last always kept. */
function everyKth<T>(list: readonly T[], k: number): T[] {
  return list.filter((_, i) => i % k === 0 || i === list.length - 1);
}

/**
 * The grid thinned to what the budget holds: a point costs about `perPointMs`
 * (it grows with the thread counts compared); when the points would take more
 * than `share` of `budgetMs`, every family keeps every k-th size (its
 * smallest and largest always), so no op and no end of an axis goes
 * unmeasured, as skipping the tail of the sweep would.
 */
export function fitToBudget(fams: readonly Family[], budgetMs: number, perPointMs: number, share = 0.7): { families: Family[]; stride: number } {
  const points = fams.reduce((n, f) => n + f.values.length, 0);
  const stride = Math.max(1, Math.ceil((points * perPointMs) / Math.max(1, budgetMs * share)));
  return { families: stride === 1 ? [...fams] : fams.map((f) => ({ ...f, values: everyKth(f.values, stride) })), stride };
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
    for (const f of everyKth(fs, thin)) out.push({ ...f, values: everyKth(f.values, thin) });
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

/** Shapes that are not on any grid (each op's descriptor lists them), to check the profile's choices after fitting. */
export function heldOutPoints(ops?: readonly ProfileOp[]): GridPoint[] {
  return (Object.keys(OPS) as ProfileOp[]).filter((op) => !ops || ops.includes(op)).flatMap((op) => OPS[op].sweep.heldOut.map((dims) => {
    const shape: Shape = { ...dims };
    const work = planWork(op, shape).work;
    return { op, shape, work, key: `held-out ${op} ${Object.keys(shape).sort().map((k) => `${k}=${shape[k]}`).join(" ")}`, family: "held-out" };
  }));
}

/**
 * About `n` of `points` spread evenly in log(work) from the smallest to the
 * largest, each the point nearest its target, ascending by work: a few sizes
 * that span every family's shapes (a calibration's matmuls include the
 * batch-1 matrix-vector products of decode, not only one small matrix). On
 * equal work the later family wins: families grow their fixed dimensions
 * (matrix, row or head size) and walk the batch-like axis, so that is the
 * shape of decode, which dominates inference.
 */
export function spreadByWork(points: readonly GridPoint[], n: number): GridPoint[] {
  const sorted = points.map((p, i) => ({ p, i })).sort((a, b) => a.p.work - b.p.work || b.i - a.i).map(({ p }) => p);
  if (sorted.length <= n) return sorted;
  const lo = Math.log(sorted[0].work), hi = Math.log(sorted[sorted.length - 1].work);
  const picked = new Set<GridPoint>();
  for (let i = 0; i < n; i++) {
    const target = lo + ((hi - lo) * i) / (n - 1);
    let best = sorted[0];
    for (const p of sorted) if (Math.abs(Math.log(p.work) - target) < Math.abs(Math.log(best.work) - target)) best = p;
    picked.add(best);
  }
  return [...picked].sort((a, b) => a.work - b.work);
}
