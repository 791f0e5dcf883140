import { Worker } from "node:worker_threads";
import { KERNEL_NAMES, type BackendName } from "../../kernels/types.js";
import type { PoolJob } from "./job.js";
import {
  controlBlock, controlBlockBytes, EXIT, GEN, KERNEL, MAX_ARGS, MAX_WORKERS, NARGS, PENDING, readError,
  SCRATCH_ARG, SCRATCH_STRIDE, SLEEPERS, slot, SPIN_MICROS, STATUS_DEAD, STATUS_ERROR, W_END, W_FAULT, W_RESULT, W_START,
  W_SLEEPING, W_STATUS, W_WAKE, type ControlBlock,
} from "./control-block.js";
import { sliceStart } from "./partition.js";
import { dropRefusedFlags, workerExecArgv } from "./worker-flags.js";

// The worker script is compiled to dist/; this file sits at the same depth in
// src/ (tests) and dist/ (the package), so one relative path serves both.
const KERNEL_ID = Object.fromEntries(KERNEL_NAMES.map((name, i) => [name, i])) as Record<string, number>;

const WORKER_URL = new URL("../../../dist/engine/pool/pool-worker.js", import.meta.url);

export interface PoolOptions {
  memory: WebAssembly.Memory;
  backend: BackendName;
  /** Worker threads to start: the engine's threads - 1. */
  workers: number;
  spinMicros: number;
  /** Least time the caller waits for workers after finishing its own slice, before declaring a fault. */
  timeoutMs: number;
}

/** A worker failed or stopped answering; the op's output is incomplete. */
export class PoolFault extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PoolFault";
  }
}

/**
 * Persistent workers over the engine's shared memory. run() is synchronous:
 * it publishes the op in the control block, wakes sleeping workers, runs the
 * caller's own slice, then spins until every participant has acknowledged.
 */
export class Pool {
  readonly size: number;
  private readonly cb: ControlBlock;
  private readonly ctl: Int32Array;
  private readonly workers: Worker[] = [];
  private readonly timeoutMs: number;
  private failure: string | undefined;
  private closed = false;

  private constructor(options: PoolOptions) {
    if (options.workers > MAX_WORKERS) throw new RangeError(`crossover: at most ${MAX_WORKERS + 1} threads, got ${options.workers + 1}`);
    this.size = options.workers + 1;
    this.cb = controlBlock(new SharedArrayBuffer(controlBlockBytes(options.workers)));
    this.ctl = this.cb.i32;
    this.timeoutMs = options.timeoutMs;
    this.spinMicros = options.spinMicros;
  }

  /** Starts the workers and resolves once each has instantiated its kernels. */
  static async start(options: PoolOptions): Promise<Pool> {
    const pool = new Pool(options);
    const ready: Promise<void>[] = [];
    try {
      for (let w = 1; w <= options.workers; w++) ready.push(pool.spawn(w, options));
      await Promise.all(ready);
    } catch (err) {
      for (const r of ready) r.catch(() => {}); // the others end with the pool: not an unhandled rejection
      pool.close();
      throw new Error(`crossover: could not start the worker pool: ${(err as Error).message}`);
    }
    // Idle workers must not keep the process alive.
    for (const worker of pool.workers) worker.unref();
    return pool;
  }

  /** Starts worker `w`; resolves when its kernels are ready. Flags Node refuses in workers are dropped and the start retried once. */
  private spawn(w: number, options: PoolOptions): Promise<void> {
    const make = () => new Worker(WORKER_URL, {
      execArgv: workerExecArgv(),
      workerData: { memory: options.memory, control: this.cb.buffer, index: w, backend: options.backend },
    });
    let worker: Worker;
    try {
      worker = make();
    } catch (err) {
      if (!dropRefusedFlags(err)) throw err;
      worker = make();
    }
    this.workers.push(worker);
    const ready = new Promise<void>((resolve, reject) => {
      worker.once("message", () => resolve());
      worker.once("error", reject);
      worker.once("exit", (code) => reject(new Error(`worker ${w} exited with code ${code} while starting`)));
    });
    worker.on("error", (err) => this.markFailed(`worker ${w} crashed: ${err.message}`));
    worker.on("exit", (code) => {
      if (!this.closed) this.markFailed(`worker ${w} exited (code ${code})`);
    });
    return ready;
  }

  get spinMicros(): number {
    return Atomics.load(this.ctl, SPIN_MICROS);
  }

  set spinMicros(us: number) {
    Atomics.store(this.ctl, SPIN_MICROS, Math.max(0, Math.round(us)));
  }

  /** Why the pool cannot be used, if it cannot. */
  get fault(): string | undefined {
    return this.failure;
  }

  /** How often worker `w` was woken from sleep (its wake word): a worker sitting out ops is never woken for them. */
  wakes(w: number): number {
    return Atomics.load(this.ctl, slot(w, W_WAKE));
  }

  /** Workers currently blocked in Atomics.wait. */
  get sleeping(): number {
    return Atomics.load(this.ctl, SLEEPERS);
  }

