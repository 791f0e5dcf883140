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
  | { kind: "table"; headers: string[]; rows: string[][]; bold?: boolean[]; numeric?: boolean[] }
  | { kind: "code"; text: string }
  | { kind: "chart"; id: string; title: string }
  | { kind: "details"; summary: string; blocks: Block[] }
  /** Something the reader must see first: a title and its points, set apart. */
  | { kind: "alert"; title: string; items: string[] };

function opTable(m: ReportModel, rows: Row[]): Block {
  const headers = ["shape", "work", ...m.threads.map((t) => `${t} thread${t > 1 ? "s" : ""} (time)`), ...m.parallelThreads.map((t) => `speedup ×${t}`)];
  return {
    kind: "table", headers,
    rows: rows.map((r) => [r.shape + (r.noisy ? " (noisy)" : ""), fmtWork(r.work), ...r.times.map(fmtNs), ...r.speedups.map((s) => `${s.toFixed(2)}x`)]),
    bold: rows.map((r) => r.parallelWins),
    numeric: headers.map((_, i) => i > 0),
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
      { kind: "chart", id: "layer", title: "Decoder layer time per policy" },
    );
  }

  m.ops.forEach((s, i) => {
    doc.push(
      { kind: "heading", level: 2, text: `3.${i + 1} ${s.op}`, id: `op-${s.op}` },
      { kind: "paragraph", text: `Work: ${s.workUnit}. ${s.points} points measured.${s.bestSpeedup ? ` Best speedup ${s.bestSpeedup.value.toFixed(2)}x on ${s.bestSpeedup.threads} threads (${s.bestSpeedup.shape}).` : ""}` },
      { kind: "heading", level: 3, text: "Performance summary" },
      { kind: "paragraph", text: `${s.focus.name}; rows where parallel wins are in bold.` },
      opTable(m, s.focus.rows),
      { kind: "details", summary: `All ${s.all.length} measured shapes of ${s.op}`, blocks: [opTable(m, s.all)] },
      { kind: "heading", level: 3, text: "Scaling across thread counts" },
      opTable(m, s.scaling),
      { kind: "chart", id: `speedup-${s.op}`, title: `${s.op}: speedup against work` },
      { kind: "chart", id: `time-${s.op}`, title: `${s.op}: time against work` },
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
    { kind: "table", headers: ["op", "current", "recommended", "reasoning"], rows: m.ops.map((s) => [s.op, s.current, s.recommended, s.reasoning]) },
    { kind: "heading", level: 3, text: "Performance gains" },
    { kind: "table", headers: ["op", "best speedup", "threads", "at shape"],
      rows: m.ops.filter((s) => s.bestSpeedup).map((s) => [s.op, `${s.bestSpeedup!.value.toFixed(2)}x`, String(s.bestSpeedup!.threads), s.bestSpeedup!.shape]),
      numeric: [false, true, true, false] },
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
      bold: reg.rows.map((x) => x.regret > 1.05), numeric: [false, true, true, true, true] },
    { kind: "heading", level: 2, text: "7. How to read the numbers", id: "reading" },
    { kind: "list", items: [
      `Times are medians of many samples; a sample batches enough calls to last at least ${limits.sampleMinMs} ms, so the timer's resolution does not count.`,
      "Speedup = serial time / parallel time: above 1.00x parallel is faster, below it the dispatch costs more than the split saves.",
      "Thread counts were measured interleaved, in a rotated order each round, so drift on a shared machine hits them alike.",
      `A point whose median's 95% interval was wider than ${fmtPercent(limits.noisyWidth)} was measured again; if it stayed wide it is marked (noisy).`,
      `The crossover is where the fitted line for parallel, made ${fmtPercent(limits.margin)} more demanding (hysteresis), falls below serial's; its interval comes from bootstrapping the points.`,
      "Work is the op's own size measure (e.g. seqLen*heads*headDim for rope): the engine compares an op's work with these thresholds.",
    ] },
  );
  return doc;
}
