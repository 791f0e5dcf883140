// Sample statistics. simple-statistics does the standard ones; what it lacks
// (a median's confidence interval, Theil-Sen, MAD-based outlier counts) is ours.
import { median as ssMedian, medianAbsoluteDeviation, quantile as ssQuantile } from "simple-statistics";
import type { Line } from "../results/types.js";

/** Median of a non-empty sample (the input is left alone). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError("median of no samples");
  return ssMedian(xs as number[]);
}

/** Median absolute deviation from the median (unscaled). */
export function mad(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError("median of no samples");
  return medianAbsoluteDeviation(xs as number[]);
}

/** Linearly interpolated quantile, p in [0, 1] (simple-statistics' definition since 7.8.9). */
export function quantile(xs: readonly number[], p: number): number {
  if (xs.length === 0) throw new RangeError("quantile of no samples");
  return ssQuantile(xs as number[], p);
}

/**
 * Ours: simple-statistics has no interval for a median.
 * 95% confidence interval of the median from order statistics (the binomial
 * ranks, normal approximation): distribution-free, so skewed timing samples are fine.
 */
export function medianInterval(xs: readonly number[]): [number, number] {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  const half = (1.96 * Math.sqrt(n)) / 2;
  const lo = Math.max(0, Math.floor(n / 2 - half) - 1);
  const hi = Math.min(n - 1, Math.ceil(n / 2 + half));
  return [s[lo], s[hi]];
}

/** Ours: simple-statistics fits least squares only. Theil-Sen line: slope = median of pairwise slopes, intercept = median of y - slope x. Robust to a few bad points. */
export function theilSen(xs: readonly number[], ys: readonly number[]): Line {
  const slopes: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    for (let j = i + 1; j < xs.length; j++) {
      if (xs[j] !== xs[i]) slopes.push((ys[j] - ys[i]) / (xs[j] - xs[i]));
    }
  }
  const slope = slopes.length > 0 ? median(slopes) : 0;
  const intercept = median(xs.map((x, i) => ys[i] - slope * x));
  return { interceptNs: intercept, slopeNs: slope };
}

/** Ours (a count, flagged not dropped). Samples whose distance from the median exceeds k MADs (scaled to a normal's sigma): flagged, never dropped. */
export function outliers(xs: readonly number[], k = 3.5): number {
  const m = median(xs);
  const d = mad(xs) * 1.4826;
  if (d === 0) return 0;
  return xs.filter((x) => Math.abs(x - m) > k * d).length;
}
