import { MessageChannel, Worker, type MessagePort } from "node:worker_threads";
import { KERNEL_NAMES } from "../../kernels/types.js";
import type { AttachedKernels, Attachment } from "./pool-worker.js";
import type { PoolJob } from "./job.js";
import {
  ATTACH, controlBlock, controlBlockBytes, DETACH, ENGINE, EXIT, GEN, KERNEL, MAX_ARGS, MAX_WORKERS, NARGS, PENDING, readError,
  SCRATCH_ARG, SCRATCH_STRIDE, SLEEPERS, slot, SPIN_MICROS, STATUS_DEAD, STATUS_ERROR, W_CLAIM, W_END, W_FAULT, W_RESULT, W_START,
  W_SLEEPING, W_STATUS, W_WAKE, type ControlBlock,
} from "./control-block.js";
import { sliceStart } from "./partition.js";
import { spinPause } from "./spin-pause.js";
import { dropRefusedFlags, workerExecArgv } from "./worker-flags.js";

// The worker script is compiled to dist/; this file sits at the same depth in
// src/ (tests) and dist/ (the package), so one relative path serves both.
const KERNEL_ID = Object.fromEntries(KERNEL_NAMES.map((name, i) => [name, i])) as Record<string, number>;

const WORKER_URL = new URL("../../../dist/engine/pool/pool-worker.js", import.meta.url);

export interface PoolOptions {
  /** Worker threads to start: the most threads an engine asks for, minus the caller. */
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
 * Persistent workers, shared by every engine of the thread that made them
 * (shared-pool.ts): each engine attaches its memory, and an op names the
 * engine it runs for. run() is synchronous: it publishes the op in the
 * control block, wakes the sleeping participants, runs the caller's own
 * slice, then spins until every participant has acknowledged.
 */
export class Pool {
  /**
   * Threads an op can use: the ready workers plus the calling thread. Workers
   * still starting (another engine growing the pool) are not counted: an op
   * or a detach published meanwhile must not wait for a worker that cannot
   * see it yet.
   */
  get size(): number {
    return this.ready;
  }
  private ready = 1;
  private readonly cb: ControlBlock;
  private readonly ctl: Int32Array;
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private readonly attachments = new Map<number, Attachment>();
  private nextId = 1;
  private readonly timeoutMs: number;
  private failure: string | undefined;
  private isClosed = false;

  private constructor(options: PoolOptions) {
    // room for the most workers a pool may grow to: growing never moves the block
    this.cb = controlBlock(new SharedArrayBuffer(controlBlockBytes(MAX_WORKERS)));
    this.ctl = this.cb.i32;
    this.timeoutMs = options.timeoutMs;
    this.spinMicros = options.spinMicros;
  }

  /** Starts the workers and resolves once each is ready. */
  static async start(options: PoolOptions): Promise<Pool> {
    const pool = new Pool(options);
    await pool.grow(options.workers + 1);
    return pool;
  }

  /** Starts workers until the pool offers `threads` threads; resolves once each has instantiated every attached engine's kernels. */
  async grow(threads: number): Promise<void> {
    if (threads - 1 > MAX_WORKERS) throw new RangeError(`crossover: at most ${MAX_WORKERS + 1} threads, got ${threads}`);
    const ready: Promise<void>[] = [];
    try {
      for (let w = this.workers.length + 1; w < threads; w++) ready.push(this.spawn(w));
      await Promise.all(ready);
      this.ready = Math.max(this.ready, this.workers.length + 1);
    } catch (err) {
      for (const r of ready) r.catch(() => {}); // the others end with the pool: not an unhandled rejection
      this.close();
      throw new Error(`crossover: could not start the worker pool: ${(err as Error).message}`);
    }
    // Idle workers must not keep the process alive.
    for (const worker of this.workers) worker.unref();
  }

