// Two runs side by side (two machines, or one machine twice): thresholds,
// speedups and layer times with their deltas, and the fingerprint fields that differ.
import type { Block } from "./document.js";
import { chartBase, stepLabel } from "./charts.js";
import { cachesText, fmtNs, fmtWork, shapeText } from "../format.js";
import { buildModel, serialRate } from "./model.js";
import { crossRegret, rulesOfRun } from "./cross-regret.js";
import type { TuneResults } from "../results/types.js";

const FINGERPRINT = ["cpuModel", "logicalCpus", "arch", "os", "nodeMajor"] as const;

export function compareDocument(a: TuneResults, b: TuneResults, names: [string, string]): Block[] {
  const ma = buildModel(a), mb = buildModel(b);
  const differ = FINGERPRINT.filter((k) => a.machine[k] !== b.machine[k]);
  const doc: Block[] = [
    { kind: "heading", level: 1, text: `Comparison: ${a.machine.slug} (A) and ${b.machine.slug} (B)` },
    { kind: "list", items: [`A: ${names[0]} (${a.run.startedAt}, level ${a.run.level})`, `B: ${names[1]} (${b.run.startedAt}, level ${b.run.level})`] },
    { kind: "heading", level: 2, text: "Machines", id: "machines" },
    { kind: "table", headers: ["field", "A", "B", "differs"],
      rows: [...[...FINGERPRINT, "node", "v8", "osRelease"].map((k) => {
        const va = String((a.machine as unknown as Record<string, unknown>)[k] ?? ""), vb = String((b.machine as unknown as Record<string, unknown>)[k] ?? "");
        return [k, va, vb, va === vb ? "" : "yes"];
      }), (() => {
        const ca = cachesText(a.machine.caches) || "not read", cb = cachesText(b.machine.caches) || "not read";
        return ["caches", ca, cb, ca === cb ? "" : "yes"];
      })()] },
    { kind: "paragraph", text: differ.length === 0
      ? "Same fingerprint: the same kind of machine measured twice. Where thresholds moved beyond their intervals below, the two hosts differed in a way the fingerprint does not see (a cloud instance type can land on different hosts): the dispatch costs usually say how."
      : `Fingerprint fields that differ: ${differ.join(", ")}.` },
    { kind: "heading", level: 2, text: "Dispatch", id: "dispatch" },
    { kind: "table", headers: ["threads", "A fork-join hot (µs)", "B fork-join hot (µs)", "B / A", "A after sleep (µs)", "B after sleep (µs)"],
      rows: [...new Set([...a.pool.forkJoin, ...b.pool.forkJoin].map((f) => f.threads))].sort((x, y) => x - y).map((t) => {
        const x = a.pool.forkJoin.find((f) => f.threads === t), y = b.pool.forkJoin.find((f) => f.threads === t);
        return [String(t), x ? x.hotMedianUs.toFixed(2) : "", y ? y.hotMedianUs.toFixed(2) : "", x && y ? `${(y.hotMedianUs / x.hotMedianUs).toFixed(2)}x` : "",
          x ? x.coldMedianUs.toFixed(1) : "", y ? y.coldMedianUs.toFixed(1) : ""];
      }), numeric: [true, true, true, true, true, true] },
    { kind: "heading", level: 2, text: "Thresholds", id: "thresholds" },
  ];
  const ops = [...new Set([...ma.ops.map((o) => o.op), ...mb.ops.map((o) => o.op)])];
  const rows: string[][] = [];
  for (const op of ops) {
    const fa = a.fits[op] ?? [], fb = b.fits[op] ?? [];
    for (const t of [...new Set([...fa, ...fb].map((f) => f.threads))].sort((x, y) => x - y)) {
      const x = fa.find((f) => f.threads === t), y = fb.find((f) => f.threads === t);
      const text = (f: typeof x) => !f ? "not measured" : f.decision === "threshold" ? `${fmtWork(f.minWork!)} [${fmtWork(f.interval!.low)}–${fmtWork(f.interval!.high)}]` : f.decision;
      // parallel from the smallest size measured, whether fitted as "always" or as a threshold at the grid's edge: the same decision
      const fromStart = (f: typeof x) => !!f && (f.decision === "always" || (f.decision === "threshold" && f.minWork! <= f.workRange[0]));
      const delta = fromStart(x) && fromStart(y) ? "same (parallel from the smallest size)"
        : x?.decision === "threshold" && y?.decision === "threshold" ? `${(y.minWork! / x.minWork!).toFixed(2)}x` : x?.decision === y?.decision ? "same" : "changed";
      const overlap = x?.interval && y?.interval ? (x.interval.low <= y.interval.high && y.interval.low <= x.interval.high ? "yes" : "no") : "";
      rows.push([op, String(t), text(x), text(y), delta, overlap]);
    }
  }
  doc.push({ kind: "table", headers: ["op", "threads", "A minWork [95%]", "B minWork [95%]", "B / A", "intervals overlap"], rows, numeric: [false, true, false, false, true, false] });
  // the same shape on both: the serial kernel's speed, before any threading
  const serialRows: string[][] = [];
  for (const op of ops) {
    const keys = new Set(a.points.filter((p) => p.op === op).map((p) => p.key));
    const common = b.points.filter((p) => p.op === op && keys.has(p.key)).sort((x, y) => y.work - x.work)[0];
    if (!common) continue;
    const pa = a.points.find((p) => p.key === common.key)!;
    const ns = (p: typeof pa) => p.variants.find((v) => v.threads === 1)?.medianNs ?? NaN;
    serialRows.push([op, shapeText(common), fmtNs(ns(pa)), fmtNs(ns(common)), `${(ns(common) / ns(pa)).toFixed(2)}x`, serialRate(pa), serialRate(common)]);
  }
  doc.push({ kind: "heading", level: 2, text: "Serial speed at the largest shape both measured", id: "serial" },
    { kind: "table", headers: ["op", "shape", "A, 1 thread", "B, 1 thread", "B / A", "A rate", "B rate"], rows: serialRows, numeric: [false, false, true, true, true, true, true] });
  for (const op of ops) doc.push({ kind: "chart", id: `compare-${op}`, title: `${op}: best parallel speedup against work, A and B` });
  doc.push({ kind: "heading", level: 2, text: "Typical speedups", id: "speedups" }, {
    kind: "table", headers: ["op", "A", "B", "B − A"],
    rows: ops.map((op) => {
      const x = ma.ops.find((o) => o.op === op)?.typicalSpeedup?.value, y = mb.ops.find((o) => o.op === op)?.typicalSpeedup?.value;
      return [op, x ? `${x.toFixed(2)}x` : "", y ? `${y.toFixed(2)}x` : "", x && y ? `${(y - x >= 0 ? "+" : "")}${(y - x).toFixed(2)}` : ""];
    }),
    numeric: [false, true, true, true],
  });
  // do the thresholds transfer? each run's recommendation applied to the other run's measurements, and to its own
  const pa = [...a.points, ...a.heldOut], pb = [...b.points, ...b.heldOut];
  const cell = (x: ReturnType<typeof crossRegret>) => [x.geomean.toFixed(3), x.max.toFixed(3), x.worst];
  const ra = rulesOfRun(a), rb = rulesOfRun(b);
  const aOnB = crossRegret(ra, pb), bOnB = crossRegret(rb, pb), bOnA = crossRegret(rb, pa), aOnA = crossRegret(ra, pa);
  const transfers = (x: typeof aOnB, own: typeof aOnB) => x.geomean <= own.geomean * 1.05 && x.max <= 1.5;
  doc.push({ kind: "heading", level: 2, text: "Do the thresholds transfer?", id: "transfer" },
    { kind: "paragraph", text: "Regret: the time at a profile's choice over the fastest thread count measured at that shape (1.000 = always the fastest), over every grid and held-out point of the run measured. A run's own profile is fitted on its grid, so its own regret is the floor." },
    { kind: "table", headers: ["profile", "applied to", "geomean regret", "worst", "worst at"],
      rows: [["A", "B's measurements", ...cell(aOnB)], ["B (B's own)", "B's measurements", ...cell(bOnB)], ["B", "A's measurements", ...cell(bOnA)], ["A (A's own)", "A's measurements", ...cell(aOnA)]],
      numeric: [false, false, true, true, false] },
    { kind: "paragraph", text: `Verdict: A's thresholds ${transfers(aOnB, bOnB) ? "transfer" : "do not transfer"} to B (geomean ${aOnB.geomean.toFixed(3)} against B's own ${bOnB.geomean.toFixed(3)}, worst ${aOnB.max.toFixed(2)}x); ` +
      `B's ${transfers(bOnA, aOnA) ? "transfer" : "do not transfer"} to A (${bOnA.geomean.toFixed(3)} against ${aOnA.geomean.toFixed(3)}, worst ${bOnA.max.toFixed(2)}x). ` +
      "Transfer here means within 5% of the machine's own profile on average and never more than 1.5x slower at a point; otherwise tune the new machine (crossover tune)." });
  if (ma.layer && mb.layer) {
    const lrows: string[][] = [];
    for (const s of ma.layer.steps) {
      const sb = mb.layer.steps.find((x) => x.step === s.step && x.tokens === s.tokens);
      for (const t of s.times) {
        const tb = sb?.times.find((x) => x.policy === t.policy);
        lrows.push([stepLabel(s), t.policy, t.ms.toFixed(2), tb ? tb.ms.toFixed(2) : "", tb ? `${(tb.ms / t.ms).toFixed(2)}x` : ""]);
      }
    }
    doc.push({ kind: "heading", level: 2, text: `Layer (A: ${ma.layer.preset}, B: ${mb.layer.preset})`, id: "layer" },
      { kind: "table", headers: ["step", "policy", "A (ms)", "B (ms)", "B / A"], rows: lrows, numeric: [false, false, true, true, true] });
  }
  return doc;
}


