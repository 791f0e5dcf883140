// A machine no profile names: the engine calibrates it (well under a second),
// caches the result, and the next engine reads the cache.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { cacheDir } from "../src/calibrate/cache.js";
import { schemaErrors } from "../src/engine/profile/validate-profile.js";
import { gridFamilies, gridPoints, spreadByWork } from "../src/tuner/grid.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const preload = fileURLToPath(new URL("./fixtures/other-cpu.mjs", import.meta.url));

/** Runs `code` (an ES module using the built package) in an empty folder on a machine no profile names. */
function onOtherCpu(code: string, env: Record<string, string>) {
  const cwd = mkdtempSync(join(tmpdir(), "crossover-calibrate-"));
  const r = spawnSync(process.execPath, ["--import", preload, "--input-type=module", "-e", code], {
    cwd, encoding: "utf8", env: { ...process.env, CROSSOVER_CALIBRATE: "", CROSSOVER_PROFILE: "", ...env }, timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

const probe = `
import { createEngine } from ${JSON.stringify(join(root, "dist/index.js"))};
const warnings = [];
const t0 = performance.now();
const e = await createEngine({ threads: 2, onWarning: (m) => warnings.push(m) });
const ms = performance.now() - t0;
const d = e.plan("matmul", { batch: 1, inDim: 2048, outDim: 2048 });
console.log(JSON.stringify({ source: e.profile.source, path: e.profile.path ?? null, level: e.profile.data.tuning.level, ms, warnings, matmul: d.threads, reason: d.reason }));
e.close();`;

describe("calibration on a machine no profile names", () => {
  it("measures in well under a second, caches, and the next engine reads the cache; calibrate: false keeps the defaults", () => {
    const cache = mkdtempSync(join(tmpdir(), "crossover-cache-"));
    const first = onOtherCpu(probe, { CROSSOVER_CACHE_DIR: cache });
    expect(first.source).toBe("calibrated");
    expect(first.level).toBe("calibrated");
    // how long it takes is a measurement (README, closing note), not a pass/fail here: tests run beside each other
    expect(first.warnings.join("\n")).toMatch(/no profile matches this machine: calibrated in \d+ ms \(\d+ points\), cached in /);
    expect(existsSync(first.path)).toBe(true);
    expect(readdirSync(cache)).toHaveLength(1);
    const cached = JSON.parse(readFileSync(first.path, "utf8"));
    expect(schemaErrors(cached)).toEqual([]);
    // every op was measured and fitted (which count wins where depends on the machine and its load: not asserted)
    expect(Object.keys(cached.ops).length).toBeGreaterThanOrEqual(10);
    for (const rule of Object.values(cached.ops) as { compared: number[]; model: { lines: unknown[] } }[]) {
      expect(rule.compared).toEqual([1, 2]);
      expect(rule.model.lines).toHaveLength(2);
    }
    expect(first.path).toMatch(/imaginary-9000-2cpu-/); // the slug of the CPU this machine reports

    const second = onOtherCpu(probe, { CROSSOVER_CACHE_DIR: cache });
    expect(second).toMatchObject({ source: "calibrated", path: first.path, warnings: [] }); // no warning: nothing was measured

    const off = onOtherCpu(probe.replace("threads: 2,", "threads: 2, calibrate: false,"), { CROSSOVER_CACHE_DIR: cache });
    expect(off).toMatchObject({ source: "defaults", matmul: 1 });
    const offEnv = onOtherCpu(probe, { CROSSOVER_CACHE_DIR: mkdtempSync(join(tmpdir(), "crossover-cache-")), CROSSOVER_CALIBRATE: "0" });
    expect(offEnv).toMatchObject({ source: "defaults", matmul: 1 });
  });

  it("the cache folder follows the platform's convention", () => {
    expect(cacheDir({ XDG_CACHE_HOME: "/x" }, "linux", "/home/u")).toBe("/x/crossover");
    expect(cacheDir({}, "linux", "/home/u")).toBe("/home/u/.cache/crossover");
    expect(cacheDir({}, "darwin", "/Users/u")).toBe("/Users/u/Library/Caches/crossover");
    expect(cacheDir({ LOCALAPPDATA: "C:\\\\L" }, "win32", "C:\\\\U")).toMatch(/crossover/);
    expect(cacheDir({ CROSSOVER_CACHE_DIR: "/c" }, "linux", "/home/u")).toBe("/c");
  });
});

describe("the points a calibration measures", () => {
  it("span the op's range of work across its families: a matmul's include decode's matrix-vector products", () => {
    const all = gridPoints(gridFamilies("standard", ["matmul.q8_0"]));
    const picked = spreadByWork(all, 7);
    expect(picked.length).toBeGreaterThanOrEqual(5);
    expect(picked.length).toBeLessThanOrEqual(7);
    const works = picked.map((p) => p.work);
    expect(works).toEqual([...works].sort((a, b) => a - b));
    expect(works[0]).toBe(Math.min(...all.map((p) => p.work)));
    expect(works.at(-1)).toBe(Math.max(...all.map((p) => p.work)));
    // more than one family (the first family alone is one 128x128 matrix), and a batch-1 product of a large matrix
    expect(new Set(picked.map((p) => p.family)).size).toBeGreaterThan(1);
    expect(picked.some((p) => p.shape.batch === 1 && p.shape.inDim >= 1024)).toBe(true);
    // neighbours about evenly apart in log(work): no gap over 4x the even step
    const step = Math.log(works.at(-1)! / works[0]) / 6;
    for (let i = 1; i < works.length; i++) expect(Math.log(works[i] / works[i - 1])).toBeLessThan(4 * step);
  });
});
