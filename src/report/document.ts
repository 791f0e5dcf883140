// The report as a list of blocks, in the order the issue asks for. The HTML
// and Markdown renderers each turn blocks into their format; neither decides
// what is said.
import { stepLabel } from "./charts.js";
import { fmtNs, fmtPercent, fmtWork } from "../format.js";
import { type ReportModel, type Row } from "./model.js";

export type Block =
  | { kind: "heading"; level: 1 | 2 | 3; text: string; id?: string }
  | { kind: "paragraph"; text: string }
  | { kind: "list"; items: string[] }
  /** cellClass: per cell, a class for colour (e.g. "eff-3": efficiency band), HTML only. */
  | { kind: "table"; headers: string[]; rows: string[][]; bold?: boolean[]; numeric?: boolean[]; cellClass?: (string | undefined)[][];
      /** What a bold row means: a win (green, the default) or a miss (red). */
      tone?: "win" | "miss" }
  | { kind: "code"; text: string }
  | { kind: "chart"; id: string; title: string }
  | { kind: "details"; summary: string; blocks: Block[] }
  /** Something the reader must see first: a title and its points, set apart. */
  | { kind: "alert"; title: string; items: string[] };

/** More parallel counts than this: tables show the fastest count per shape, and a matrix shows every count. */
const MANY_COUNTS = 3;

function notes(r: Row): string {
  return [r.cannotSplit && "1 unit: cannot split", r.superlinear && "superlinear (caches)", r.noisy && "noisy", r.suspect && "suspect"].filter(Boolean).join("; ");
}

/** Shape, then speedups (what a reader looks for), then times, work, the serial rate and notes; bold only for real wins. */
function opTable(m: ReportModel, rows: Row[]): Block {
  const many = m.parallelThreads.length > MANY_COUNTS;
  const speedupCells = (r: Row) => {
    if (r.cannotSplit) return many ? ["–", "–"] : m.parallelThreads.map(() => "–");
    if (!many) return r.speedups.map((x) => `${x.toFixed(2)}x`);
    const i = r.speedups.indexOf(Math.max(...r.speedups));
    return [String(m.parallelThreads[i]), `${r.speedups[i].toFixed(2)}x`];
  };
  const headers = [
    "shape", ...(many ? ["fastest count", "its speedup"] : m.parallelThreads.map((t) => `speedup ×${t}`)),
    ...(many ? ["1 thread (time)"] : m.threads.map((t) => `${t} thread${t > 1 ? "s" : ""} (time)`)), "work", "serial rate", "notes",
  ];
  return {
    kind: "table", headers,
    rows: rows.map((r) => [r.shape, ...speedupCells(r), ...(many ? [fmtNs(r.times[0])] : r.times.map(fmtNs)), fmtWork(r.work), r.rate, notes(r)]),
    bold: rows.map((r) => r.win),
    numeric: headers.map((h) => h !== "shape" && h !== "notes" && h !== "serial rate"),
  };
}

/** Shapes by thread counts, each cell the speedup, coloured by efficiency (speedup / threads). */
function speedupMatrix(m: ReportModel, rows: Row[]): Block {
  const band = (eff: number) => (eff >= 0.8 ? "eff-4" : eff >= 0.6 ? "eff-3" : eff >= 0.4 ? "eff-2" : eff >= 1 / 3 ? "eff-1" : "eff-0");
  return {
    kind: "table", headers: ["shape", ...m.parallelThreads.map((t) => `×${t}`)],
    rows: rows.map((r) => [r.shape, ...r.speedups.map((x) => (r.cannotSplit ? "–" : x.toFixed(2)))]),
    cellClass: rows.map((r) => [undefined, ...r.speedups.map((x, i) => (r.cannotSplit || x <= 1 ? undefined : band(x / m.parallelThreads[i])))]),
    numeric: [false, ...m.parallelThreads.map(() => true)],
  };
}

/** Measurement health first: a reader should know whether to trust the numbers before reading them. */
function healthBlocks(m: ReportModel): Block[] {
  const h = m.health;
  return h.ok
    ? [{ kind: "paragraph", text: `Measurement health: ${h.lines.join(" ")}` }]
    : [{ kind: "alert", title: "Measurement health: read these numbers with care", items: h.lines }];
}

