// Two runs side by side (two machines, or one machine twice): thresholds,
// speedups and layer times with their deltas, and the fingerprint fields that differ.
import type { Block } from "./document.js";
import { stepLabel } from "./charts.js";
import { fmtWork } from "../format.js";
import { buildModel } from "./model.js";
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
      rows: [...FINGERPRINT, "node", "v8", "osRelease"].map((k) => {
        const va = String((a.machine as unknown as Record<string, unknown>)[k] ?? ""), vb = String((b.machine as unknown as Record<string, unknown>)[k] ?? "");
        return [k, va, vb, va === vb ? "" : "yes"];
      }) },
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
      const delta = x?.decision === "threshold" && y?.decision === "threshold" ? `${(y.minWork! / x.minWork!).toFixed(2)}x` : x?.decision === y?.decision ? "same" : "changed";
      const overlap = x?.interval && y?.interval ? (x.interval.low <= y.interval.high && y.interval.low <= x.interval.high ? "yes" : "no") : "";
      rows.push([op, String(t), text(x), text(y), delta, overlap]);
    }
  }
  doc.push({ kind: "table", headers: ["op", "threads", "A minWork [95%]", "B minWork [95%]", "B / A", "intervals overlap"], rows, numeric: [false, true, false, false, true, false] });
  doc.push({ kind: "heading", level: 2, text: "Best speedups", id: "speedups" }, {
    kind: "table", headers: ["op", "A", "B", "B − A"],
    rows: ops.map((op) => {
      const x = ma.ops.find((o) => o.op === op)?.bestSpeedup?.value, y = mb.ops.find((o) => o.op === op)?.bestSpeedup?.value;
      return [op, x ? `${x.toFixed(2)}x` : "", y ? `${y.toFixed(2)}x` : "", x && y ? `${(y - x >= 0 ? "+" : "")}${(y - x).toFixed(2)}` : ""];
    }),
    numeric: [false, true, true, true],
  });
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
