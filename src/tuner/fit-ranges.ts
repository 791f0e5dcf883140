import type { WorkRange } from "../engine/profile/types.js";
import { fmtPercent, fmtWork } from "../format.js";
import { LIMITS } from "../results/limits.js";
import type { PointResult, RangeFit } from "../results/types.js";
import { fitCrossover, type PairPoint } from "./fit.js";
import { theilSen } from "./stats.js";

/**
 * Which measured thread count is fastest in each range of work, for one op.
 *
 * Every point ran every count on the same tensors; a count's cost at a point
 * is log(its time / the fastest time there), plus the margin when it does not
 * beat every smaller count there by the margin (so a near-tie goes to fewer
 * threads). A dynamic program over the points, sorted and grouped by work,
 * picks one count per group with a penalty per change of count: the fewest
 * ranges that keep the time close to the fastest everywhere (llama.cpp's
 * lesson: fewer threads are often faster, so every count is compared with
 * every other, not only with one thread). Each boundary is then placed, with
 * a 95% interval, by fitting the two counts' times against each other on the
 * points of the two ranges it separates.
 */
export function fitRanges(input: readonly PointResult[], threads: readonly number[], options: { margin?: number; seed?: number; monotone?: boolean } = {}): RangeFit | null {
  const margin = options.margin ?? LIMITS.margin;
  const counts = [...new Set(threads)].sort((a, b) => a - b);
  const pts = input
    .map((p) => ({ p, t: counts.map((c) => p.variants.find((v) => v.threads === c)?.medianNs ?? NaN) }))
    .filter((x) => x.p.work > 0 && x.t.every((t) => t > 0))
    .sort((a, b) => a.p.work - b.p.work);
  if (pts.length < 2 || counts.length < 2) return null;

  // per group of equal work, the cost of running each count there
  const mu = -Math.log(1 - margin);
  const groups: { work: number; members: typeof pts; cost: number[] }[] = [];
  for (const x of pts) {
    const best = Math.min(...x.t);
    const cost = x.t.map((t, i) => Math.log(t / best) + (i > 0 && !(t < (1 - margin) * Math.min(...x.t.slice(0, i))) ? mu : 0));
    const last = groups[groups.length - 1];
    if (last && last.work === x.p.work) {
      last.members.push(x);
      cost.forEach((c, i) => { last.cost[i] += c; });
    } else groups.push({ work: x.p.work, members: [x], cost });
  }

  const choice = segment(groups.map((g) => g.cost), 2 * mu);
  let runs = mergeNarrow(toRuns(choice), groups, MIN_RANGE_RATIO);
  // few points (a calibration): a count that leaves at larger work is more likely noise than a saturated bus
  if (options.monotone) runs = toRuns(runs.flatMap(([a, b, c], i) => Array.from({ length: b - a + 1 }, () => Math.max(c, ...runs.slice(0, i).map((r) => r[2])))));

  const ranges: WorkRange[] = [{ fromWork: 0, threads: counts[runs[0][2]] }];
  for (let r = 1; r < runs.length; r++) {
    const [a, b] = [runs[r - 1], runs[r]];
    const below = groups[a[1]].work, above = groups[b[0]].work;
    const pairs: PairPoint[] = groups.slice(a[0], b[1] + 1).flatMap((g) => g.members)
      .map((x) => ({ work: x.p.work, serialNs: x.t[a[2]], parallelNs: x.t[b[2]], label: x.p.key }));
    const fit = fitCrossover(pairs, { threads: counts[b[2]], margin, seed: (options.seed ?? 1) + r });
    let at = Math.sqrt(below * above), interval = { low: below, high: above };
    if (fit.decision === "threshold") {
      at = Math.min(above, Math.max(below, fit.minWork!));
      interval = { low: Math.min(fit.interval!.low, at), high: Math.max(fit.interval!.high, at) };
    }
    const fromWork = Math.max(Math.round(at), ranges[ranges.length - 1].fromWork + 1);
    ranges.push({ fromWork, threads: counts[b[2]], interval: { low: Math.min(Math.round(interval.low), fromWork), high: Math.max(Math.round(interval.high), fromWork), level: 0.95 } });
  }

  const xs = pts.map((x) => x.p.work);
  const lines = counts.map((c, i) => ({ threads: c, ...theilSen(xs, pts.map((x) => x.t[i])) }));
  const never = counts.filter((c) => !ranges.some((r) => r.threads === c));
  const reason = `fastest of ${counts.join(", ")} threads per range of work (a count enters where it beats every smaller one by ${fmtPercent(margin)}): ` +
    ranges.map((r, i) => `${r.threads} from ${fmtWork(r.fromWork)}${r.interval && i > 0 ? ` (95% ${fmtWork(r.interval.low)}..${fmtWork(r.interval.high)})` : ""}`).join(", ") +
    (never.length ? `; ${never.join(", ")} thread${never.length > 1 || never[0] > 1 ? "s" : ""} never fastest` : "");
  return { compared: counts, ranges, lines, margin, points: pts.length, workRange: [pts[0].p.work, pts[pts.length - 1].p.work], reason };
}

