import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runReport } from "../src/commands/report.js";
import { renderReport } from "../src/report/render-report.js";
import { resultsErrors } from "../src/results/results-file.js";
import { fixtureResults, ROPE_CROSSOVER } from "./fixtures/results-fixture.js";

describe("report from a results file with known crossovers", async () => {
  const results = fixtureResults();
  const { html, markdown } = await renderReport(results);

  it("the fixture itself is a valid results file", () => {
    expect(resultsErrors(results)).toEqual([]);
  });

  it("has the sections in the order of the reference document", () => {
    const order = ["## 1. Test environment", "## 2. Overview", "## 3.1 qkNorm", "## 4. Dispatch overhead", "## 5. Summary of recommendations",
      "## 6. Held-out check", "## 7. How to read the numbers"];
    const at = order.map((h) => markdown.indexOf(h));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  it("recommends what the data says, per op", () => {
    const summary = markdown.slice(markdown.indexOf("## 5. Summary"));
    const line = (op: string) => summary.split("\n").find((l) => l.startsWith(`| ${op} |`))!;
    const fitted = results.fits.rope![0].minWork!;
    expect(Math.abs(fitted - ROPE_CROSSOVER) / ROPE_CROSSOVER).toBeLessThan(0.01);
    expect(line("rope")).toMatch(/\| rope \| 1 thread, from 4096 2 threads \|/); // current: the built-in default
    const ranged = results.ranges!.rope!.ranges[1].fromWork;
    expect(Math.abs(ranged - ROPE_CROSSOVER) / ROPE_CROSSOVER).toBeLessThan(0.05);
    expect(line("rope")).toMatch(new RegExp(`\\| 1 thread, from ${(ranged / 1e3).toPrecision(3)}k \\(95% .*\\) 2 threads \\(fastest of 1, 2\\) \\|`));
    expect(line("qkNorm")).toMatch(/\| 1 thread \| 1 thread \(fastest of 1, 2\) \|/);
    expect(line("gelu")).toMatch(/\| 2 threads \(fastest of 1, 2\) \|/);
    const when = summary.slice(summary.indexOf("### When to parallelize"), summary.indexOf("### When not to parallelize"));
    expect(when).toMatch(new RegExp(`- rope: when seqLen\\*heads\\*headDim ≥ ${(fitted / 1e3).toPrecision(3)}k \\(e\\.g\\. heads=\\d+ headDim=\\d+ seqLen=\\d+\\), on 2 threads`));
    expect(when).toMatch(/- gelu: at every measured size/);
    expect(when).not.toMatch(/qkNorm/);
    const whenNot = summary.slice(summary.indexOf("### When not to parallelize"));
    expect(whenNot).toMatch(/- qkNorm: at any measured size up to seqLen\*heads\*headDim = 2\.10M: 2 threads never won by 3%/);
  });

  it("bolds exactly the rows where parallel won", () => {
    const rope = markdown.slice(markdown.indexOf("## 3.2 rope"), markdown.indexOf("<details>", markdown.indexOf("## 3.2 rope")));
    const rows = rope.split("\n").filter((l) => l.startsWith("| ") && /\d/.test(l) && !l.startsWith("| shape"));
    expect(rows.length).toBe(10); // the focus family: seqLen 1..512
    for (const r of rows) {
      const field = (k: string) => Number(new RegExp(`${k}=(\\d+)`).exec(r)![1]);
      const work = field("seqLen") * field("heads") * field("headDim");
      const wins = 100 + 0.1 * work > 600 + 0.05 * work;
      expect(r.startsWith("| **"), r).toBe(wins);
    }
  });

  it("shows the headline layer table and the held-out regret from the data", () => {
    expect(markdown).toMatch(/\| prefill 128 tokens \| 10\.00 \| 20\.00 \| 11\.00 \| 19\.00 \| 2\.00x \| 1\.82x \| 1\.05x \|/);
    expect(markdown).toMatch(new RegExp(`Geometric mean ${results.regret.geomean.toFixed(3)}, worst ${results.regret.max.toFixed(3)}`));
    expect(markdown).toMatch(/\| 2 \| 0\.300 \| 30\.0 \| 50 \|/); // fork-join
  });

  it("is one self-contained page: inline SVG, no script, no remote reference", () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link /i);
    expect(html.replace(/xmlns(:xlink)?="http:\/\/www\.w3\.org\/[^"]*"/g, "")).not.toMatch(/https?:\/\//);
    const charts = html.match(/<figure class="chart"/g) ?? [];
    expect(charts.length).toBe(1 + 2 * 3); // layer, and speedup + time per op
    expect(html).toMatch(/<meta name="viewport"/);
    expect(html).toMatch(/@media print/);
  });

  it("writes report.html and report.md beside the results, atomically", async () => {
    const dir = mkdtempSync(join(tmpdir(), "crossover-report-"));
    writeFileSync(join(dir, "results.json"), JSON.stringify(results));
    const files = await runReport({ results: dir }, () => {});
    expect(files.exitCode).toBe(0);
    expect(readFileSync(files.markdown, "utf8")).toBe(markdown);
    await expect(runReport({ results: join(dir, "nope") }, () => {})).rejects.toThrow(/nope: no such file/);
  });

  it("compares against the profile the engine loaded before the run, when there was one", async () => {
    const before = fixtureResults();
    const prev = { schemaVersion: 2, machine: { slug: before.machine.slug, cpuModel: "Fixture CPU 3000", logicalCpus: 2, arch: "x64", os: "linux", nodeMajor: 20 },
      tuning: { date: "2026-01-01T00:00:00Z", tool: "t", level: "hand" as const, backend: "wasm" as const, threads: [1, 2] }, pool: { spinMicros: 10 },
      ops: { qkNorm: { work: "seqLen*heads*headDim", ranges: [{ fromWork: 0, threads: 2 }] } } };
    const md = (await renderReport({ ...before, previous: { source: "match", path: "profiles/old.json", profile: prev } })).markdown;
    expect(md).toMatch(/Current: the profile the engine loaded before this run \(profiles\/old\.json\)\./);
    expect(md).toMatch(/\| qkNorm \| 2 threads \| 1 thread \(fastest of 1, 2\) \|/);
    // a profile of version 1 recorded as "before" (results of earlier runs) reads with the same meaning
    const v1 = { ...prev, schemaVersion: 1, ops: { qkNorm: { work: "seqLen*heads*headDim", parallel: "threshold", thresholds: [{ threads: 2, minWork: 300 }] } } };
    const md1 = (await renderReport({ ...before, previous: { source: "match", path: "profiles/old.json", profile: v1 as never } })).markdown;
    expect(md1).toMatch(/\| qkNorm \| 1 thread, from 300 2 threads \| 1 thread \(fastest of 1, 2\) \|/);
  });

  it("compares two runs: thresholds with deltas, fingerprint differences, layer times", async () => {
    const dir = mkdtempSync(join(tmpdir(), "crossover-compare-"));
    const a = join(dir, "a.json"), b = join(dir, "b.json");
    writeFileSync(a, JSON.stringify(results));
    writeFileSync(b, JSON.stringify(fixtureResults("Other CPU 9", 2)));
    const files = await runReport({ results: a, compare: [a, b], out: dir }, () => {});
    const md = readFileSync(files.markdown, "utf8");
    expect(md).toMatch(/Fingerprint fields that differ: cpuModel\./);
    expect(md).toMatch(/\| cpuModel \| Fixture CPU 3000 \| Other CPU 9 \| yes \|/);
    expect(md).toMatch(/\| rope \| 2 \| 10\.\dk \[.*\] \| 10\.\dk \[.*\] \| 1\.00x \| yes \|/);
    expect(md).toMatch(/\| qkNorm \| 2 \| never \| never \| same \|/);
    expect(md).toMatch(/\| prefill 128 tokens \| serial \| 20\.00 \| 40\.00 \| 2\.00x \|/);
  });
});

describe("measurement health comes first", () => {
  const withHealth = (suspect: number, verdicts: ("ok" | "slow" | "recovered")[]) => {
    const r = fixtureResults();
    const reading = (parallelUs: number) => ({ atSeconds: 1, forkJoinUs: 0.5, serialUs: 10, parallelUs, slow: parallelUs > 18 });
    r.health = {
      cpuBefore: { othersCpus: 0.02, stealCpus: 0, seconds: 0.5 },
      sentinel: { description: "hot fork-join and rope 48x12x64", factor: 3, readings: [reading(6), reading(6.3), reading(suspect ? 60 : 6.1)],
        verdicts, remeasured: 0, suspect },
    };
    if (suspect) r.points[0] = { ...r.points[0], suspect: true };
    return r;
  };

  it("a clean run says what was checked, before the environment", async () => {
    const r = withHealth(0, ["ok", "ok", "ok"]);
    expect(resultsErrors(r)).toEqual([]);
    const { markdown } = await renderReport(r);
    const at = markdown.indexOf("Measurement health: The sentinel (hot fork-join and rope 48x12x64) was read 3 times and stayed within 1.05x of its best");
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(markdown.indexOf("## 1. Test environment"));
  });

  it("a run that saw a slow state opens with a warning naming it", async () => {
    const r = withHealth(1, ["ok", "slow"]);
    expect(resultsErrors(r)).toEqual([]);
    const { markdown, html } = await renderReport(r);
    const at = markdown.indexOf("> **Measurement health: read these numbers with care**");
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(markdown.indexOf("## 1. Test environment"));
    expect(markdown).toMatch(/> - 1 point\(s\) were measured while the process or machine was in a slow state/);
    expect(markdown).toMatch(/> - The sentinel \(hot fork-join and rope 48x12x64\) saw a slow state in 1 of 2 checks/);
    expect(html).toMatch(/<div class="alert" role="note"><strong>Measurement health: read these numbers with care<\/strong>/);
  });

  it("results of earlier versions say their health was not recorded", async () => {
    const { markdown } = await renderReport(fixtureResults());
    expect(markdown).toMatch(/Measurement health: This run predates the sentinel/);
  });
});