  /**
   * Runs `call` split over `threads` threads (the caller plus threads - 1
   * workers) and returns the sum of the slices' results. `runSlice` runs
   * the caller's own slice.
   */
  run(call: PoolJob, threads: number, runSlice: (start: number, end: number) => number): number {
    if (this.failure !== undefined) throw new PoolFault(this.failure);
    const ctl = this.ctl;
    const units = call.units;
    const grain = call.grain ?? 1;
    const n = call.args.length;
    if (n > MAX_ARGS) throw new RangeError(`crossover: ${call.kernel} has ${n} arguments, the control block holds ${MAX_ARGS}`);
    for (let i = 0; i < n; i++) this.cb.args[i] = call.args[i];
    ctl[KERNEL] = KERNEL_ID[call.kernel];
    ctl[NARGS] = n;
    ctl[SCRATCH_ARG] = call.perThreadScratch ? call.perThreadScratch.arg : -1;
    ctl[SCRATCH_STRIDE] = call.perThreadScratch ? call.perThreadScratch.bytes : 0;
    let participants = 0;
    for (let w = 1; w < this.size; w++) {
      const start = w < threads ? sliceStart(units, threads, grain, w) : 0;
      const end = w < threads ? sliceStart(units, threads, grain, w + 1) : 0;
      ctl[slot(w, W_START)] = start;
      ctl[slot(w, W_END)] = end;
      ctl[slot(w, W_RESULT)] = 0;
      if (end > start) participants++;
    }
    Atomics.store(ctl, PENDING, participants);
    Atomics.add(ctl, GEN, 1); // publishes everything above (seq-cst)
    // wake only the participants that sleep; spinning ones see GEN, the others sleep on
    if (Atomics.load(ctl, SLEEPERS) > 0) {
      for (let w = 1; w < threads; w++) if (Atomics.load(ctl, slot(w, W_SLEEPING)) === 1 && this.participates(w)) this.wake(w);
    }

    const t0 = performance.now();
    let result = runSlice(0, sliceStart(units, threads, grain, 1));
    if (participants > 0) this.join(call, threads, performance.now() - t0);
    for (let w = 1; w < threads; w++) result += ctl[slot(w, W_RESULT)];
    return result;
  }

  private join(call: PoolJob, threads: number, ownMs: number): void {
    const ctl = this.ctl;
    let polls = 0;
    let since = 0;
    while (Atomics.load(ctl, PENDING) !== 0) {
      if ((++polls & 1023) !== 0) continue;
      const now = performance.now();
      if (since === 0) since = now;
      for (let w = 1; w < threads; w++) {
        if (this.participates(w) && Atomics.load(ctl, slot(w, W_STATUS)) === STATUS_DEAD) this.fail(call, `worker ${w} died during the op`);
      }
      // Workers have slices as large as ours: one that takes 50x longer (and
      // at least timeoutMs) is stuck or gone.
      if (now - since > Math.max(this.timeoutMs, 50 * ownMs)) {
        this.fail(call, `${Atomics.load(ctl, PENDING)} worker(s) did not finish within ${Math.round(now - since)} ms of the ` +
          `calling thread (a worker may have been terminated, or be starved of CPU by more threads than cores)`);
      }
    }
    for (let w = 1; w < threads; w++) {
      if (!this.participates(w)) continue;
      const status = Atomics.load(ctl, slot(w, W_STATUS));
      if (status === STATUS_ERROR) this.fail(call, `worker ${w} threw: ${readError(this.cb, w)}`);
      if (status === STATUS_DEAD) this.fail(call, `worker ${w} died during the op`);
    }
  }

  private wake(w: number): void {
    Atomics.add(this.ctl, slot(w, W_WAKE), 1);
    Atomics.notify(this.ctl, slot(w, W_WAKE), 1);
  }

  private participates(w: number): boolean {
    return this.ctl[slot(w, W_END)] > this.ctl[slot(w, W_START)];
  }

  private fail(call: PoolJob, why: string): never {
    const message = `${call.kernel} on ${this.size} threads failed: ${why}`;
    this.markFailed(message);
    throw new PoolFault(message);
  }

  private markFailed(why: string): void {
    if (this.failure !== undefined) return;
    this.failure = why;
    this.stopWorkers();
  }

  /** Test hook: makes worker `w` fail on its next slice (1: throw, 2: exit its thread). */
  injectFault(w: number, kind: 1 | 2): void {
    Atomics.store(this.ctl, slot(w, W_FAULT), kind);
  }

  /** Ends the workers. Safe to call more than once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopWorkers();
  }

  private stopWorkers(): void {
    Atomics.store(this.ctl, KERNEL, EXIT);
    Atomics.add(this.ctl, GEN, 1);
    for (let w = 1; w < this.size; w++) this.wake(w);
    // A worker stuck in a kernel never sees EXIT: terminate them all.
    for (const worker of this.workers) void worker.terminate();
  }
}
