// From measured points to the profile the engine loads: fitting every op,
// writing the profile, and scoring it on held-out shapes.
import { describe, expect, it } from "vitest";
import { schemaErrors } from "../src/engine/profile/validate-profile.js";
import { fitAll } from "../src/tuner/fit-all.js";
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
const run = (notes: string[] = []) => ({ machine, date: "2026-11-27T00:00:00Z", tool: "test", level: "standard" as const, durationSeconds: 300,
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

describe("buildProfile", () => {
  const pts = gridPoints(gridFamilies("standard", ["rope", "gelu", "qkNorm"]))
    .map((p) => measured(p, [1, 2, 4], p.op === "rope" ? 200 : p.op === "gelu" ? 0.01 : 1e9, 0.1));
  const profile = buildProfile(run(["a note"]), fitAll(pts, [1, 2, 4]));

  it("writes a schema-valid profile with the machine's profile fields and the kernels it was tuned with", () => {
    expect(schemaErrors(profile)).toEqual([]);
    expect(profile.machine).not.toHaveProperty("loadAverage");
    expect(profile.machine.slug).toBe(machine.slug);
    expect(profile.tuning.kernels).toEqual({ crossover: "9.9.9", wasmSha256: "ab".repeat(32) });
    expect(profile.tuning.notes).toEqual(["a note"]);
  });

  it("threshold, always and never become the engine's rules", () => {
    expect(profile.ops.rope).toMatchObject({ work: "seqLen*heads*headDim", parallel: "threshold" });
    expect(profile.ops.rope!.thresholds.map((t) => t.threads)).toEqual([2, 4]);
    for (const t of profile.ops.rope!.thresholds) {
      expect(t.interval!.low).toBeLessThanOrEqual(t.minWork);
      expect(t.interval!.high).toBeGreaterThanOrEqual(t.minWork);
      expect(Number.isInteger(t.interval!.low)).toBe(true);
    }
    expect(profile.ops.gelu).toMatchObject({ parallel: "always" });
    expect(profile.ops.gelu!.thresholds.every((t) => t.minWork === 0)).toBe(true);
    expect(profile.ops.qkNorm).toMatchObject({ parallel: "never", thresholds: [] });
    expect(profile.ops.softmax).toBeUndefined(); // not measured: the built-in default serves
  });
});

describe("regret", () => {
  const held = (work: number, serialNs: number, twoNs: number): PointResult => ({
    op: "rope", shape: { seqLen: 1, heads: 1, headDim: 2 }, work, key: `rope ${work}`, family: "held-out", noisy: false, attempts: 1, elapsedMs: 1,
    variants: [1, 2].map((threads) => ({ threads, medianNs: threads === 1 ? serialNs : twoNs, lowNs: 0, highNs: 0, madNs: 0, samples: 1, outliers: 0, callsPerSample: 1 })),
  });
  const profile = buildProfile(run(), {
    rope: [{ threads: 2, decision: "threshold", minWork: 1000, interval: { low: 900, high: 1100, level: 0.95 }, serial: { interceptNs: 0, slopeNs: 1 },
      parallel: { interceptNs: 0, slopeNs: 1 }, margin: 0.03, points: 10, workRange: [1, 1e6], disagreements: [], reason: "test" }],
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
