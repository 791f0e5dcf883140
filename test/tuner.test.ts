import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { schemaErrors } from "../src/engine/profile/validate-profile.js";
import { familyName, gridFamilies, gridPoints, heldOutPoints, pointOf, refinePoints } from "../src/tuner/grid.js";
import { resultsErrors } from "../src/results/results-file.js";
import { runSweep } from "../src/tuner/sweep.js";
import { interleaveByOp, tune } from "../src/tuner/tune.js";
import type { GridPoint, PointResult } from "../src/results/types.js";

/** A fake measurement: serial a + b*work, parallel 2a + b*work/2 (crossover at work = 2a/b), costing `costMs` of fake time. */
function fakeMeasure(clock: { t: number }, costMs: number, a = 1000, b = 1) {
  return async (p: GridPoint): Promise<PointResult> => {
    clock.t += costMs;
    const v = (threads: number, ns: number) => ({ threads, medianNs: ns, lowNs: ns * 0.99, highNs: ns * 1.01, madNs: ns * 0.01, samples: 30, outliers: 0, callsPerSample: 1 });
    return { ...p, variants: [v(1, a + b * p.work), v(2, 2 * a + (b * p.work) / 2)], noisy: false, attempts: 1, elapsedMs: costMs };
  };
}

describe("grid", () => {
  it("levels thin the grid but keep every op's smallest and largest shapes", () => {
    const quick = gridPoints(gridFamilies("quick")), standard = gridPoints(gridFamilies("standard"));
    expect(quick.length).toBeLessThan(standard.length / 2);
    for (const op of new Set(standard.map((p) => p.op))) {
      const works = (ps: GridPoint[]) => ps.filter((p) => p.op === op).map((p) => p.work);
      expect(Math.min(...works(quick))).toBe(Math.min(...works(standard)));
      expect(Math.max(...works(quick))).toBe(Math.max(...works(standard)));
    }
    expect(new Set(standard.map((p) => p.key)).size).toBe(standard.length); // keys are unique
  });

  it("rope's grid is the reference document's seqLen 1..512, heads 4..32, headDim 64 and 128", () => {
    const rope = gridPoints(gridFamilies("standard", ["rope"]));
    expect(new Set(rope.map((p) => p.shape.seqLen))).toEqual(new Set([1, 2, 4, 8, 16, 32, 64, 128, 256, 512]));
    expect(new Set(rope.map((p) => p.shape.heads))).toEqual(new Set([4, 8, 16, 32]));
    expect(rope.find((p) => p.shape.seqLen === 128 && p.shape.heads === 16 && p.shape.headDim === 64)!.work).toBe(128 * 16 * 64);
  });

  it("refinement bisects where the winner changes, and only there", () => {
    const [f] = gridFamilies("standard", ["rmsNorm"]); // rows 1..64 at dim 768
    const measured = new Map([[familyName(f), [1, 2, 4, 8, 16, 32, 64]]]);
    const winner = (key: string) => (pointOf(f, 8).key === key || pointOf(f, 16).key === key || pointOf(f, 32).key === key || pointOf(f, 64).key === key ? 2 : 1);
    const next = refinePoints([f], measured, winner);
    expect(next.map((p) => p.shape.rows)).toEqual([6]); // between 4 (serial) and 8 (parallel)
  });

  it("held-out shapes are on no grid", () => {
    const grid = new Set(gridPoints(gridFamilies("thorough")).map((p) => `${p.op} ${p.work} ${JSON.stringify(p.shape)}`));
    for (const p of heldOutPoints()) expect(grid.has(`${p.op} ${p.work} ${JSON.stringify(p.shape)}`)).toBe(false);
  });

  it("the sweep order visits every op before going deeper into any", () => {
    const order = interleaveByOp(gridPoints(gridFamilies("quick")));
    const firstOps = new Set(order.slice(0, 12).map((p) => p.op));
    expect(firstOps.size).toBe(12);
  });
});

