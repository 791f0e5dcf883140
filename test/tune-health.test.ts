import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { judgeLayer } from "../src/tuner/layer-proof.js";
import { resultsErrors } from "../src/results/results-file.js";
import { Sentinel } from "../src/tuner/sentinel.js";
import { outputPaths, tune, type TuneDeps } from "../src/tuner/tune.js";
import { machineInfo } from "../src/tuner/machine.js";
import type { GridPoint, LayerBenchResult, PointResult } from "../src/results/types.js";

/** A fake clock, fake points (serial 1000 + work ns, 2 threads 2000 + work/2 ns) costing 500 ms each, and a sentinel slow in `slowFrom..slowTo` ms. */
function fakeRun(slowFrom: number, slowTo: number, layer?: LayerBenchResult[]) {
  const clock = { t: 0 };
  const measured = new Map<string, number>();
  const slow = () => clock.t >= slowFrom && clock.t < slowTo;
  const deps: TuneDeps = {
    now: () => clock.t,
    measure: async (p: GridPoint): Promise<PointResult> => {
      clock.t += 500;
      measured.set(p.key, (measured.get(p.key) ?? 0) + 1);
      const k = slow() ? 10 : 1; // a slow state makes parallel 10x slower
      const v = (threads: number, ns: number) => ({ threads, medianNs: ns, lowNs: ns * 0.99, highNs: ns * 1.01, madNs: ns * 0.01, samples: 30, outliers: 0, callsPerSample: 1 });
      return { ...p, variants: [v(1, 1000 + p.work), v(2, k * (2000 + p.work / 2))], noisy: false, attempts: 1, elapsedMs: 500 };
    },
    sentinel: {
      read: () => (slow() ? { forkJoinUs: 5, serialUs: 10, parallelUs: 60 } : { forkJoinUs: 0.5, serialUs: 10, parallelUs: 6 }),
      pause: async (ms) => { clock.t += ms; },
    },
    cpuLoad: async () => ({ othersCpus: 0, stealCpus: 0, seconds: 0.5 }),
    pool: () => ({
      forkJoin: [{ threads: 2, hotMedianUs: 0.5, hotMadUs: 0.01, coldMedianUs: 30, coldMadUs: 1, spinMicros: 50, samples: { hot: 5, cold: 5 } }],
      spin: { chosen: 50, candidates: [] },
    }),
    ...(layer ? { layer: () => layer } : {}),
  };
  return { deps, measured, clock };
}

/** A quick run of rope and gelu, or of every op (ops null: with the layer proof). */
const base = (outDir: string, ops: string[] | null = ["rope", "gelu"]) => ({
  level: "quick" as const, budgetMs: 400_000, threads: [1, 2], ...(ops ? { ops: ops as never } : {}), outDir, resume: false, tool: "test", command: "test",
});

describe("the sentinel (fake clock, injected measurements)", () => {
  it("a state 10x slower for a few seconds halfway: the points measured meanwhile are measured again, and the run says so", async () => {
    const out = mkdtempSync(join(tmpdir(), "crossover-sentinel-"));
    const f = fakeRun(9_000, 12_000);
    const r = await tune(base(out), {}, f.deps);
    const s = r.results.health!.sentinel;
    expect(s.verdicts).toContain("recovered");
    expect(s.remeasured).toBeGreaterThanOrEqual(5);
    expect(s.suspect).toBe(0);
    expect([...f.measured.values()].filter((n) => n === 2).length).toBe(s.remeasured);
    expect(r.results.points.filter((p) => p.remeasured).length).toBe(s.remeasured);
    expect(r.results.warnings.join("\n")).toMatch(/saw a slow state 1 time\(s\): up to 10\.0x its best in parallel.*measured again once it passed/);
    expect(s.readings.some((x) => x.slow)).toBe(true);
    // nothing measured in the slow state is left in the fit's data: parallel wins from work 2000 on the clean lines
    expect(r.results.fits.rope?.[0].minWork).toBeGreaterThan(1000);
    expect(r.results.fits.rope?.[0].minWork).toBeLessThan(4000);
    expect(resultsErrors(JSON.parse(readFileSync(r.resultsPath, "utf8")))).toEqual([]);
  });

  it("a state that jumps 10x halfway and stays: the points are marked suspect, left out of the fits, and the run warns", async () => {
    const out = mkdtempSync(join(tmpdir(), "crossover-sentinel-"));
    const f = fakeRun(8_000, Infinity);
    const r = await tune(base(out), {}, f.deps);
    const s = r.results.health!.sentinel;
    expect(s.verdicts).toContain("slow");
    expect(s.suspect).toBeGreaterThan(0);
    const suspect = r.results.points.filter((p) => p.suspect);
    expect(suspect.length + r.results.heldOut.filter((p) => p.suspect).length).toBe(s.suspect);
    expect(r.results.warnings.join("\n")).toMatch(/marked suspect and left out of the fits.*run crossover tune again on an idle machine/);
    const saved = JSON.parse(readFileSync(r.resultsPath, "utf8"));
    expect(resultsErrors(saved)).toEqual([]);
    expect(saved.health.sentinel.suspect).toBe(s.suspect);
    // the fit saw only clean points: the 10x-slow parallel times did not push the threshold up
    expect(r.results.fits.rope?.[0].minWork ?? Infinity).toBeLessThan(4000);
  });

  it("a healthy run checks every few seconds and flags nothing", async () => {
    const out = mkdtempSync(join(tmpdir(), "crossover-sentinel-"));
    const f = fakeRun(Infinity, Infinity);
    const r = await tune(base(out), {}, f.deps);
    const s = r.results.health!.sentinel;
    expect(s.readings.length).toBeGreaterThan(3);
    expect(new Set(s.verdicts)).toEqual(new Set(["ok"]));
    expect(s.remeasured + s.suspect).toBe(0);
    expect(r.results.warnings.join("\n")).not.toMatch(/sentinel/);
  });

  it("a state much faster than every earlier reading makes everything before it suspect", async () => {
    let t = 0;
    const values = [6, 6.2, 1.5, 1.6];
    const sentinel = new Sentinel({ now: () => t, read: () => ({ forkJoinUs: 0.5, serialUs: 10, parallelUs: values.shift()! }), pause: async () => {} });
    expect(await sentinel.check()).toBe("ok");
    t += 6000;
    expect(await sentinel.check()).toBe("ok");
    t += 6000;
    expect(await sentinel.check()).toBe("faster");
    expect(sentinel.due()).toBe(false);
  });
});

