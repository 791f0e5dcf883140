import type { Kernels } from "../../kernels/types.js";
import type { Arena } from "../arena.js";
import type { RopeTables } from "../rope-table.js";
import type { Scratch } from "../scratch.js";

export type KernelName = Exclude<keyof Kernels, "name">;

/**
 * One kernel run over `units` units of work: what the engine executes, serially
 * now and split across threads later. args are numbers only (addresses and
 * sizes), so a call can be written into a shared control block as it is.
 */
export interface OpCall {
  kernel: KernelName;
  args: number[];
  units: number;
  /** Checks the kernel's return value, summed over the pieces of the range (quantizeRowsQ8's overflow count). */
  check?: (result: number) => void;
}

/** What an op needs to check its arguments and lay out its call. */
export interface OpContext {
  arena: Arena;
  scratch: Scratch;
  ropeTables: RopeTables;
}
