import os from "node:os";
import { Heap } from "../kernels/js/heap.js";
import { jsKernels } from "../kernels/js/index.js";
import { q8Bytes, quantizeQ8 as quantizeQ8Bytes } from "../kernels/q8.js";
import type { BackendName, Kernels } from "../kernels/types.js";
import { checkWasmBuild, defaultWasmBuild, wasmKernels, type WasmBuild } from "../kernels/wasm/load.js";
import { thisKernelBuild } from "./profile/kernel-build.js";
import { Arena } from "./arena.js";
import { attentionCall, type AttentionShape } from "./ops/attention.js";
import { matmulCalls, type MatmulShape } from "./ops/matmul.js";
import type { OpCall, OpContext } from "./ops/op-call.js";
import { qkNormCall, type QkNormShape } from "./ops/qk-norm.js";
import { rmsNormCall, type RmsNormShape } from "./ops/rms-norm.js";
import { ropeCall, type RopeShape } from "./ops/rope.js";
import { softmaxCall, type SoftmaxShape } from "./ops/softmax.js";
import { isQ8Tensor, type Q8Tensor } from "./q8-tensor.js";
import { RopeTables } from "./rope-table.js";
import { Scratch } from "./scratch.js";
import { describe, dim, finite } from "./validate.js";
import { binaryCall, unaryCall, type BinaryOp, type UnaryOp } from "./ops/elementwise.js";
import { planWork, type PlanOp } from "./plan-work.js";
import { PolicyTable, type Decision, type Policy } from "./policy.js";
import { MAX_WORKERS } from "./pool/control-block.js";
import { BackOff, type BackOffEvent } from "./back-off.js";
import type { PoolJob } from "./pool/job.js";
import { PoolFault, type Pool } from "./pool/pool.js";
import { acquirePool, releasePool, type PoolLease } from "./pool/shared-pool.js";
import { loadProfile } from "./profile/load-profile.js";
import { checkProfile } from "./profile/validate-profile.js";
import type { LoadedProfile, Profile } from "./profile/types.js";

export interface EngineOptions {
  /** Kernel backend: 'wasm' (the default) or 'js' (plain TypeScript). */
  backend?: BackendName;
  /**
   * Which wasm build: 'relaxed' (FMA and the int8 dot: Node 22 and later) or
   * 'simd128' (every Node). Default: CROSSOVER_WASM_BUILD, else relaxed where
   * the runtime runs it. For A/B runs; a profile tuned with the other build is
   * used as compatible.
   */
  wasmBuild?: WasmBuild;
  /** Threads an op may use, the calling thread included (default os.availableParallelism()). */
  threads?: number;
  /** A profile file's path or a profile object; otherwise CROSSOVER_PROFILE, ./profiles, the package's profiles/, the defaults. */
  profile?: string | Profile;
  /** Throw when the profile asked for cannot be used, instead of warning and using the defaults. */
  strictProfile?: boolean;
  /** 'profile' (default) follows the profile; 'serial', 'parallel' (all threads) or a thread count force a choice. */
  policy?: Policy;
  /** How long idle workers poll for work before sleeping, in microseconds (default: the profile's). */
  spinMicros?: number;
  /** Least time to wait for a worker's slice after the caller finished its own before declaring it failed (default 5000 ms). */
  workerTimeoutMs?: number;
  /**
   * Back off to fewer threads while parallel ops wait longer at the join than
   * serial would have spent on the other slices (a busy machine: other jobs,
   * a CI runner), and return when probes come back quiet (default true;
   * CROSSOVER_ADAPT=0 turns it off). Forced policies never adapt.
   */
  adapt?: boolean;
  /**
   * When no profile matches this machine, measure it briefly (well under a
   * second) and cache the result in the user's cache folder, instead of the
   * built-in defaults (default true; CROSSOVER_CALIBRATE=0 turns it off).
   * createEngine from the package entry does it; a forced policy never needs it.
   */
  calibrate?: boolean;
  /** Where warnings go (default process.emitWarning, each message once per process). */
  onWarning?: (message: string) => void;
  /** Largest the arena may grow to, in bytes (default 2 GiB, at most 4 GiB). */
  maxMemory?: number;
  /** Positions cached in each RoPE cos/sin table (default 8192); later ones are computed per call. */
  ropeTableLength?: number;
}

