import { performance } from "node:perf_hooks";
import { Bench } from "tinybench";
import type { Engine } from "../engine/engine.js";
import type { BenchCase } from "./bench-shapes.js";
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

interface Prepared {
  run: () => void;
  flops?: number;
  bytes?: number;
  dispose: () => void;
}

function rand(a: Float32Array, scale = 1): Float32Array {
  let s = 12345;
  for (let i = 0; i < a.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    a[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return a;
}

/** Allocates the case's tensors on the engine and returns the call to time, with its work in flops or bytes. */
export function prepare(e: Engine, c: BenchCase): Prepared {
  const s = c.shape;
  const tensors: Array<Parameters<Engine["free"]>[0]> = [];
  const f32 = (n: number, scale = 1) => { const t = rand(e.f32(n), scale); tensors.push(t); return t; };
  const dispose = () => { for (const t of tensors) e.free(t); };
  switch (c.op) {
    case "rope": {
      const n = s.seqLen * s.heads * s.headDim;
      const x = f32(n);
      const positions = Int32Array.from({ length: s.seqLen }, (_, i) => i);
      const shape = { seqLen: s.seqLen, heads: s.heads, headDim: s.headDim, positions };
      return { run: () => e.rope(x, shape), bytes: 2 * n * 4, dispose };
    }
    case "qkNorm": {
      const n = s.seqLen * s.heads * s.headDim;
      const x = f32(n), w = f32(s.headDim);
      const shape = { seqLen: s.seqLen, heads: s.heads, headDim: s.headDim };
      return { run: () => e.qkNorm(x, w, shape), bytes: 2 * n * 4, dispose };
    }
    case "rmsNorm": {
      const n = s.rows * s.dim;
      const x = f32(n), w = f32(s.dim), y = f32(n);
      const shape = { rows: s.rows, dim: s.dim };
      return { run: () => e.rmsNorm(y, x, w, shape), bytes: (2 * n + s.dim) * 4, dispose };
    }
    case "softmax": {
      const n = s.rows * s.n;
      const x = f32(n, 10), y = f32(n);
      const shape = { rows: s.rows, n: s.n };
      return { run: () => e.softmax(y, x, shape), bytes: 2 * n * 4, dispose };
    }
    case "attention": {
      const qn = s.seqLen * s.heads * s.headDim, kn = s.kvLen * s.heads * s.headDim;
      const q = f32(qn), k = f32(kn), v = f32(kn), out = f32(qn);
      const shape = { seqLen: s.seqLen, kvLen: s.kvLen, heads: s.heads, headDim: s.headDim };
      return { run: () => e.attention(out, q, k, v, shape), flops: 4 * s.seqLen * s.kvLen * s.heads * s.headDim, dispose };
    }
    case "matmul.f32":
    case "matmul.q8_0": {
      const wf = f32(s.outDim * s.inDim), x = f32(s.batch * s.inDim), out = f32(s.batch * s.outDim);
      const shape = { batch: s.batch, inDim: s.inDim, outDim: s.outDim };
      if (c.op === "matmul.f32") {
        return { run: () => e.matmul(out, wf, x, shape), flops: 2 * s.batch * s.inDim * s.outDim, bytes: s.outDim * s.inDim * 4, dispose };
      }
      const wq = e.quantizeQ8(wf, s.outDim, s.inDim);
      tensors.push(wq);
      return { run: () => e.matmul(out, wq, x, shape), flops: 2 * s.batch * s.inDim * s.outDim, bytes: wq.bytes.length, dispose };
    }
  }
}

/** How many calls one sample must hold to last about `targetMs`. */
function callsFor(run: () => void, targetMs: number): number {
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
