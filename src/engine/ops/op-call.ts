import type { Arena } from "../arena.js";
import type { RopeTables } from "../rope-table.js";
import type { Scratch } from "../scratch.js";

import type { KernelName } from "../pool/control-block.js";
import type { ProfileOp } from "../profile/types.js";

export type { KernelName };

/**
 * One kernel run over `units` units of work: what the engine executes, serially
 * now and split across threads later. args are numbers only (addresses and
 * sizes), so a call can be written into a shared control block as it is.
 */
export interface OpCall {
  /** The rule that decides its threads, and its work size in that rule's units. */
  op: ProfileOp;
  work: number;
  kernel: KernelName;
  args: number[];
  units: number;
  /** Slice boundaries fall on multiples of this many units (default 1). */
  grain?: number;
  /** args[arg] is a scratch address private to each thread: thread i uses it + i * bytes. */
  perThreadScratch?: { arg: number; bytes: number };
  /** Checks the kernel's return value, summed over the pieces of the range (quantizeRowsQ8's overflow count). */
  check?: (result: number) => void;
}

/** What an op needs to check its arguments and lay out its call. */
export interface OpContext {
  arena: Arena;
  scratch: Scratch;
  ropeTables: RopeTables;
  /** Most threads any op may run on: per-thread scratch is sized for it. */
  threads: number;
}
