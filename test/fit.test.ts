import { describe, expect, it } from "vitest";
import { fitCrossover, type PairPoint } from "../src/tuner/fit.js";
import { medianInterval, theilSen } from "../src/tuner/stats.js";
import { rng } from "./helpers.js";

// Synthetic timings from known lines: the fit must find the crossover the
// lines imply (with the 3% margin), inside its interval.

function synth(serial: [number, number], parallel: [number, number], noise: number, seed: number): PairPoint[] {
  const r = rng(seed);
  const jitter = () => 1 + noise * (r() * 2 - 1);
  const pts: PairPoint[] = [];
  for (let x = 16; x <= 4e6; x *= 1.6) {
    const w = Math.round(x);
    pts.push({ work: w, serialNs: (serial[0] + serial[1] * w) * jitter(), parallelNs: (parallel[0] + parallel[1] * w) * jitter() });
  }
  return pts;
}

/** The exact crossover of the lines with margin m. */
function truth(s: [number, number], p: [number, number], m = 0.03): number {
  return (p[0] - (1 - m) * s[0]) / ((1 - m) * s[1] - p[1]);
}

describe("fitCrossover", () => {
  const S: [number, number] = [80, 0.25], P: [number, number] = [450, 0.13];
  const expected = truth(S, P); // ~3,5k

  it("recovers the crossover of noiseless lines exactly", () => {
    const f = fitCrossover(synth(S, P, 0, 1), { threads: 2 });
    expect(f.decision).toBe("threshold");
    expect(f.minWork).toBeCloseTo(expected, -1);
    expect(f.serial.slopeNs).toBeCloseTo(0.25, 6);
    expect(f.parallel.interceptNs).toBeCloseTo(450, 3);
    expect(f.disagreements).toEqual([]);
  });

  for (const seed of [1, 2, 3, 4, 5]) {
    it(`with 8% noise the interval holds the true crossover (seed ${seed})`, () => {
      const f = fitCrossover(synth(S, P, 0.08, seed), { threads: 2, seed });
      expect(f.decision).toBe("threshold");
      expect(f.interval!.low).toBeLessThanOrEqual(f.minWork!);
      expect(f.interval!.high).toBeGreaterThanOrEqual(f.minWork!);
      expect(f.interval!.low).toBeLessThanOrEqual(expected);
      expect(f.interval!.high).toBeGreaterThanOrEqual(expected);
      expect(f.interval!.high / f.interval!.low).toBeLessThan(4); // and it says something
    });
  }

  it("a robust fit shrugs off one wild point", () => {
    const pts = synth(S, P, 0, 1);
    pts[3].parallelNs *= 40; // a stall in one sample batch
    const f = fitCrossover(pts, { threads: 2 });
    expect(Math.abs(f.minWork! - expected) / expected).toBeLessThan(0.1);
  });

  it("says never when parallel never wins by the margin", () => {
    const f = fitCrossover(synth(S, [450, 0.25], 0.01, 2), { threads: 2 });
    expect(f).toMatchObject({ decision: "never", minWork: null, interval: null });
    expect(f.reason).toMatch(/never won by 3%/);
  });

  it("says always when parallel wins at every measured size", () => {
    const f = fitCrossover(synth(S, [20, 0.13], 0.01, 3), { threads: 2 });
    expect(f).toMatchObject({ decision: "always", minWork: 16 });
  });

  it("lists measured points the threshold gets wrong outside its interval", () => {
    const pts = synth(S, P, 0, 1);
    const big = pts[pts.length - 1];
    big.parallelNs = big.serialNs * 1.5; // a size where parallel loses, far above the crossover
    const f = fitCrossover(pts, { threads: 2 });
    expect(f.disagreements).toEqual([expect.objectContaining({ work: big.work, chosen: "parallel" })]);
  });

  it("needs two points", () => {
    expect(() => fitCrossover([{ work: 1, serialNs: 1, parallelNs: 1 }], { threads: 2 })).toThrow(/at least 2/);
  });
});

describe("statistics", () => {
  it("Theil-Sen recovers a line", () => {
    expect(theilSen([1, 2, 3, 4], [3, 5, 7, 9])).toEqual({ interceptNs: 1, slopeNs: 2 });
  });
  it("the median's interval brackets it and narrows with samples", () => {
    const r = rng(9);
    const few = Array.from({ length: 20 }, () => r());
    const many = Array.from({ length: 2000 }, () => r());
    const [a, b] = medianInterval(few), [c, d] = medianInterval(many);
    expect(a).toBeLessThan(0.5); expect(b).toBeGreaterThan(0.5);
    expect(d - c).toBeLessThan((b - a) / 4);
  });
});
