// Vega-Lite specs for the report's charts, built from the report model only.
import { fmtWork } from "../format.js";
import type { ReportModel, OpSection } from "./model.js";

type Spec = Record<string, unknown>;

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";
const WIDTH = 480;
/**
 * Sized for the SVG scaled down to a phone's width: the legend below the plot
 * keeps the drawing about 540 px wide, so at 400 px (a 0.7x scale) 15 px
 * labels are still over 10 px.
 */
const CONFIG = {
  font: "sans-serif",
  axis: { labelFontSize: 15, titleFontSize: 15, tickCount: 6 },
  legend: { labelFontSize: 15, titleFontSize: 15, labelLimit: 260, orient: "bottom", direction: "horizontal", symbolOpacity: 1 },
  title: { fontSize: 17, subtitleFontSize: 14 },
};
/** Serial always grey; the parallel counts in this order, the same count the same colour in every chart. */
const SERIAL_COLOUR = "#555555";
const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#bcbd22", "#7f7f7f"];
/** At most this many parallel counts are drawn (the smallest, the largest and those the profile uses): more is noise at 16 threads. */
const MAX_DRAWN = 3;

/** The frame every chart of a report shares: schema, size, fonts and legend placement. */
export function chartBase(title: string, subtitle?: string): Spec {
  return { $schema: SCHEMA, width: WIDTH, height: 260, title: subtitle ? { text: title, subtitle } : title, config: CONFIG };
}

export function threadLabel(t: number): string {
  return `${t} thread${t > 1 ? "s" : ""}`;
}

/** The colour scale for the counts a chart draws: each count keeps its colour from the run's list, whichever others are drawn. */
function threadColours(m: ReportModel, counts: readonly number[]): Spec {
  const colour = (t: number) => (t === 1 ? SERIAL_COLOUR : PALETTE[(m.threads.indexOf(t) - 1) % PALETTE.length]);
  return { domain: counts.map(threadLabel), range: counts.map(colour) };
}

/** Axis values at powers of ten across the data: a log axis with every minor gridline was a third of a report's bytes. */
function decades(xs: readonly number[]): number[] {
  const finite = xs.filter((x) => Number.isFinite(x) && x > 0);
  if (finite.length === 0) return [];
  const lo = Math.floor(Math.log10(Math.min(...finite))), hi = Math.ceil(Math.log10(Math.max(...finite)));
  return Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i));
}

/** The parallel counts an op's charts draw. */
export function drawnCounts(s: OpSection, m: ReportModel): number[] {
  const all = m.parallelThreads;
  if (all.length <= MAX_DRAWN) return all;
  const first = all[0], last = all[all.length - 1];
  const used = [...new Set((s.ranges?.ranges ?? []).map((r) => r.threads))].filter((t) => t > first && t < last);
  return [first, ...used.slice(0, MAX_DRAWN - 2), last].sort((a, b) => a - b);
}

