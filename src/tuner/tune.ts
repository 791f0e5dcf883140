import os from "node:os";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createEngine, type Engine } from "../engine/engine.js";
import { defaultProfile } from "../engine/profile/defaults.js";
import { thisKernelBuild } from "../engine/profile/kernel-build.js";
import type { KernelBuild, Profile, ProfileOp } from "../engine/profile/types.js";
import { checkProfile } from "../engine/profile/validate-profile.js";
import { writeJsonAtomic } from "../io/atomic-write.js";
import { busyWarning, cpuLoadBetween, cpuSnapshot } from "./cpu-load.js";
import { fitAll, fitAllRanges } from "./fit-all.js";
import { fitToBudget, gridFamilies, gridPoints, heldOutPoints, LEVEL_SPECS } from "./grid.js";
import { benchLayer, type LayerVariant } from "./layer-bench.js";
import { judgeLayer } from "./layer-proof.js";
import { machineInfo, type MachineInfo } from "./machine.js";
import { measurePoint } from "./measure-point.js";
import { WeightCache } from "./op-runner.js";
import { measureForkJoin } from "./pool-bench.js";
import { buildProfile } from "./profile-writer.js";
import { regret } from "./regret.js";
import { readResults, writeResults } from "../results/results-file.js";
import { engineSentinel, Sentinel } from "./sentinel.js";
import { chooseSpin } from "./spin-choice.js";
import { runSweep, type SweepOutcome, type SweepProgress } from "./sweep.js";
import { LIMITS, regretHigh, slowFromStart } from "../results/limits.js";
import { fmtPercent } from "../format.js";
import type { CpuLoad, GridPoint, LayerBenchResult, Level, PointResult, SentinelMeasures, SentinelVerdict, TuneResults } from "../results/types.js";

export interface TuneOptions {
  level: Level;
  /** Cap on the whole run, ms (default: the level's). */
  budgetMs?: number;
  threads: number[];
  ops?: ProfileOp[];
  /** Folder that receives profiles/<slug>.json and reports/<slug>/results.json. */
  outDir: string;
  resume: boolean;
  /** Write the profile even when the layer proof shows it losing to serial or to the defaults. */
  force?: boolean;
  tool: string;
  command: string;
}

export interface TuneHooks {
  onPoint?: (r: PointResult, p: SweepProgress) => void;
  onPhase?: (message: string) => void;
  shouldStop?: () => boolean;
}

/** What tests replace to run the tuner's decisions without measuring (a fake clock, fake points, a fake layer). */
export interface TuneDeps {
  now?: () => number;
  measure?: (p: GridPoint) => Promise<PointResult>;
  sentinel?: { read: () => SentinelMeasures | Promise<SentinelMeasures>; pause?: (ms: number) => Promise<void> };
  /** Other processes' CPU use just before measuring. */
  cpuLoad?: () => Promise<CpuLoad>;
  /** The pool phase: fork-join cost and spin window. */
  pool?: () => Pick<TuneResults["pool"], "forkJoin" | "spin">;
  layer?: (variants: LayerVariant[]) => LayerBenchResult[];
  /** The machine measured (a simulated one: its CPUs decide what counts as oversubscribed). */
  machine?: MachineInfo;
  /** Threads of the tuner's own engine (default: the most measured); a simulation measures nothing on it. */
  engineThreads?: number;
}

export interface TuneOutcome {
  results: TuneResults;
  profile?: Profile;
  resultsPath: string;
  /** Where the profile was written; absent when the run was interrupted or the profile was refused. */
  profilePath?: string;
  /** Why the profile was not written (it lost the layer proof; --force writes it anyway). */
  refused?: string;
}

/** How the budget is shared: the pool's spin choice at most, and what stays for held-out shapes and the layer after the grid. */
const BUDGET = { spin: 0.03, afterGrid: 0.27, afterHeldOut: 0.16, layer: 0.6 } as const;

/**
 * Where a run writes: a run in progress saves to results.partial.json (what
 * --resume reads), so a complete results.json is only ever replaced by another
 * complete one.
 */