describe("budgeted sweep (fake clock)", () => {
  const points = gridPoints(gridFamilies("quick", ["rmsNorm", "gelu"]));

  it("never starts a point the budget cannot hold", async () => {
    const clock = { t: 0 };
    const out = await runSweep({ points, budgetMs: 1000, now: () => clock.t, measure: fakeMeasure(clock, 70), firstGuessMs: 70 });
    expect(clock.t).toBeLessThanOrEqual(1000);
    expect(out.results.length).toBe(14); // 14 * 70 = 980
    expect(out.stoppedBy).toBe("budget");
    expect(out.skipped.length).toBe(points.length - 14);
  });

  it("learns an op's real cost from its first point", async () => {
    const clock = { t: 0 };
    await runSweep({ points, budgetMs: 1000, now: () => clock.t, measure: fakeMeasure(clock, 300), firstGuessMs: 10 });
    expect(clock.t).toBeLessThanOrEqual(1000 + 300); // the first guess was wrong once per op at most
  });

  it("refines after the grid, and stops at once when asked", async () => {
    const clock = { t: 0 };
    const fams = gridFamilies("standard", ["gelu"]);
    const grid = gridPoints(fams);
    const out = await runSweep({ points: grid, families: fams, refinePasses: 3, budgetMs: 1e9, now: () => clock.t, measure: fakeMeasure(clock, 1), firstGuessMs: 1 });
    expect(out.results.length).toBeGreaterThan(grid.length); // crossover at work 2000 gets bisected
    let calls = 0;
    const stopped = await runSweep({ points: grid, budgetMs: 1e9, now: () => clock.t, measure: fakeMeasure(clock, 1), firstGuessMs: 1, shouldStop: () => ++calls > 3 });
    expect(stopped.stoppedBy).toBe("interrupt");
    expect(stopped.results.length).toBe(3);
  });

  it("resumes without measuring again what an earlier run measured", async () => {
    const clock = { t: 0 };
    const first = await runSweep({ points, budgetMs: 350, now: () => clock.t, measure: fakeMeasure(clock, 70), firstGuessMs: 70 });
    const measured: string[] = [];
    const measure = fakeMeasure(clock, 70);
    const second = await runSweep({
      points, budgetMs: 1e9, now: () => clock.t, firstGuessMs: 70,
      done: new Map(first.results.map((r) => [r.key, r])),
      measure: (p) => { measured.push(p.key); return measure(p); },
    });
    expect(second.results.length).toBe(points.length);
    for (const r of first.results) expect(measured).not.toContain(r.key);
    expect(measured.length).toBe(points.length - first.results.length);
  });
});

describe("crossover tune on this machine (tiny budget)", () => {
  it("writes a profile and results that validate, resumes after an interruption, and keeps its budget", async () => {
    const out = mkdtempSync(join(tmpdir(), "crossover-tune-"));
    const base = { level: "quick" as const, threads: [1, 2], ops: ["rmsNorm", "gelu"] as const, outDir: out, tool: "test", command: "test" };
    let points = 0;
    const first = await tune({ ...base, ops: [...base.ops], budgetMs: 20000, resume: false }, { shouldStop: () => ++points > 6 });
    expect(first.results.complete).toBe(false);
    expect(first.profilePath).toBeUndefined();
    expect(resultsErrors(JSON.parse(readFileSync(first.resultsPath, "utf8")))).toEqual([]);
    const kept = first.results.points.map((p) => p.key);
    expect(kept.length).toBeGreaterThan(3);

    const measured: string[] = [];
    const t0 = performance.now();
    const second = await tune({ ...base, ops: [...base.ops], budgetMs: 8000, resume: true }, { onPoint: (r) => measured.push(r.key) });
    // the budget is kept to the point (fake-clock tests above); on a real, possibly busy machine only
    // that it ends within twice its budget, so a slow CI runner does not fail it
    expect(performance.now() - t0).toBeLessThan(8000 * 2);
    expect(second.results.complete).toBe(true);
    for (const k of kept) expect(measured).not.toContain(k);
    expect(second.results.run.resumedPoints).toBe(kept.length);
    expect(resultsErrors(JSON.parse(readFileSync(second.resultsPath, "utf8")))).toEqual([]);
    expect(existsSync(second.profilePath!)).toBe(true);
    const profile = JSON.parse(readFileSync(second.profilePath!, "utf8"));
    expect(schemaErrors(profile)).toEqual([]);
    expect(Object.keys(profile.ops).sort()).toEqual(["gelu", "rmsNorm"]);
    expect(second.results.regret.rows.length).toBeGreaterThan(0);
  }, 60000);
});
