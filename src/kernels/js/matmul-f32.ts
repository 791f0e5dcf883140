import type { Heap } from "./heap.js";

/** out[b][o] = sum_k W[o][k] * x[b][k] for o in [oStart, oEnd), in float64. */
export function matmulF32(heap: Heap, out: number, w: number, x: number, batch: number, inDim: number, outDim: number,
    oStart: number, oEnd: number): void {
  const f = heap.refresh().f32;
  for (let o = oStart; o < oEnd; o++) {
    const wi = (w >> 2) + o * inDim;
    for (let b = 0; b < batch; b++) {
      const xi = (x >> 2) + b * inDim;
      let acc = 0;
      for (let k = 0; k < inDim; k++) acc += f[wi + k] * f[xi + k];
      f[(out >> 2) + b * outDim + o] = acc;
    }
  }
}