  /** Gives every worker an engine's memory (synchronously: an op of its own); returns the id its ops run under. */
  attach(memory: WebAssembly.Memory, kernels: AttachedKernels): number {
    const a: Attachment = { id: this.nextId++, memory, kernels };
    for (const port of this.ports) port.postMessage(a);
    this.attachments.set(a.id, a);
    this.broadcast(ATTACH, a.id);
    return a.id;
  }

  /** Drops an engine's memory from every worker. */
  detach(id: number): void {
    if (!this.attachments.delete(id) || this.failure !== undefined || this.isClosed) return;
    this.broadcast(DETACH, id);
  }

  /** Engines attached now. */
  get engines(): number {
    return this.attachments.size;
  }

  /** Every worker runs `kernel` (ATTACH or DETACH) for attachment `id`; the caller waits for all. */
  private broadcast(kernel: number, id: number): void {
    if (this.size === 1) return;
    this.run({ kernel: "add", args: [id], units: this.size - 1 }, this.size, () => 0, 0, kernel);
  }

  /** Starts worker `w`; resolves when its kernels are ready. Flags Node refuses in workers are dropped and the start retried once. */
  private spawn(w: number): Promise<void> {
    const { port1, port2 } = new MessageChannel();
    const make = () => new Worker(WORKER_URL, {
      execArgv: workerExecArgv(),
      workerData: { control: this.cb.buffer, index: w, attachments: [...this.attachments.values()], port: port2 },
      transferList: [port2],
    });
    let worker: Worker;
    try {
      worker = make();
    } catch (err) {
      if (!dropRefusedFlags(err)) throw err;
      worker = make();
    }
    this.workers.push(worker);
    this.ports.push(port1);
    port1.unref();
    const ready = new Promise<void>((resolve, reject) => {
      worker.once("message", () => resolve());
      worker.once("error", reject);
      worker.once("exit", (code) => reject(new Error(`worker ${w} exited with code ${code} while starting`)));
    });
    worker.on("error", (err) => this.markFailed(`worker ${w} crashed: ${err.message}`));
    worker.on("exit", (code) => {
      if (!this.isClosed) this.markFailed(`worker ${w} exited (code ${code})`);
    });
    return ready;
  }

  get spinMicros(): number {
    return Atomics.load(this.ctl, SPIN_MICROS);
  }

  set spinMicros(us: number) {
    Atomics.store(this.ctl, SPIN_MICROS, Math.max(0, Math.round(us)));
  }

