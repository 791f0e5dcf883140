import { performance } from "node:perf_hooks";
import type { Engine } from "../engine/engine.js";
import type { OpCall } from "../engine/ops/op-call.js";
import { mad, median } from "./stats.js";

export interface ForkJoinResult {
  threads: number;
  /** Workers spinning: back-to-back fork-joins. */
  hotMedianUs: number;
  hotMadUs: number;
  /** Workers asleep in Atomics.wait (the spin window has passed): the wake-up cost. */
  coldMedianUs: number;
  coldMadUs: number;
  spinMicros: number;
  samples: { hot: number; cold: number };
}

/** Blocks the calling thread (no event loop turn), so the workers' spin window can pass. */
function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The cost of one fork-join on `engine`'s pool with next to no work: each
 * thread adds one 16-float slice (a few ns). Hot: batches of back-to-back
 * calls; cold: one call after sleeping past the spin window.
 */
export function measureForkJoin(engine: Engine, opts: { hotBatches?: number; coldSamples?: number } = {}): ForkJoinResult {
  const pool = engine.workerPool;
  if (!pool) throw new Error("measureForkJoin: the engine has no worker pool (threads = 1, or the pool failed)");
  const threads = pool.size;
  const n = 16 * threads;
  const a = engine.f32(n);
  const call: OpCall = { op: "add", work: n, kernel: "add", args: [a.byteOffset, a.byteOffset, a.byteOffset], units: n, grain: 16 };
  const noop = () => 0;
  try {
    const hot: number[] = [];
    const perBatch = 2000;
    for (let i = 0; i < 200; i++) pool.run(call, threads, noop); // wake and warm
    for (let b = 0; b < (opts.hotBatches ?? 30); b++) {
      const t0 = performance.now();
      for (let i = 0; i < perBatch; i++) pool.run(call, threads, noop);
      hot.push(((performance.now() - t0) * 1000) / perBatch);
    }
    const cold: number[] = [];
    const wait = engine.spinMicros / 1000 + 2;
    for (let s = 0; s < (opts.coldSamples ?? 30); s++) {
      sleepMs(wait);
      const t0 = performance.now();
      pool.run(call, threads, noop);
      cold.push((performance.now() - t0) * 1000);
    }
    return {
      threads, spinMicros: engine.spinMicros,
      hotMedianUs: median(hot), hotMadUs: mad(hot), coldMedianUs: median(cold), coldMadUs: mad(cold),
      samples: { hot: hot.length, cold: cold.length },
    };
  } finally {
    engine.free(a);
  }
}
