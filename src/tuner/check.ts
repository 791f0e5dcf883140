import { performance } from "node:perf_hooks";
import type { Engine } from "../engine/engine.js";
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
  side: "below" | "above";
  /** What the committed rule chooses here. */
  expected: "serial" | "parallel";
  speedup: number;
  p: number;
  /** The measurements contradict the rule, significantly and by more than the margin. */
  contradicts: boolean;
}

export interface OpCheck {
  op: ProfileOp;
  rule: string;
  threads: number;
  status: "holds" | "drift" | "not checked";
  points: CheckPoint[];
  summary: string;
}

/** Points a few steps each side of the rule's crossover (outside its interval), from the standard grid. */
export function checkPoints(op: ProfileOp, rule: OpRule, perSide = 2): { point: GridPoint; side: "below" | "above" }[] {
  const pts = gridPoints(gridFamilies("standard", [op])).sort((a, b) => a.work - b.work);
  const uniq = pts.filter((p, i) => i === 0 || p.work !== pts[i - 1].work);
  if (uniq.length === 0) return [];
  if (rule.parallel === "never") return uniq.slice(-perSide).map((point) => ({ point, side: "below" as const }));
  if (rule.parallel === "always") return uniq.slice(0, perSide).map((point) => ({ point, side: "above" as const }));
  // outside the committed interval and at least 2x from the estimate: near the crossover both sides tie
  const first = [...rule.thresholds].sort((a, b) => a.minWork - b.minWork)[0];
  const lo = Math.min(first.minWork / 2, first.interval?.low ?? Infinity), hi = Math.max(first.minWork * 2, first.interval?.high ?? 0);
  const below = uniq.filter((p) => p.work < lo).slice(-perSide);
  const above = uniq.filter((p) => p.work > hi).slice(0, perSide);
  return [...below.map((point) => ({ point, side: "below" as const })), ...above.map((point) => ({ point, side: "above" as const }))];
}

/**
 * Re-measures each op around its committed crossover and tests, per point,
 * whether the rule's choice still wins: a Mann-Whitney U test on the serial
 * and parallel samples (LIMITS.alpha) plus an effect of LIMITS.margin, so noise alone
 * does not count as drift.
 */
export async function checkProfileOnEngine(engine: Engine, profile: Profile, budgetMs: number, ops?: readonly ProfileOp[]): Promise<OpCheck[]> {
  const t0 = performance.now();
  const plan = PROFILE_OPS.filter((op) => profile.ops[op] && (!ops || ops.includes(op))).map((op) => ({ op, rule: profile.ops[op]!, pts: checkPoints(op, profile.ops[op]!) }));
  const total = plan.reduce((s, x) => s + x.pts.length, 0);
  const sampleMs = Math.max(20, Math.min(300, (budgetMs * 0.7) / Math.max(1, total) / 2));
  const cache = new WeightCache(engine);
  const out: OpCheck[] = [];
  try {
    for (const { op, rule, pts } of plan) {
      const threads = Math.min(engine.threads, Math.max(2, ...rule.thresholds.map((t) => t.threads)));
      const ruleText = rule.parallel === "threshold" ? `parallel from work ${Math.min(...rule.thresholds.map((t) => t.minWork))}` : rule.parallel;
      if (engine.threads < 2 || pts.length === 0 || performance.now() - t0 > budgetMs) {
        out.push({ op, rule: ruleText, threads, status: "not checked", points: [], summary: engine.threads < 2 ? "one thread: nothing to compare" : "no time left in the budget" });
        continue;
      }
      const points: CheckPoint[] = [];
      const measure = async (point: GridPoint, side: "below" | "above"): Promise<CheckPoint> => {
        const prepared = prepareOp(engine, op, point.shape, cache);
        try {
          let [serial, parallel] = await sampleTimes(engine, prepared.run, [1, threads], sampleMs, 3);
          // outputs gone subnormal or non-finite are not what a model computes: measure again on fresh data
          if (dataIssue(censusOf(prepared.outputs))) {
            prepared.refill();
            [serial, parallel] = await sampleTimes(engine, prepared.run, [1, threads], sampleMs, 3);
          }
          const speedup = median(serial) / median(parallel);
          const { z, p } = mannWhitney(serial, parallel); // z > 0: serial slower
          const expected = side === "above" ? "parallel" : "serial";
          const m = LIMITS.margin;
          const contradicts = p < LIMITS.alpha && (expected === "serial" ? z > 0 && speedup > 1 + m : z < 0 && speedup < 1 - m);
          return { key: point.key, work: point.work, side, expected, speedup, p, contradicts };
        } finally {
          prepared.dispose();
        }
      };
      for (const { point, side } of pts) {
        if (performance.now() - t0 > budgetMs) break;
        let r = await measure(point, side);
        // a contradiction must show twice: a burst of host noise must not read as drift
        if (r.contradicts) r = await measure(point, side);
        points.push(r);
      }
      const bad = points.filter((x) => x.contradicts);
      const summary = bad.length === 0
        ? `holds at ${points.length} point(s): ${points.map((x) => `${x.work} ${x.speedup.toFixed(2)}x`).join(", ")}`
        : bad.map((x) => x.expected === "serial"
          ? `parallel already wins ${x.speedup.toFixed(2)}x at work ${x.work}, below the committed threshold (${fmtP(x.p)})`
          : `parallel loses ${x.speedup.toFixed(2)}x at work ${x.work}, where the profile runs it (${fmtP(x.p)})`).join("; ");
      out.push({ op, rule: ruleText, threads, status: bad.length ? "drift" : "holds", points, summary });
    }
  } finally {
    cache.clear();
    engine.setPolicy("profile");
  }
  return out;
}
