// What the report says, derived from a results file alone: tables, numbers
// and words. Rendering (HTML, Markdown, charts) reads this and nothing else.
import { defaultProfile } from "../engine/profile/defaults.js";
import { ruleText } from "../engine/profile/rule-text.js";
import type { Profile, ProfileOp } from "../engine/profile/types.js";
import { WORK_UNITS } from "../engine/ops/descriptors.js";
import { fmtWork } from "../format.js";
import { LIMITS, type Limits } from "../results/limits.js";
import type { CrossoverFit, PointResult, RangeFit, TuneResults } from "../results/types.js";
import { healthSummary, type HealthSummary } from "./health.js";

export interface Row {
  shape: string;
  work: number;
  /** Median ns per thread count, in the run's thread order. */
  times: number[];
  /** Serial time over each parallel count's time (parallel counts only). */
  speedups: number[];
  /** Some parallel count was faster than serial. */
  parallelWins: boolean;
  noisy: boolean;
}

export interface OpSection {
  op: ProfileOp;
  workUnit: string;
  points: number;
  /** The family with the most points: the table a reader can follow, like the reference document's. */
  focus: { name: string; rows: Row[] };
  all: Row[];
  /** Shapes at the largest work of the focus family and at its crossover, on every thread count. */
  scaling: Row[];
  fits: CrossoverFit[];
  /** What the profile says: the fastest count per range of work (null for results of earlier versions). */
  ranges: RangeFit | null;
  current: string;
  recommended: string;
  reasoning: string;
  reproduce: string;
  bestSpeedup: { value: number; threads: number; shape: string } | null;
}

export interface ReportModel {
  machine: TuneResults["machine"];
  /** The test environment, one line per fact (CPU, OS, Node and kernels, the run, load, command). */
  environment: string[];
  warnings: string[];
  health: HealthSummary;
  /** The margin and limits the run was held to (older results: this release's). */
  limits: Limits;
  pool: TuneResults["pool"];
  regret: TuneResults["regret"];
  threads: number[];
  parallelThreads: number[];
  ops: OpSection[];
  layer: { preset: string; weights: string; steps: { step: string; tokens: number; times: { policy: string; ms: number; speedup: number }[] }[] } | null;
  currentSource: string;
  whenTo: string[];
  whenNot: string[];
}

export function shapeText(p: { shape: Record<string, number> }): string {
  return Object.entries(p.shape).map(([k, v]) => `${k}=${v}`).join(" ");
}

function row(p: PointResult, threads: number[]): Row {
  const times = threads.map((t) => p.variants.find((v) => v.threads === t)?.medianNs ?? NaN);
  const speedups = times.slice(1).map((t) => times[0] / t);
  return { shape: shapeText(p), work: p.work, times, speedups, parallelWins: speedups.some((s) => s > 1), noisy: p.noisy };
}

function fitText(f: CrossoverFit): string {
  if (f.decision === "never") return `never (${f.threads} threads)`;
  if (f.decision === "always") return `always (${f.threads} threads, down to ${fmtWork(f.minWork!)})`;
  return `≥ ${fmtWork(f.minWork!)} → ${f.threads} threads (95% ${fmtWork(f.interval!.low)}–${fmtWork(f.interval!.high)})`;
}

function rangesText(f: RangeFit): string {
  return f.ranges.map((r, i) => i === 0 ? `${r.threads} thread${r.threads === 1 ? "" : "s"}` :
    `from ${fmtWork(r.fromWork)}${r.interval ? ` (95% ${fmtWork(r.interval.low)}–${fmtWork(r.interval.high)})` : ""} ${r.threads} threads`).join(", ") +
    ` (fastest of ${f.compared.join(", ")})`;
}

/** The smallest axis value of the focus family whose work reaches `work`: an example in the family's own terms. */
function example(section: { focus: { rows: Row[] } }, work: number): string | null {
  const r = section.focus.rows.find((x) => x.work >= work);
  return r ? r.shape : null;
}