describe("the layer proof", () => {
  const layer = (tunedMs: number): LayerBenchResult[] => (["tuned profile", "serial", "parallel", "built-in defaults"] as const).map((variant) => ({
    preset: "gemma-3-270m", weights: "q8_0", variant, threads: variant === "serial" ? 1 : 2, step: "decode", tokens: 512,
    medianMs: variant === "tuned profile" ? tunedMs : variant === "parallel" ? 1.1 : 1, madMs: 0.02, samples: 20,
  }));

  it("judges a clear loss, not noise", () => {
    expect(judgeLayer(layer(0.6)).loses).toBe(false);
    expect(judgeLayer(layer(1.05)).loses).toBe(false); // within 10%
    const lost = judgeLayer(layer(2.5));
    expect(lost.loses).toBe(true);
    expect(lost.losses[0]).toMatch(/decode at 512 cached: tuned 2\.50 ms against serial 1\.00 ms \(2\.50x slower\)/);
  });

  it("a profile that loses to serial is not written over the existing one; --force writes it", async () => {
    const out = mkdtempSync(join(tmpdir(), "crossover-proof-"));
    const paths = outputPaths(out, machineInfo().slug);
    mkdirSync(join(out, "profiles"), { recursive: true });
    writeFileSync(paths.profile, "the profile committed earlier\n");
    const f = fakeRun(Infinity, Infinity, layer(2.5));
    const r = await tune(base(out, null), {}, f.deps);
    expect(r.results.complete).toBe(true);
    expect(r.refused).toMatch(/lost to a simpler policy on the decoder layer .*not written.*idle machine.*--force/);
    expect(r.profilePath).toBeUndefined();
    expect(readFileSync(paths.profile, "utf8")).toBe("the profile committed earlier\n");
    const saved = JSON.parse(readFileSync(r.resultsPath, "utf8"));
    expect(saved.run.profileRefused).toMatch(/not written/);
    expect(resultsErrors(saved)).toEqual([]);

    const forced = await tune({ ...base(out, null), force: true }, {}, fakeRun(Infinity, Infinity, layer(2.5)).deps);
    expect(forced.refused).toBeUndefined();
    expect(forced.profilePath).toBe(paths.profile);
    expect(JSON.parse(readFileSync(paths.profile, "utf8")).tuning.notes.join("\n")).toMatch(/written anyway \(--force\)/);
  });

  it("a profile that wins is written, with the kernels it was tuned with", async () => {
    const out = mkdtempSync(join(tmpdir(), "crossover-proof-"));
    const r = await tune(base(out, null), {}, fakeRun(Infinity, Infinity, layer(0.6)).deps);
    expect(r.refused).toBeUndefined();
    expect(existsSync(r.profilePath!)).toBe(true);
    expect(JSON.parse(readFileSync(r.profilePath!, "utf8")).tuning.kernels.wasmSha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