export function outputPaths(outDir: string, slug: string): { results: string; partial: string; profile: string } {
  const reports = join(outDir, "reports", slug);
  return { results: join(reports, "results.json"), partial: join(reports, "results.partial.json"), profile: join(outDir, "profiles", `${slug}.json`) };
}

/** Fails before measuring, not after, when the output folders cannot be written. */
function checkWritable(paths: ReturnType<typeof outputPaths>): void {
  for (const file of [paths.results, paths.profile]) {
    const probe = `${dirname(file)}/.crossover-write-test-${process.pid}`;
    try {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(probe, "");
      rmSync(probe);
    } catch (err) {
      throw new Error(`cannot write to ${dirname(file)} (${(err as Error).message}): choose another --out folder, or fix its permissions`);
    }
  }
}

/** Other processes' CPU use over half a second, measured before the run starts anything of its own. */
async function idleCheck(): Promise<CpuLoad> {
  const a = cpuSnapshot();
  await new Promise((resolve) => setTimeout(resolve, 500));
  return cpuLoadBetween(a, cpuSnapshot());
}

/**
 * The whole tuning run: the pool (fork-join, spin window), the grid sweep with
 * refinement, the fits, the profile, the held-out regret and the layer under
 * each policy, all inside the budget, with a sentinel watching the state of the
 * process and machine throughout. Results are saved as the run goes, so an
 * interrupted run can resume.
 */
