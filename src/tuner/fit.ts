import { sampleWithReplacement } from "simple-statistics";
import { seededRandom } from "../random.js";
import { quantile, theilSen } from "./stats.js";
import { fmtPercent, fmtWork } from "../format.js";
import { LIMITS } from "../results/limits.js";
import type { CrossoverFit, Line } from "../results/types.js";

/** One measured shape of an op: its work and the median time serial and on `threads` threads. */
export interface PairPoint {
  work: number;
  serialNs: number;
  parallelNs: number;
  label?: string;
}

export interface FitOptions {
  threads: number;
  margin?: number;
  bootstrap?: number;
  seed?: number;
}

/**
 * Fits time = a + b * work for serial and for `threads` threads (Theil-Sen,
 * on the points around where the winner changes: a line over four decades is
 * ruled by its largest points, and the crossover lives at the small end),
 * solves for the work where parallel becomes faster by `margin`, and
 * bootstraps the points for a 95% interval.
 */
export function fitCrossover(input: readonly PairPoint[], options: FitOptions): CrossoverFit {
  const margin = options.margin ?? LIMITS.margin;
  const pts = [...input].filter((p) => p.work > 0 && p.serialNs > 0 && p.parallelNs > 0).sort((a, b) => a.work - b.work);
  if (pts.length < 2) throw new RangeError(`fitCrossover: need at least 2 measured points, got ${pts.length}`);
  const wins = (p: PairPoint) => p.parallelNs < p.serialNs * (1 - margin);
  const workRange: [number, number] = [pts[0].work, pts[pts.length - 1].work];
  const allLines = lines(pts);
  const base = { threads: options.threads, margin, points: pts.length, workRange, ...allLines };
  if (pts.every(wins)) {
    return { ...base, decision: "always", minWork: pts[0].work, interval: null, disagreements: [],
      reason: `${options.threads} threads won at every measured size, down to work ${fmtWork(pts[0].work)}` };
  }
  if (!pts.some(wins)) {
    const best = Math.max(...pts.map((p) => p.serialNs / p.parallelNs));
    return { ...base, decision: "never", minWork: null, interval: null, disagreements: [],
      reason: `${options.threads} threads never won by ${fmtPercent(margin)} up to work ${fmtWork(workRange[1])} (best speedup ${best.toFixed(2)}x)` };
  }
  const window = localWindow(pts, wins);
  const fitted = lines(window);
  // The lines smooth the noise, but one line over shapes of different kinds can
  // put the crossing past measured winners: keep it between the last point the
  // best split gives to serial and the first it gives to parallel.
  const [below, above] = splitBracket(pts, wins);
  const fittedAt = solve(fitted, margin, window);
  const estimate = fittedAt === null ? Math.sqrt(below * above) : Math.min(above, Math.max(below, fittedAt));
  // bootstrap over the window's points
  const rand = seededRandom(options.seed ?? 12345);
  const draws: number[] = [];
  const rounds = options.bootstrap ?? 400;
  for (let r = 0; r < rounds; r++) {
    const sample = sampleWithReplacement(window, window.length, rand);
    const w = solve(lines(sample), margin, sample);
    if (w !== null) draws.push(w);
  }
  const interval = draws.length >= rounds / 2
    ? { low: Math.min(quantile(draws, 0.025), estimate), high: Math.max(quantile(draws, 0.975), estimate), level: 0.95 }
    : { low: workRange[0], high: workRange[1], level: 0.95 };
  const disagreements = pts
    .filter((p) => p.work < interval.low || p.work > interval.high)
    .filter((p) => (p.work >= estimate) !== (p.parallelNs < p.serialNs))
    .map((p) => ({ work: p.work, label: p.label, speedup: p.serialNs / p.parallelNs, chosen: p.work >= estimate ? "parallel" as const : "serial" as const }));
  return {
    ...base, ...fitted, points: window.length, decision: "threshold", minWork: Math.round(estimate), interval, disagreements,
    reason: `${options.threads} threads are predicted ${fmtPercent(margin)} faster from work ${fmtWork(estimate)} ` +
      `(95% interval ${fmtWork(interval.low)}..${fmtWork(interval.high)}, ${window.length} points fitted)`,
  };
}

function lines(pts: readonly PairPoint[]): { serial: Line; parallel: Line } {
  const xs = pts.map((p) => p.work);
  return { serial: theilSen(xs, pts.map((p) => p.serialNs)), parallel: theilSen(xs, pts.map((p) => p.parallelNs)) };
}

/**
 * Where parallel's line, shrunk by the margin, falls below serial's:
 * a_p + b_p w < (1 - m)(a_s + b_s w). Null when the lines do not cross that way
 * within a factor of 4 beyond the points.
 */
function solve(l: { serial: Line; parallel: Line }, margin: number, pts: readonly PairPoint[]): number | null {
  const k = 1 - margin;
  const d = k * l.serial.slopeNs - l.parallel.slopeNs;
  const n = l.parallel.interceptNs - k * l.serial.interceptNs;
  if (!(d > 0)) return null;
  const w = n / d;
  const lo = Math.min(...pts.map((p) => p.work)), hi = Math.max(...pts.map((p) => p.work));
  if (w < lo / 4 || w > hi * 4) return null;
  return Math.max(w, lo / 4);
}

/** The split of the sorted points into serial-wins below and parallel-wins above that misclassifies the fewest. */
function bestSplit(pts: readonly PairPoint[], wins: (p: PairPoint) => boolean): number {
  let best = 0, bestErr = Infinity;
  for (let k = 0; k <= pts.length; k++) {
    let err = 0;
    for (let i = 0; i < pts.length; i++) if (wins(pts[i]) !== (i >= k)) err++;
    if (err < bestErr) { bestErr = err; best = k; }
  }
  return best;
}

/** The points within a factor of 8 of where the winner changes (all of them when that leaves fewer than 4). */
function localWindow(pts: readonly PairPoint[], wins: (p: PairPoint) => boolean): PairPoint[] {
  const k = bestSplit(pts, wins);
  const lo = pts[Math.max(0, k - 1)].work / 8, hi = pts[Math.min(pts.length - 1, k)].work * 8;
  const w = pts.filter((p) => p.work >= lo && p.work <= hi);
  return w.length >= 4 ? w : [...pts];
}

/** The works on either side of the best split (serial below, parallel above). */
function splitBracket(pts: readonly PairPoint[], wins: (p: PairPoint) => boolean): [number, number] {
  const k = bestSplit(pts, wins);
  if (k <= 0) return [pts[0].work, pts[0].work];
  if (k >= pts.length) return [pts[pts.length - 1].work, pts[pts.length - 1].work];
  return [pts[k - 1].work, pts[k].work];
}
