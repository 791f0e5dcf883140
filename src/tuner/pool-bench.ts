import { performance } from "node:perf_hooks";
import type { Engine } from "../engine/engine.js";
import type { PoolJob } from "../engine/pool/job.js";
import { mad, median } from "./stats.js";
import type { ForkJoinResult } from "../results/types.js";

/** Blocks the calling thread (no event loop turn), so the workers' spin window can pass. */
function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** An empty fork-join on `threads` of `engine`'s pool (default all): each thread adds one 16-float slice of zeros (a few ns). */
function emptyCall(engine: Engine, count?: number): { run: () => void; threads: number; dispose: () => void } {
  const pool = engine.workerPool;
  if (!pool) throw new Error("measureForkJoin: the engine has no worker pool (threads = 1, or the pool failed)");
  const threads = Math.min(count ?? pool.size, pool.size);
  const n = 16 * threads;
  const a = engine.f32(n); // zeros: 0 + 0 stays 0 however often it runs
  const call: PoolJob = { kernel: "add", args: [a.byteOffset, a.byteOffset, a.byteOffset], units: n, grain: 16 };
  const noop = () => 0;
  return { run: () => engine.forkJoin(call, threads, noop), threads, dispose: () => engine.free(a) };
}

/** Per fork-join, us: batches of 2000 back-to-back calls while the workers spin. */
function hotSamples(run: () => void, batches: number): number[] {
  const hot: number[] = [];
  const perBatch = 2000;
  for (let i = 0; i < 200; i++) run(); // wake and warm
  for (let b = 0; b < batches; b++) {
    const t0 = performance.now();
    for (let i = 0; i < perBatch; i++) run();
    hot.push(((performance.now() - t0) * 1000) / perBatch);
  }
  return hot;
}

/** The median hot fork-join on `threads` of `engine`'s pool (default all), us: a few ms of measuring. */
export function hotForkJoinUs(engine: Engine, threads?: number, batches = 5): number {
  const empty = emptyCall(engine, threads);
  try {
    return median(hotSamples(empty.run, batches));
  } finally {
    empty.dispose();
  }
}

/**
 * The cost of one fork-join on `engine`'s pool with next to no work. Hot:
 * batches of back-to-back calls; cold: one call after sleeping past the spin window.
 */
export function measureForkJoin(engine: Engine, opts: { hotBatches?: number; coldSamples?: number; threads?: number } = {}): ForkJoinResult {
  const empty = emptyCall(engine, opts.threads);
  try {
    const hot = hotSamples(empty.run, opts.hotBatches ?? 30);
    const cold: number[] = [];
    const wait = engine.spinMicros / 1000 + 2;
    for (let s = 0; s < (opts.coldSamples ?? 30); s++) {
      sleepMs(wait);
      const t0 = performance.now();
      empty.run();
      cold.push((performance.now() - t0) * 1000);
    }
    return {
      threads: empty.threads, spinMicros: engine.spinMicros,
      hotMedianUs: median(hot), hotMadUs: mad(hot), coldMedianUs: median(cold), coldMadUs: mad(cold),
      samples: { hot: hot.length, cold: cold.length },
    };
  } finally {
    empty.dispose();
  }
}