export function buildDocument(m: ReportModel): Block[] {
  const { limits, machine: mc } = m;
  const doc: Block[] = [
    { kind: "heading", level: 1, text: `Parallelization benchmark results: ${mc.cpuModel}, ${mc.logicalCpus} logical CPUs` },
    { kind: "paragraph", text: `Serial against parallel for every op of the crossover engine on this machine, the fitted crossover where parallel starts to win, and the threshold profile written from it (\`profiles/${mc.slug}.json\`). Every number below comes from \`results.json\` beside this report.` },
    ...healthBlocks(m),
    ...findingsBlocks(m),
    { kind: "heading", level: 2, text: "1. Test environment", id: "environment" },
    { kind: "list", items: m.environment },
  ];
  if (m.warnings.length > 0) doc.push({ kind: "paragraph", text: "Warnings from the run:" }, { kind: "list", items: m.warnings });

  doc.push({ kind: "heading", level: 2, text: "2. Overview", id: "overview" },
    { kind: "paragraph", text: `Ops: ${m.ops.map((o) => o.op).join(", ")}. Thread counts: ${m.threads.join(", ")}. Each point ran every thread count on the same tensors, interleaved, and is reported as its median.` });
  if (m.layer) {
    const policies = m.layer.steps[0].times.map((t) => t.policy);
    doc.push(
      { kind: "paragraph", text: `The headline: one ${m.layer.preset} decoder block (${m.layer.weights} weights) under each policy.` },
      {
        kind: "table", headers: ["step", ...policies.map((p) => `${p} (ms)`), ...policies.filter((p) => p !== "serial").map((p) => `${p} vs serial`)],
        rows: m.layer.steps.map((s) => [stepLabel(s), ...s.times.map((t) => t.ms.toFixed(2)), ...s.times.filter((t) => t.policy !== "serial").map((t) => `${t.speedup.toFixed(2)}x`)]),
        numeric: [false, ...policies.map(() => true), ...policies.filter((p) => p !== "serial").map(() => true)],
      },
      { kind: "chart", id: "layer", title: "Decoder layer time per policy: medians of interleaved runs; lower is better." },
    );
  }

  m.ops.forEach((s, i) => {
    const typical = s.typicalSpeedup
      ? ` Typical speedup at the largest sizes: ${s.typicalSpeedup.value.toFixed(2)}x on ${s.typicalSpeedup.threads} threads (median of ${s.typicalSpeedup.points} points in the top decade of work).`
      : "";
    doc.push(
      { kind: "heading", level: 2, text: `3.${i + 1} ${s.op}`, id: `op-${s.op}` },
      { kind: "paragraph", text: `Work: ${s.workUnit}. ${s.characteristics} ${s.points} points measured.${typical}` },
    );
    if (s.checks.length > 0) doc.push({ kind: "alert", title: `Checks on the ${s.op} data`, items: s.checks });
    doc.push(
      { kind: "heading", level: 3, text: "Performance summary" },
      { kind: "paragraph", text: `${s.focus.name}. Bold: parallel beat serial by more than the ${Math.round(m.limits.margin * 100)}% margin and their 95% intervals do not overlap.` },
      opTable(m, s.focus.rows),
    );
    if (m.parallelThreads.length > 1) doc.push({ kind: "paragraph", text: "Speedup by thread count (colour: efficiency, speedup / threads):" }, speedupMatrix(m, s.focus.rows));
    doc.push(
      { kind: "details", summary: `All ${s.all.length} measured shapes of ${s.op}`, blocks: [opTable(m, s.all)] },
      { kind: "heading", level: 3, text: "Scaling across thread counts" },
      opTable(m, s.scaling),
      { kind: "chart", id: `speedup-${s.op}`, title: `${s.op}: speedup against work. Dashed: speedup 1; dotted: the ideal (t threads, t times faster); solid: the crossover, its 95% interval as a band; black dotted: where the profile switches count; triangles: noisy or suspect points.` },
      { kind: "chart", id: `time-${s.op}`, title: `${s.op}: time against work. Points: measured medians; lines: time = a + b·work fitted per thread count, in its colour (serial grey).` },
      { kind: "heading", level: 3, text: "Threshold" },
      { kind: "table", headers: ["current", "recommended (fitted)"], rows: [[s.current, s.recommended]] },
      { kind: "paragraph", text: s.reasoning },
      { kind: "paragraph", text: "Reproduce this section:" },
      { kind: "code", text: s.reproduce },
    );
  });

  const fj = m.pool.forkJoin;
  doc.push({ kind: "heading", level: 2, text: "4. Dispatch overhead", id: "dispatch" });
  if (fj.length === 0) doc.push({ kind: "paragraph", text: "One thread: no pool was measured." });
  else {
    doc.push(
      { kind: "table", headers: ["threads", "fork-join, workers spinning (µs)", "fork-join after sleep (µs)", "spin window (µs)"],
        rows: fj.map((f) => [String(f.threads), f.hotMedianUs.toFixed(3), f.coldMedianUs.toFixed(1), String(f.spinMicros)]), numeric: [true, true, true, true] },
      { kind: "paragraph", text: `Spin window chosen: ${m.pool.spin.chosen} µs. ${m.pool.spin.reason ?? ""}` },
    );
    if (m.pool.spin.candidates.length > 0) {
      doc.push({ kind: "table", headers: ["spin window (µs)", "decode step (ms)"], rows: m.pool.spin.candidates.map((c) => [String(c.spinMicros), c.medianMs.toFixed(3)]), numeric: [true, true] });
    }
  }

  doc.push(
    { kind: "heading", level: 2, text: "5. Summary of recommendations", id: "summary" },
    { kind: "paragraph", text: `Current: ${m.currentSource}.` },
    { kind: "table", headers: ["op", "current", "recommended"], rows: m.ops.map((s) => [s.op, s.current, s.recommended + (s.uncertain ? " (uncertain: see below)" : "")]) },
    { kind: "paragraph", text: "Why, per op:" },
    { kind: "list", items: m.ops.map((s) => `${s.op}: ${s.reasoning}`) },
    { kind: "heading", level: 3, text: "Performance gains" },
    { kind: "table", headers: ["op", "typical speedup", "threads", "points (top decade of work)"],
      rows: m.ops.filter((s) => s.typicalSpeedup).map((s) => [s.op, `${s.typicalSpeedup!.value.toFixed(2)}x`, String(s.typicalSpeedup!.threads), String(s.typicalSpeedup!.points)]),
      numeric: [false, true, true, true] },
    { kind: "heading", level: 3, text: "When to parallelize" },
    { kind: "list", items: m.whenTo.length ? m.whenTo : ["Nowhere in the measured range."] },
    { kind: "heading", level: 3, text: "When not to parallelize" },
    { kind: "list", items: m.whenNot.length ? m.whenNot : ["Everywhere parallel was measured, it won."] },
  );

  const reg = m.regret;
  doc.push(
    { kind: "heading", level: 2, text: "6. Held-out check", id: "held-out" },
    { kind: "paragraph", text: `Shapes that were not on the grid, measured on every thread count after fitting. Regret is the time at the profile's choice over the best measured time (1.00 = the profile chose the fastest). Geometric mean ${reg.geomean.toFixed(3)}, worst ${reg.max.toFixed(3)}.` },
    { kind: "table", headers: ["shape", "work", "profile chose (threads)", "fastest (threads)", "regret"],
      rows: reg.rows.map((x) => [x.key.replace(/^held-out /, ""), fmtWork(x.work), String(x.chosen), String(x.best), x.regret.toFixed(3)]),
      bold: reg.rows.map((x) => x.regret > 1.05), tone: "miss", numeric: [false, true, true, true, true] },
    { kind: "heading", level: 2, text: "7. How to read the numbers", id: "reading" },
    { kind: "list", items: [
      `Times are medians of many samples; a sample batches enough calls to last at least ${limits.sampleMinMs} ms, so the timer's resolution does not count.`,
      "Speedup = serial time / parallel time: above 1.00x parallel is faster, below it the dispatch costs more than the split saves.",
      "Thread counts were measured interleaved, in a rotated order each round, so drift on a shared machine hits them alike.",
      `A point whose median's 95% interval was wider than ${fmtPercent(limits.noisyWidth)} was measured again; if it stayed wide it is marked (noisy).`,
      `The crossover is where the fitted line for parallel, made ${fmtPercent(limits.margin)} more demanding (hysteresis), falls below serial's; its interval comes from bootstrapping the points.`,
      "Work is the op's own size measure (e.g. seqLen*heads*headDim for rope): the engine compares an op's work with these thresholds.",
    ] },
    { kind: "heading", level: 2, text: "8. Reproduce everything", id: "reproduce" },
    { kind: "paragraph", text: "On a machine like this one (the profile is per CPU model, core count, OS, architecture and Node major version), from a clone of the repository:" },
    { kind: "code", text: [
      "npm ci",
      `npx crossover tune --level ${m.level} --threads ${m.threads.join(",")}   # measures, fits, writes profiles/${mc.slug}.json and reports/${mc.slug}/`,
      `npx crossover report reports/${mc.slug}   # this report again, from results.json alone`,
      `npx crossover check   # the committed profile's crossovers measured again here`,
    ].join("\n") },
  );
  return doc;
}

