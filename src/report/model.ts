// What the report says, derived from a results file alone: tables, numbers
// and words. Rendering (HTML, Markdown, charts) reads this and nothing else.
import { defaultProfile } from "../engine/profile/defaults.js";
import { ruleText } from "../engine/profile/rule-text.js";
import type { Profile, ProfileOp, WorkRange } from "../engine/profile/types.js";
import { median } from "simple-statistics";
import { OPS, unitsOf, WORK_UNITS } from "../engine/ops/descriptors.js";
import { cachesText, fmtBytes, fmtNs, fmtPercent, fmtWork, shapeText } from "../format.js";
import { crossRegret, rulesOfProfile, rulesOfRun, type CrossRegret } from "./cross-regret.js";
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
  /** A real win: some count beat serial by more than the margin, and its interval lies below serial's. */
  win: boolean;
  /** One unit of the op's split: both variants ran serially, so any difference is noise. */
  cannotSplit: boolean;
  /** Some count ran more than ideally faster (speedup above threads by 5%): caches, not parallelism. */
  superlinear: boolean;
  noisy: boolean;
  /** Measured in a slow state (sentinel) or with subnormal/non-finite data. */
  suspect: boolean;
  /** GB/s or GFLOP/s of the serial variant, where the run recorded the op's bytes or flops. */
  rate: string;
}

export interface OpSection {
  op: ProfileOp;
  workUnit: string;
  points: number;
  /** The family whose work brackets the crossover (else the one with the most points): the table a reader can follow, like the reference document's. */
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
  /** Median speedup over the top decade of work (noisy, suspect, superlinear and one-unit points left out), the count whose median is highest. */
  typicalSpeedup: { value: number; threads: number; points: number } | null;
  /** Checks on this op's data, in words: superlinear points, unphysical fits, noisy or suspect points, a crossover at the grid's edge. */
  checks: string[];
  /** The crossover sits at or below the smallest size measured, or its interval spans more than 4x. */
  uncertain: { reason: string; text: string } | null;
  /** What the op is, for the reader: how it splits and what it runs. */
  characteristics: string;
  /** Where parallel starts in the profile in force before against this run's (first range above one thread). */
  moved: { from: number; to: number; ratio: number } | null;
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
  /** The tuning level of the run (for the commands that reproduce it). */
  level: string;
  ops: OpSection[];
  layer: { preset: string; weights: string; steps: { step: string; tokens: number; times: { policy: string; ms: number; madMs: number; speedup: number }[] }[] } | null;
  currentSource: string;
  whenTo: string[];
  whenNot: string[];
  /** Checks across ops: ops running the same kernels that differ by more than 3x per unit of work. */
  anomalies: string[];
  /** The profile in force before and this run's, each applied to this run's measurements (null: no profile before). */
  againstBefore: { before: CrossRegret; now: CrossRegret } | null;
}


function row(p: PointResult, threads: number[], margin: number): Row {
  const times = threads.map((t) => p.variants.find((v) => v.threads === t)?.medianNs ?? NaN);
  const speedups = times.slice(1).map((t) => times[0] / t);
  const serial = p.variants.find((v) => v.threads === 1);
  const cannotSplit = unitsOf(p.op, p.shape) <= 1;
  const win = !cannotSplit && !!serial && p.variants.some((v) => v.threads > 1 && serial.medianNs / v.medianNs > 1 + margin && v.highNs < serial.lowNs);
  const superlinear = speedups.some((x, i) => x > 1.05 * threads[i + 1]);
  return { shape: shapeText(p), work: p.work, times, speedups, win, cannotSplit, superlinear, noisy: p.noisy, suspect: !!p.suspect || !!p.dataIssue, rate: serialRate(p) };
}

/** The serial variant's rate: GFLOP/s where the run recorded the op's flops, else GB/s where it recorded its bytes. */
export function serialRate(p: PointResult): string {
  const ns = p.variants.find((v) => v.threads === 1)?.medianNs ?? NaN;
  return p.flops ? `${(p.flops / ns).toFixed(1)} GFLOP/s` : p.bytes ? `${(p.bytes / ns).toFixed(1)} GB/s` : "";
}

/** Median speedup of the top decade of work: what parallel typically gives at large sizes, not its luckiest point. */
function typicalSpeedup(rows: Row[], parallelThreads: number[]): OpSection["typicalSpeedup"] {
  const clean = rows.filter((r) => !r.noisy && !r.suspect && !r.superlinear && !r.cannotSplit);
  if (clean.length === 0) return null;
  const top = Math.max(...clean.map((r) => r.work));
  const decade = clean.filter((r) => r.work >= top / 10);
  let best: OpSection["typicalSpeedup"] = null;
  parallelThreads.forEach((t, i) => {
    const xs = decade.map((r) => r.speedups[i]).filter((x) => Number.isFinite(x));
    if (xs.length === 0) return;
    const med = median(xs);
    if (!best || med > best.value) best = { value: med, threads: t, points: xs.length };
  });
  return best;
}

