import { f16ToF32, f32ToF16 } from "./f16.js";
import { Q8_BLOCK, Q8_BLOCK_BYTES } from "./types.js";

// ggml's Q8_0 format: per block of 32 values, an f16 scale d and 32 int8 q,
// with x ~= d * q. Quantization follows ggml's reference (quantize_row_q8_0_ref):
// d = amax / 127 in f32, q = roundf(x * (1/d)) ties away from zero.

/** Bytes of a [rows, cols] Q8_0 tensor. */
export function q8Bytes(rows: number, cols: number): number {
  checkShape(rows, cols, "q8Bytes");
  return rows * (cols / Q8_BLOCK) * Q8_BLOCK_BYTES;
}

/** Round half away from zero of an f32 value (C's roundf). */
export function roundHalfAway(y: number): number {
  return Math.sign(y) * Math.floor(Math.abs(y) + 0.5);
}

/**
 * Quantizes one block of 32 floats starting at src[at] with f32 arithmetic, so
 * the result is bit for bit what ggml's C reference gives. Writes the 32 values
 * through `put` and returns the f16 bits of the scale.
 */
export function quantizeBlock(src: ArrayLike<number>, at: number, put: (j: number, q: number) => void): number {
  let amax = 0;
  for (let j = 0; j < Q8_BLOCK; j++) amax = Math.max(amax, Math.abs(src[at + j]));
  const d = Math.fround(amax / 127);
  const h = f32ToF16(d);
  // a scale that rounds to f16 zero makes the block zero: its codes are 0 too
  // (ggml's reference would divide by a d whose inverse may overflow: undefined there)
  const id = d !== 0 && h !== 0 ? Math.fround(1 / d) : 0;
  for (let j = 0; j < Q8_BLOCK; j++) {
    const q = roundHalfAway(Math.fround(src[at + j] * id));
    // q is within +-127 unless 1/d overflowed (|x| < ~1e-38): clamp for safety
    put(j, q > 127 ? 127 : q < -127 ? -127 : q || 0);
  }
  return h;
}

function hasNonFinite(src: ArrayLike<number>, at: number): boolean {
  for (let j = 0; j < Q8_BLOCK; j++) if (!Number.isFinite(src[at + j])) return true;
  return false;
}

function checkShape(rows: number, cols: number, what: string): void {
  if (!Number.isInteger(rows) || rows < 1) throw new RangeError(`${what}: rows must be a positive integer, got ${rows}`);
  if (!Number.isInteger(cols) || cols < 1 || cols % Q8_BLOCK !== 0) {
    throw new RangeError(`${what}: cols must be a positive multiple of ${Q8_BLOCK} (Q8_0 blocks), got ${cols}`);
  }
}

/** Quantizes src [rows, cols] (cols % 32 == 0) into Q8_0 bytes laid out as GGUF stores them. */
export function quantizeQ8(src: ArrayLike<number>, rows: number, cols: number, out?: Uint8Array): Uint8Array {
  checkShape(rows, cols, "quantizeQ8");
  if (src.length !== rows * cols) throw new RangeError(`quantizeQ8: src has length ${src.length}, expected rows*cols = ${rows * cols}`);
  const size = q8Bytes(rows, cols);
  const bytes = out ?? new Uint8Array(size);
  if (bytes.length !== size) throw new RangeError(`quantizeQ8: out has ${bytes.length} bytes, expected ${size}`);
  const blocks = (rows * cols) / Q8_BLOCK;
  for (let b = 0; b < blocks; b++) {
    const o = b * Q8_BLOCK_BYTES;
    const h = quantizeBlock(src, b * Q8_BLOCK, (j, q) => { bytes[o + 2 + j] = q & 0xff; });
    if ((h & 0x7c00) === 0x7c00) {
      // an f16 scale of Inf or NaN would make every value of the block Inf or NaN when used
      const row = Math.floor((b * Q8_BLOCK) / cols), col = (b * Q8_BLOCK) % cols;
      throw new RangeError(`quantizeQ8: the block at row ${row}, columns ${col}..${col + Q8_BLOCK - 1} holds ` +
        `${hasNonFinite(src, b * Q8_BLOCK) ? "NaN or Infinity" : "values above ~8.3e6 (beyond what an f16 scale can hold)"}: ` +
        `Q8_0 cannot store it; fix or rescale the weights, or keep them in FP32`);
    }
    bytes[o] = h & 0xff;
    bytes[o + 1] = h >> 8;
  }
  return bytes;
}

/** Expands Q8_0 bytes [rows, cols] back to floats: d * q per value. */
export function dequantizeQ8(bytes: Uint8Array, rows: number, cols: number, out?: Float32Array): Float32Array {
  checkShape(rows, cols, "dequantizeQ8");
  const size = q8Bytes(rows, cols);
  if (bytes.length !== size) throw new RangeError(`dequantizeQ8: bytes has length ${bytes.length}, expected ${size} for ${rows}x${cols}`);
  const dst = out ?? new Float32Array(rows * cols);
  if (dst.length !== rows * cols) throw new RangeError(`dequantizeQ8: out has length ${dst.length}, expected ${rows * cols}`);
  const blocks = (rows * cols) / Q8_BLOCK;
  for (let b = 0; b < blocks; b++) {
    const o = b * Q8_BLOCK_BYTES;
    const d = f16ToF32(bytes[o] | (bytes[o + 1] << 8));
    for (let j = 0; j < Q8_BLOCK; j++) dst[b * Q8_BLOCK + j] = d * ((bytes[o + 2 + j] << 24) >> 24);
  }
  return dst;
}
