import os from "node:os";
import { join } from "node:path";
import { createEngine } from "../engine/engine.js";
import { defaultProfile } from "../engine/profile/defaults.js";
import type { Profile, ProfileOp } from "../engine/profile/types.js";
import { writeJsonAtomic } from "../io/atomic-write.js";
import { fitAll } from "./fit-all.js";
import { gridFamilies, gridPoints, heldOutPoints, LEVEL_SPECS, type GridPoint, type Level } from "./grid.js";
import { benchLayer, type LayerVariant } from "./layer-bench.js";
import { machineInfo } from "./machine.js";
import { measurePoint, type PointResult } from "./measure-point.js";
import { WeightCache } from "./op-runner.js";
import { measureForkJoin } from "./pool-bench.js";
import { buildProfile } from "./profile-writer.js";
import { regret } from "./regret.js";
import { readResults, type TuneResults } from "./results.js";
import { chooseSpin } from "./spin-choice.js";
import { runSweep, type SweepProgress } from "./sweep.js";

export interface TuneOptions {
  level: Level;
  /** Cap on the whole run, ms (default: the level's). */
  budgetMs?: number;
  threads: number[];
  ops?: ProfileOp[];
  /** Folder that receives profiles/<slug>.json and reports/<slug>/results.json. */
  outDir: string;
  resume: boolean;
  tool: string;
  command: string;
}

export interface TuneHooks {
  onPoint?: (r: PointResult, p: SweepProgress) => void;
  onPhase?: (message: string) => void;
  shouldStop?: () => boolean;
}

export interface TuneOutcome {
  results: TuneResults;
  profile?: Profile;
  resultsPath: string;
  profilePath?: string;
}

const MARGIN = 0.03;

export function outputPaths(outDir: string, slug: string): { results: string; profile: string } {
  return { results: join(outDir, "reports", slug, "results.json"), profile: join(outDir, "profiles", `${slug}.json`) };
}

/**
 * The whole tuning run: the pool (fork-join, spin window), the grid sweep with
 * refinement, the fits, the profile, the held-out regret and the layer under
 * each policy, all inside the budget. Results are saved after every point, so
 * an interrupted run can resume.
 */
