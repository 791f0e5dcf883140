import { geometricMean } from "simple-statistics";
import { PolicyTable } from "../engine/policy.js";
import type { Profile } from "../engine/profile/types.js";
import type { PointResult, RegretSummary } from "../results/types.js";

/** Regret of a profile on measured shapes: how much slower its choice ran than the fastest measured thread count. */
export function regret(profile: Profile, points: readonly PointResult[], engineThreads: number): RegretSummary {
  const table = new PolicyTable(profile, engineThreads, "profile");
  const rows = points.map((p) => {
    const chosen = Math.min(table.threadsFor(p.op, p.work), Math.max(...p.variants.map((v) => v.threads)));
    const at = p.variants.find((v) => v.threads === chosen) ?? p.variants[0];
    const best = p.variants.reduce((a, b) => (b.medianNs < a.medianNs ? b : a));
    return { key: p.key, op: p.op, work: p.work, chosen, best: best.threads, regret: at.medianNs / best.medianNs };
  });
  const geomean = rows.length ? geometricMean(rows.map((r) => r.regret)) : 1;
  return { rows, geomean, max: rows.length ? Math.max(...rows.map((r) => r.regret)) : 1 };
}