export interface EngineHealth {
  /** ok: ops run as the policy says; serial: the pool failed and every op runs on the calling thread; closed. */
  status: "ok" | "serial" | "closed";
  threads: number;
  /** Worker threads of the pool this engine uses (shared with the thread's other engines: the largest asks, all use). */
  workers: number;
  /** Workers blocked in Atomics.wait right now (the rest are spinning or working). */
  sleepingWorkers: number;
  /** Engines sharing the pool, this one included (0 without a pool). */
  sharedBy: number;
  spinMicros: number;
  /** More threads (the pool's, or this engine's without one) than this machine's available parallelism. */
  oversubscribed: boolean;
  /** What made the pool fail. */
  fault?: string;
  /** Threads the back-off allows now, and when and why it moved (null: adapt is off, or one thread). */
  backOff: { allowedThreads: number; events: BackOffEvent[] } | null;
}

/**
 * Default arena limit: a 1B-parameter model's layer in FP32 (~250 MB for
 * Llama 3.2 1B) plus an 8192-token FP32 KV cache for all its layers (~512 MB),
 * with room for activations and scratch.
 */
export const DEFAULT_MAX_MEMORY = 2 * 2 ** 30;

const emitted = new Set<string>();

type KernelFn = (...a: number[]) => number | void;

/** fn(...args, start, end) without the spread's array (the serial path of every small op runs this). */
function invoke(fn: KernelFn, a: readonly number[], start: number, end: number): number | void {
  switch (a.length) {
    case 2: return fn(a[0], a[1], start, end);
    case 3: return fn(a[0], a[1], a[2], start, end);
    case 4: return fn(a[0], a[1], a[2], a[3], start, end);
    case 5: return fn(a[0], a[1], a[2], a[3], a[4], start, end);
    case 6: return fn(a[0], a[1], a[2], a[3], a[4], a[5], start, end);
    case 7: return fn(a[0], a[1], a[2], a[3], a[4], a[5], a[6], start, end);
    default: return fn(...a, start, end);
  }
}

/** Default warning sink: a process warning, each distinct message once per process. */
function emitOnce(message: string): void {
  if (emitted.has(message)) return;
  emitted.add(message);
  process.emitWarning(message, { code: "CROSSOVER" });
}

export class Engine {
  readonly backend: BackendName;
  /** The wasm build the kernels run (undefined on the js backend). */
  readonly wasmBuild: WasmBuild | undefined;
  readonly threads: number;
  readonly memory: WebAssembly.Memory;
  /** The profile in force: where it came from, how well it matches this machine, and its data. */
  private loaded: LoadedProfile;
  private readonly arena: Arena;
  private readonly kernels: Kernels;
  private readonly heap: Heap;
  private readonly ctx: OpContext;
  private table: PolicyTable;
  private backOff: BackOff | undefined;
  private adaptOn = false;
  /** @internal Where the engine's warnings go (the calibration says what it did there). */
  readonly warn: (message: string) => void;
  private readonly timeoutMs: number;
  private spin: number;
  private lease: PoolLease | undefined;
  private fault: string | undefined;
  private closed = false;

