import type { Heap } from "./heap.js";

/** RMSNorm per row of `dim`, in float64, rounded once on store. out may equal x. */
export function rmsNorm(heap: Heap, out: number, x: number, w: number, dim: number, eps: number, gemma: number,
    rowStart: number, rowEnd: number): void {
  const f = heap.refresh().f32;
  const wi = w >> 2;
  const add = gemma ? 1 : 0;
  for (let r = rowStart; r < rowEnd; r++) {
    const xi = (x >> 2) + r * dim;
    const yi = (out >> 2) + r * dim;
    let ss = 0;
    for (let i = 0; i < dim; i++) ss += f[xi + i] * f[xi + i];
    const inv = 1 / Math.sqrt(ss / dim + Math.fround(eps));
    for (let i = 0; i < dim; i++) f[yi + i] = f[xi + i] * inv * (f[wi + i] + add);
  }
}