export async function tune(o: TuneOptions, hooks: TuneHooks = {}, deps: TuneDeps = {}): Promise<TuneOutcome> {
  const spec = LEVEL_SPECS[o.level];
  const budgetMs = o.budgetMs ?? spec.budgetSeconds * 1000;
  const now = deps.now ?? (() => performance.now());
  const t0 = now();
  const left = () => budgetMs - (now() - t0);
  const phase = hooks.onPhase ?? (() => {});
  const stop = hooks.shouldStop ?? (() => false);
  const machine = deps.machine ?? machineInfo();
  const cpus = machine.logicalCpus;
  const paths = outputPaths(o.outDir, machine.slug);
  const threads = [...new Set([1, ...o.threads])].sort((a, b) => a - b);
  const top = Math.max(...threads);
  const warnings: string[] = [];
  const kernels = thisKernelBuild();

  checkWritable(paths);
  const done = o.resume ? resumable(o, paths, machine.slug, threads, kernels) : new Map<string, PointResult>();
  if (o.resume) phase(`resuming: ${done.size} points already measured`);

  // before anything of ours runs: is something else using the CPUs?
  phase("checking that the machine is idle");
  const cpuBefore = await (deps.cpuLoad ?? idleCheck)();
  const busy = busyWarning(cpuBefore, "before measuring");
  if (busy) warnings.push(busy);

  // the profile is measured as written: no back-off moving its counts under the layer proof
  const engine = await createEngine({ threads: deps.engineThreads ?? top, policy: "parallel", adapt: false, onWarning: (m) => warnings.push(m) });
  // what the engine loads here today: the report compares it with what this run recommends
  const before = engine.profile;
  if (top > cpus) warnings.push(`measured ${top} threads on ${cpus} available CPUs: oversubscribed`);
  const cache = new WeightCache(engine);
  const probe = deps.sentinel ? undefined : engineSentinel(engine, cpus);
  const sentinel = new Sentinel({ read: deps.sentinel?.read ?? probe!.read, pause: deps.sentinel?.pause, now });
  const results: TuneResults & Required<Pick<TuneResults, "health">> = {
    $schema: "../../schema/results.schema.json",
    schemaVersion: 1, kind: "crossover-results", complete: false,
    machine: { ...machine, node: machine.node!, v8: machine.v8! },
    run: {
      level: o.level, budgetSeconds: budgetMs / 1000, startedAt: new Date().toISOString(), durationSeconds: 0, threads,
      oversubscribed: top > cpus, backend: "wasm", ...(o.ops ? { ops: o.ops } : {}), tool: o.tool, command: o.command,
      sampleMs: spec.sampleMs, rounds: spec.rounds, margin: LIMITS.margin, limits: { ...LIMITS }, loadBefore: machine.loadAverage, loadAfter: [], stoppedBy: "done", kernels,
    },
    points: [], heldOut: [], fits: {}, pool: { forkJoin: [], spin: { chosen: engine.spinMicros, candidates: [] } }, layer: [],
    regret: { rows: [], geomean: 1, max: 1 }, warnings,
    health: {
      cpuBefore, sentinel: {
        description: probe?.description ?? "injected", factor: sentinel.factor, readings: sentinel.readings, verdicts: [], remeasured: 0, suspect: 0,
      },
    },
    ...(before.source !== "defaults" ? { previous: { source: before.source, ...(before.path ? { path: before.path } : {}), profile: before.data } } : {}),
  };
  let savedAt = -Infinity;
  const save = () => {
    results.run.durationSeconds = (now() - t0) / 1000;
    writeResults(paths.partial, results);
    savedAt = now();
  };
  // Saving a large results file after every point (stringify, write, fsync) disturbed the
  // next points' parallel timings (parallel rope points 2 us slower, in bursts): save at
  // most every 5 s during the sweep, and always at the end or on interruption.
  const saveSoon = () => {
    if (now() - savedAt > 5000) save();
  };
  const sweeps: SweepOutcome[] = [];
  const endVerdicts: SentinelVerdict[] = [];

  const measure = deps.measure ?? ((p: GridPoint) => measurePoint(engine, p, threads, spec, cache));
  const onPoint = (r: PointResult, p: SweepProgress) => {
    (p.phase === "held-out" ? results.heldOut : results.points).push(r);
    saveSoon();
    hooks.onPoint?.(r, p);
  };
  const firstGuessMs = spec.sampleMs * threads.length * 1.6 + 15;

  try {
    await poolPhase();
    if (stop() || !(await gridPhase())) return finish(false);
    const { profile, loaded } = fitPhase();
    if (!(await heldOutPhase(loaded))) return finish(false, profile);
    if (!o.ops && !(await layerPhase(loaded))) return finish(false, profile);
    // the last reading: was the state at the end the one the run measured in?
    endVerdicts.push(await sentinel.check());
    return finish(true, profile);
  } finally {
    cache.clear();
    probe?.dispose();
    engine.close();
  }

  /** 1. The pool: fork-join cost hot and after sleep, the spin window; then the sentinel's first reading. */
  async function poolPhase(): Promise<void> {
    if (deps.pool) Object.assign(results.pool, deps.pool());
    else if (top > 1) {
      // per count: waking and joining more workers costs more, and the fit compares every count
      for (const t of threads.filter((c) => c > 1)) {
        phase(`pool: fork-join cost on ${t} threads, hot and after sleep`);
        results.pool.forkJoin.push(measureForkJoin(engine, { threads: t, ...(o.level === "quick" ? { hotBatches: 10, coldSamples: 10 } : {}) }));
      }
      phase("pool: choosing the spin window");
      const candidates = o.level === "quick" ? [0, 50, 200] : [0, 25, 50, 100, 200, 500];
      results.pool.spin = await chooseSpin(engine, "gemma-3-270m", candidates, Math.min(o.level === "quick" ? 1500 : 4000, budgetMs * BUDGET.spin));
      engine.spinMicros = results.pool.spin.chosen;
    }
    await sentinel.check();
    const first = sentinel.readings[0];
    if (slowFromStart(first, sentinel.factor)) {
      warnings.push(`at the start, the sentinel (${results.health.sentinel.description}) ran ${(first.parallelUs / first.serialUs).toFixed(1)}x ` +
        `slower on ${Math.min(top, cpus)} threads than on one: this process looks stuck in a slow state for parallel work; run crossover tune again`);
    }
  }

  /** 2. The grid, then refinement where winners change. False when interrupted. */
  async function gridPhase(): Promise<boolean> {
    const gridBudget = Math.max(0, left() - budgetMs * BUDGET.afterGrid);
    const { families, stride } = fitToBudget(gridFamilies(o.level, o.ops), gridBudget, firstGuessMs);
    if (stride > 1) warnings.push(`${threads.length} thread counts per point: the grid keeps every ${stride}th size of each family to hold the budget (raise --budget or --level for all of them)`);
    const sweep = await runSweep({
      points: interleaveByOp(gridPoints(families)), families, refinePasses: spec.refinePasses,
      budgetMs: gridBudget, now, measure, done, shouldStop: hooks.shouldStop, onPoint, firstGuessMs, sentinel,
    });
    sweeps.push(sweep);
    results.points = sweep.results;
    results.run.skippedPoints = sweep.skipped.length;
    results.run.resumedPoints = sweep.results.filter((r) => done.has(r.key)).length;
    results.run.stoppedBy = sweep.stoppedBy;
    if (sweep.skipped.length > 0) warnings.push(`${sweep.skipped.length} grid points did not fit in the budget and were not measured`);
    cache.clear();
    return sweep.stoppedBy !== "interrupt";
  }

  /** 3. The fits and the profile they imply (points measured in a slow state are left out), as the engine will read it. */
  function fitPhase(): { profile: Profile; loaded: Profile } {
    phase("fitting crossovers");
    const usable = results.points.filter((p) => !p.suspect);
    results.fits = fitAll(usable, threads, LIMITS.margin);
    results.ranges = fitAllRanges(usable, threads, LIMITS.margin);
    warnings.push(...fitWarnings(results.points, results.fits));
    const profile = buildProfile({
      machine, date: new Date().toISOString(), tool: o.tool, level: o.level, durationSeconds: (now() - t0) / 1000, kernels,
      threads, loadAverage: os.loadavg().map((v) => Math.round(v * 100) / 100), spinMicros: results.pool.spin.chosen,
      forkJoin: results.pool.forkJoin, notes: warnings.slice(),
    }, results.ranges);
    // the profile as the engine will see it: written out, read back and checked
    const loaded = checkProfile(JSON.parse(JSON.stringify(profile)), "the tuned profile");
    return { profile, loaded };
  }

  /** 4. Held-out shapes: the profile's choice against the best measured. False when interrupted. */
  async function heldOutPhase(loaded: Profile): Promise<boolean> {
    phase("held-out shapes");
    const held = await runSweep({
      phase: "held-out", points: heldOutPoints(o.ops), budgetMs: Math.max(0, left() - budgetMs * BUDGET.afterHeldOut), now, measure, done,
      shouldStop: hooks.shouldStop, onPoint, firstGuessMs, sentinel,
    });
    sweeps.push(held);
    results.heldOut = held.results;
    results.regret = regret(loaded, results.heldOut.filter((p) => !p.suspect), top);
    if (regretHigh(results.regret, LIMITS)) {
      warnings.push(`held-out regret is high (geometric mean ${results.regret.geomean.toFixed(2)}, worst ${results.regret.max.toFixed(2)}): ` +
        `the profile chose badly on shapes it was not fitted on; re-run on an idle machine, or at a higher --level`);
    }
    return held.stoppedBy !== "interrupt";
  }

  /** 5. The decoder layer under each policy: the proof that the profile helps. False when interrupted. */
  async function layerPhase(loaded: Profile): Promise<boolean> {
    phase(`layer: ${spec.layer.preset} ${spec.layer.weights}, prefill 128, decode at 512 and 4096 cached, per policy`);
    const variants = layerVariants(engine, loaded, defaultProfile(top, machine), results.pool.spin.chosen);
    const steps = [{ step: "prefill", tokens: 128 }, { step: "decode", tokens: 512 }, { step: "decode", tokens: 4096 }] as const;
    results.layer = deps.layer ? deps.layer(variants)
      : await benchLayer(engine, spec.layer.preset, spec.layer.weights, variants, Math.max(500, left() * BUDGET.layer), steps, 3, stop);
    return !stop();
  }

  function finish(complete: boolean, profile?: Profile): TuneOutcome {
    results.complete = complete;
    results.run.endedAt = new Date().toISOString();
    results.run.loadAfter = os.loadavg().map((v) => Math.round(v * 100) / 100);
    if (!complete) results.run.stoppedBy = "interrupt";
    summariseHealth(results, sweeps, endVerdicts, sentinel);
    const proof = judgeLayer(results.layer);
    let refused: string | undefined;
    if (complete && proof.loses) {
      const what = `the tuned profile lost to a simpler policy on the decoder layer (${proof.losses.join("; ")})`;
      if (o.force) warnings.push(`${what}; written anyway (--force)`);
      else {
        refused = `${what}: the profile was not written. Measurements this far off usually mean a busy machine or a process ` +
          `in a slow state: run crossover tune again on an idle machine (--force writes it anyway)`;
        warnings.push(refused);
      }
      results.run.profileRefused = refused ?? false;
    }
    if (complete && profile && Object.keys(profile.ops).length === 0) {
      refused = "nothing was measured that could be fitted (every point was skipped, suspect, or on one thread): no profile was written; " +
        "give a longer --budget, or more ops and thread counts";
      warnings.push(refused);
      results.run.profileRefused = refused;
    }
    let resultsPath = paths.partial;
    if (complete) {
      // the finished run replaces the last complete one, and its partial file goes
      results.run.durationSeconds = (now() - t0) / 1000;
      writeResults(paths.results, results);
      rmSync(paths.partial, { force: true });
      resultsPath = paths.results;
    } else save();
    if (complete && profile && !refused) {
      profile.tuning.durationSeconds = Math.round(results.run.durationSeconds);
      // every warning of the run, including those after the fit (held-out, sentinel, layer proof)
      if (warnings.length > 0) profile.tuning.notes = warnings.slice();
      writeJsonAtomic(paths.profile, profile);
      return { results, profile, resultsPath, profilePath: paths.profile };
    }
    return { results, resultsPath, ...(profile ? { profile } : {}), ...(refused ? { refused } : {}) };
  }
}