/** Where the profile first leaves one thread (else the last fit's threshold): the crossover the report features. */
function crossoverOf(ranges: RangeFit | null, fits: CrossoverFit[]): { work: number; low: number; high: number } | null {
  const r = ranges?.ranges[1];
  if (r) return { work: r.fromWork, low: r.interval?.low ?? r.fromWork, high: r.interval?.high ?? r.fromWork };
  const f = fits.find((x) => x.decision === "threshold");
  return f ? { work: f.minWork!, low: f.interval?.low ?? f.minWork!, high: f.interval?.high ?? f.minWork! } : null;
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

/** A shape of the focus family at or above `work` that was measured to win (near the threshold): an example in the family's own terms. */
function example(section: { focus: { rows: Row[] } }, work: number): string | null {
  const r = section.focus.rows.find((x) => x.work >= work && x.win);
  return r ? r.shape : null;
}

export function buildModel(results: TuneResults, previous?: Profile): ReportModel {
  const threads = results.run.threads;
  const parallelThreads = threads.filter((t) => t > 1);
  const current = previous ?? defaultProfile(Math.max(...threads), results.machine);
  const currentSource = previous
    ? `the profile the engine loaded before this run${results.previous?.path ? ` (${profileName(results.previous.path)})` : ""}`
    : "the built-in defaults (the reference document's recommendations)";
  const ops: OpSection[] = [];
  const margin = results.run.margin ?? results.run.limits?.margin ?? LIMITS.margin;
  const l2 = results.machine.caches?.l2;
  for (const [op, fits] of Object.entries(results.fits) as [ProfileOp, CrossoverFit[]][]) {
    const pts = results.points.filter((p) => p.op === op).sort((a, b) => a.work - b.work);
    if (pts.length === 0) continue;
    const ranges = results.ranges?.[op] ?? null;
    const cross = crossoverOf(ranges, fits);
    const byFamily = new Map<string, PointResult[]>();
    for (const p of pts) byFamily.set(p.family, [...(byFamily.get(p.family) ?? []), p]);
    // the family that brackets the crossover, the same on every machine where the crossover falls in it; then the one with the most points
    const brackets = (ps: PointResult[]) => !!cross && ps[0].work <= cross.work && cross.work <= ps[ps.length - 1].work;
    const [focusName, focusPts] = [...byFamily.entries()]
      .sort((a, b) => Number(brackets(b[1])) - Number(brackets(a[1])) || b[1].length - a[1].length || a[0].localeCompare(b[0]))[0];
    // one row per point, shared by the tables that show it
    const rowOf = new Map(pts.map((p) => [p, row(p, threads, margin)]));
    const all = pts.map((p) => rowOf.get(p)!);
    const focusRows = focusPts.map((p) => rowOf.get(p)!);
    const fit = fits[fits.length - 1];
    const nearCross = fit?.minWork != null ? focusPts.find((p) => p.work >= fit.minWork!) : undefined;
    const scaling = [...new Set([nearCross, focusPts[focusPts.length - 1]].filter((p): p is PointResult => !!p))].map((p) => rowOf.get(p)!);
    const section: OpSection = {
      op, workUnit: WORK_UNITS[op], points: pts.length, focus: { name: focusName, rows: focusRows }, all,
      scaling, fits, ranges, current: ruleText(current.ops[op]), reasoning: "",
      // what the profile says (the fastest count per range); results of earlier versions: each count's fit against serial
      recommended: ranges ? rangesText(ranges) : fits.map(fitText).join("; "),
      reproduce: `crossover tune --level ${results.run.level} --ops ${op} --threads ${threads.join(",")}`,
      typicalSpeedup: typicalSpeedup(all, parallelThreads), checks: opChecks(op, pts, all, fits, threads, l2), uncertain: null,
      moved: moved(current.ops[op]?.ranges, ranges?.ranges),
      characteristics: `Split into whole units of one ${OPS[op].unit}; runs the ${OPS[op].kernels.join(" then ")} kernel${OPS[op].kernels.length > 1 ? "s" : ""}` +
        `${OPS[op].arithmetic === "int8" ? " (int8 multiply-adds)" : ""}.`,
    };
    section.uncertain = uncertainty(op, all, cross);
    const model = ranges ? fittedModel(ranges) : null;
    section.reasoning = fits.map((f) => {
      const ex = f.minWork != null && f.decision === "threshold" ? example(section, f.minWork) : null;
      return `${f.reason}${ex ? `; e.g. ${ex} (measured to win)` : ""}${f.disagreements.length ? `; ${f.disagreements.length} measured point(s) outside the interval disagree` : ""}`;
    }).join(". ") + (model ? `. ${model}` : "") + (section.uncertain ? `. ${section.uncertain.text}` : "");
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
  const limits = { ...(results.run.limits ?? LIMITS), margin };
  return {
    machine: results.machine, environment: environment(results), warnings: results.warnings, health: healthSummary(results), limits,
    pool: results.pool, regret: results.regret, threads, parallelThreads, level: results.run.level, ops, layer: layerModel(results), currentSource, whenTo, whenNot,
    anomalies: sameArithmeticChecks(results.points),
    againstBefore: previous ? { before: crossRegret(rulesOfProfile(previous), [...results.points, ...results.heldOut]), now: crossRegret(rulesOfRun(results), [...results.points, ...results.heldOut]) } : null,
  };
}

/** A profile's path as a reader knows it (from "profiles/" on, else its file name): never this machine's absolute path in a committed report. */
function profileName(path: string): string {
  const parts = path.split(/[\\/]/);
  const at = parts.lastIndexOf("profiles");
  return at >= 0 ? parts.slice(at).join("/") : parts[parts.length - 1];
}


/** Checks on one op's data, shown in its section and counted in the summary. */
function opChecks(op: ProfileOp, pts: PointResult[], rows: Row[], fits: CrossoverFit[], threads: number[], l2?: number): string[] {
  const out: string[] = [];
  const sup = rows.map((r, i) => ({ r, p: pts[i] })).filter((x) => x.r.superlinear && !x.r.cannotSplit);
  if (sup.length > 0) {
    const { r, p } = sup.reduce((a, b) => (Math.max(...b.r.speedups) > Math.max(...a.r.speedups) ? b : a));
    const i = r.speedups.indexOf(Math.max(...r.speedups));
    const t = threads[i + 1];
    const fits = l2 !== undefined && p.bytes !== undefined && p.bytes / t <= l2 && p.bytes > l2;
    const ws = !p.bytes ? "" : ` Its data is ${fmtBytes(p.bytes)}, ${fmtBytes(Math.round(p.bytes / t))} a thread ` +
      (l2 === undefined ? "(this run did not record the L2 size)." : `against an L2 of ${fmtBytes(l2)} a core${fits ? ": split, each thread's share fits in its L2, whole it does not." : "."}`);
    out.push(`${sup.length} point(s) ran more than ideally faster (superlinear), e.g. ${r.shape} ${r.speedups[i].toFixed(2)}x on ${t} threads.${ws} Those speedups come from caches, not from parallel work, and are left out of the typical speedup.`);
  }
  for (const f of fits) {
    if (f.parallel.interceptNs < f.serial.interceptNs) {
      out.push(`The fitted ${f.threads}-thread line's fixed cost (${f.parallel.interceptNs.toFixed(0)} ns) is below serial's (${f.serial.interceptNs.toFixed(0)} ns): a dispatch cannot be free, so the small sizes are noisy or superlinear; read this crossover with care.`);
    }
  }
  const noisy = pts.filter((p) => p.noisy).length, suspect = pts.filter((p) => p.suspect).length, data = pts.filter((p) => p.dataIssue);
  if (noisy) out.push(`${noisy} point(s) stayed noisy after being measured again (marked noisy in the tables).`);
  if (suspect) out.push(`${suspect} point(s) were measured in a slow state the sentinel saw and are marked suspect.`);
  if (data.length) out.push(`${data.length} point(s) held subnormal or non-finite data: ${data[0].dataIssue}`);
  const oneUnit = rows.filter((r) => r.cannotSplit).length;
  if (oneUnit) out.push(`${oneUnit} shape(s) of one ${OPS[op].unit} cannot be split: both variants ran serially, so they are shown as "1 unit: cannot split" and left out of the fits.`);
  return out;
}

/**
 * The fitted model in words: each count's overhead per call over serial and
 * its split efficiency, and what a wrong decision would cost at the edges of
 * the first switch's interval (parallel at its low edge, serial at its high).
 */
function fittedModel(r: RangeFit): string | null {
  const serial = r.lines.find((l) => l.threads === 1);
  const sw = r.ranges.find((x) => x.threads > 1);
  const par = sw && r.lines.find((l) => l.threads === sw.threads);
  if (!serial || !sw || !par || par.slopeNs <= 0) return null;
  const at = (l: { interceptNs: number; slopeNs: number }, w: number) => l.interceptNs + l.slopeNs * w;
  const overhead = par.interceptNs - serial.interceptNs;
  const efficiency = serial.slopeNs / (sw.threads * par.slopeNs);
  let cost = "";
  if (sw.interval) {
    const lo = at(par, sw.interval.low) / at(serial, sw.interval.low), hi = at(serial, sw.interval.high) / at(par, sw.interval.high);
    cost = ` A wrong decision at the interval's edges costs ${fmtPercent(Math.max(0, lo - 1))} (${sw.threads} threads at ${fmtWork(sw.interval.low)}) and ${fmtPercent(Math.max(0, hi - 1))} (1 thread at ${fmtWork(sw.interval.high)}).`;
  }
  return `Model: on ${sw.threads} threads each call costs ${overhead >= 0 ? `${fmtNs(overhead)} more` : `${fmtNs(-overhead)} less`} than serial at zero work (the dispatch), and the split runs at ${fmtPercent(efficiency)} of ideal (serial ${serial.slopeNs.toFixed(3)} ns per unit, ${sw.threads} threads ${par.slopeNs.toFixed(3)}).${cost}`;
}

/** The first work where each rule leaves one thread, and their ratio (null when either never does). */
function moved(before: readonly WorkRange[] | undefined, now: readonly WorkRange[] | undefined): OpSection["moved"] {
  const from = before?.find((r) => r.threads > 1)?.fromWork, to = now?.find((r) => r.threads > 1)?.fromWork;
  return from && to ? { from, to, ratio: to / from } : null;
}

/** Whether the featured crossover can be trusted as a number: at the grid's edge, or with a wide interval. */
function uncertainty(op: ProfileOp, rows: Row[], cross: ReturnType<typeof crossoverOf>): OpSection["uncertain"] {
  if (!cross) return null;
  const smallest = rows.filter((r) => !r.cannotSplit).reduce((a, r) => Math.min(a, r.work), Infinity);
  if (cross.work <= smallest) {
    return { reason: "at the grid's edge", text: `At the grid's edge: parallel already won at the smallest splittable size measured (${fmtWork(smallest)}), so the real crossover may be lower; extend the grid down to find it (e.g. add smaller shapes of ${op} to its sweep)` };
  }
  if (cross.high / cross.low > 4) return { reason: "a wide interval", text: `Uncertain, a wide interval: the crossover's 95% interval spans ${fmtWork(cross.low)}–${fmtWork(cross.high)}, more than 4x` };
  return null;
}

/**
 * Ops that do the same arithmetic per unit of work (the descriptors pair
 * them: qkNorm is rmsNorm per head): a gap of more than 3x in serial time per
 * unit (at each op's largest sizes) says one of them measured something else
 * (subnormal data, a slow state).
 */
function sameArithmeticChecks(points: readonly PointResult[]): string[] {
  const perUnit = (op: ProfileOp) => {
    const pts = points.filter((p) => p.op === op && unitsOf(p.op, p.shape) > 1);
    if (pts.length === 0) return NaN;
    const top = Math.max(...pts.map((p) => p.work));
    const xs = pts.filter((p) => p.work >= top / 10).map((p) => (p.variants.find((v) => v.threads === 1)?.medianNs ?? NaN) / p.work).sort((a, b) => a - b);
    return xs[xs.length >> 1];
  };
  const out: string[] = [];
  for (const op of Object.keys(OPS) as ProfileOp[]) {
    const other = OPS[op].sameArithmeticAs as ProfileOp | undefined;
    if (!other) continue;
    const a = perUnit(op), b = perUnit(other);
    if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
    const [slow, fast, ratio] = a > b ? [op, other, a / b] : [other, op, b / a];
    if (ratio > 3) {
      out.push(`${slow} took ${ratio.toFixed(1)}x ${fast}'s serial time per unit of work, though both do the same arithmetic (the ${OPS[op].kernels.join("+")} kernel): ` +
        `${slow}'s measurements are suspect (subnormal inputs, a slow state); do not trust its recommendation until it is measured again.`);
    }
  }
  return out;
}

/** Text from a results file as inline code: a backtick inside it would end the span early, so none stays. */
function codeSpan(s: string): string {
  return `\`${s.replace(/`/g, "'")}\``;
}

function environment(r: TuneResults): string[] {
  const mc = r.machine;
  const caches = cachesText(mc.caches) ||
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
      return { step: rows[0].step, tokens: rows[0].tokens, times: rows.map((x) => ({ policy: x.variant, ms: x.medianMs, madMs: x.madMs, speedup: serial / x.medianMs })) };
    }),
  };
}