  /** @internal Use createEngine(), which also starts the worker pool. */
  constructor(options: EngineOptions = {}) {
    if (options === null || typeof options !== "object") throw new TypeError(`createEngine: options must be an object, got ${describe(options)}`);
    const backend = options.backend ?? "wasm";
    if (backend !== "wasm" && backend !== "js") throw new RangeError(`createEngine: backend must be "wasm" or "js", got ${String(backend)}`);
    const cores = os.availableParallelism();
    const threads = dim("createEngine", "threads", options.threads ?? cores);
    if (threads > MAX_WORKERS + 1) throw new RangeError(`createEngine: threads must be at most ${MAX_WORKERS + 1}, got ${threads}`);
    this.warn = options.onWarning ?? emitOnce;
    if (typeof this.warn !== "function") throw new TypeError(`createEngine: onWarning must be a function, got ${describe(options.onWarning)}`);
    const policy = checkPolicy(options.policy ?? "profile", threads);
    this.timeoutMs = finite("createEngine", "workerTimeoutMs", options.workerTimeoutMs ?? 5000, true);
    const ropeTableLength = dim("createEngine", "ropeTableLength", options.ropeTableLength ?? 8192);
    if (threads > cores) {
      this.warn(`crossover: ${threads} threads on a machine with ${cores} available CPUs: spinning threads that share cores ` +
        `make a fork-join take milliseconds; use threads <= ${cores}`);
    }
    const wasmBuild = backend !== "wasm" ? undefined : options.wasmBuild === undefined ? defaultWasmBuild() : checkWasmBuild("createEngine: wasmBuild", options.wasmBuild);
    this.loaded = loadProfile({ profile: options.profile, strict: options.strictProfile === true, maxThreads: threads, kernels: thisKernelBuild(wasmBuild) });
    for (const w of this.loaded.warnings) this.warn(`crossover: ${w}`);
    this.spin = options.spinMicros === undefined ? this.loaded.data.pool.spinMicros : spinWindow("createEngine", options.spinMicros);
    if (options.calibrate !== undefined && typeof options.calibrate !== "boolean") throw new TypeError(`createEngine: calibrate must be true or false, got ${describe(options.calibrate)}`);
    if (options.adapt !== undefined && typeof options.adapt !== "boolean") throw new TypeError(`createEngine: adapt must be true or false, got ${describe(options.adapt)}`);
    const adapt = options.adapt ?? process.env.CROSSOVER_ADAPT !== "0";
    this.backend = backend;
    this.wasmBuild = wasmBuild;
    this.threads = threads;
    this.table = new PolicyTable(this.profile.data, threads, policy);
    this.arena = new Arena({ maxBytes: options.maxMemory ?? DEFAULT_MAX_MEMORY });
    this.memory = this.arena.memory;
    this.kernels = wasmBuild !== undefined ? wasmKernels(this.memory, wasmBuild) : jsKernels(this.memory);
    this.heap = new Heap(this.memory);
    const scratch = new Scratch(this.arena);
    this.ctx = { arena: this.arena, scratch, ropeTables: new RopeTables(this.arena, this.heap, scratch, ropeTableLength), threads };
    if (adapt) this.setAdapt(true);
  }

  /** @internal Starts the worker pool (createEngine calls it). */
  async start(): Promise<this> {
    if (this.threads > 1 && !this.lease && this.fault === undefined) {
      try {
        this.lease = await acquirePool({ memory: this.memory, kernels: this.wasmBuild ?? "js", threads: this.threads, spinMicros: this.spin, timeoutMs: this.timeoutMs });
      } catch (err) {
        // inference goes on without threads: serial, said once, and health() says why
        this.fault = (err as Error).message;
        this.warn(`${this.fault}; running every op serially on the calling thread`);
      }
    }
    return this;
  }

  /** A zero-filled Float32Array of `length` on the arena. */
  f32(length: number): Float32Array {
    this.open();
    const n = dim("f32", "length", length);
    const addr = this.arena.alloc(n * 4); // may grow the memory: take the buffer after
    return this.arena.issue(new Float32Array(this.arena.buffer(), addr, n));
  }

  /** An empty Q8_0 tensor [rows, cols] (cols % 32 == 0) whose bytes can be filled, e.g. from a GGUF file. */
  q8(rows: number, cols: number): Q8Tensor {
    this.open();
    dim("q8", "rows", rows);
    dim("q8", "cols", cols);
    if (cols % 32 !== 0) throw new RangeError(`q8: cols must be a multiple of 32 (Q8_0 blocks), got ${cols}`);
    const size = q8Bytes(rows, cols);
    const addr = this.arena.alloc(size);
    return { rows, cols, bytes: this.arena.issue(new Uint8Array(this.arena.buffer(), addr, size)) };
  }

