import type { Engine } from "../engine/engine.js";
import { seededRandom } from "../random.js";
import { OPS, type ProfileOp } from "../engine/ops/descriptors.js";
import type { BinaryOp, UnaryOp } from "../engine/ops/elementwise.js";
import type { Q8Tensor } from "../engine/q8-tensor.js";
import type { Shape } from "../results/types.js";
import { f32ToF16 } from "../kernels/f16.js";
import { Q8_BLOCK_BYTES } from "../kernels/types.js";

/**
 * A ready-to-time call of one op at one shape, on one engine's tensors. The
 * data stays what a model would see however often `run` repeats: in-place ops
 * are idempotent in magnitude, nothing feeds on its own output.
 */
export interface PreparedOp {
  run: () => void;
  /** What a call writes (in place or not): checked for subnormal and non-finite values after timing. */
  outputs: Float32Array[];
  /** Fills the inputs with fresh random data (another seed). */
  refill: () => void;
  /** Floating-point operations per call, where that is the natural rate. */
  flops?: number;
  /** Bytes a call must move at least, where that is the natural rate. */
  bytes?: number;
  dispose: () => void;
}

/** Uniform values in [-scale, scale) from the seeded generator. */
function rand(a: Float32Array, scale = 1, seed = 12345): Float32Array {
  const next = seededRandom(seed);
  for (let i = 0; i < a.length; i++) a[i] = (next() * 2 - 1) * scale;
  return a;
}

/**
 * Random Q8_0 weights written as blocks directly (codes in [-127, 127], scales
 * 1/127 to 2/127): a matmul's time does not depend on the values, and
 * quantizing random floats made a 2048x2048 weight cost 170 ms, most of a
 * calibration's matmul share.
 */
function randomQ8(e: Engine, rows: number, cols: number, seed = 12345): Q8Tensor {
  const t = e.q8(rows, cols);
  const bytes = t.bytes;
  let s = seed | 0;
  const next16 = () => (s = (Math.imul(s, 1103515245) + 12345) | 0) >>> 16; // an inline LCG: millions of codes
  for (let o = 0; o < bytes.length; o += Q8_BLOCK_BYTES) {
    const h = f32ToF16((1 + next16() / 65536) / 127);
    bytes[o] = h & 0xff;
    bytes[o + 1] = h >>> 8;
    for (let j = o + 2; j < o + Q8_BLOCK_BYTES; j++) bytes[j] = ((next16() % 255) - 127) & 0xff;
  }
  return t;
}

/**
 * Norm weights of magnitude 1 with random signs: a norm applied in place again
 * and again then keeps every value's magnitude. Weights in [-1, 1) shrink the
 * smaller ones geometrically into subnormals (31x slower on Intel).
 */
function signs(a: Float32Array, seed = 777): Float32Array {
  rand(a, 1, seed);
  for (let i = 0; i < a.length; i++) a[i] = a[i] < 0 ? -1 : 1;
  return a;
}

/**
 * Weights kept across points that share them (a matmul family walks the batch
 * axis over the same W): filling a 2048x8192 matrix takes a fraction of a second.
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

/**
 * Allocates the op's tensors (random values) on the engine and returns the
 * call to time. Inputs a call overwrites are only the in-place ones (rope
 * rotates, qkNorm renormalises with unit-magnitude weights), so a repeated
 * call keeps seeing normal, finite data.
 */
export function prepareOp(e: Engine, op: ProfileOp, s: Shape, cache?: WeightCache): PreparedOp {
  const tensors: Array<Parameters<Engine["free"]>[0]> = [];
  const inputs: { t: Float32Array; scale: number }[] = [];
  const f32 = (n: number) => { const t = e.f32(n); tensors.push(t); return t; };
  const input = (n: number, scale = 1) => { const t = rand(f32(n), scale); inputs.push({ t, scale }); return t; };
  let seed = 12345;
  const refill = () => { seed += 7919; for (const { t, scale } of inputs) rand(t, scale, seed++); };
  const dispose = () => { for (const t of tensors) e.free(t); };
  const prepared = (run: () => void, outputs: Float32Array[], rate: { flops?: number; bytes?: number }): PreparedOp =>
    ({ run, outputs, refill, dispose, ...rate });
  switch (op) {
    case "rope": {
      const n = s.seqLen * s.heads * s.headDim;
      const x = input(n);
      const shape = { seqLen: s.seqLen, heads: s.heads, headDim: s.headDim, positions: 0 };
      return prepared(() => e.rope(x, shape), [x], { bytes: 2 * n * 4 });
    }
    case "qkNorm": {
      const n = s.seqLen * s.heads * s.headDim;
      const x = input(n), w = signs(f32(s.headDim));
      const shape = { seqLen: s.seqLen, heads: s.heads, headDim: s.headDim };
      return prepared(() => e.qkNorm(x, w, shape), [x], { bytes: 2 * n * 4 });
    }
    case "rmsNorm": {
      const n = s.rows * s.dim;
      const x = input(n), w = input(s.dim), y = f32(n);
      const shape = { rows: s.rows, dim: s.dim };
      return prepared(() => e.rmsNorm(y, x, w, shape), [y], { bytes: (2 * n + s.dim) * 4 });
    }
    case "softmax": {
      const n = s.rows * s.n;
      const x = input(n, 10), y = f32(n);
      const shape = { rows: s.rows, n: s.n };
      return prepared(() => e.softmax(y, x, shape), [y], { bytes: 2 * n * 4 });
    }
    case "attention.prefill":
    case "attention.decode": {
      const kvHeads = s.kvHeads ?? s.heads;
      const qn = s.seqLen * s.heads * s.headDim, kn = s.kvLen * kvHeads * s.headDim;
      const q = input(qn), k = input(kn), v = input(kn), out = f32(qn);
      const shape = { seqLen: s.seqLen, kvLen: s.kvLen, heads: s.heads, kvHeads, headDim: s.headDim };
      return prepared(() => e.attention(out, q, k, v, shape), [out], { flops: 4 * s.seqLen * s.kvLen * s.heads * s.headDim });
    }
    case "matmul.f32":
    case "matmul.q8_0": {
      const x = input(s.batch * s.inDim), out = f32(s.batch * s.outDim);
      const shape = { batch: s.batch, inDim: s.inDim, outDim: s.outDim };
      const flops = 2 * s.batch * s.inDim * s.outDim;
      const make = () => op === "matmul.f32" ? rand(e.f32(s.outDim * s.inDim))
        : randomQ8(e, s.outDim, s.inDim);
      let w: Float32Array | Q8Tensor;
      if (cache) {
        w = cache.get(`${op} ${s.outDim}x${s.inDim}`, make);
      } else {
        w = make();
        tensors.push(w);
      }
      const bytes = w instanceof Float32Array ? w.byteLength : w.bytes.length;
      return prepared(() => e.matmul(out, w, x, shape), [out], { flops, bytes });
    }
    default: {
      // elementwise: named as its kernel, run through unary/binary, inputs in the descriptor's range
      const { method, inputScale = 1 } = OPS[op];
      const a = input(s.n, inputScale), out = f32(s.n);
      if (method === "unary") return prepared(() => e.unary(op as UnaryOp, out, a), [out], { bytes: 8 * s.n });
      if (method !== "binary") throw new Error(`prepareOp: no way to prepare ${op} (method ${method})`);
      const b = input(s.n, inputScale);
      return prepared(() => e.binary(op as BinaryOp, out, a, b), [out], { bytes: 12 * s.n });
    }
  }
}
