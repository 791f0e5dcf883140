import { Heap } from "../kernels/js/heap.js";
import { jsKernels } from "../kernels/js/index.js";
import { q8Bytes, quantizeQ8 as quantizeQ8Bytes } from "../kernels/q8.js";
import type { BackendName, Kernels } from "../kernels/types.js";
import { wasmKernels } from "../kernels/wasm/load.js";
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
import { describe, dim } from "./validate.js";

export interface EngineOptions {
  /** Kernel backend: 'wasm' (SIMD128, the default) or 'js' (plain TypeScript). */
  backend?: BackendName;
  /** Threads per op. Only 1 until the worker pool lands. */
  threads?: number;
  /** Largest the arena may grow to, in bytes (default 2 GiB, at most 4 GiB). */
  maxMemory?: number;
  /** Positions cached in each RoPE cos/sin table (default 8192); later ones are computed per call. */
  ropeTableLength?: number;
}

/**
 * Default arena limit: a 1B-parameter model's layer in FP32 (~250 MB for
 * Llama 3.2 1B) plus an 8192-token FP32 KV cache for all its layers (~512 MB),
 * with room for activations and scratch.
 */
export const DEFAULT_MAX_MEMORY = 2 * 2 ** 30;

export class Engine {
  readonly backend: BackendName;
  readonly threads: number;
  readonly memory: WebAssembly.Memory;
  private readonly arena: Arena;
  private readonly kernels: Kernels;
  private readonly heap: Heap;
  private readonly ctx: OpContext;
  private closed = false;

  /** Use createEngine(). */
  constructor(options: EngineOptions = {}) {
    if (options === null || typeof options !== "object") throw new TypeError(`createEngine: options must be an object, got ${describe(options)}`);
    const backend = options.backend ?? "wasm";
    if (backend !== "wasm" && backend !== "js") throw new RangeError(`createEngine: backend must be "wasm" or "js", got ${String(backend)}`);
    const threads = dim("createEngine", "threads", options.threads ?? 1);
    if (threads !== 1) {
      throw new RangeError(`createEngine: threads must be 1 in this version (the worker pool is not built yet), got ${threads}`);
    }
    const ropeTableLength = dim("createEngine", "ropeTableLength", options.ropeTableLength ?? 8192);
    this.backend = backend;
    this.threads = threads;
    this.arena = new Arena({ maxBytes: options.maxMemory ?? DEFAULT_MAX_MEMORY });
    this.memory = this.arena.memory;
    this.kernels = backend === "wasm" ? wasmKernels(this.memory) : jsKernels(this.memory);
    this.heap = new Heap(this.memory);
    const scratch = new Scratch(this.arena);
    this.ctx = { arena: this.arena, scratch, ropeTables: new RopeTables(this.arena, this.heap, scratch, ropeTableLength) };
  }

  /** A zero-filled Float32Array of `length` on the arena. */
  f32(length: number): Float32Array {
    this.open();
    const n = dim("f32", "length", length);
    const addr = this.arena.alloc(n * 4); // may grow the memory: take the buffer after
    return new Float32Array(this.arena.buffer(), addr, n);
  }

  /** An empty Q8_0 tensor [rows, cols] (cols % 32 == 0) whose bytes can be filled, e.g. from a GGUF file. */
  q8(rows: number, cols: number): Q8Tensor {
    this.open();
    dim("q8", "rows", rows);
    dim("q8", "cols", cols);
    if (cols % 32 !== 0) throw new RangeError(`q8: cols must be a multiple of 32 (Q8_0 blocks), got ${cols}`);
    const size = q8Bytes(rows, cols);
    const addr = this.arena.alloc(size);
    return { rows, cols, bytes: new Uint8Array(this.arena.buffer(), addr, size) };
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

  /** Bytes the arena holds for live tensors, and how large the memory is now. */
  memoryUsage(): { inUse: number; capacity: number; max: number } {
    return { inUse: this.arena.bytesInUse, capacity: this.arena.capacity, max: this.arena.maxBytes };
  }

  close(): void {
    this.closed = true;
  }

  private run(call: OpCall): void {
    const fn = this.kernels[call.kernel] as (...a: number[]) => number | void;
    const result = fn(...call.args, 0, call.units);
    call.check?.(result ?? 0);
  }

  private ctxOpen(): OpContext {
    this.open();
    return this.ctx;
  }

  private open(): void {
    if (this.closed) throw new Error("crossover: this engine is closed; create a new one with createEngine()");
  }
}

/** Creates an engine: its arena, its kernels and (later) its worker pool. */
export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  return new Engine(options);
}