  /** Quantizes src [rows, cols] to a Q8_0 tensor on the arena (ggml's reference rounding). */
  quantizeQ8(src: Float32Array, rows: number, cols: number): Q8Tensor {
    if (!(src instanceof Float32Array)) throw new TypeError(`quantizeQ8: src must be a Float32Array, got ${describe(src)}`);
    dim("quantizeQ8", "rows", rows);
    dim("quantizeQ8", "cols", cols);
    if (src.length !== rows * cols) throw new RangeError(`quantizeQ8: src has length ${src.length}, expected rows*cols = ${rows * cols}`);
    const t = this.q8(rows, cols);
    quantizeQ8Bytes(src, rows, cols, t.bytes);
    return t;
  }

  /** Returns a tensor's memory to the arena. Using it afterwards is an error. */
  free(tensor: Float32Array | Q8Tensor): void {
    this.open();
    const view = isQ8Tensor(tensor) ? tensor.bytes : tensor;
    if (!ArrayBuffer.isView(view) || !this.arena.owns(view)) {
      throw new RangeError(`free: the tensor is not a live allocation of this engine (already freed, or from another engine)`);
    }
    if (!this.arena.wholeAllocation(view)) {
      throw new RangeError(`free: this is a part of a tensor (a subarray); free the tensor engine.f32() or engine.q8() returned, which frees all of it`);
    }
    this.arena.release(view.byteOffset);
  }

  rmsNorm(out: Float32Array, x: Float32Array, weight: Float32Array, shape: RmsNormShape): void {
    this.run(rmsNormCall(this.ctxOpen(), out, x, weight, shape));
  }

  qkNorm(x: Float32Array, weight: Float32Array, shape: QkNormShape): void {
    this.run(qkNormCall(this.ctxOpen(), x, weight, shape));
  }

  rope(x: Float32Array, shape: RopeShape): void {
    this.run(ropeCall(this.ctxOpen(), x, shape));
  }

  softmax(out: Float32Array, x: Float32Array, shape: SoftmaxShape): void {
    this.run(softmaxCall(this.ctxOpen(), out, x, shape));
  }

  attention(out: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array, shape: AttentionShape): void {
    this.run(attentionCall(this.ctxOpen(), out, q, k, v, shape));
  }

  matmul(out: Float32Array, weight: Float32Array | Q8Tensor, x: Float32Array, shape: MatmulShape): void {
    for (const call of matmulCalls(this.ctxOpen(), out, weight, x, shape)) this.run(call);
  }

  /** out = op(a, b) elementwise, for any binary op of the descriptors ("add", "mul"); out may be a or b. */
  binary(op: BinaryOp, out: Float32Array, a: Float32Array, b: Float32Array): void {
    this.run(binaryCall(this.ctxOpen(), op, out, a, b));
  }

  /** out = op(x) elementwise, for any unary op of the descriptors ("gelu", "silu"); out may be x. */
  unary(op: UnaryOp, out: Float32Array, x: Float32Array): void {
    this.run(unaryCall(this.ctxOpen(), op, out, x));
  }

  /** out = a + b elementwise (out may be a or b). */
  add(out: Float32Array, a: Float32Array, b: Float32Array): void {
    this.binary("add", out, a, b);
  }

  /** out = a * b elementwise (out may be a or b). */
  mul(out: Float32Array, a: Float32Array, b: Float32Array): void {
    this.binary("mul", out, a, b);
  }

  /** out = GELU(x), tanh approximation (out may be x). */
  gelu(out: Float32Array, x: Float32Array): void {
    this.unary("gelu", out, x);
  }

  /** out = SiLU(x) = x * sigmoid(x) (out may be x). */
  silu(out: Float32Array, x: Float32Array): void {
    this.unary("silu", out, x);
  }

