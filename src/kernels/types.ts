import { BINARY_KERNELS, UNARY_KERNELS } from "./js/elementwise.js";

/**
 * The kernel interface both backends implement. Every argument that names a
 * tensor is a byte address in the engine's shared memory, and every kernel
 * takes [start, end) of its unit of parallel work, so a worker thread can run
 * a slice of one call. Running any split of the range in pieces gives bitwise
 * the same output as one call over the whole range.
 *
 * Units: rmsNorm rows; rope rows = token * heads + head; softmax rows;
 * attention u = head * seqLen + query; matmul output rows of W;
 * quantizeRowsQ8 rows of the activations; elementwise ops single elements.
 */
export interface Kernels extends ElementwiseKernels {
  readonly name: "wasm" | "js";
  /** y = x / sqrt(mean(x^2) + eps) * (w or 1 + w) per row of `dim`. out may equal x. */
  rmsNorm(out: number, x: number, w: number, dim: number, eps: number, gemma: number, rowStart: number, rowEnd: number): void;
  /**
   * Rotary embedding in place. rowTable: per token, an i32 holding the byte
   * address of its [cos(headDim/2) | sin(headDim/2)] row.
   */
  rope(x: number, rowTable: number, heads: number, headDim: number, interleaved: number, rowStart: number, rowEnd: number): void;
  softmax(out: number, x: number, n: number, rowStart: number, rowEnd: number): void;
  /** scratch: 4 * (kvLen + 4) floats private to the calling thread. */
  attention(out: number, q: number, k: number, v: number, scratch: number, seqLen: number, kvLen: number, heads: number,
    kvHeads: number, headDim: number, causal: number, scale: number, unitStart: number, unitEnd: number): void;
  matmulF32(out: number, w: number, x: number, batch: number, inDim: number, outDim: number, oStart: number, oEnd: number): void;
  /**
   * Quantizes activation rows to Q8_0 in the unpacked form matmulQ8 reads:
   * qx holds 64 bytes per block (32 i16 in SIMD128 and js; in relaxed SIMD, the same where
   * the runtime's int8 dot saturates, else |q| and sign masks, or q + 128 and
   * |q| for quantizeRowsQ8U), qd one f32 scale per block.
   * Returns how many blocks needed a scale beyond f16's range.
   */
  quantizeRowsQ8(qx: number, qd: number, x: number, cols: number, rowStart: number, rowEnd: number): number;
  /** scratch: 32 * (inDim / 32) bytes private to the calling thread (four weight rows' block scales and sums, worked out once per row group). */
  matmulQ8(out: number, w: number, qx: number, qd: number, batch: number, inDim: number, outDim: number, scratch: number, oStart: number, oEnd: number): void;
  /**
   * The same pair through another activation layout (the same bits out): in
   * the relaxed wasm build, where the runtime's int8 dot reads unsigned bytes
   * (x86 VNNI), x + 128 against the weights: 1.4x faster at 8-32 activation
   * rows on a Zen 5 core; the op uses it from 4 rows (descriptors'
   * batchKernels: below that, the 128 * sum(w) it takes off costs more than
   * it saves). Elsewhere they run the same form as quantizeRowsQ8 and matmulQ8.
   */
  quantizeRowsQ8U(qx: number, qd: number, x: number, cols: number, rowStart: number, rowEnd: number): number;
  matmulQ8U(out: number, w: number, qx: number, qd: number, batch: number, inDim: number, outDim: number, scratch: number, oStart: number, oEnd: number): void;
}

export type BackendName = Kernels["name"];

/** Elementwise kernels, named by the JavaScript backend's tables. out may equal an input (in place). */
export type UnaryKernelName = keyof typeof UNARY_KERNELS;
export type BinaryKernelName = keyof typeof BINARY_KERNELS;
export type ElementwiseKernels =
  { [K in UnaryKernelName]: (out: number, x: number, start: number, end: number) => void } &
  { [K in BinaryKernelName]: (out: number, a: number, b: number, start: number, end: number) => void };

export type KernelName = Exclude<keyof Kernels, "name">;

/** The kernels that are not elementwise; typed so that the list below cannot miss one. */
const OTHER_KERNELS: Record<Exclude<KernelName, UnaryKernelName | BinaryKernelName>, true> = {
  rmsNorm: true, rope: true, softmax: true, attention: true, matmulF32: true, quantizeRowsQ8: true, matmulQ8: true,
  quantizeRowsQ8U: true, matmulQ8U: true,
};

/** Every kernel, in a fixed order: the pool's kernel ids are indices into this list. */
export const KERNEL_NAMES: readonly KernelName[] = [
  ...Object.keys(OTHER_KERNELS), ...Object.keys(UNARY_KERNELS), ...Object.keys(BINARY_KERNELS),
] as KernelName[];

/** Bytes of one Q8_0 block: an f16 scale and 32 int8. */
export const Q8_BLOCK_BYTES = 34;
export const Q8_BLOCK = 32;
/**
 * Bytes per weight block of matmulQ8's per-thread row-group scratch: four
 * rows' scales and biases, and their weights packed for the u8 tile. The
 * wasm modules' q8RowGroupBytes must agree (test/matmul.test.ts checks).
 */
export const Q8_ROW_GROUP_BLOCK_BYTES = 192;
