import { unitsOf } from "../engine/ops/descriptors.js";
import { PROFILE_OPS } from "../engine/profile/types.js";
import { fitCrossover, type PairPoint } from "./fit.js";
import { fitRanges } from "./fit-ranges.js";
import { LIMITS } from "../results/limits.js";
import type { Fits, PointResult, TuneResults } from "../results/types.js";

/** Shapes of one unit cannot be split: both variants ran serially, so they say nothing about the crossover. */
function splittable(op: string): (p: PointResult) => boolean {
  return (p) => p.op === op && unitsOf(p.op, p.shape) > 1;
}

/** Per op and per thread count above 1: the crossover against serial, from every measured point of that op that can be split. */
export function fitAll(points: readonly PointResult[], threads: readonly number[], margin: number = LIMITS.margin): Fits {
  const fits: Fits = {};
  for (const op of PROFILE_OPS) {
    const mine = points.filter(splittable(op));
    if (mine.length < 2) continue;
    fits[op] = threads.filter((t) => t > 1).flatMap((t) => {
      const pairs: PairPoint[] = mine.flatMap((p) => {
        const s = p.variants.find((v) => v.threads === 1), v = p.variants.find((x) => x.threads === t);
        return s && v ? [{ work: p.work, serialNs: s.medianNs, parallelNs: v.medianNs, label: p.key }] : [];
      });
      return pairs.length >= 2 ? [fitCrossover(pairs, { threads: t, margin, seed: t * 7919 + op.length })] : [];
    });
  }
  return fits;
}

/** Per op: the fastest measured thread count in each range of work (what the profile records). */
export function fitAllRanges(points: readonly PointResult[], threads: readonly number[], margin: number = LIMITS.margin, monotone = false): NonNullable<TuneResults["ranges"]> {
  const out: NonNullable<TuneResults["ranges"]> = {};
  for (const op of PROFILE_OPS) {
    const fit = fitRanges(points.filter(splittable(op)), threads, { margin, seed: op.length * 7919, monotone });
    if (fit) out[op] = fit;
  }
  return out;
}