/**
 * The points an interrupted run kept, to be reused: only when it was the same
 * machine, level, thread counts, ops and kernels (anything else would mix
 * measurements of different runs, or drop ops). Suspect points are measured again.
 */
function resumable(o: TuneOptions, paths: ReturnType<typeof outputPaths>, slug: string, threads: readonly number[], kernels: KernelBuild): Map<string, PointResult> {
  const from = existsSync(paths.partial) ? paths.partial : paths.results;
  let earlier: TuneResults;
  try {
    earlier = readResults(from);
  } catch (err) {
    throw new Error(`--resume: ${(err as Error).message}; run without --resume to start afresh`);
  }
  const opsOf = (ops: readonly string[] | undefined) => (ops ? [...ops].sort().join(",") : "all");
  if (opsOf(earlier.run.ops) !== opsOf(o.ops)) {
    throw new Error(`--resume: the earlier run tuned ops ${opsOf(earlier.run.ops)}, this one asks for ${opsOf(o.ops)}; ` +
      `resume with the same --ops, or start afresh without --resume`);
  }
  if (earlier.machine.slug !== slug) throw new Error(`--resume: ${from} is for ${earlier.machine.slug}, this is ${slug}`);
  if (earlier.run.level !== o.level || earlier.run.threads.join() !== threads.join()) {
    throw new Error(`--resume: ${from} was a --level ${earlier.run.level} run on threads ${earlier.run.threads.join(",")}; ` +
      `resume with the same options, or start afresh without --resume`);
  }
  if (earlier.run.kernels && earlier.run.kernels.wasmSha256 !== kernels.wasmSha256) {
    throw new Error(`--resume: ${from} was measured with other kernels (wasm ${earlier.run.kernels.wasmSha256.slice(0, 12)}, ` +
      `these are ${kernels.wasmSha256.slice(0, 12)}); start afresh without --resume`);
  }
  return new Map([...earlier.points, ...earlier.heldOut].filter((p) => !p.suspect).map((p) => [p.key, p]));
}

