import { familyName, refinePoints, type Family } from "./grid.js";
import { yieldToEventLoop } from "./yield.js";
import type { GridPoint, PointResult, SentinelVerdict } from "../results/types.js";

export interface SweepProgress {
  phase: "grid" | "refine" | "held-out";
  index: number;
  total: number;
  elapsedMs: number;
  etaMs: number;
}

export interface SweepOptions {
  phase?: "grid" | "held-out";
  points: readonly GridPoint[];
  /** Families to refine on (none: no refinement). */
  families?: readonly Family[];
  refinePasses?: number;
  budgetMs: number;
  now: () => number;
  measure: (p: GridPoint) => Promise<PointResult>;
  /** Results of an earlier, interrupted run: reused, never measured again. */
  done?: ReadonlyMap<string, PointResult>;
  shouldStop?: () => boolean;
  onPoint?: (r: PointResult, progress: SweepProgress) => void;
  /** Guess of a point's cost before any point of its op was measured. */
  firstGuessMs: number;
  /**
   * Watches the state of the process and machine: checked when due between
   * points and once at the end. Points measured in a slow state are measured
   * again once it has passed, or kept and marked suspect.
   */
  sentinel?: { due: () => boolean; check: () => Promise<SentinelVerdict> };
}

export interface SweepOutcome {
  results: PointResult[];
  /** Points left out because the budget would not hold them. */
  skipped: GridPoint[];
  stoppedBy: "done" | "budget" | "interrupt";
  /** Points measured again because the sentinel said their first measurement ran in a slow state. */
  remeasured: number;
  /** What the sentinel's checks found, in order. */
  verdicts: SentinelVerdict[];
}

/** The fastest variant's thread count. */
export function winnerOf(r: PointResult): number {
  let best = r.variants[0];
  for (const v of r.variants) if (v.medianNs < best.medianNs) best = v;
  return best.threads;
}

/**
 * Measures points in order while the budget holds: before each point it
 * predicts the point's cost (the mean of its op's measured points so far) and
 * skips it if it would overrun. Then bisection passes where winners change.
 */
export async function runSweep(o: SweepOptions): Promise<SweepOutcome> {
  const start = o.now();
  const results = new Map<string, PointResult>();
  const skipped: GridPoint[] = [];
  const cost = new Map<string, { total: number; n: number }>();
  const guess = (p: GridPoint) => {
    const c = cost.get(p.op);
    return c ? c.total / c.n : o.firstGuessMs;
  };
  const state: { stoppedBy: SweepOutcome["stoppedBy"] } = { stoppedBy: "done" };
  const fits = (p: GridPoint) => o.now() - start + guess(p) <= o.budgetMs;
  const measure = async (p: GridPoint) => {
    const r = await o.measure(p);
    const c = cost.get(p.op) ?? { total: 0, n: 0 };
    c.total += r.elapsedMs;
    c.n++;
    cost.set(p.op, c);
    return r;
  };

  // the sentinel: points since its last good reading, and points measured in a slow state
  let since: GridPoint[] = [];
  const suspect = new Map<string, GridPoint>();
  const verdicts: SentinelVerdict[] = [];
  let remeasured = 0;
  const checkpoint = async () => {
    if (!o.sentinel) return;
    const verdict = await o.sentinel.check();
    verdicts.push(verdict);
    const bad = verdict === "faster" ? [...results.values()] : verdict === "ok" ? [] : since;
    for (const p of bad) {
      const r = results.get(p.key);
      if (r && !o.done?.has(p.key)) { suspect.set(p.key, p); results.set(p.key, { ...r, suspect: true }); }
    }
    since = [];
    if (verdict === "slow") return;
    for (const p of [...suspect.values()]) {
      if (o.shouldStop?.() || !fits(p)) break;
      const r = await measure(p);
      results.set(p.key, { ...r, remeasured: true });
      suspect.delete(p.key);
      remeasured++;
    }
  };

  const visit = async (queue: readonly GridPoint[], phase: SweepProgress["phase"]) => {
    for (let i = 0; i < queue.length; i++) {
      const p = queue[i];
      if (results.has(p.key)) continue;
      const earlier = o.done?.get(p.key);
      if (earlier) {
        results.set(p.key, earlier);
        continue;
      }
      await yieldToEventLoop(); // so a Ctrl-C between points is seen
      if (o.shouldStop?.()) {
        state.stoppedBy = "interrupt";
        return;
      }
      if (o.sentinel?.due()) await checkpoint();
      if (!fits(p)) {
        skipped.push(p);
        if (state.stoppedBy === "done") state.stoppedBy = "budget";
        continue;
      }
      const r = await measure(p);
      results.set(p.key, r);
      since.push(p);
      const rest = queue.slice(i + 1).filter((q) => !results.has(q.key) && !o.done?.has(q.key));
      const etaMs = Math.min(o.budgetMs - (o.now() - start), rest.reduce((s, q) => s + guess(q), 0));
      o.onPoint?.(r, { phase, index: i + 1, total: queue.length, elapsedMs: o.now() - start, etaMs: Math.max(0, etaMs) });
    }
  };

  await visit(o.points, o.phase ?? "grid");
  for (let pass = 0; pass < (o.refinePasses ?? 0) && state.stoppedBy !== "interrupt" && o.families; pass++) {
    const measured = new Map<string, number[]>();
    for (const f of o.families) {
      const name = familyName(f);
      const values = [...results.values()].filter((r) => r.family === name).map((r) => r.shape[f.axis]);
      measured.set(name, values);
    }
    const next = refinePoints(o.families, measured, (key) => {
      const r = results.get(key);
      return r ? winnerOf(r) : undefined;
    }).filter((p) => !results.has(p.key));
    if (next.length === 0) break;
    await visit(next, "refine");
  }
  if (state.stoppedBy !== "interrupt") await checkpoint();
  return { results: [...results.values()], skipped, stoppedBy: state.stoppedBy, remeasured, verdicts };
}
