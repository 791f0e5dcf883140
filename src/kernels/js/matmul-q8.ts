import { f16ToF32 } from "../f16.js";
import { quantizeBlock } from "../q8.js";
import { Q8_BLOCK, Q8_BLOCK_BYTES } from "../types.js";
import type { Heap } from "./heap.js";

/**
 * Quantizes activation rows to Q8_0 exactly as the wasm kernel does (ggml's
 * reference arithmetic in f32), unpacked: 32 i16 per block in qx, the f16
 * scale as f32 in qd. Returns the number of blocks whose scale overflowed f16.
 */
export function quantizeRowsQ8(heap: Heap, qx: number, qd: number, x: number, cols: number,
    rowStart: number, rowEnd: number): number {
  const { f32: f, i16 } = heap.refresh();
  const nb = cols / Q8_BLOCK;
  let overflow = 0;
  for (let r = rowStart; r < rowEnd; r++) {
    for (let b = 0; b < nb; b++) {
      const blk = r * nb + b;
      const dst = (qx >> 1) + blk * Q8_BLOCK;
      const h = quantizeBlock(f, (x >> 2) + blk * Q8_BLOCK, (j, v) => { i16[dst + j] = v; });
      if ((h & 0x7c00) === 0x7c00) overflow++;
      f[(qd >> 2) + blk] = f16ToF32(h);
    }
  }
  return overflow;
}

/** Q8_0 weights times quantized activations: an exact integer dot per block, scaled by dw * dx. */
export function matmulQ8(heap: Heap, out: number, w: number, qx: number, qd: number, batch: number, inDim: number,
    outDim: number, _scratch: number, oStart: number, oEnd: number): void {
  const { f32: f, i16, i8, u16 } = heap.refresh();
  const nb = inDim / Q8_BLOCK;
  const rowBytes = nb * Q8_BLOCK_BYTES;
  for (let o = oStart; o < oEnd; o++) {
    for (let bt = 0; bt < batch; bt++) {
      let acc = 0;
      for (let b = 0; b < nb; b++) {
        const wb = w + o * rowBytes + b * Q8_BLOCK_BYTES;
        const xb = (qx >> 1) + (bt * nb + b) * Q8_BLOCK;
        let sumi = 0;
        for (let j = 0; j < Q8_BLOCK; j++) sumi += i8[wb + 2 + j] * i16[xb + j];
        acc += sumi * f16ToF32(u16[wb >> 1]) * f[(qd >> 2) + bt * nb + b];
      }
      f[(out >> 2) + bt * outDim + o] = acc;
    }
  }
}