/** What the fit phase says about its data: disagreements, noisy points, drifted data. */
function fitWarnings(points: readonly PointResult[], fits: TuneResults["fits"]): string[] {
  const out: string[] = [];
  for (const [op, list] of Object.entries(fits)) {
    for (const f of list ?? []) if (f.disagreements.length > 0) out.push(`${op} on ${f.threads} threads: ${f.disagreements.length} measured point(s) outside the interval disagree with the threshold`);
  }
  const noisy = points.filter((p) => p.noisy).length;
  if (noisy > 0) out.push(`${noisy} point(s) stayed noisy (median interval wider than ${fmtPercent(LIMITS.noisyWidth)}) after a second measurement`);
  const drifted = points.filter((p) => p.dataIssue);
  if (drifted.length > 0) {
    out.push(`${drifted.length} point(s) left subnormal or non-finite outputs even on fresh data (${drifted.slice(0, 3).map((p) => p.key).join("; ")}): ` +
      `their times are suspect (subnormal floats are 10-100x slower on some CPUs)`);
  }
  return out;
}

/** The layer proof's variants: the tuned profile against serial, all-parallel and the built-in defaults, on one engine. */
function layerVariants(engine: Engine, tuned: Profile, defaults: Profile, spinMicros: number): LayerVariant[] {
  const top = engine.threads;
  const as = (policy: "serial" | "parallel" | "profile", p: Profile) => () => {
    engine.useProfile(p);
    engine.setPolicy(policy);
    engine.spinMicros = spinMicros;
  };
  return [
    { name: "tuned profile", threads: top, configure: as("profile", tuned) },
    { name: "serial", threads: 1, configure: as("serial", tuned) },
    { name: "parallel", threads: top, configure: as("parallel", tuned) },
    { name: "built-in defaults", threads: top, configure: as("profile", defaults) },
  ];
}

