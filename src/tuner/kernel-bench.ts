import type { Engine } from "../engine/engine.js";
import { OPS, PROFILE_OPS, type ProfileOp } from "../engine/ops/descriptors.js";
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

/** One shape `crossover bench` measures: the reference document's, from the op's descriptor. */
export interface BenchCase {
  op: ProfileOp;
  /** A short name like the reference document's (SingleQuery_16h, Large_1x2048x2048). */
  label: string;
  shape: Record<string, number>;
}

export const BENCH_CASES: readonly BenchCase[] = PROFILE_OPS.flatMap((op) => (OPS[op].bench ?? []).map((b) => ({ op, ...b })));

/**
 * Times one case on each thread count with the tuner's point measurement (one
 * engine, its policy switched per variant, interleaved rounds), and adds the
 * throughput of each.
 */
export async function benchCase(engine: Engine, c: BenchCase, threads: readonly number[], timeMs: number): Promise<KernelBenchResult[]> {
  const op = c.op;
  const point = { op, shape: c.shape, work: planWork(op, c.shape).work, key: `${op} ${c.label}`, family: "bench" };
  const r = await measurePoint(engine, point, threads, { sampleMs: timeMs, rounds: 3 });
  return r.variants.map((v) => ({
    op: c.op, label: c.label, backend: engine.backend, threads: v.threads, shape: c.shape,
    medianNs: v.medianNs, madNs: v.madNs, samples: v.samples, callsPerSample: v.callsPerSample,
    ...(r.flops ? { gflops: r.flops / v.medianNs } : {}),
    ...(r.bytes ? { gbps: r.bytes / v.medianNs } : {}),
  }));
}
