// From measured points to the profile the engine loads: fitting every op,
// writing the profile, and scoring it on held-out shapes.
import { describe, expect, it } from "vitest";
import { schemaErrors } from "../src/engine/profile/validate-profile.js";
import { fitAll, fitAllRanges } from "../src/tuner/fit-all.js";
import { fitRanges } from "../src/tuner/fit-ranges.js";
import { machineSlug } from "../src/engine/profile/fingerprint.js";
import { profileProblems } from "../src/engine/profile/profile-checks.js";
import { SCHEMA_VERSION } from "../src/engine/profile/types.js";
import { gridFamilies, gridPoints } from "../src/tuner/grid.js";
import { buildProfile } from "../src/tuner/profile-writer.js";
import { regret } from "../src/tuner/regret.js";
import type { GridPoint, PointResult } from "../src/results/types.js";

/** Exact timings: serial a + b*w; t threads (a*t) + b*w/t, i.e. dispatch grows with t and work splits. */
function measured(p: GridPoint, counts: number[], a: number, b: number): PointResult {
  const v = (threads: number, ns: number) => ({ threads, medianNs: ns, lowNs: ns, highNs: ns, madNs: 0, samples: 30, outliers: 0, callsPerSample: 1 });
  return { ...p, variants: counts.map((t) => v(t, t === 1 ? a + b * p.work : a * t * 4 + (b * p.work) / t)), noisy: false, attempts: 1, elapsedMs: 1 };
}

const machine = { slug: "test-cpu-4cpu-linux-x64-node20", cpuModel: "Test CPU", logicalCpus: 4, arch: "x64", os: "linux", nodeMajor: 20,
  node: "20.20.2", v8: "11.3", loadAverage: [0.5, 0.4, 0.3] };
const run = (notes: string[] = []) => ({ forkJoin: [], machine, date: "2026-11-27T00:00:00Z", tool: "test", level: "standard" as const, durationSeconds: 300,
  threads: [1, 2, 4], loadAverage: [0.1], spinMicros: 50, notes, kernels: { crossover: "9.9.9", wasmSha256: "ab".repeat(32) } });

describe("fitAll", () => {
  const pts = gridPoints(gridFamilies("standard", ["rope", "gelu"])).map((p) => measured(p, [1, 2, 4], p.op === "rope" ? 200 : 0.01, 0.1));

  it("fits every op against serial on every thread count above one", () => {
    const fits = fitAll(pts, [1, 2, 4]);
    expect(Object.keys(fits).sort()).toEqual(["gelu", "rope"]);
    expect(fits.rope!.map((f) => f.threads)).toEqual([2, 4]);
    // rope: 2 threads win from 800 + 0.05w < 0.97*(200 + 0.1w) -> w > ~13.2k; 4 threads need more work
    expect(fits.rope![0].decision).toBe("threshold");
    expect(fits.rope![0].minWork!).toBeGreaterThan(8000);
    expect(fits.rope![1].minWork!).toBeGreaterThan(fits.rope![0].minWork!);
    expect(fits.gelu!.every((f) => f.decision === "always")).toBe(true); // no dispatch cost: parallel wins everywhere
  });

  it("skips an op with fewer than two points, and thread counts nobody measured", () => {
    expect(fitAll(pts.filter((p) => p.op === "gelu").slice(0, 1), [1, 2])).toEqual({});
    expect(fitAll(pts, [1, 8]).rope).toEqual([]);
  });
});

