// One pool per thread that creates engines: two engines (two models, or a
// small model beside the LLM) share the workers instead of each spinning its
// own on the same cores. The pool has as many workers as the largest engine
// asks for; an op uses its engine's count of them.
import type { AttachedKernels } from "./pool-worker.js";
import { Pool } from "./pool.js";

export interface PoolLease {
  pool: Pool;
  /** The id the engine's ops run under (its memory, attached to every worker). */
  engine: number;
}

let shared: Pool | undefined;
/** Acquisitions run one at a time: two engines created at once must not start two pools. */
let queue: Promise<unknown> = Promise.resolve();
/** Acquisitions under way: the last engine closing meanwhile must not end the pool another one is about to use. */
let pending = 0;

/** The thread's pool, started or grown to `threads`, with this engine's memory attached to every worker. */
export function acquirePool(o: { memory: WebAssembly.Memory; kernels: AttachedKernels; threads: number; spinMicros: number; timeoutMs: number }): Promise<PoolLease> {
  pending++;
  const next = queue.then(async () => {
    if (shared && (shared.fault !== undefined || shared.closed)) shared = undefined; // a failed pool serves nobody: start afresh
    if (!shared) shared = await Pool.start({ workers: o.threads - 1, spinMicros: o.spinMicros, timeoutMs: o.timeoutMs });
    else if (shared.size < o.threads) {
      try {
        await shared.grow(o.threads);
      } catch (err) {
        shared = undefined; // grow() closed it: the engines on it fall back to serial, as after any pool fault
        throw err;
      }
    }
    return { pool: shared, engine: shared.attach(o.memory, o.kernels) };
  }).finally(() => {
    pending--;
  });
  queue = next.catch(() => {});
  return next;
}

/** Gives an engine's place back; the last engine out ends the workers. */
export function releasePool(lease: PoolLease): void {
  lease.pool.detach(lease.engine);
  if (lease.pool.engines === 0 && (pending === 0 || shared !== lease.pool)) {
    lease.pool.close();
    if (shared === lease.pool) shared = undefined;
  }
}
