import type { Heap } from "./heap.js";

/** Max-subtracted softmax per row of n, in float64. out may equal x. */
export function softmax(heap: Heap, out: number, x: number, n: number, rowStart: number, rowEnd: number): void {
  const f = heap.refresh().f32;
  for (let r = rowStart; r < rowEnd; r++) {
    const xi = (x >> 2) + r * n;
    const yi = (out >> 2) + r * n;
    let m = -Infinity;
    for (let i = 0; i < n; i++) m = Math.max(m, f[xi + i]);
    let sum = 0;
    // exp in float64 kept only as f32 in out; the sum uses the float64 values
    for (let i = 0; i < n; i++) {
      const e = Math.exp(f[xi + i] - m);
      f[yi + i] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let i = 0; i < n; i++) f[yi + i] *= inv;
  }
}