export async function tune(o: TuneOptions, hooks: TuneHooks = {}): Promise<TuneOutcome> {
  const spec = LEVEL_SPECS[o.level];
  const budgetMs = o.budgetMs ?? spec.budgetSeconds * 1000;
  const t0 = performance.now();
  const now = () => performance.now();
  const left = () => budgetMs - (now() - t0);
  const phase = hooks.onPhase ?? (() => {});
  const machine = machineInfo();
  const paths = outputPaths(o.outDir, machine.slug);
  const threads = [...new Set([1, ...o.threads])].sort((a, b) => a - b);
  const top = Math.max(...threads);
  const warnings: string[] = [];

  let done = new Map<string, PointResult>();
  if (o.resume) {
    let earlier: TuneResults;
    try {
      earlier = readResults(paths.results);
    } catch (err) {
      throw new Error(`--resume: ${(err as Error).message}; run without --resume to start afresh`);
    }
    if (earlier.machine.slug !== machine.slug) throw new Error(`--resume: ${paths.results} is for ${earlier.machine.slug}, this is ${machine.slug}`);
    if (earlier.run.level !== o.level || earlier.run.threads.join() !== threads.join()) {
      throw new Error(`--resume: ${paths.results} was a --level ${earlier.run.level} run on threads ${earlier.run.threads.join(",")}; ` +
        `resume with the same options, or start afresh without --resume`);
    }
    done = new Map([...earlier.points, ...earlier.heldOut].map((p) => [p.key, p]));
    phase(`resuming: ${done.size} points already measured in ${paths.results}`);
  }

  const engine = await createEngine({ threads: top, policy: "parallel", onWarning: (m) => warnings.push(m) });
  // what the engine loads here today: the report compares it with what this run recommends
  const before = engine.profile;
  if (top > os.availableParallelism()) warnings.push(`measured ${top} threads on ${os.availableParallelism()} available CPUs: oversubscribed`);
  const cache = new WeightCache(engine);
  const results: TuneResults = {
    $schema: "../../schema/results.schema.json",
    schemaVersion: 1, kind: "crossover-results", complete: false,
    machine: { ...machine, node: machine.node!, v8: machine.v8! },
    run: {
      level: o.level, budgetSeconds: budgetMs / 1000, startedAt: new Date().toISOString(), durationSeconds: 0, threads,
      oversubscribed: top > os.availableParallelism(), backend: "wasm", ...(o.ops ? { ops: o.ops } : {}), tool: o.tool, command: o.command,
      sampleMs: spec.sampleMs, rounds: spec.rounds, margin: MARGIN, loadBefore: machine.loadAverage, loadAfter: [], stoppedBy: "done",
    },
    points: [], heldOut: [], fits: {}, pool: { forkJoin: [], spin: { chosen: engine.spinMicros, candidates: [] } }, layer: [],
    regret: { rows: [], geomean: 1, max: 1 }, warnings,
    ...(before.source !== "defaults" ? { previous: { source: before.source, ...(before.path ? { path: before.path } : {}), profile: before.data } } : {}),
  };
  let savedAt = -Infinity;
  const save = () => {
    results.run.durationSeconds = (now() - t0) / 1000;
    writeJsonAtomic(paths.results, results);
    savedAt = now();
  };
  // Saving a large results file after every point (stringify, write, fsync) disturbed the
  // next points' parallel timings (parallel rope points 2 us slower, in bursts): save at
  // most every 5 s during the sweep, and always at the end or on interruption.
  const saveSoon = () => {
    if (now() - savedAt > 5000) save();
  };

  try {
    // 1. the pool itself
    if (top > 1) {
      phase("pool: fork-join cost, hot and after sleep");
      results.pool.forkJoin.push(measureForkJoin(engine, o.level === "quick" ? { hotBatches: 10, coldSamples: 10 } : {}));
      phase("pool: choosing the spin window");
      const candidates = o.level === "quick" ? [0, 50, 200] : [0, 25, 50, 100, 200, 500];
      results.pool.spin = chooseSpin(engine, "gemma-3-270m", candidates, Math.min(o.level === "quick" ? 1500 : 4000, budgetMs * 0.03));
      engine.spinMicros = results.pool.spin.chosen;
    }

    // 2. the grid, then refinement where winners change
    const families = gridFamilies(o.level, o.ops);
    const measure = (p: GridPoint) => measurePoint(engine, p, threads, spec, cache);
    const onPoint = (r: PointResult, p: SweepProgress) => {
      (p.phase === "held-out" ? results.heldOut : results.points).push(r);
      saveSoon();
      hooks.onPoint?.(r, p);
    };
    const firstGuessMs = spec.sampleMs * threads.length * 1.6 + 15;
    const sweep = await runSweep({
      points: interleaveByOp(gridPoints(families)), families, refinePasses: spec.refinePasses,
      budgetMs: Math.max(0, left() - budgetMs * 0.27), now, measure, done, shouldStop: hooks.shouldStop, onPoint, firstGuessMs,
    });
    results.points = sweep.results;
    results.run.skippedPoints = sweep.skipped.length;
    results.run.resumedPoints = sweep.results.filter((r) => done.has(r.key)).length;
    results.run.stoppedBy = sweep.stoppedBy;
    if (sweep.skipped.length > 0) warnings.push(`${sweep.skipped.length} grid points did not fit in the budget and were not measured`);
    cache.clear();
    if (sweep.stoppedBy === "interrupt") return finish(false);

    // 3. fit and write the profile
    phase("fitting crossovers");
    results.fits = fitAll(results.points, threads, MARGIN);
    for (const [op, fits] of Object.entries(results.fits)) {
      for (const f of fits ?? []) if (f.disagreements.length > 0) warnings.push(`${op} on ${f.threads} threads: ${f.disagreements.length} measured point(s) outside the interval disagree with the threshold`);
    }
    const noisy = results.points.filter((p) => p.noisy).length;
    if (noisy > 0) warnings.push(`${noisy} point(s) stayed noisy (median interval wider than 10%) after a second measurement`);
    const profile = buildProfile({
      machine, date: new Date().toISOString(), tool: o.tool, level: o.level, durationSeconds: (now() - t0) / 1000,
      threads, loadAverage: os.loadavg().map((v) => Math.round(v * 100) / 100), spinMicros: results.pool.spin.chosen,
      forkJoinHotMicros: results.pool.forkJoin[0]?.hotMedianUs, forkJoinColdMicros: results.pool.forkJoin[0]?.coldMedianUs,
      notes: warnings.slice(),
    }, results.fits);

    // 4. held-out shapes: the profile's choice against the best measured
    phase("held-out shapes");
    const held = await runSweep({
      phase: "held-out", points: heldOutPoints(o.ops), budgetMs: Math.max(0, left() - budgetMs * 0.16), now, measure, done,
      shouldStop: hooks.shouldStop, onPoint, firstGuessMs,
    });
    results.heldOut = held.results;
    results.regret = regret(profile, results.heldOut, top);
    if (held.stoppedBy === "interrupt") return finish(false, profile);

    // 5. the layer under each policy
    if (!o.ops) {
      phase(`layer: ${spec.layer.preset} ${spec.layer.weights}, prefill 128, decode at 512 and 4096 cached, per policy`);
      const as = (policy: "serial" | "parallel" | "profile", p: Profile) => () => {
        engine.useProfile(p);
        engine.setPolicy(policy);
        engine.spinMicros = results.pool.spin.chosen;
      };
      const variants: LayerVariant[] = [
        { name: "tuned profile", threads: top, configure: as("profile", profile) },
        { name: "serial", threads: 1, configure: as("serial", profile) },
        { name: "parallel", threads: top, configure: as("parallel", profile) },
        { name: "built-in defaults", threads: top, configure: as("profile", defaultProfile(top)) },
      ];
      const steps = [{ step: "prefill", tokens: 128 }, { step: "decode", tokens: 512 }, { step: "decode", tokens: 4096 }] as const;
      results.layer = benchLayer(engine, spec.layer.preset, spec.layer.weights, variants, Math.max(500, left() * 0.6), steps);
    }
    return finish(true, profile);
  } finally {
    cache.clear();
    engine.close();
  }

  function finish(complete: boolean, profile?: Profile): TuneOutcome {
    results.complete = complete;
    results.run.endedAt = new Date().toISOString();
    results.run.loadAfter = os.loadavg().map((v) => Math.round(v * 100) / 100);
    if (!complete) results.run.stoppedBy = "interrupt";
    save();
    if (complete && profile) {
      profile.tuning.durationSeconds = Math.round(results.run.durationSeconds);
      writeJsonAtomic(paths.profile, profile);
      return { results, profile, resultsPath: paths.results, profilePath: paths.profile };
    }
    return { results, resultsPath: paths.results };
  }
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