describe("fitRanges", () => {
  // exact timings: t threads cost a*t*4 + b*w/t (dispatch grows with t, work splits)
  const rope = gridPoints(gridFamilies("standard", ["rope"])).map((p) => measured(p, [1, 2, 4], 200, 0.1));

  it("names the fastest count per range: 1, then 2, then 4 threads, each boundary inside its interval and where the counts cross", () => {
    const f = fitRanges(rope, [1, 2, 4])!;
    expect(f.compared).toEqual([1, 2, 4]);
    expect(f.ranges.map((r) => r.threads)).toEqual([1, 2, 4]);
    expect(f.ranges[0].fromWork).toBe(0);
    for (const r of f.ranges.slice(1)) {
      expect(r.interval!.low).toBeLessThanOrEqual(r.fromWork);
      expect(r.interval!.high).toBeGreaterThanOrEqual(r.fromWork);
    }
    // exact crossings with the 3% margin: 2 beats 1 where 1600 + 0.05w < 0.97 (200 + 0.1w): w ~ 30.8k;
    // 4 beats 2 where 3200 + 0.025w < 0.97 (1600 + 0.05w): w ~ 70.2k
    expect(f.ranges[1].fromWork / 30.8e3).toBeGreaterThan(0.6);
    expect(f.ranges[1].fromWork / 30.8e3).toBeLessThan(1.6);
    expect(f.ranges[2].fromWork / 70.2e3).toBeGreaterThan(0.6);
    expect(f.ranges[2].fromWork / 70.2e3).toBeLessThan(1.6);
  });

  it("leaves out a count that is never fastest, however large its count (an oversubscribed 3 on 2 cores)", () => {
    const v = (threads: number, ns: number) => ({ threads, medianNs: ns, lowNs: ns, highNs: ns, madNs: 0, samples: 30, outliers: 0, callsPerSample: 1 });
    const pts = rope.map((p) => ({ ...p, variants: [v(1, 200 + 0.1 * p.work), v(2, 800 + 0.05 * p.work), v(3, 50_000 + 0.06 * p.work)] }));
    const f = fitRanges(pts, [1, 2, 3])!;
    expect(f.ranges.map((r) => r.threads)).toEqual([1, 2]);
    expect(f.reason).toMatch(/3 threads never fastest/);
  });

  it("does not flip counts within a narrow band of work: shapes of one work size that disagree are noise to the rule", () => {
    const v = (threads: number, ns: number) => ({ threads, medianNs: ns, lowNs: ns, highNs: ns, madNs: 0, samples: 30, outliers: 0, callsPerSample: 1 });
    // dense works (10% apart): 2 threads win from ~10k on, except in a narrow band (40k-50k, a factor 1.25) where they lose by 25%
    const pts = Array.from({ length: 80 }, (_, k) => Math.round(1000 * 1.1 ** k)).map((work) => {
      const flip = work >= 40_000 && work <= 50_000;
      return { ...rope[0], work, key: `rope ${work}`, variants: [v(1, 1000 + 0.1 * work), v(2, flip ? 1.25 * (1000 + 0.1 * work) : 1500 + 0.05 * work)] };
    });
    expect(pts.filter((p) => p.work >= 40_000 && p.work <= 50_000).length).toBeGreaterThan(1);
    const ranges = fitRanges(pts, [1, 2])!.ranges;
    for (let i = 1; i + 1 < ranges.length; i++) expect(ranges[i + 1].fromWork / ranges[i].fromWork).toBeGreaterThanOrEqual(2);
    expect(ranges.map((r) => r.threads)).toEqual([1, 2]);
  });

  it("lets a count leave again when another overtakes it, and prefers fewer threads in a near-tie", () => {
    const v = (threads: number, ns: number) => ({ threads, medianNs: ns, lowNs: ns, highNs: ns, madNs: 0, samples: 30, outliers: 0, callsPerSample: 1 });
    // 4 threads win in the middle, but memory bandwidth saturates: at large work 2 threads are faster again
    const pts = rope.map((p) => ({ ...p, variants: [v(1, 100 + 0.1 * p.work), v(2, 600 + 0.05 * p.work), v(4, 1200 + (p.work < 2e5 ? 0.025 : 0.07) * p.work)] }));
    expect(fitRanges(pts, [1, 2, 4])!.ranges.map((r) => r.threads)).toEqual([1, 2, 4, 2]);
    // 2 threads 1% faster everywhere: inside the margin, so serial stays
    const tie = rope.map((p) => ({ ...p, variants: [v(1, 100 + p.work), v(2, 0.99 * (100 + p.work))] }));
    expect(fitRanges(tie, [1, 2])!.ranges).toEqual([{ fromWork: 0, threads: 1 }]);
  });
});