/** Puts what the sentinel saw into the results and, when it saw a slow state, into the warnings. */
function summariseHealth(results: TuneResults & Required<Pick<TuneResults, "health">>, sweeps: readonly SweepOutcome[], end: readonly SentinelVerdict[], sentinel: Sentinel): void {
  const s = results.health.sentinel;
  s.verdicts = [...sweeps.flatMap((w) => w.verdicts), ...end];
  s.remeasured = sweeps.reduce((n, w) => n + w.remeasured, 0);
  s.suspect = [...results.points, ...results.heldOut].filter((p) => p.suspect).length;
  const slow = s.verdicts.filter((v) => v !== "ok").length;
  if (slow === 0) return;
  const worst = sentinel.worst();
  const what = `the sentinel (${s.description}) saw a slow state ${slow} time(s): up to ${worst.parallel.toFixed(1)}x its best in parallel, ` +
    `fork-join up to ${worst.forkJoin.toFixed(1)}x`;
  results.warnings.push(s.suspect > 0
    ? `${what}; ${s.remeasured} point(s) were measured again, ${s.suspect} could not be and are marked suspect and left out of the fits: ` +
      `the machine was busy or the process slow, so run crossover tune again on an idle machine`
    : `${what}; the ${s.remeasured} point(s) measured meanwhile were measured again once it passed`);
}

/** Round-robin over ops, so a budget cut leaves every op with a coarse sweep. */
export function interleaveByOp(points: readonly GridPoint[]): GridPoint[] {
  const byOp = new Map<string, GridPoint[]>();
  for (const p of points) byOp.set(p.op, [...(byOp.get(p.op) ?? []), p]);
  // within an op, every other point first: the coarse shape of the curve before its detail
  const queues = [...byOp.values()].map((ps) => [...ps.filter((_, i) => i % 2 === 0), ...ps.filter((_, i) => i % 2 === 1)]);
  const out: GridPoint[] = [];
  for (let i = 0; out.length < points.length; i++) for (const q of queues) if (i < q.length) out.push(q[i]);
  return out;
}