  /**
   * What the engine would do for an op of this shape, without running it:
   * e.g. plan("attention", { seqLen: 1, kvLen: 512, heads: 16, headDim: 64 }).
   * matmul shapes take weights: "f32" | "q8_0"; elementwise ops take { n }.
   */
  plan(op: PlanOp, shape: object): Decision {
    const { key, work } = planWork(op, shape);
    const decision = this.table.explain(key, work);
    if (decision.threads > 1 && this.usablePool() === undefined) {
      return { ...decision, threads: 1, reason: `${decision.reason}; but the worker pool failed, so serial (${this.fault})` };
    }
    return decision;
  }

  /** How ops choose their threads: "profile", "serial", "parallel" or a fixed count. */
  get policy(): Policy {
    return this.table.policy;
  }

  /** Turns the back-off under load on or off (e.g. to compare both on the same tensors); it keeps what it learned meanwhile. */
  setAdapt(on: boolean): void {
    if (typeof on !== "boolean") throw new TypeError(`setAdapt: on must be true or false, got ${describe(on)}`);
    if (on && !this.backOff && this.threads > 1) {
      this.backOff = new BackOff(this.threads, (t) => forkJoinUs(this.table.profile, t));
    }
    this.adaptOn = on;
  }

  /** The profile the engine follows: where it came from and how well it fits this machine. */
  get profile(): LoadedProfile {
    return this.loaded;
  }

  /** @internal The calibration hands over the profile it measured or found in the cache. */
  adoptProfile(loaded: LoadedProfile): void {
    this.loaded = loaded;
    this.useProfile(loaded.data);
  }

  /** Switches the policy (e.g. to compare serial and parallel on the same tensors). */
  setPolicy(policy: Policy): void {
    this.table.policy = checkPolicy(policy, this.threads, "setPolicy");
  }

  /**
   * Switches to another profile's thresholds (checked against the schema) and
   * its spin window, keeping the current policy: to compare profiles on the same tensors.
   */
  useProfile(profile: Profile): void {
    const data = checkProfile(profile, "useProfile");
    this.table = new PolicyTable(data, this.threads, this.table.policy);
    this.spinMicros = data.pool.spinMicros;
  }

  /** The spin window of idle workers, in microseconds. */
  get spinMicros(): number {
    return this.spin;
  }

  set spinMicros(us: number) {
    this.spin = spinWindow("spinMicros", us);
    if (this.lease) this.lease.pool.spinMicros = us;
  }

  /** Whether the pool works, and what idle workers are doing. */
  health(): EngineHealth {
    const pool = this.usablePool();
    return {
      status: this.closed ? "closed" : this.threads > 1 && pool === undefined ? "serial" : "ok",
      threads: this.threads,
      workers: pool ? pool.size - 1 : 0,
      sleepingWorkers: pool ? pool.sleeping : 0,
      sharedBy: pool ? pool.engines : 0,
      backOff: this.backOff && this.adaptOn ? { allowedThreads: this.backOff.allowed, events: this.backOff.events.slice() } : null,
      spinMicros: this.spin,
      // the threads that can spin at once are the shared pool's, whoever asked for them
      oversubscribed: (pool ? pool.size : this.threads) > os.availableParallelism(),
      ...(this.fault !== undefined ? { fault: this.fault } : {}),
    };
  }

  /** Bytes the arena holds for live tensors, and how large the memory is now. */
  memoryUsage(): { inUse: number; capacity: number; max: number } {
    return { inUse: this.arena.bytesInUse, capacity: this.arena.capacity, max: this.arena.maxBytes };
  }

  /** Ends the worker threads. The engine cannot run ops afterwards. */
  close(): void {
    this.closed = true;
    if (this.lease) releasePool(this.lease);
    this.lease = undefined;
  }

  /** @internal For tests and the tuner: the pool, when running. */
  get workerPool(): Pool | undefined {
    return this.lease?.pool;
  }

  /** @internal For the tuner: `job` on `threads` of the pool with the caller's share `runSlice`, as an op would run. */
  forkJoin(job: PoolJob, threads: number, runSlice: (start: number, end: number) => number): number {
    const lease = this.lease;
    if (!lease) throw new Error("forkJoin: the engine has no worker pool (threads = 1, or the pool failed)");
    return lease.pool.run(job, threads, runSlice, lease.engine);
  }