/** Per op, the two runs' best parallel speedup against work, overlaid (Vega-Lite specs by chart id). */
export function compareSpecs(a: TuneResults, b: TuneResults): Map<string, Record<string, unknown>> {
  const specs = new Map<string, Record<string, unknown>>();
  const ops = [...new Set([...a.points, ...b.points].map((p) => p.op))];
  for (const op of ops) {
    const values = ([["A", a], ["B", b]] as const).flatMap(([run, r]) => r.points.filter((p) => p.op === op).map((p) => {
      const serial = p.variants.find((v) => v.threads === 1)?.medianNs ?? NaN;
      const best = p.variants.filter((v) => v.threads > 1).reduce((x, y) => (y.medianNs < x.medianNs ? y : x), { medianNs: Infinity, threads: 0 } as { medianNs: number; threads: number });
      return { work: p.work, speedup: serial / best.medianNs, run, shape: shapeText(p) };
    }));
    specs.set(`compare-${op}`, {
      ...chartBase(`${op}: best parallel speedup against work`),
      layer: [
        { data: { values: [{ y: 1 }] }, mark: { type: "rule", strokeDash: [4, 4], color: "#555" }, encoding: { y: { field: "y", type: "quantitative" } } },
        { data: { values }, mark: { type: "point", filled: true, opacity: 0.75 },
          encoding: { x: { field: "work", type: "quantitative", scale: { type: "log" }, title: "work, log scale" }, y: { field: "speedup", type: "quantitative", title: "speedup (×)" },
            color: { field: "run", type: "nominal", title: "run", scale: { domain: ["A", "B"], range: ["#1f77b4", "#d62728"] } }, tooltip: [{ field: "shape" }, { field: "speedup", format: ".2f" }] } },
      ],
    });
  }
  return specs;
}
