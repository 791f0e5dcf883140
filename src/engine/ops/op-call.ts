import type { Arena } from "../arena.js";
import type { RopeTables } from "../rope-table.js";
import type { Scratch } from "../scratch.js";

import type { PoolJob } from "../pool/job.js";
import type { ProfileOp } from "../profile/types.js";

/** One kernel run of an op: a pool job, plus the rule that decides its threads and its work in that rule's units. */
export interface OpCall extends PoolJob {
  op: ProfileOp;
  work: number;
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
