// The results contract: what one tuning run measured and fitted
// (schema/results.schema.json). The tuner writes it, the report reads it, and
// neither needs the other to know its shape.
import type { KernelBuild, Profile, ProfileMachine, ProfileOp, WorkRange } from "../engine/profile/types.js";
import type { PresetName } from "../model/config.js";
import type { WeightType } from "../model/weights.js";
import type { Limits } from "./limits.js";

export type Level = "quick" | "standard" | "thorough";

export type Shape = Record<string, number>;

export interface GridPoint {
  op: ProfileOp;
  shape: Shape;
  work: number;
  /** Stable identity, for resume: the op and its shape. */
  key: string;
  family: string;
}

export interface VariantStats {
  threads: number;
  medianNs: number;
  /** 95% interval of the median. */
  lowNs: number;
  highNs: number;
  madNs: number;
  samples: number;
  /** Samples more than 3.5 scaled MADs from the median: flagged, kept. */
  outliers: number;
  callsPerSample: number;
}

export interface PointResult extends GridPoint {
  variants: VariantStats[];
  /** The interval stayed wider than LIMITS.noisyWidth of the median after a second measurement. */
  noisy: boolean;
  /** Times this point was measured (2 when it was too noisy the first time). */
  attempts: number;
  /** Wall time the measurement took, ms. */
  elapsedMs: number;
  /** Work of one call in floating-point operations or bytes moved, where that is the natural rate. */
  flops?: number;
  bytes?: number;
  /** The outputs held subnormal or non-finite values even after a second measurement on fresh data: the times are suspect. */
  dataIssue?: string;
  /** Measured while the sentinel said the process or machine was in a slow state, and not measured again since. */
  suspect?: boolean;
  /** Measured again because the sentinel drifted while (or after) it was first measured. */
  remeasured?: boolean;
}

export interface Line {
  interceptNs: number;
  slopeNs: number;
}

export interface CrossoverFit {
  threads: number;
  /** threshold: parallel from minWork; never: serial at every measured size; always: parallel at every measured size. */
  decision: "threshold" | "never" | "always";
  minWork: number | null;
  interval: { low: number; high: number; level: number } | null;
  serial: Line;
  parallel: Line;
  /** Hysteresis: parallel must be predicted faster by this fraction. */
  margin: number;
  points: number;
  workRange: [number, number];
  /** Measured points outside the interval where the profile's choice is not the measured winner. */
  disagreements: { work: number; label?: string; speedup: number; chosen: "serial" | "parallel" }[];
  reason: string;
}

export type Fits = Partial<Record<ProfileOp, CrossoverFit[]>>;

/** Per op: the fastest thread count in each range of work, as the profile records it. */
export interface RangeFit {
  /** The thread counts compared, 1 included. */
  compared: number[];
  ranges: WorkRange[];
  /** time = intercept + slope * work per count, over all points (for the report's curves). */
  lines: Array<{ threads: number } & Line>;
  margin: number;
  points: number;
  workRange: [number, number];
  reason: string;
}

export interface LayerBenchResult {
  preset: PresetName;
  weights: WeightType;
  variant: string;
  threads: number;
  step: "prefill" | "decode";
  /** prefill: tokens processed; decode: tokens already cached. */
  tokens: number;
  medianMs: number;
  madMs: number;
  samples: number;
}

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

export interface RegretRow {
  key: string;
  op: string;
  work: number;
  /** Threads the profile picks for this shape. */
  chosen: number;
  /** The thread count that measured fastest. */
  best: number;
  /** Time at the profile's choice over the best measured time (1 = the best choice). */
  regret: number;
}

export interface RegretSummary {
  rows: RegretRow[];
  geomean: number;
  max: number;
}

/** One look at the state of the process and machine: the same small work, timed the same way every time. */
export interface SentinelMeasures {
  /** Hot fork-join on all threads, us. */
  forkJoinUs: number;
  /** The sentinel op on one thread and on all threads, us per call. */
  serialUs: number;
  parallelUs: number;
  /** CPUs' worth of time other processes and the hypervisor took since the last reading. */
  othersCpus?: number;
  stealCpus?: number;
}

export interface SentinelReading extends SentinelMeasures {
  /** Seconds since the sentinel started. */
  atSeconds: number;
  /** Parallel time or fork-join more than `factor` times the run's best so far. */
  slow: boolean;
}

/**
 * What a check found:
 * - ok: the state is the one the run has measured in all along;
 * - recovered: it was slow, then came back within a few pauses (what was measured since the last check is suspect);
 * - slow: it stays slow (what was measured since the last check is suspect; measure it again once it recovers);
 * - faster: the state is now much faster than at any earlier reading (everything measured before is suspect).
 */
export type SentinelVerdict = "ok" | "recovered" | "slow" | "faster";

export interface CpuLoad {
  /** CPUs' worth of time that other processes used: 1.0 is one core kept busy. */
  othersCpus: number;
  /** CPUs' worth of time stolen by the hypervisor. */
  stealCpus: number;
  seconds: number;
}

/** What one tuning run measured and fitted (schema/results.schema.json). */
export interface TuneResults {
  $schema?: string;
  schemaVersion: 1;
  kind: "crossover-results";
  complete: boolean;
  machine: ProfileMachine & { node: string; v8: string; loadAverage: number[] };
  run: {
    level: Level;
    budgetSeconds: number;
    startedAt: string;
    endedAt?: string;
    durationSeconds: number;
    threads: number[];
    oversubscribed?: boolean;
    backend: "wasm";
    ops?: string[];
    tool: string;
    command: string;
    sampleMs: number;
    rounds: number;
    margin?: number;
    loadBefore: number[];
    loadAfter: number[];
    stoppedBy: "done" | "budget" | "interrupt";
    skippedPoints?: number;
    resumedPoints?: number;
    /** The margins and limits the run held its measurements to (absent in results of earlier versions). */
    limits?: Limits;
    /** The kernels measured (a profile records them too). */
    kernels?: KernelBuild;
    /** Why the profile was not written (a string), or false when it was written although it lost (--force). */
    profileRefused?: string | false;
  };
  points: PointResult[];
  heldOut: PointResult[];
  /** Per thread count against serial: the report's crossover per curve. */
  fits: Fits;
  /** The fastest count per range of work: what the profile says (absent in results of earlier versions). */
  ranges?: Partial<Record<ProfileOp, RangeFit>>;
  pool: {
    forkJoin: ForkJoinResult[];
    spin: { chosen: number; candidates: { spinMicros: number; medianMs: number; madMs: number }[]; reason?: string };
  };
  layer: LayerBenchResult[];
  regret: RegretSummary;
  warnings: string[];
  /** Whether the machine and process stayed in one state while measuring (absent in results of earlier versions). */
  health?: {
    /** Other processes' use of the CPUs just before the run. */
    cpuBefore: CpuLoad;
    sentinel: {
      description: string;
      /** A reading slower than this factor of the run's best counts as a slow state. */
      factor: number;
      readings: SentinelReading[];
      verdicts: SentinelVerdict[];
      /** Points measured again after a slow state passed. */
      remeasured: number;
      /** Points still marked suspect (measured in a slow state, not measured again). */
      suspect: number;
    };
  };
  /** The profile the engine would have loaded on this machine before this run: the report's "current" thresholds. */
  previous?: { source: string; path?: string; profile: Profile };
}
