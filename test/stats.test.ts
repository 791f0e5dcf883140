import { geometricMean, median as ssMedian, medianAbsoluteDeviation, quantile as ssQuantile, sampleWithReplacement } from "simple-statistics";
import { describe, expect, it } from "vitest";
import { seededRandom } from "../src/random.js";
import { mannWhitney } from "../src/tuner/mann-whitney.js";
import { mad, median, medianInterval, outliers, quantile } from "../src/tuner/stats.js";

describe("simple-statistics, as this project relies on it", () => {
  it("exports what we use, with the definitions we rely on", () => {
    expect(ssMedian([3, 1, 2, 10])).toBe(2.5);
    expect(medianAbsoluteDeviation([1, 2, 3, 4, 100])).toBe(1); // unscaled
    expect(ssQuantile([1, 2, 3, 4, 10], 0.9)).toBeCloseTo(7.6, 12); // linear interpolation between order statistics
    expect(geometricMean([1, 4, 16])).toBeCloseTo(4, 12);
    // the bootstrap's draws replay for a seed, and are what indexing by floor(r * n) gives
    const a = seededRandom(7), b = seededRandom(7);
    const xs = [10, 20, 30, 40, 50];
    expect(sampleWithReplacement(xs, 5, a)).toEqual(xs.map(() => xs[Math.floor(b() * xs.length)]));
  });

  it("leaves its input alone", () => {
    const xs = [5, 1, 4, 2, 3];
    median(xs); mad(xs); quantile(xs, 0.3);
    expect(xs).toEqual([5, 1, 4, 2, 3]);
  });
});

describe("our statistics", () => {
  it("median, MAD and quantile refuse an empty sample", () => {
    expect(() => median([])).toThrow(/no samples/);
    expect(() => mad([])).toThrow(/no samples/);
    expect(() => quantile([], 0.5)).toThrow(/no samples/);
  });

  it("the median's 95% interval holds the median and narrows with n", () => {
    const r = seededRandom(3);
    const small = Array.from({ length: 20 }, () => r()), large = Array.from({ length: 2000 }, () => r());
    const [a, b] = medianInterval(small), [c, d] = medianInterval(large);
    expect(a).toBeLessThanOrEqual(median(small));
    expect(b).toBeGreaterThanOrEqual(median(small));
    expect(d - c).toBeLessThan((b - a) / 4);
  });

  it("outliers are counted beyond 3.5 scaled MADs", () => {
    expect(outliers([10, 10.1, 9.9, 10.05, 9.95, 50])).toBe(1);
    expect(outliers([1, 1, 1])).toBe(0);
  });
});

describe("Mann-Whitney U", () => {
  it("Mann-Whitney U matches hand-computed values", () => {
    // a = [1,2,3], b = [4,5,6]: U = 0; mean 4.5, sd sqrt(9*7/12) = 2.291; z = (0 - 4.5 + 0.5) / 2.291 = -1.746
    const r = mannWhitney([1, 2, 3], [4, 5, 6]);
    expect(r.u).toBe(0);
    expect(r.z).toBeCloseTo(-1.746, 3);
    expect(r.p).toBeCloseTo(0.0809, 3);
    expect(mannWhitney([1, 1, 1], [1, 1, 1]).p).toBe(1);
    const shifted = mannWhitney(Array.from({ length: 50 }, (_, i) => 100 + i), Array.from({ length: 50 }, (_, i) => 130 + i));
    expect(shifted.p).toBeLessThan(1e-6);
    expect(shifted.z).toBeLessThan(0);
  });
});
