import type { KernelName } from "../../kernels/types.js";

/**
 * What the pool runs: one kernel over `units` units of work, split into
 * contiguous slices. Numbers only (addresses and sizes), so a job can be
 * written into the shared control block as it is. The pool knows nothing of
 * ops; an op's call is a job with a rule attached.
 */
export interface PoolJob {
  kernel: KernelName;
  args: number[];
  units: number;
  /** Slice boundaries fall on multiples of this many units (default 1). */
  grain?: number;
  /** args[arg] is a scratch address private to each thread: thread i uses it + i * bytes. */
  perThreadScratch?: { arg: number; bytes: number };
}