/** Go's goroutine dispatch as the reference document measured it ("~10μs per dispatch"). */
const REFERENCE_DISPATCH_US = 10;

/** The findings first, in words with the headline numbers: what a reader should take away before any table. */
function findingsBlocks(m: ReportModel): Block[] {
  const items: string[] = [];
  if (m.layer) {
    for (const s of m.layer.steps) {
      const at = (p: string) => s.times.find((t) => t.policy === p);
      const tuned = at("tuned profile"), defaults = at("built-in defaults"), parallel = at("parallel");
      if (!tuned) continue;
      const vs = (o: typeof tuned | undefined, name: string) => {
        if (!o) return null;
        const r = o.ms / tuned.ms;
        // inside both MADs the two are the same speed as far as this run can tell
        const same = Math.abs(o.ms - tuned.ms) <= o.madMs + tuned.madMs;
        return `${same ? "as fast as" : r >= 1 ? `${r.toFixed(2)}x faster than` : `${(1 / r).toFixed(2)}x slower than`} ${name} (${o.ms.toFixed(2)} ± ${o.madMs.toFixed(2)} ms)`;
      };
      items.push(`${m.layer.preset} ${stepLabel(s)}: the tuned profile ${tuned.ms.toFixed(2)} ± ${tuned.madMs.toFixed(2)} ms (median ± MAD), ` +
        [vs(defaults, "the built-in defaults"), vs(parallel, "all-parallel")].filter(Boolean).join(", ") + ".");
    }
  }
  const moved = m.ops.filter((s) => s.moved !== null).sort((a, b) => Math.abs(Math.log(b.moved!.ratio)) - Math.abs(Math.log(a.moved!.ratio))).slice(0, 3);
  if (moved.length > 0) {
    items.push(`Thresholds that moved most against ${m.currentSource}: ${moved.map((s) => `${s.op} ${fmtWork(s.moved!.from)} → ${fmtWork(s.moved!.to)} (${s.moved!.ratio >= 1 ? `${s.moved!.ratio.toFixed(1)}x higher` : `${(1 / s.moved!.ratio).toFixed(1)}x lower`})`).join("; ")}.`);
  }
  if (m.againstBefore) {
    const { before, now } = m.againstBefore;
    items.push(`Against ${m.currentSource}: on this run's ${now.points} measured shapes it ran ${before.geomean.toFixed(3)}x the fastest count on average (worst ${before.max.toFixed(2)}x${before.worst ? `, ${before.worst}` : ""}); this run's profile ${now.geomean.toFixed(3)}x (worst ${now.max.toFixed(2)}x).`);
  }
  const uncertain = m.ops.filter((s) => s.uncertain);
  items.push(uncertain.length > 0 ? `Uncertain decisions: ${uncertain.map((s) => `${s.op} (${s.uncertain!.reason})`).join(", ")}.` : "Every crossover lies inside the measured grid with an interval narrower than 4x.");
  const checks = m.ops.reduce((n, s) => n + s.checks.length, 0);
  items.push(m.anomalies.length + checks > 0
    ? `Anomalies: ${[...m.anomalies, ...(checks ? [`${checks} check(s) in the op sections (${m.ops.filter((s) => s.checks.length).map((s) => s.op).join(", ")})`] : [])].join(" ")}`
    : "No anomaly found in the data checks (ops doing the same arithmetic agree per unit of work; no superlinear point; no unphysical fit).");
  const fj = m.pool.forkJoin.find((f) => f.threads === Math.max(...m.parallelThreads)) ?? m.pool.forkJoin[0];
  if (fj) {
    const ratio = REFERENCE_DISPATCH_US / fj.hotMedianUs;
    items.push(`Dispatch: a fork-join on ${fj.threads} threads costs ${fj.hotMedianUs.toFixed(2)} µs here with the workers spinning (${fj.coldMedianUs.toFixed(0)} µs once they sleep), ` +
      `against the ~${REFERENCE_DISPATCH_US} µs per dispatch of the reference document's Go runtime: ` +
      (ratio > 2 ? `about ${ratio.toFixed(0)}x cheaper, so ops pay off in parallel at smaller sizes than its recommendations say.` :
        ratio < 0.5 ? `about ${(1 / ratio).toFixed(0)}x dearer, so ops need larger sizes than its recommendations say.` : "about the same, so its recommendations roughly hold here."));
  }
  return [{ kind: "heading", level: 2, text: "Findings", id: "findings" }, { kind: "list", items }];
}
