import { performance } from "node:perf_hooks";
import { Bench } from "tinybench";
import type { Engine } from "../engine/engine.js";
import { censusOf, dataIssue } from "./data-check.js";
import { yieldToEventLoop } from "./yield.js";
import { prepareOp, type PreparedOp, type WeightCache } from "./op-runner.js";
import type { ProfileOp } from "../engine/profile/types.js";
import { mad, median, medianInterval, outliers } from "./stats.js";
import { LIMITS } from "../results/limits.js";
import type { GridPoint, PointResult, Shape, VariantStats } from "../results/types.js";

/** Builds the call to time: the tuner's is prepareOp; tests inject their own. */
export type Prepare = (e: Engine, op: ProfileOp, shape: Shape, cache?: WeightCache) => PreparedOp;

/** How many calls one sample must hold to last about `targetMs`. */
export function callsFor(run: () => void, targetMs: number): number {
  // warm up first (JIT, caches, workers awake), so the first slow calls do not set k
  for (const t0 = performance.now(); performance.now() - t0 < 5;) run();
  let k = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < k; i++) run();
    const dt = performance.now() - t0;
    if (dt >= targetMs || k >= 1 << 20) return Math.max(1, Math.ceil((k * targetMs) / Math.max(dt, 1e-3)));
    k *= 4;
  }
}

export interface MeasureSpec {
  sampleMs: number;
  rounds: number;
}

/**
 * Measures one point on one engine (threads = the largest count), switching
 * its policy per variant: the same tensors for every thread count. Variants
 * run interleaved, in a rotated order each round; short calls are batched so
 * that a sample lasts >= 0.2 ms. A point whose median interval is too wide is
 * measured once more with twice the time. A point whose outputs came out
 * subnormal or non-finite is measured again on fresh data, and flagged if they
 * still do.
 */
export async function measurePoint(engine: Engine, point: GridPoint, threads: readonly number[], spec: MeasureSpec,
    cache?: WeightCache, prepare: Prepare = prepareOp): Promise<PointResult> {
  const t0 = performance.now();
  const prepared = prepare(engine, point.op, point.shape, cache);
  const policy = engine.policy;
  try {
    let attempts = 0;
    const sample = (factor: number) => {
      attempts++;
      return sampleVariants(engine, prepared.run, threads, spec.sampleMs * factor, spec.rounds);
    };
    let variants = await sample(1);
    if (variants.some(isNoisy)) variants = await sample(2);
    let issue = dataIssue(censusOf(prepared.outputs));
    if (issue) {
      prepared.refill();
      variants = await sample(1);
      issue = dataIssue(censusOf(prepared.outputs));
    }
    return {
      ...point, variants, noisy: variants.some(isNoisy), attempts, elapsedMs: performance.now() - t0,
      ...(prepared.flops ? { flops: prepared.flops } : {}), ...(prepared.bytes ? { bytes: prepared.bytes } : {}),
      ...(issue ? { dataIssue: issue } : {}),
    };
  } finally {
    engine.setPolicy(policy);
    prepared.dispose();
  }
}

function isNoisy(v: VariantStats): boolean {
  return (v.highNs - v.lowNs) / v.medianNs > LIMITS.noisyWidth;
}

async function sampleVariants(engine: Engine, run: () => void, threads: readonly number[], sampleMs: number, rounds: number): Promise<VariantStats[]> {
  const samples = await sampleTimes(engine, run, threads, sampleMs, rounds);
  return threads.map((t, i) => {
    const [lowNs, highNs] = medianInterval(samples[i]);
    return {
      threads: t, medianNs: median(samples[i]), lowNs, highNs, madNs: mad(samples[i]), samples: samples[i].length,
      outliers: outliers(samples[i]), callsPerSample: samples.callsPerSample[i],
    };
  });
}

/**
 * Raw per-call times (ns), one array per thread count: batched samples from
 * interleaved tinybench rounds, the engine's policy switched per variant.
 */
export async function sampleTimes(engine: Engine, run: () => void, threads: readonly number[], sampleMs: number, rounds: number):
    Promise<number[][] & { callsPerSample: number[] }> {
  const ks = threads.map((t) => {
    engine.setPolicy(t);
    return callsFor(run, LIMITS.sampleMinMs);
  });
  const samples: number[][] = threads.map(() => []);
  for (let r = 0; r < rounds; r++) {
    const bench = new Bench({ time: sampleMs / rounds, warmupTime: 2, warmupIterations: 2, iterations: 5, retainSamples: true });
    for (let j = 0; j < threads.length; j++) {
      const i = (j + r) % threads.length;
      const k = ks[i];
      // the whole batch's time: tinybench counts overridden durations against its budget
      bench.add(String(i), () => {
        const s = performance.now();
        for (let c = 0; c < k; c++) run();
        return { overriddenDuration: performance.now() - s };
      }, { beforeAll: () => engine.setPolicy(threads[i]) });
    }
    await bench.run();
    await yieldToEventLoop(); // between rounds: a long point must not hide a Ctrl-C
    for (const task of bench.tasks) {
      const res = task.result;
      if (res.state !== "completed") throw new Error(`measuring ${task.name} did not complete (${res.state})`);
      const i = Number(task.name);
      for (const batch of res.latency.samples ?? []) samples[i].push((batch / ks[i]) * 1e6);
    }
  }
  return Object.assign(samples, { callsPerSample: ks });
}
