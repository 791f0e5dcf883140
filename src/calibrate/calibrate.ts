// Calibration: a machine no profile names gets thresholds measured in well
// under a second, from the same model the tuner fits (fastest count per range
// of work), instead of the reference document's fixed rules (which keep every
// matmul serial: half speed on most machines).
import type { Engine } from "../engine/engine.js";
import { PROFILE_OPS } from "../engine/ops/descriptors.js";
import { thisKernelBuild } from "../engine/profile/kernel-build.js";
import type { Profile } from "../engine/profile/types.js";
import type { ForkJoinResult, GridPoint, PointResult } from "../results/types.js";
import { fitAllRanges } from "../tuner/fit-all.js";
import { gridFamilies, gridPoints, spreadByWork } from "../tuner/grid.js";
import { machineInfo } from "../tuner/machine.js";
import { prepareOp, WeightCache } from "../tuner/op-runner.js";
import { measureForkJoin } from "../tuner/pool-bench.js";
import { buildProfile } from "../tuner/profile-writer.js";
import { threadLadder } from "../tuner/thread-ladder.js";
import { VERSION } from "../version.js";

/** What a calibration costs: budgetMs is its aim (every op still gets its minSizesPerOp smallest sizes); and per point. */
export const CALIBRATION = { budgetMs: 700, samples: 5, batchMs: 0.1, sizesPerOp: 7, minSizesPerOp: 2, slowestCallMs: 0.4, spinMicros: 20_000, warmCalls: 3 } as const;

export interface Calibration {
  profile: Profile;
  ms: number;
  points: number;
}

/**
 * Measures `engine`'s machine briefly: the fork-join per count, then per op
 * a few points of the tuner's grid spread over its range of work, across its
 * families (smallest first, stopping before a call would take over 0.4 ms), on
 * every count of the thread ladder.
 */
export function calibrate(engine: Engine, now: () => number = () => performance.now()): Calibration {
  const t0 = now();
  const counts = threadLadder(engine.threads).filter((t) => t <= engine.threads);
  const policy = engine.policy;
  const spin = engine.spinMicros;
  // workers keep spinning through the serial batches: one that slept runs its first ~1.5 ms of slices 2-5x
  // slower (its core clocked down), and 0.1-ms batches after a sleep made parallel look slow (all-serial rules, 1 run in 3)
  engine.spinMicros = CALIBRATION.spinMicros;
  const cache = new WeightCache(engine);
  const points: PointResult[] = [];
  const forkJoin: ForkJoinResult[] = [];
  try {
    for (const t of counts.filter((c) => c > 1)) forkJoin.push(measureForkJoin(engine, { threads: t, hotBatches: 3, coldSamples: 3 }));
    const perOp = CALIBRATION.budgetMs / PROFILE_OPS.length;
    for (const op of PROFILE_OPS) {
      const opStart = now();
      let last: PointResult | undefined;
      let measured = 0;
      for (const p of spreadByWork(gridPoints(gridFamilies("standard", [op])), CALIBRATION.sizesPerOp)) {
        // the next size would take too long (estimated from the last, by work): stop this op here
        const serialNs = last?.variants.find((v) => v.threads === 1)?.medianNs;
        if (last && serialNs !== undefined && (serialNs * p.work) / last.work > CALIBRATION.slowestCallMs * 1e6) break;
        // out of time: but every op gets its smallest sizes (a few ms in all), so a busy start that used up
        // the budget early does not leave the last ops without a rule (CI: 9 of 12 ops fitted once)
        if (measured >= CALIBRATION.minSizesPerOp && (now() - opStart > perOp || now() - t0 > CALIBRATION.budgetMs)) break;
        last = quickPoint(engine, p, counts, cache);
        points.push(last);
        measured++;
      }
    }
  } finally {
    cache.clear();
    engine.setPolicy(policy);
    engine.spinMicros = spin;
  }
  const machine = machineInfo();
  const ms = now() - t0;
  const profile = buildProfile({
    machine, date: new Date().toISOString(), tool: `crossover ${VERSION} (calibration)`, level: "calibrated", durationSeconds: ms / 1000,
    threads: counts, loadAverage: machine.loadAverage, spinMicros: engine.spinMicros, forkJoin,
    notes: [`calibrated when an engine started: ${points.length} points in ${Math.round(ms)} ms; run "crossover tune" for a full profile and a report`],
    kernels: thisKernelBuild(engine.wasmBuild),
  }, fitAllRanges(points, counts, undefined, true));
  return { profile, ms, points: points.length };
}

/**
 * A point measured lean: a batch of calls lasting about 0.1 ms per sample, 5
 * samples per count, counts interleaved, the second-lowest (the tuner's measurement
 * takes 30 ms and more per point: tinybench warm-ups, intervals, re-measuring).
 */
function quickPoint(engine: Engine, point: GridPoint, counts: readonly number[], cache: WeightCache): PointResult {
  const t0 = performance.now();
  const prepared = prepareOp(engine, point.op, point.shape, cache);
  try {
    const ks = counts.map((t) => {
      engine.setPolicy(t);
      prepared.run(); // warm: JIT, caches, workers awake
      const s = performance.now();
      prepared.run();
      return Math.max(1, Math.min(1000, Math.ceil(CALIBRATION.batchMs / Math.max(performance.now() - s, 1e-4))));
    });
    const times: number[][] = counts.map(() => []);
    for (let s = 0; s < CALIBRATION.samples; s++) {
      for (let j = 0; j < counts.length; j++) {
        const i = (j + s) % counts.length;
        engine.setPolicy(counts[i]);
        // the first calls after switching count are slow (measured: on 1x1024x1024 Q8_0, 2 untimed calls left
        // parallel 1.04x serial, 3 showed its steady 0.6x): the weights move between the cores' caches
        for (let w = 0; w < CALIBRATION.warmCalls; w++) prepared.run();
        const start = performance.now();
        for (let c = 0; c < ks[i]; c++) prepared.run();
        times[i].push(((performance.now() - start) * 1e6) / ks[i]);
      }
    }
    const variants = counts.map((threads, i) => ({
      threads, medianNs: secondLowest(times[i]), lowNs: Math.min(...times[i]), highNs: Math.max(...times[i]), madNs: 0,
      samples: times[i].length, outliers: 0, callsPerSample: ks[i],
    }));
    return { ...point, variants, noisy: false, attempts: 1, elapsedMs: performance.now() - t0 };
  } finally {
    prepared.dispose();
  }
}

/**
 * The second-lowest sample: a calibration is short and runs while the process
 * starts (V8 compiling and collecting on other cores), and that interference
 * lands on the workers' slices, so a median of 7 made parallel look slow 1 run in 3.
 */
function secondLowest(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(1, s.length - 1)];
}
