// A rule (a run's fitted ranges, or a profile) applied to measured points:
// how much slower its choice ran than the fastest thread count measured
// there. Answers "do these thresholds transfer?" (compare) and "is this run
// better than the profile in force before?" (one report).
import { rangeIndex } from "../engine/policy.js";
import type { Profile, ProfileOp, WorkRange } from "../engine/profile/types.js";
import type { PointResult, TuneResults } from "../results/types.js";
import { shapeText } from "../format.js";

/** Per op, the ranges a rule follows (undefined: the op has no rule there, so it runs serially). */
export type Rules = (op: ProfileOp) => readonly WorkRange[] | undefined;

/** A run's fitted ranges; results of earlier versions have only each count's crossover against serial: the largest count that is not "never". */
export const rulesOfRun = (r: TuneResults): Rules => (op) => {
  const ranges = r.ranges?.[op]?.ranges;
  if (ranges) return ranges;
  const fit = [...(r.fits[op] ?? [])].reverse().find((f) => f.decision !== "never");
  if (!fit) return undefined;
  return fit.decision === "always" ? [{ fromWork: 0, threads: fit.threads }] : [{ fromWork: 0, threads: 1 }, { fromWork: fit.minWork!, threads: fit.threads }];
};
export const rulesOfProfile = (p: Profile): Rules => (op) => p.ops[op]?.ranges;

export interface CrossRegret {
  geomean: number;
  max: number;
  /** The op and shape of the worst point. */
  worst: string;
  points: number;
}

export function crossRegret(rules: Rules, points: readonly PointResult[]): CrossRegret {
  let logSum = 0, max = 1, worst = "", n = 0;
  for (const p of points) {
    const ranges = rules(p.op);
    const want = ranges && ranges.length > 0 ? ranges[rangeIndex(ranges.map((r) => r.fromWork), p.work)].threads : 1;
    // a count this run did not measure (more threads than its machine): the largest it measured below that
    const measured = p.variants.filter((v) => v.threads <= want);
    if (measured.length === 0) continue;
    const at = measured.reduce((a, b) => (b.threads > a.threads ? b : a));
    const best = p.variants.reduce((a, b) => (b.medianNs < a.medianNs ? b : a));
    const r = at.medianNs / best.medianNs;
    logSum += Math.log(r);
    n++;
    if (r > max) [max, worst] = [r, `${p.op} ${shapeText(p)}`];
  }
  return { geomean: n ? Math.exp(logSum / n) : 1, max, worst, points: n };
}
