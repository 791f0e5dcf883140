// Vega-Lite specs for the report's charts, built from the report model only.
import type { ReportModel, OpSection } from "./model.js";

type Spec = Record<string, unknown>;

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";
const WIDTH = 560;

function base(title: string, subtitle?: string): Spec {
  return { $schema: SCHEMA, width: WIDTH, height: 260, title: subtitle ? { text: title, subtitle } : title, config: { font: "sans-serif" } };
}

/** Speedup against work size per thread count, with speedup = 1, the fitted crossover and its interval. */
export function speedupSpec(s: OpSection, m: ReportModel): Spec {
  const values = s.all.flatMap((r) => r.speedups.map((v, i) => ({ work: r.work, speedup: v, threads: `${m.parallelThreads[i]} threads`, shape: r.shape })));
  const fits = s.fits.filter((f) => f.decision === "threshold");
  const layers: Spec[] = [
    ...fits.filter((f) => f.interval).map((f) => ({
      data: { values: [{ low: Math.max(f.interval!.low, f.workRange[0]), high: Math.min(f.interval!.high, f.workRange[1]), label: `95% interval (${f.threads} threads)` }] },
      mark: { type: "rect", opacity: 0.15, color: "#e45756" },
      encoding: { x: { field: "low", type: "quantitative" }, x2: { field: "high" } },
    })),
    {
      data: { values: [{ y: 1 }] }, mark: { type: "rule", strokeDash: [4, 4], color: "#555" },
      encoding: { y: { field: "y", type: "quantitative" } },
    },
    ...fits.map((f) => ({
      data: { values: [{ work: f.minWork, label: `crossover ${f.threads} threads` }] }, mark: { type: "rule", color: "#e45756", strokeWidth: 2 },
      encoding: { x: { field: "work", type: "quantitative" } },
    })),
    // where the profile switches count: the fastest of every count compared, not each against serial
    ...(s.ranges?.ranges.slice(1) ?? []).map((r) => ({
      data: { values: [{ work: r.fromWork, label: `from here ${r.threads} threads` }] },
      layer: [
        { mark: { type: "rule", color: "#222", strokeDash: [2, 2] }, encoding: { x: { field: "work", type: "quantitative" } } },
        { mark: { type: "text", align: "left", dx: 3, dy: -6, fontSize: 11, color: "#222" },
          encoding: { x: { field: "work", type: "quantitative" }, y: { value: 0 }, text: { field: "label" } } },
      ],
    })),
    {
      data: { values },
      mark: { type: "point", filled: true, opacity: 0.75 },
      encoding: {
        x: { field: "work", type: "quantitative", scale: { type: "log" }, title: `work (${s.workUnit}), log scale` },
        y: { field: "speedup", type: "quantitative", title: "speedup over 1 thread (×)" },
        color: { field: "threads", type: "nominal", title: "threads" },
        tooltip: [{ field: "shape" }, { field: "speedup", format: ".2f" }],
      },
    },
  ];
  return { ...base(`${s.op}: speedup against work`, "dashed: speedup = 1; red: each count's crossover against 1 thread, with its 95% interval; dotted: where the profile switches to the fastest count"), layer: layers };
}

/** Time against work, log-log, measured medians and the fitted lines. */
export function timeSpec(s: OpSection, m: ReportModel): Spec {
  const values = s.all.flatMap((r) => r.times.map((t, i) => ({ work: r.work, us: t / 1e3, variant: `${m.threads[i]} thread${m.threads[i] > 1 ? "s" : ""}` })));
  const lines: Record<string, unknown>[] = [];
  for (const f of s.fits) {
    const [lo, hi] = f.workRange;
    for (let i = 0; i <= 24; i++) {
      const w = lo * (hi / lo) ** (i / 24);
      for (const [name, l] of [["fit: 1 thread", f.serial], [`fit: ${f.threads} threads`, f.parallel]] as const) {
        const ns = l.interceptNs + l.slopeNs * w;
        if (ns > 0) lines.push({ work: w, us: ns / 1e3, variant: name });
      }
    }
  }
  const x = { field: "work", type: "quantitative", scale: { type: "log" }, title: `work (${s.workUnit}), log scale` };
  const y = { field: "us", type: "quantitative", scale: { type: "log" }, title: "median time per call (µs), log scale" };
  return {
    ...base(`${s.op}: time against work`, "points: measured medians; lines: time = a + b·work fitted near the crossover"),
    layer: [
      { data: { values }, mark: { type: "point", filled: true, opacity: 0.6 }, encoding: { x, y, color: { field: "variant", type: "nominal", title: "series" } } },
      { data: { values: lines }, mark: { type: "line", strokeWidth: 1.5 }, encoding: { x, y, color: { field: "variant", type: "nominal", title: "series" } } },
    ],
  };
}

/** The layer's time per policy, one panel per step. */
export function layerSpec(m: ReportModel): Spec | null {
  if (!m.layer) return null;
  const values = m.layer.steps.flatMap((s) => s.times.map((t) => ({ step: stepLabel(s), policy: t.policy, ms: t.ms })));
  return {
    $schema: SCHEMA, config: { font: "sans-serif" },
    title: { text: `Decoder layer (${m.layer.preset}, ${m.layer.weights}) time per policy`, subtitle: "median of interleaved runs; lower is better" },
    data: { values },
    facet: { column: { field: "step", type: "nominal", title: null, sort: m.layer.steps.map(stepLabel) } },
    spec: {
      width: 150, height: 200,
      mark: "bar",
      encoding: {
        x: { field: "policy", type: "nominal", title: "policy", sort: null, axis: { labelAngle: -40 } },
        y: { field: "ms", type: "quantitative", title: "time (ms)" },
        color: { field: "policy", type: "nominal", title: "policy", sort: null },
      },
    },
    resolve: { scale: { y: "independent" } },
  };
}

export function stepLabel(s: { step: string; tokens: number }): string {
  return s.step === "prefill" ? `prefill ${s.tokens} tokens` : `decode, ${s.tokens} cached`;
}
