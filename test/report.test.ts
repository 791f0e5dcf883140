import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runReport } from "../src/commands/report.js";
import { renderReport } from "../src/report/render-report.js";
import { resultsErrors } from "../src/results/results-file.js";
import { crossRegret } from "../src/report/cross-regret.js";
import { anomalyResults, fixtureResults, manyThreadResults, ROPE_CROSSOVER } from "./fixtures/results-fixture.js";
import type { PointResult } from "../src/results/types.js";

describe("report from a results file with known crossovers", async () => {
  const results = fixtureResults();
  const { html, markdown, charts } = await renderReport(results);

  it("charts: each point has a <title> tooltip with its shape; the crossover is labelled", () => {
    const svg = charts.get("speedup-rope")!;
    expect(svg).toMatch(/<title>[^<]*speedup over 1 thread \(×\): [0-9.]+; threads: 2 threads; point: clean; shape: heads=\d+ headDim=\d+ seqLen=\d+/);
    expect(svg).toMatch(/crossover 10\.\dk \(2 threads\)/);
    expect(markdown).toMatch(/!\[rope: speedup against work[^\]]*\]\(charts\/speedup-rope\.svg\)/);
  });

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

  it("bolds exactly the rows where parallel won by more than the margin with intervals apart, speedup next to the shape", () => {
    const section = markdown.slice(markdown.indexOf("## 3.2 rope"), markdown.indexOf("<details>", markdown.indexOf("## 3.2 rope")));
    const table = section.slice(section.indexOf("| shape | speedup ×2 |"));
    const rows = table.split("\n").filter((l) => l.startsWith("| ") && /\d/.test(l) && !l.startsWith("| shape")).slice(0, 10);
    expect(rows.length).toBe(10); // the focus family: seqLen 1..512
    let bold = 0;
    for (const r of rows) {
      const field = (k: string) => Number(new RegExp(`${k}=(\\d+)`).exec(r)![1]);
      const work = field("seqLen") * field("heads") * field("headDim");
      const serial = 100 + 0.1 * work, parallel = 600 + 0.05 * work; // the fixture's intervals are ±1%
      const wins = serial / parallel > 1.03 && parallel * 1.01 < serial * 0.99;
      expect(r.startsWith("| **"), r).toBe(wins);
      expect(r, "speedup right after the shape").toMatch(new RegExp(`^\\| \\**[^|]+\\** \\| \\**${(serial / parallel).toFixed(2)}x`));
      if (wins) bold++;
    }
    expect(bold).toBeGreaterThan(0);
    expect(bold).toBeLessThan(10);
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

  it("writes report.html, report.md and the charts report.md shows beside the results, atomically", async () => {
    const dir = mkdtempSync(join(tmpdir(), "crossover-report-"));
    writeFileSync(join(dir, "results.json"), JSON.stringify(results));
    const files = await runReport({ results: dir }, () => {});
    expect(files.exitCode).toBe(0);
    expect(readFileSync(files.markdown, "utf8")).toBe(markdown);
    const linked = [...markdown.matchAll(/\]\((charts\/[^)]+\.svg)\)/g)].map((x) => x[1]);
    expect(linked.length).toBe(charts.size);
    for (const f of linked) expect(readFileSync(join(dir, f), "utf8")).toMatch(/^<svg /);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
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
    // the same measurements: each profile costs the other run what it costs its own
    expect(md).toMatch(/## Do the thresholds transfer\?/);
    const geo = (row: string) => Number(new RegExp(`\\| ${row} \\| ([0-9.]+) \\|`).exec(md)![1]);
    expect(geo("A \\| B's measurements")).toBeCloseTo(geo("B \\(B's own\\) \\| B's measurements"), 6);
    expect(md).toMatch(/Verdict: A's thresholds transfer to B/);
  });

  it("cross-applied regret: a rule's choice over the fastest count measured, per point", () => {
    const pt = (work: number, serialNs: number, parallelNs: number): PointResult => ({
      op: "rope", shape: { seqLen: work, heads: 1, headDim: 1 }, work, key: `rope ${work}`, family: "f", noisy: false, attempts: 1, elapsedMs: 1,
      variants: [1, 2].map((threads) => {
        const ns = threads === 1 ? serialNs : parallelNs;
        return { threads, medianNs: ns, lowNs: ns, highNs: ns, madNs: 0, samples: 1, outliers: 0, callsPerSample: 1 };
      }),
    });
    const rule = (threadsFrom: [number, number][]) => () => threadsFrom.map(([fromWork, threads]) => ({ fromWork, threads }));
    // below 1000 it picks 1 thread (best at 100, 2x slower at 500); from 1000 on 2 threads (best at 5000, 4x slower at 2000)
    const r = crossRegret(rule([[0, 1], [1000, 2]]), [pt(100, 10, 20), pt(500, 20, 10), pt(2000, 10, 40), pt(5000, 40, 10)]);
    expect(r.points).toBe(4);
    expect(r.max).toBeCloseTo(4, 9);
    expect(r.worst).toBe("rope seqLen=2000 heads=1 headDim=1");
    expect(r.geomean).toBeCloseTo(Math.pow(1 * 2 * 4 * 1, 1 / 4), 9);
    // a rule asking for 16 threads on a 2-thread run is judged at the largest count measured below it
    expect(crossRegret(rule([[0, 16]]), [pt(100, 10, 20)]).geomean).toBeCloseTo(2, 9);
  });
});

describe("the report checks its data", async () => {
  const { markdown, html } = await renderReport(anomalyResults());

  it("flags an op 30x slower per element than another running the same kernel", () => {
    expect(markdown).toMatch(/qkNorm took (29\.\d|30\.\d)x rmsNorm's serial time per unit of work, though both do the same arithmetic \(the rmsNorm kernel\)/);
    const findings = markdown.slice(markdown.indexOf("## Findings"), markdown.indexOf("## 1. Test environment"));
    expect(findings).toMatch(/Anomalies: qkNorm took (29\.\d|30\.\d)x/);
  });

  it("shows one-unit rows as cannot split, never bold, and leaves them out of the fits", () => {
    const oneRow = markdown.split("\n").filter((l) => /^\| \**dim=\d+ rows=1\b/.test(l));
    expect(oneRow.length).toBeGreaterThan(0);
    for (const l of oneRow) {
      expect(l).toMatch(/1 unit: cannot split/);
      expect(l.startsWith("| **")).toBe(false);
    }
    expect(markdown).not.toMatch(/rmsNorm on 2 threads: \d+ measured point\(s\) outside the interval disagree/);
    const fitted = anomalyResults().fits.rmsNorm![0];
    expect(fitted.workRange[0]).toBe(2 * 768); // the smallest splittable rmsNorm: 2 rows of 768 (one row of 768 is smaller)
  });

  it("bolds no row inside the margin", () => {
    const rows = markdown.split("\n").filter((l) => l.startsWith("| **"));
    expect(rows.length).toBeGreaterThan(0);
    for (const l of rows) {
      const speedup = Number(/\| \*\*([0-9.]+)x\*\* \|/.exec(l)![1]);
      expect(speedup, l).toBeGreaterThan(1.03);
    }
    expect(html).toMatch(/class="alert" role="note"><strong>Checks on the rmsNorm data/);
  });
});

describe("many thread counts", async () => {
  const results = manyThreadResults();
  const { html, markdown, charts } = await renderReport(results);

  it("a 16-thread run renders a page under 2 MB, with a speedup-by-threads matrix and charts of a few counts", () => {
    expect(html.length).toBeLessThan(2 * 1024 * 1024);
    expect(markdown).toMatch(/\| shape \| ×2 \| ×4 \| ×8 \| ×12 \| ×16 \|/);
    expect(html).toMatch(/<td class="num eff-[0-4]">/);
    // tables show the fastest count, not 2N+1 columns
    expect(markdown).toMatch(/\| shape \| fastest count \| its speedup \| 1 thread \(time\) \| work \| serial rate \| notes \|/);
    for (const [id, svg] of charts) if (id.startsWith("speedup-")) expect(svg).toMatch(/counts drawn: 2, (\d+, )?16 of 5/);
    expect(charts.get("layer")).toBeDefined();
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
