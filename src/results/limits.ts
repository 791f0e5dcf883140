// The tuner's judgement calls, in one place: every margin, limit and factor a
// measurement is held to. Runs record them (results.json run.limits) and the
// report prints what was recorded, not what this release would use.

export const LIMITS = {
  /** Hysteresis: parallel must be predicted (or measured, in check) this much faster before it is chosen. */
  margin: 0.03,
  /** A median whose 95% interval is wider than this fraction is measured again, then marked noisy. */
  noisyWidth: 0.1,
  /** Short calls are batched so one sample lasts at least this long (ms): the timer's resolution does not count. */
  sampleMinMs: 0.2,
  /** crossover check: significance of a contradiction (Mann-Whitney U). */
  alpha: 0.01,
  /** The spin window chosen is the shortest within this fraction of the fastest. */
  spinTolerance: 0.03,
  /** The layer proof: slower than serial or the defaults by more than this (and beyond both spreads) is a clear loss. */
  clearLoss: 0.1,
  /** Held-out regret above these (geometric mean, worst) is warned about. */
  regretGeomean: 1.1,
  regretMax: 2,
  /** Before measuring, other processes using this many CPUs, or the hypervisor stealing this many, is a busy machine. */
  busyCpus: 0.25,
  stealCpus: 0.1,
  /**
   * The sentinel: a reading past this factor of the run's best is a slow state (if a re-read after a pause
   * agrees). Healthy processes here read within 1.5x nearly always, single 15-ms bursts reached 3.2x (1 in
   * ~300 readings); the slow states seen were 4x (fork-join) to 10x (parallel ops).
   */
  sentinelFactor: 3,
  /** How often the sentinel reads between points, ms. */
  sentinelIntervalMs: 5000,
} as const;

export type Limits = { -readonly [K in keyof typeof LIMITS]: number };

/**
 * Whether the sentinel's first reading shows a process slow for parallel work from its start:
 * parallel more than `factor` times slower than serial (one thread has no parallel to judge).
 */
export function slowFromStart(first: { forkJoinUs: number; serialUs: number; parallelUs: number } | undefined, factor: number): boolean {
  return first !== undefined && first.forkJoinUs > 0 && first.parallelUs > first.serialUs * factor;
}

/** Whether a run's held-out regret is past the limits it was held to. */
export function regretHigh(r: { rows: readonly unknown[]; geomean: number; max: number }, limits: Pick<Limits, "regretGeomean" | "regretMax">): boolean {
  return r.rows.length > 0 && (r.geomean > limits.regretGeomean || r.max > limits.regretMax);
}
