import { performance } from "node:perf_hooks";
import type { Engine } from "../engine/engine.js";
import { ruleText } from "../engine/profile/rule-text.js";
import { PROFILE_OPS, type OpRule, type Profile, type ProfileOp } from "../engine/profile/types.js";
import { gridFamilies, gridPoints } from "./grid.js";
import { censusOf, dataIssue } from "./data-check.js";
import { mannWhitney } from "./mann-whitney.js";
import { sampleTimes } from "./measure-point.js";
import { prepareOp, WeightCache } from "./op-runner.js";
import { median } from "./stats.js";
import { fmtP } from "../format.js";
import { LIMITS } from "../results/limits.js";
import type { GridPoint } from "../results/types.js";

export interface CheckPoint {
  key: string;
  work: number;
  /** The count the committed rule runs here, and the neighbouring range's count it should beat. */
  expect: number;
  against: number;
  /** Time on `against` over time on `expect`: above 1 the rule's choice is faster. */
  speedup: number;
  p: number;
  /** The measurements contradict the rule, significantly and by more than the margin. */
  contradicts: boolean;
}

export interface OpCheck {
  op: ProfileOp;
  rule: string;
  status: "holds" | "drift" | "not checked";
  points: CheckPoint[];
  summary: string;
}

/**
 * Points a few steps each side of every boundary between the rule's ranges
 * (outside its interval and 2x from it: near a boundary both counts tie),
 * from the standard grid, each with the two counts to compare. A rule of one
 * range is checked at its edge of the grid against the count it excludes.
 */
export function checkPoints(op: ProfileOp, rule: OpRule, engineThreads: number, perSide = 2): { point: GridPoint; expect: number; against: number }[] {
  const pts = gridPoints(gridFamilies("standard", [op])).sort((a, b) => a.work - b.work);
  const uniq = pts.filter((p, i) => i === 0 || p.work !== pts[i - 1].work);
  const cap = (t: number) => Math.min(t, engineThreads);
  const out: { point: GridPoint; expect: number; against: number }[] = [];
  const add = (list: GridPoint[], expect: number, against: number) => {
    if (cap(expect) !== cap(against)) out.push(...list.map((point) => ({ point, expect: cap(expect), against: cap(against) })));
  };
  const { ranges } = rule;
  if (uniq.length === 0) return out;
  if (ranges.length === 1) {
    const only = ranges[0].threads;
    const other = only === 1 ? Math.max(...(rule.compared ?? [engineThreads])) : 1;
    add(only === 1 ? uniq.slice(-perSide) : uniq.slice(0, perSide), only, other);
    return out;
  }
  for (let i = 1; i < ranges.length; i++) {
    const r = ranges[i];
    const lo = Math.min(r.fromWork / 2, r.interval?.low ?? Infinity), hi = Math.max(r.fromWork * 2, r.interval?.high ?? 0);
    const floor = ranges[i - 1].fromWork, ceiling = ranges[i + 1]?.fromWork ?? Infinity;
    add(uniq.filter((p) => p.work < lo && p.work >= floor).slice(-perSide), ranges[i - 1].threads, r.threads);
    add(uniq.filter((p) => p.work > hi && p.work < ceiling).slice(0, perSide), r.threads, ranges[i - 1].threads);
  }
  return out;
}

/**
 * Re-measures each op around its committed crossover and tests, per point,
 * whether the rule's choice still wins: a Mann-Whitney U test on the serial
 * and parallel samples (LIMITS.alpha) plus an effect of LIMITS.margin, so noise alone
 * does not count as drift.
 */
export async function checkProfileOnEngine(engine: Engine, profile: Profile, budgetMs: number, ops?: readonly ProfileOp[]): Promise<OpCheck[]> {
  const t0 = performance.now();
  const plan = PROFILE_OPS.filter((op) => profile.ops[op] && (!ops || ops.includes(op)))
    .map((op) => ({ op, rule: profile.ops[op]!, pts: checkPoints(op, profile.ops[op]!, engine.threads) }));
  const total = plan.reduce((s, x) => s + x.pts.length, 0);
  const sampleMs = Math.max(20, Math.min(300, (budgetMs * 0.7) / Math.max(1, total) / 2));
  const cache = new WeightCache(engine);
  const out: OpCheck[] = [];
  try {
    for (const { op, rule, pts } of plan) {
      const text = ruleText(rule);
      if (engine.threads < 2 || pts.length === 0 || performance.now() - t0 > budgetMs) {
        out.push({ op, rule: text, status: "not checked", points: [], summary: engine.threads < 2 ? "one thread: nothing to compare" : "no time left in the budget" });
        continue;
      }
      const points: CheckPoint[] = [];
      const measure = async (point: GridPoint, expect: number, against: number): Promise<CheckPoint> => {
        const prepared = prepareOp(engine, op, point.shape, cache);
        try {
          let [mine, other] = await sampleTimes(engine, prepared.run, [expect, against], sampleMs, 3);
          // outputs gone subnormal or non-finite are not what a model computes: measure again on fresh data
          if (dataIssue(censusOf(prepared.outputs))) {
            prepared.refill();
            [mine, other] = await sampleTimes(engine, prepared.run, [expect, against], sampleMs, 3);
          }
          const speedup = median(other) / median(mine);
          const { z, p } = mannWhitney(mine, other); // z > 0: the rule's count is slower
          const contradicts = p < LIMITS.alpha && z > 0 && speedup < 1 - LIMITS.margin;
          return { key: point.key, work: point.work, expect, against, speedup, p, contradicts };
        } finally {
          prepared.dispose();
        }
      };
      for (const { point, expect, against } of pts) {
        if (performance.now() - t0 > budgetMs) break;
        let r = await measure(point, expect, against);
        // a contradiction must show twice: a burst of host noise must not read as drift
        if (r.contradicts) r = await measure(point, expect, against);
        points.push(r);
      }
      const bad = points.filter((x) => x.contradicts);
      const summary = bad.length === 0
        ? `holds at ${points.length} point(s): ${points.map((x) => `${x.work} ${x.expect} vs ${x.against} threads ${x.speedup.toFixed(2)}x`).join(", ")}`
        : bad.map((x) => `${x.against} threads beat the rule's ${x.expect} by ${(1 / x.speedup).toFixed(2)}x at work ${x.work} (${fmtP(x.p)})`).join("; ");
      out.push({ op, rule: text, status: bad.length ? "drift" : "holds", points, summary });
    }
  } finally {
    cache.clear();
    engine.setPolicy("profile");
  }
  return out;
}
