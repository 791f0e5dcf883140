import type { Engine } from "../engine/engine.js";
import type { ProfileOp } from "../engine/profile/types.js";
import type { Q8Tensor } from "../engine/q8-tensor.js";

/** A ready-to-time call of one op at one shape, on one engine's tensors. */
export interface PreparedOp {
  run: () => void;
  /** Floating-point operations per call, where that is the natural rate. */
  flops?: number;
  /** Bytes a call must move at least, where that is the natural rate. */
  bytes?: number;
  dispose: () => void;
}

export type Shape = Record<string, number>;

function rand(a: Float32Array, scale = 1): Float32Array {
  let s = 12345;
  for (let i = 0; i < a.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    a[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return a;
}

/**
 * Weights kept across points that share them (a matmul family walks the batch
 * axis over the same W): quantizing a 2048x8192 matrix costs a second.
 */
export class WeightCache {
  private readonly entries = new Map<string, Float32Array | Q8Tensor>();
  constructor(private readonly engine: Engine) {}
  get(key: string, make: () => Float32Array | Q8Tensor): Float32Array | Q8Tensor {
    let w = this.entries.get(key);
    if (!w) {
      this.clear(); // one family at a time
      w = make();
      this.entries.set(key, w);
    }
    return w;
  }
  clear(): void {
    for (const w of this.entries.values()) this.engine.free(w);
    this.entries.clear();
  }
}

/** Allocates the op's tensors (random values) on the engine and returns the call to time. */
export function prepareOp(e: Engine, op: ProfileOp, s: Shape, cache?: WeightCache): PreparedOp {
  const tensors: Array<Parameters<Engine["free"]>[0]> = [];
  const f32 = (n: number, scale = 1) => { const t = rand(e.f32(n), scale); tensors.push(t); return t; };
  const dispose = () => { for (const t of tensors) e.free(t); };
  switch (op) {
    case "rope": {
      const n = s.seqLen * s.heads * s.headDim;
      const x = f32(n);
      const shape = { seqLen: s.seqLen, heads: s.heads, headDim: s.headDim, positions: 0 };
      return { run: () => e.rope(x, shape), bytes: 2 * n * 4, dispose };
    }
    case "qkNorm": {
      const n = s.seqLen * s.heads * s.headDim;
      const x = f32(n), w = f32(s.headDim);
      const shape = { seqLen: s.seqLen, heads: s.heads, headDim: s.headDim };
      return { run: () => e.qkNorm(x, w, shape), bytes: 2 * n * 4, dispose };
    }
    case "rmsNorm": {
      const n = s.rows * s.dim;
      const x = f32(n), w = f32(s.dim), y = f32(n);
      const shape = { rows: s.rows, dim: s.dim };
      return { run: () => e.rmsNorm(y, x, w, shape), bytes: (2 * n + s.dim) * 4, dispose };
    }
    case "softmax": {
      const n = s.rows * s.n;
      const x = f32(n, 10), y = f32(n);
      const shape = { rows: s.rows, n: s.n };
      return { run: () => e.softmax(y, x, shape), bytes: 2 * n * 4, dispose };
    }
    case "attention.prefill":
    case "attention.decode": {
      const kvHeads = s.kvHeads ?? s.heads;
      const qn = s.seqLen * s.heads * s.headDim, kn = s.kvLen * kvHeads * s.headDim;
      const q = f32(qn), k = f32(kn), v = f32(kn), out = f32(qn);
      const shape = { seqLen: s.seqLen, kvLen: s.kvLen, heads: s.heads, kvHeads, headDim: s.headDim };
      return { run: () => e.attention(out, q, k, v, shape), flops: 4 * s.seqLen * s.kvLen * s.heads * s.headDim, dispose };
    }
    case "matmul.f32":
    case "matmul.q8_0": {
      const x = f32(s.batch * s.inDim), out = f32(s.batch * s.outDim);
      const shape = { batch: s.batch, inDim: s.inDim, outDim: s.outDim };
      const flops = 2 * s.batch * s.inDim * s.outDim;
      const make = () => op === "matmul.f32" ? rand(e.f32(s.outDim * s.inDim))
        : e.quantizeQ8(rand(new Float32Array(s.outDim * s.inDim)), s.outDim, s.inDim);
      let w: Float32Array | Q8Tensor;
      if (cache) {
        w = cache.get(`${op} ${s.outDim}x${s.inDim}`, make);
      } else {
        w = make();
        tensors.push(w);
      }
      const bytes = w instanceof Float32Array ? w.byteLength : w.bytes.length;
      return { run: () => e.matmul(out, w, x, shape), flops, bytes, dispose };
    }
    case "add":
    case "mul": {
      const a = f32(s.n), b = f32(s.n), out = f32(s.n);
      return { run: op === "add" ? () => e.add(out, a, b) : () => e.mul(out, a, b), bytes: 12 * s.n, dispose };
    }
    case "gelu":
    case "silu": {
      const x = f32(s.n, 4), out = f32(s.n);
      return { run: op === "gelu" ? () => e.gelu(out, x) : () => e.silu(out, x), bytes: 8 * s.n, dispose };
    }
  }
}