/** A range between two others must span this factor of work: narrower ones are shapes of one work size disagreeing, not a count that wins there. */
const MIN_RANGE_RATIO = 2;

/** Runs of one count: [first group, last group, count index]. */
type Run = [number, number, number];

function toRuns(choice: readonly number[]): Run[] {
  const runs: Run[] = [];
  choice.forEach((c, g) => {
    const last = runs[runs.length - 1];
    if (last && last[2] === c) last[1] = g;
    else runs.push([g, g, c]);
  });
  return runs;
}

/**
 * Merges every inner run that spans less than `ratio` in work into a
 * neighbour's count, cheapest first, until none is left: a profile that
 * flips 1, 2, 1, 2 threads within a few percent of work fits noise (shapes
 * of the same work differ), and a reader cannot trust it.
 */
function mergeNarrow(input: Run[], groups: readonly { work: number; cost: number[] }[], ratio: number): Run[] {
  let runs = input;
  for (;;) {
    let best: { i: number; count: number; extra: number } | undefined;
    for (let i = 1; i + 1 < runs.length; i++) {
      const [a, , c] = runs[i];
      if (groups[runs[i + 1][0]].work / groups[a].work >= ratio) continue;
      for (const n of [runs[i - 1][2], runs[i + 1][2]]) {
        let extra = 0;
        for (let g = runs[i][0]; g <= runs[i][1]; g++) extra += groups[g].cost[n] - groups[g].cost[c];
        if (!best || extra < best.extra) best = { i, count: n, extra };
      }
    }
    if (!best) return runs;
    const choice = runs.flatMap(([a, b, c], i) => Array.from({ length: b - a + 1 }, () => (i === best!.i ? best!.count : c)));
    runs = toRuns(choice);
  }
}

/**
 * The count per group minimising the summed cost plus `penalty` per change of
 * count between neighbouring groups (Viterbi over counts).
 */
function segment(cost: number[][], penalty: number): number[] {
  const n = cost.length, k = cost[0].length;
  const total = cost[0].slice();
  const from: number[][] = [new Array(k).fill(-1)];
  for (let g = 1; g < n; g++) {
    let bestPrev = 0;
    for (let c = 1; c < k; c++) if (total[c] < total[bestPrev]) bestPrev = c;
    const next = new Array<number>(k), back = new Array<number>(k);
    for (let c = 0; c < k; c++) {
      const stay = total[c], move = total[bestPrev] + penalty;
      [next[c], back[c]] = stay <= move ? [stay + cost[g][c], c] : [move + cost[g][c], bestPrev];
    }
    total.splice(0, k, ...next);
    from.push(back);
  }
  let c = 0;
  for (let i = 1; i < k; i++) if (total[i] < total[c]) c = i;
  const out = new Array<number>(n);
  for (let g = n - 1; g >= 0; g--) {
    out[g] = c;
    c = from[g][c];
  }
  return out;
}