  /** Whether close() ended it. */
  get closed(): boolean {
    return this.isClosed;
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
   * The last timed run: the caller's own slice, and everything else the op
   * cost the caller (publishing, waking workers, waiting for them), microseconds.
   */
  lastOwnUs = 0;
  lastOverheadUs = 0;

  /**
   * Runs `call` split over `threads` threads (the caller plus threads - 1
   * workers) and returns the sum of the slices' results. `runSlice` runs
   * the caller's own slice.
   */
  run(call: PoolJob, threads: number, runSlice: (start: number, end: number) => number, engine: number, control?: number, timed = false): number {
    if (this.failure !== undefined) throw new PoolFault(this.failure);
    const tStart = timed ? performance.now() : 0;
    if (threads > this.size) throw new RangeError(`crossover: an op on ${threads} threads, the pool has ${this.size}`);
    const ctl = this.ctl;
    const units = call.units;
    const grain = call.grain ?? 1;
    const n = call.args.length;
    if (n > MAX_ARGS) throw new RangeError(`crossover: ${call.kernel} has ${n} arguments, the control block holds ${MAX_ARGS}`);
    for (let i = 0; i < n; i++) this.cb.args[i] = call.args[i];
    ctl[KERNEL] = control ?? KERNEL_ID[call.kernel];
    ctl[ENGINE] = engine;
    ctl[NARGS] = n;
    ctl[SCRATCH_ARG] = call.perThreadScratch ? call.perThreadScratch.arg : -1;
    ctl[SCRATCH_STRIDE] = call.perThreadScratch ? call.perThreadScratch.bytes : 0;
    let participants = 0;
    for (let w = 1; w < this.size; w++) {
      // a control op gives each worker one unit; the caller's share is empty
      const start = w >= threads ? 0 : control !== undefined ? w - 1 : sliceStart(units, threads, grain, w);
      const end = w >= threads ? 0 : control !== undefined ? w : sliceStart(units, threads, grain, w + 1);
      ctl[slot(w, W_START)] = start;
      ctl[slot(w, W_END)] = end;
      ctl[slot(w, W_RESULT)] = 0;
      if (end > start) participants++;
    }
    Atomics.store(ctl, PENDING, participants);
    // the claims last: a worker that claims one has everything above in view
    for (let w = 1; w < threads; w++) if (this.participates(w)) Atomics.store(ctl, slot(w, W_CLAIM), 1);
    Atomics.add(ctl, GEN, 1); // publishes everything above (seq-cst)
    // wake only the participants that sleep; spinning ones see GEN, the others sleep on
    if (Atomics.load(ctl, SLEEPERS) > 0) {
      for (let w = 1; w < threads; w++) if (Atomics.load(ctl, slot(w, W_SLEEPING)) === 1 && this.participates(w)) this.wake(w);
    }

    const t0 = performance.now();
    let result = runSlice(0, control !== undefined ? 0 : sliceStart(units, threads, grain, 1));
    if (participants > 0) {
      const t1 = performance.now();
      // slices no worker has claimed yet (descheduled, or still waking) the caller runs itself: on a busy machine
      // the op then costs about what serial would, instead of the wait for a worker the OS is not running
      if (control === undefined) result += this.steal(threads, runSlice);
      this.join(call, threads, t1 - t0);
      // on a busy machine waking a worker can cost the caller as much as waiting for it: both count
      if (timed) {
        this.lastOwnUs = (t1 - t0) * 1000;
        this.lastOverheadUs = (performance.now() - tStart) * 1000 - this.lastOwnUs;
      }
    }
    for (let w = 1; w < threads; w++) result += ctl[slot(w, W_RESULT)];
    return result;
  }

  /** Slices the caller ran for workers that had not claimed them (a test hook). */
  stolen = 0;

  private steal(threads: number, runSlice: (start: number, end: number) => number): number {
    const ctl = this.ctl;
    let result = 0;
    for (let w = threads - 1; w >= 1; w--) {
      if (Atomics.load(ctl, slot(w, W_CLAIM)) !== 1 || Atomics.compareExchange(ctl, slot(w, W_CLAIM), 1, 0) !== 1) continue;
      // the caller's per-thread scratch is free again: its own slice is done
      result += runSlice(ctl[slot(w, W_START)], ctl[slot(w, W_END)]);
      this.stolen++;
      Atomics.sub(ctl, PENDING, 1);
    }
    return result;
  }

  private join(call: PoolJob, threads: number, ownMs: number): void {
    const ctl = this.ctl;
    let polls = 0;
    let since = 0;
    while (Atomics.load(ctl, PENDING) !== 0) {
      spinPause();
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

  /** Test hook: makes worker `w` fail on its next slice (1: throw, 2: exit its thread, 3: stop before claiming it until clearFault). */
  injectFault(w: number, kind: 1 | 2 | 3): void {
    Atomics.store(this.ctl, slot(w, W_FAULT), kind);
  }

  /** Test hook: lets a held worker (injectFault 3) go on. */
  clearFault(w: number): void {
    Atomics.store(this.ctl, slot(w, W_FAULT), 0);
    Atomics.notify(this.ctl, slot(w, W_FAULT));
  }

  /** Ends the workers. Safe to call more than once. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.stopWorkers();
  }

  private stopWorkers(): void {
    Atomics.store(this.ctl, KERNEL, EXIT);
    Atomics.add(this.ctl, GEN, 1);
    for (let w = 1; w <= this.workers.length; w++) this.wake(w); // starting ones too: they see EXIT when they arrive
    // A worker stuck in a kernel never sees EXIT: terminate them all.
    for (const worker of this.workers) void worker.terminate();
  }
}