export function buildModel(results: TuneResults, previous?: Profile): ReportModel {
  const threads = results.run.threads;
  const parallelThreads = threads.filter((t) => t > 1);
  const current = previous ?? defaultProfile(Math.max(...threads), results.machine);
  const currentSource = previous
    ? `the profile the engine loaded before this run${results.previous?.path ? ` (${results.previous.path})` : ""}`
    : "the built-in defaults (the reference document's recommendations)";
  const ops: OpSection[] = [];
  for (const [op, fits] of Object.entries(results.fits) as [ProfileOp, CrossoverFit[]][]) {
    const pts = results.points.filter((p) => p.op === op).sort((a, b) => a.work - b.work);
    if (pts.length === 0) continue;
    const byFamily = new Map<string, PointResult[]>();
    for (const p of pts) byFamily.set(p.family, [...(byFamily.get(p.family) ?? []), p]);
    const [focusName, focusPts] = [...byFamily.entries()].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))[0];
    const focusRows = focusPts.map((p) => row(p, threads));
    const fit = fits[fits.length - 1];
    const nearCross = fit?.minWork != null ? focusPts.find((p) => p.work >= fit.minWork!) : undefined;
    const scaling = [...new Set([nearCross, focusPts[focusPts.length - 1]].filter((p): p is PointResult => !!p))].map((p) => row(p, threads));
    let best: OpSection["bestSpeedup"] = null;
    for (const p of pts) {
      const r = row(p, threads);
      r.speedups.forEach((s, i) => { if (!best || s > best.value) best = { value: s, threads: parallelThreads[i], shape: r.shape }; });
    }
    const section: OpSection = {
      op, workUnit: WORK_UNITS[op], points: pts.length, focus: { name: focusName, rows: focusRows }, all: pts.map((p) => row(p, threads)),
      scaling, fits, ranges: results.ranges?.[op] ?? null, current: ruleText(current.ops[op]), reasoning: "",
      // what the profile says (the fastest count per range); results of earlier versions: each count's fit against serial
      recommended: results.ranges?.[op] ? rangesText(results.ranges[op]!) : fits.map(fitText).join("; "),
      reproduce: `crossover tune --level ${results.run.level} --ops ${op} --threads ${threads.join(",")}`, bestSpeedup: best,
    };
    section.reasoning = fits.map((f) => {
      const ex = f.minWork != null && f.decision === "threshold" ? example(section, f.minWork) : null;
      return `${f.reason}${ex ? `; e.g. ${ex}` : ""}${f.disagreements.length ? `; ${f.disagreements.length} measured point(s) outside the interval disagree` : ""}`;
    }).join(". ");
    ops.push(section);
  }
  const whenTo: string[] = [], whenNot: string[] = [];
  for (const s of ops) {
    for (const f of s.fits) {
      const unit = `${s.workUnit}`;
      if (f.decision === "always") whenTo.push(`${s.op}: at every measured size (from ${unit} = ${fmtWork(f.minWork!)}) on ${f.threads} threads.`);
      else if (f.decision === "never") whenNot.push(`${s.op}: at any measured size up to ${unit} = ${fmtWork(f.workRange[1])}: ${f.threads} threads never won by ${Math.round(f.margin * 100)}%.`);
      else {
        const ex = example(s, f.minWork!);
        whenTo.push(`${s.op}: when ${unit} ≥ ${fmtWork(f.minWork!)}${ex ? ` (e.g. ${ex})` : ""}, on ${f.threads} threads.`);
        whenNot.push(`${s.op}: below ${unit} = ${fmtWork(f.minWork!)}: dispatch costs more than the split saves.`);
      }
    }
  }
  const limits = { ...(results.run.limits ?? LIMITS), margin: results.run.margin ?? results.run.limits?.margin ?? LIMITS.margin };
  return {
    machine: results.machine, environment: environment(results), warnings: results.warnings, health: healthSummary(results), limits,
    pool: results.pool, regret: results.regret, threads, parallelThreads, ops, layer: layerModel(results), currentSource, whenTo, whenNot,
  };
}

/** Text from a results file as inline code: a backtick inside it would end the span early, so none stays. */
function codeSpan(s: string): string {
  return `\`${s.replace(/`/g, "'")}\``;
}

function environment(r: TuneResults): string[] {
  const mc = r.machine;
  const caches = Object.entries(mc.caches ?? {}).map(([k, v]) => `${k.toUpperCase()} ${v! >= 2 ** 20 ? `${v! / 2 ** 20} MiB` : `${v! / 1024} KiB`}`).join(", ") ||
    "not readable on this machine";
  return [
    `CPU: ${mc.cpuModel}, ${mc.logicalCpus} logical CPUs (${mc.arch}); caches: ${caches}`,
    `OS: ${mc.osRelease ?? mc.os}`,
    `Node ${mc.node}, V8 ${mc.v8}; kernels: ${r.run.backend} (${r.run.kernels?.build === "relaxed" ? "relaxed SIMD" : "SIMD128"})${r.run.kernels ? `, crossover ${r.run.kernels.crossover}, wasm SHA-256 ${r.run.kernels.wasmSha256.slice(0, 12)}` : ""}`,
    `Run: ${r.run.startedAt}, level ${r.run.level}, ${Math.round(r.run.durationSeconds)} s of a ${Math.round(r.run.budgetSeconds)} s budget; ${r.points.length} grid points, ${r.heldOut.length} held out${r.run.skippedPoints ? `, ${r.run.skippedPoints} skipped for the budget` : ""}`,
    `Load average before ${r.run.loadBefore.join(" ")}, after ${r.run.loadAfter.join(" ")}`,
    `Command: ${codeSpan(r.run.command)} (${r.run.tool})`,
  ];
}

function layerModel(r: TuneResults): ReportModel["layer"] {
  if (r.layer.length === 0) return null;
  const stepKeys = [...new Set(r.layer.map((l) => `${l.step}:${l.tokens}`))];
  return {
    preset: r.layer[0].preset, weights: r.layer[0].weights,
    steps: stepKeys.map((k) => {
      const rows = r.layer.filter((l) => `${l.step}:${l.tokens}` === k);
      const serial = rows.find((x) => x.variant === "serial")?.medianMs ?? NaN;
      return { step: rows[0].step, tokens: rows[0].tokens, times: rows.map((x) => ({ policy: x.variant, ms: x.medianMs, speedup: serial / x.medianMs })) };
    }),
  };
}