  private run(call: OpCall): void {
    const fn = this.kernels[call.kernel] as KernelFn;
    let threads = this.threads === 1 || call.units <= 1 ? 1 : this.table.threadsFor(call.op, call.work);
    // on a busy machine the profile's count may be a trap: the back-off caps it (forced policies are A/B runs: never)
    const backOff = threads > 1 && this.adaptOn && this.table.policy === "profile" ? this.backOff : undefined;
    if (backOff) threads = backOff.limit(threads);
    const timed = backOff !== undefined && backOff.timed;
    const pool = threads > 1 ? this.usablePool() : undefined;
    let result: number;
    if (pool === undefined) {
      const t0 = timed ? performance.now() : 0;
      result = (invoke(fn, call.args, 0, call.units) as number | undefined) ?? 0;
      if (timed) {
        const us = (performance.now() - t0) * 1000;
        backOff!.observe(call.op, call.work, 1, us, us, 0);
      }
    } else {
      try {
        if (pool.spinMicros !== this.spin) pool.spinMicros = this.spin; // engines sharing the pool may want other windows
        result = pool.run(call, threads, (start, end) => (invoke(fn, call.args, start, end) as number | undefined) ?? 0, this.lease!.engine, undefined, timed);
        if (timed) backOff!.observe(call.op, call.work, threads, pool.lastOwnUs + pool.lastOverheadUs, pool.lastOwnUs, pool.lastOverheadUs);
      } catch (err) {
        if (!(err instanceof PoolFault)) throw err;
        this.usablePool(); // records the fault and warns
        throw new Error(`crossover: ${call.op} failed on a worker thread: ${err.message}. Its output is incomplete. ` +
          `The engine now runs every op serially on this thread (engine.health() says why): run the op again.`);
      }
    }
    call.check?.(result);
  }

  /** The pool if it can take work; on its first fault, falls back to serial and says so once. */
  private usablePool(): Pool | undefined {
    const lease = this.lease;
    if (lease === undefined) return undefined;
    if (lease.pool.fault === undefined) return lease.pool;
    this.fault = lease.pool.fault;
    this.lease = undefined;
    releasePool(lease);
    this.warn(`crossover: the worker pool failed (${this.fault}); running every op serially on the calling thread from now on`);
    return undefined;
  }

  private ctxOpen(): OpContext {
    this.open();
    return this.ctx;
  }

  private open(): void {
    if (this.closed) throw new Error("crossover: this engine is closed; create a new one with createEngine()");
  }
}

function spinWindow(where: string, us: unknown): number {
  if (typeof us !== "number" || !Number.isFinite(us) || us < 0 || us > 1e6) {
    throw new RangeError(`${where}: spinMicros must be a number of microseconds from 0 to 1e6, got ${String(us)}`);
  }
  return us;
}

function checkPolicy(policy: unknown, threads: number, where = "createEngine"): Policy {
  if (policy === "profile" || policy === "serial" || policy === "parallel") return policy;
  if (typeof policy === "number" && Number.isInteger(policy) && policy >= 1 && policy <= threads) return policy;
  throw new RangeError(`${where}: policy must be "profile", "serial", "parallel" or a thread count from 1 to threads (${threads}), ` +
    `got ${typeof policy === "string" ? JSON.stringify(policy) : String(policy)}`);
}

/**
 * Creates an engine: its arena, its kernels, its profile and its share of the
 * worker pool, and never measures anything: the tuner's, check's and bench's
 * own engines. The package's createEngine (src/create-engine.ts) adds the
 * calibration of a machine no profile names.
 */
export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  return new Engine(options).start();
}

/** The profile's hot fork-join on `threads` threads, microseconds (2 when it says nothing: a few times what a quiet machine costs). */
function forkJoinUs(profile: Profile, threads: number): number {
  return profile.pool.forkJoin?.find((f) => f.threads === threads)?.hotMicros ?? profile.pool.forkJoinHotMicros ?? 2;
}
