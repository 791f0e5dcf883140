import type { Engine } from "../engine/engine.js";
import type { BenchCase } from "./bench-shapes.js";
import type { ProfileOp } from "../engine/profile/types.js";
import { planWork } from "../engine/plan-work.js";
import { measurePoint } from "./measure-point.js";

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
function profileOp(c: BenchCase): ProfileOp {
  return c.op === "attention" ? (c.shape.seqLen === 1 ? "attention.decode" : "attention.prefill") : c.op;
}

/**
 * Times one case on each thread count with the tuner's point measurement (one
 * engine, its policy switched per variant, interleaved rounds), and adds the
 * throughput of each.
 */
export async function benchCase(engine: Engine, c: BenchCase, threads: readonly number[], timeMs: number): Promise<KernelBenchResult[]> {
  const op = profileOp(c);
  const point = { op, shape: c.shape, work: planWork(op, c.shape).work, key: `${op} ${c.label}`, family: "bench" };
  const r = await measurePoint(engine, point, threads, { sampleMs: timeMs, rounds: 3 });
  return r.variants.map((v) => ({
    op: c.op, label: c.label, backend: engine.backend, threads: v.threads, shape: c.shape,
    medianNs: v.medianNs, madNs: v.madNs, samples: v.samples, callsPerSample: v.callsPerSample,
    ...(r.flops ? { gflops: r.flops / v.medianNs } : {}),
    ...(r.bytes ? { gbps: r.bytes / v.medianNs } : {}),
  }));
}