describe("buildProfile", () => {
  const pts = gridPoints(gridFamilies("standard", ["rope", "gelu", "qkNorm"]))
    .map((p) => measured(p, [1, 2, 4], p.op === "rope" ? 200 : p.op === "gelu" ? 0.01 : 1e9, 0.1));
  const forkJoin = [2, 4].map((threads) => ({ threads, hotMedianUs: threads / 4, hotMadUs: 0, coldMedianUs: 10 * threads, coldMadUs: 0, spinMicros: 50, samples: { hot: 9, cold: 9 } }));
  const profile = buildProfile({ ...run(["a note"]), forkJoin }, fitAllRanges(pts, [1, 2, 4]));

  it("writes a schema-valid profile with the machine's profile fields and the kernels it was tuned with", () => {
    expect(schemaErrors(profile)).toEqual([]);
    expect(profileProblems({ ...profile, machine: { ...profile.machine, slug: machineSlug(profile.machine) } })).toEqual([]);
    expect(profile.schemaVersion).toBe(SCHEMA_VERSION);
    expect(profile.machine).not.toHaveProperty("loadAverage");
    expect(profile.machine.slug).toBe(machine.slug);
    expect(profile.tuning.kernels).toEqual({ crossover: "9.9.9", wasmSha256: "ab".repeat(32) });
    expect(profile.tuning.notes).toEqual(["a note"]);
    expect(profile.pool.forkJoin).toEqual([{ threads: 2, hotMicros: 0.5, coldMicros: 20 }, { threads: 4, hotMicros: 1, coldMicros: 40 }]);
    expect(profile.pool).toMatchObject({ forkJoinHotMicros: 1, forkJoinColdMicros: 40 }); // the largest count's
  });

  it("the fastest count per range becomes the engine's rule, with the counts compared and a line per count", () => {
    expect(profile.ops.rope).toMatchObject({ work: "seqLen*heads*headDim", compared: [1, 2, 4] });
    expect(profile.ops.rope!.ranges.map((r) => r.threads)).toEqual([1, 2, 4]);
    for (const r of profile.ops.rope!.ranges.slice(1)) expect(Number.isInteger(r.interval!.low)).toBe(true);
    expect(profile.ops.rope!.model!.lines.map((l) => l.threads)).toEqual([1, 2, 4]);
    expect(profile.ops.gelu!.ranges).toEqual([{ fromWork: 0, threads: 4 }]); // no dispatch cost: the most threads everywhere
    expect(profile.ops.qkNorm!.ranges).toEqual([{ fromWork: 0, threads: 1 }]);
    expect(profile.ops.softmax).toBeUndefined(); // not measured: the built-in default serves
  });
});

describe("regret", () => {
  const held = (work: number, serialNs: number, twoNs: number): PointResult => ({
    op: "rope", shape: { seqLen: 1, heads: 1, headDim: 2 }, work, key: `rope ${work}`, family: "held-out", noisy: false, attempts: 1, elapsedMs: 1,
    variants: [1, 2].map((threads) => ({ threads, medianNs: threads === 1 ? serialNs : twoNs, lowNs: 0, highNs: 0, madNs: 0, samples: 1, outliers: 0, callsPerSample: 1 })),
  });
  const profile = buildProfile({ ...run(), forkJoin: [] }, {
    rope: { compared: [1, 2], ranges: [{ fromWork: 0, threads: 1 }, { fromWork: 1000, threads: 2, interval: { low: 900, high: 1100, level: 0.95 } }],
      lines: [{ threads: 1, interceptNs: 0, slopeNs: 1 }, { threads: 2, interceptNs: 0, slopeNs: 1 }], margin: 0.03, points: 10, workRange: [1, 1e6], reason: "test" },
  });

  it("is the time at the profile's choice over the best measured, with its geometric mean and worst", () => {
    // below the threshold the profile runs serial: regret 200/100 when 2 threads were faster; above it, 2 threads: regret 1
    const r = regret(profile, [held(500, 200, 100), held(5000, 100, 50), held(600, 100, 400)], 2);
    expect(r.rows.map((x) => [x.chosen, x.best, x.regret])).toEqual([[1, 2, 2], [2, 2, 1], [1, 1, 1]]);
    expect(r.geomean).toBeCloseTo(Math.cbrt(2), 12);
    expect(r.max).toBe(2);
  });

  it("never picks more threads than the point measured", () => {
    const r = regret(profile, [held(5000, 100, 50)], 8);
    expect(r.rows[0].chosen).toBe(2);
  });
});
