import { performance } from "node:perf_hooks";
import type { Engine } from "../engine/engine.js";
import { cpuLoadBetween, cpuSnapshot, type CpuSnapshot } from "./cpu-load.js";
import { prepareOp } from "./op-runner.js";
import { hotForkJoinUs } from "./pool-bench.js";
import { LIMITS } from "../results/limits.js";
import { median } from "./stats.js";
import type { SentinelMeasures, SentinelReading, SentinelVerdict } from "../results/types.js";

export interface SentinelOptions {
  read: () => Promise<SentinelMeasures> | SentinelMeasures;
  now: () => number;
  /** Waits `ms` while the state may recover; the default yields to the event loop. */
  pause?: (ms: number) => Promise<void>;
  intervalMs?: number;
  factor?: number;
}

/** Pauses before re-reading a slow state: 0.25 s, then 0.5, 1, 2 (about 4 s in all). */
const PAUSES_MS = [250, 500, 1000, 2000];

export class Sentinel {
  readonly readings: SentinelReading[] = [];
  readonly factor: number;
  private readonly intervalMs: number;
  private readonly pause: (ms: number) => Promise<void>;
  private readonly t0: number;
  private best = { forkJoinUs: Infinity, parallelUs: Infinity };
  private lastAt = -Infinity;

  constructor(private readonly o: SentinelOptions) {
    this.factor = o.factor ?? LIMITS.sentinelFactor;
    this.intervalMs = o.intervalMs ?? LIMITS.sentinelIntervalMs;
    this.pause = o.pause ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.t0 = o.now();
  }

  /** Whether the interval since the last reading has passed. */
  due(): boolean {
    return this.o.now() - this.lastAt >= this.intervalMs;
  }

  /** Reads the state; a slow reading is re-read after growing pauses until it recovers or the pauses run out. */
  async check(): Promise<SentinelVerdict> {
    const before = { ...this.best };
    let r = await this.take();
    if (!r.slow) {
      const faster = Number.isFinite(before.parallelUs) &&
        (r.parallelUs * this.factor < before.parallelUs || r.forkJoinUs * this.factor < before.forkJoinUs);
      return faster ? "faster" : "ok";
    }
    for (const ms of PAUSES_MS) {
      await this.pause(ms);
      r = await this.take();
      if (!r.slow) return "recovered";
    }
    return "slow";
  }

  /** The worst reading against the run's best, as factors. */
  worst(): { parallel: number; forkJoin: number } {
    const best = this.best;
    return {
      parallel: Math.max(1, ...this.readings.map((r) => r.parallelUs / best.parallelUs)),
      forkJoin: Math.max(1, ...this.readings.map((r) => r.forkJoinUs / best.forkJoinUs)),
    };
  }

  private async take(): Promise<SentinelReading> {
    const m = await this.o.read();
    this.lastAt = this.o.now();
    const slow = m.parallelUs > this.factor * this.best.parallelUs || m.forkJoinUs > this.factor * this.best.forkJoinUs;
    if (!slow) {
      this.best.parallelUs = Math.min(this.best.parallelUs, m.parallelUs);
      this.best.forkJoinUs = Math.min(this.best.forkJoinUs, m.forkJoinUs);
    }
    const r = { atSeconds: (this.lastAt - this.t0) / 1000, ...m, slow };
    this.readings.push(r);
    return r;
  }
}

/** The sentinel op's shape for `threads`: rope, the op that suffered most in slow states, about 2-5 us per thread. */
export function sentinelShape(threads: number): { seqLen: number; heads: number; headDim: number } {
  return { seqLen: 24 * threads, heads: 12, headDim: 64 };
}

/**
 * Measures the sentinel on `engine`: the hot fork-join and a small rope,
 * serial and on the most threads the CPUs hold (`cpus`: a count past them is
 * oversubscribed by choice, and slow by design, not a slow state), a few ms
 * in all, plus what other processes took of the CPUs since the last reading.
 */
export function engineSentinel(engine: Engine, cpus: number): { read: () => SentinelMeasures; dispose: () => void; description: string } {
  const threads = Math.max(1, Math.min(engine.threads, cpus));
  const shape = sentinelShape(threads);
  const op = prepareOp(engine, "rope", shape);
  let last: CpuSnapshot = cpuSnapshot();
  const perCall = (policy: 1 | number) => {
    engine.setPolicy(policy);
    const batches: number[] = [];
    for (let b = 0; b < 15; b++) {
      const t0 = performance.now();
      for (let i = 0; i < 50; i++) op.run();
      batches.push(((performance.now() - t0) * 1000) / 50);
    }
    return median(batches);
  };
  return {
    description: `hot fork-join and rope ${shape.seqLen}x${shape.heads}x${shape.headDim} serial and on ${threads} threads`,
    read: () => {
      const policy = engine.policy;
      try {
        const forkJoinUs = engine.workerPool && threads > 1 ? hotForkJoinUs(engine, threads) : 0;
        const serialUs = perCall(1), parallelUs = perCall(threads);
        const now = cpuSnapshot();
        const load = cpuLoadBetween(last, now);
        last = now;
        return { forkJoinUs, serialUs, parallelUs, othersCpus: round2(load.othersCpus), stealCpus: round2(load.stealCpus) };
      } finally {
        engine.setPolicy(policy);
      }
    },
    dispose: op.dispose,
  };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
