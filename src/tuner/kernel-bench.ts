import { performance } from "node:perf_hooks";
import { Bench } from "tinybench";
import type { Engine } from "../engine/engine.js";
import type { BenchCase } from "./bench-shapes.js";
import type { ProfileOp } from "../engine/profile/types.js";
import { prepareOp, type PreparedOp } from "./op-runner.js";
import { mad, median } from "./stats.js";

/** One kernel, one backend, one shape: its median time per call and throughput. */
export interface KernelBenchResult {
  op: string;
  label: string;
  backend: string;
  threads: number;
  shape: Record<string, number>;
  /** Median time of one call, nanoseconds. */
  medianNs: number;
  /** Median absolute deviation of the samples, nanoseconds. */
  madNs: number;
  samples: number;
  /** Calls timed together per sample (so a sample lasts well above the timer's resolution). */
  callsPerSample: number;
  gflops?: number;
  gbps?: number;
}

/** The bench's op names are the engine's; the profile splits attention by seqLen. */
function prepare(e: Engine, c: BenchCase): PreparedOp {
  const op: ProfileOp = c.op === "attention" ? (c.shape.seqLen === 1 ? "attention.decode" : "attention.prefill") : c.op;
  return prepareOp(e, op, c.shape);
}

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

export interface Variant {
  /** Engines differ only in threads and policy: the same case runs on each. */
  engine: Engine;
  threads: number;
}

/**
 * Times one case on several engines (1, 2, ... threads), interleaved: `rounds`
 * rounds, each running every variant in a rotated order, so drift and noise
 * hit all of them alike. Short calls are batched so a sample lasts >= 0.2 ms.
 * Median and MAD over all samples of a variant.
 */
export async function benchVariants(variants: Variant[], c: BenchCase, timeMs: number, rounds = 3): Promise<KernelBenchResult[]> {
  const prepared = variants.map((v) => prepare(v.engine, c));
  try {
    // a sample of at least 0.2 ms: far above the timer's ~40 ns resolution and call overhead
    const ks = prepared.map((p) => callsFor(p.run, 0.2));
    const samples: number[][] = variants.map(() => []);
    for (let r = 0; r < rounds; r++) {
      const bench = new Bench({ time: timeMs / rounds / variants.length, warmupTime: Math.max(5, timeMs / 8 / rounds), iterations: 5, retainSamples: true });
      const order = variants.map((_, i) => (i + r) % variants.length);
      for (const i of order) {
        const p = prepared[i], k = ks[i];
        // the whole batch's time: tinybench counts overridden durations against its time budget
        bench.add(String(i), () => {
          const t0 = performance.now();
          for (let j = 0; j < k; j++) p.run();
          return { overriddenDuration: performance.now() - t0 };
        });
      }
      await bench.run();
      for (const task of bench.tasks) {
        const res = task.result;
        if (res.state !== "completed") throw new Error(`benchmark ${c.op} ${c.label} did not complete (${res.state})`);
        const i = Number(task.name);
        for (const batch of res.latency.samples ?? []) samples[i].push(batch / ks[i]);
      }
    }
    return variants.map((v, i) => {
      const medianMs = median(samples[i]);
      const p = prepared[i];
      const out: KernelBenchResult = {
        op: c.op, label: c.label, backend: v.engine.backend, threads: v.threads, shape: c.shape,
        medianNs: medianMs * 1e6, madNs: mad(samples[i]) * 1e6, samples: samples[i].length, callsPerSample: ks[i],
      };
      if (p.flops) out.gflops = p.flops / (medianMs * 1e6);
      if (p.bytes) out.gbps = p.bytes / (medianMs * 1e6);
      return out;
    });
  } finally {
    for (const p of prepared) p.dispose();
  }
}

/** Times one case on one engine. */
export async function benchCase(e: Engine, c: BenchCase, timeMs: number): Promise<KernelBenchResult> {
  return (await benchVariants([{ engine: e, threads: e.threads }], c, timeMs, 1))[0];
}