/** Speedup against work size per thread count, with speedup = 1, each count's ideal, the fitted crossover labelled and its whole interval. */
export function speedupSpec(s: OpSection, m: ReportModel): Spec {
  const drawn = drawnCounts(s, m);
  const values = s.all.filter((r) => !r.cannotSplit).flatMap((r) => drawn.map((t) => {
    const i = m.parallelThreads.indexOf(t);
    return { work: r.work, speedup: r.speedups[i], threads: threadLabel(t), shape: r.shape, quality: r.noisy || r.suspect ? "noisy or suspect" : "clean" };
  }));
  const fits = s.fits.filter((f) => f.decision === "threshold" && drawn.includes(f.threads));
  // a legend of one entry says nothing the caption does not
  const colour = { field: "threads", type: "nominal", title: "threads", scale: threadColours(m, drawn), ...(drawn.length === 1 ? { legend: null } : {}) };
  const anyNoisy = values.some((v) => v.quality !== "clean");
  const layers: Spec[] = [
    ...fits.filter((f) => f.interval).map((f) => ({
      data: { values: [{ low: f.interval!.low, high: f.interval!.high, threads: threadLabel(f.threads) }] },
      mark: { type: "rect", opacity: 0.22 },
      encoding: { x: { field: "low", type: "quantitative" }, x2: { field: "high" }, color: colour },
    })),
    {
      data: { values: [{ y: 1 }] }, mark: { type: "rule", strokeDash: [4, 4], color: SERIAL_COLOUR },
      encoding: { y: { field: "y", type: "quantitative" } },
    },
    // the ideal: t threads, t times faster
    {
      data: { values: drawn.map((t) => ({ y: t, threads: threadLabel(t) })) }, mark: { type: "rule", strokeDash: [1, 3], opacity: 0.7 },
      encoding: { y: { field: "y", type: "quantitative" }, color: colour },
    },
    ...fits.map((f) => ({
      data: { values: [{ work: f.minWork, threads: threadLabel(f.threads), label: `crossover ${fmtWork(f.minWork!)} (${f.threads} threads)` }] },
      layer: [
        { mark: { type: "rule", strokeWidth: 2 }, encoding: { x: { field: "work", type: "quantitative" }, color: colour } },
        { mark: { type: "text", align: "left", dx: 4, dy: 14, fontSize: 15, fontWeight: "bold" },
          encoding: { x: { field: "work", type: "quantitative" }, y: { value: 0 }, text: { field: "label" }, color: colour } },
      ],
    })),
    // where the profile switches count: the fastest of every count compared, not each against serial
    ...(s.ranges?.ranges.slice(1) ?? []).map((r) => ({
      data: { values: [{ work: r.fromWork, label: `profile: ${r.threads} threads from ${fmtWork(r.fromWork)}` }] },
      layer: [
        { mark: { type: "rule", color: "#222", strokeDash: [2, 2] }, encoding: { x: { field: "work", type: "quantitative" } } },
        { mark: { type: "text", align: "left", dx: 4, dy: 32, fontSize: 14, color: "#222" },
          encoding: { x: { field: "work", type: "quantitative" }, y: { value: 0 }, text: { field: "label" } } },
      ],
    })),
    {
      data: { values },
      mark: { type: "point", filled: true, opacity: 0.8, size: 45 },
      encoding: {
        x: { field: "work", type: "quantitative", scale: { type: "log" }, title: `work (${s.workUnit}), log scale`, axis: { values: decades(values.map((v) => v.work)) } },
        y: { field: "speedup", type: "quantitative", title: "speedup over 1 thread (×)" },
        color: colour,
        shape: { field: "quality", type: "nominal", title: "point", scale: { domain: ["clean", "noisy or suspect"], range: ["circle", "triangle-up"] }, ...(anyNoisy ? {} : { legend: null }) },
        tooltip: [{ field: "shape" }, { field: "threads" }, { field: "speedup", format: ".2f" }],
      },
    },
  ];
  return {
    // what the marks mean is said in the caption (text that wraps), not in a subtitle that widens the drawing
    ...chartBase(`${s.op}: speedup against work`, drawn.length < m.parallelThreads.length ? `counts drawn: ${drawn.join(", ")} of ${m.parallelThreads.length}` : undefined),
    layer: layers,
  };
}

/** Time against work, log-log: measured medians and each count's fitted line, in that count's colour. */
export function timeSpec(s: OpSection, m: ReportModel): Spec {
  // times of many counts overlap on a log scale: serial and at most two parallel counts (the largest last)
  const counts = drawnCounts(s, m);
  const drawn = [1, ...(counts.length > 2 ? counts.slice(-2) : counts)];
  const values = s.all.flatMap((r) => drawn.map((t) => ({ work: r.work, us: r.times[m.threads.indexOf(t)] / 1e3, variant: threadLabel(t) })));
  const lines: Record<string, unknown>[] = [];
  const fitted = s.ranges ? s.ranges.lines.map((l) => ({ ...l, range: s.ranges!.workRange }))
    : s.fits.flatMap((f) => [{ threads: 1, ...f.serial, range: f.workRange }, { threads: f.threads, ...f.parallel, range: f.workRange }]);
  for (const l of fitted.filter((x, i, xs) => drawn.includes(x.threads) && xs.findIndex((y) => y.threads === x.threads) === i)) {
    const [lo, hi] = l.range;
    for (let i = 0; i <= 24; i++) {
      const w = lo * (hi / lo) ** (i / 24);
      const ns = l.interceptNs + l.slopeNs * w;
      if (ns > 0) lines.push({ work: w, us: ns / 1e3, variant: threadLabel(l.threads) });
    }
  }
  const x = { field: "work", type: "quantitative", scale: { type: "log" }, title: `work (${s.workUnit}), log scale`, axis: { values: decades(values.map((v) => v.work)) } };
  const y = { field: "us", type: "quantitative", scale: { type: "log" }, title: "median time per call (µs), log scale", axis: { values: decades(values.map((v) => v.us)) } };
  const color = { field: "variant", type: "nominal", title: "threads", scale: threadColours(m, drawn) };
  return {
    ...chartBase(`${s.op}: time against work`),
    layer: [
      { data: { values }, mark: { type: "point", filled: true, opacity: 0.6 }, encoding: { x, y, color } },
      { data: { values: lines }, mark: { type: "line", strokeWidth: 1.5 }, encoding: { x, y, color, detail: { field: "variant" } } },
    ],
  };
}

/** The layer's time per policy, one panel per step. */
export function layerSpec(m: ReportModel): Spec | null {
  if (!m.layer) return null;
  const values = m.layer.steps.flatMap((s) => s.times.map((t) => ({ step: stepLabel(s), policy: t.policy, ms: t.ms })));
  return {
    $schema: SCHEMA, config: CONFIG,
    title: { text: `Decoder layer (${m.layer.preset}, ${m.layer.weights}) time per policy` },
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
