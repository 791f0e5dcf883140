import type { Heap } from "./heap.js";

/**
 * Rotary embedding in place, rows = token * heads + head. rowTable[t] is the
 * byte address of token t's [cos(half) | sin(half)] row.
 * neox rotates (i, i + half); interleaved rotates (2i, 2i + 1); both by angle i.
 */
export function rope(heap: Heap, x: number, rowTable: number, heads: number, headDim: number, interleaved: number,
    rowStart: number, rowEnd: number): void {
  const { f32: f, i32 } = heap.refresh();
  const half = headDim >> 1;
  for (let r = rowStart; r < rowEnd; r++) {
    const t = Math.floor(r / heads);
    const cs = i32[(rowTable >> 2) + t] >> 2;
    const sn = cs + half;
    const base = (x >> 2) + r * headDim;
    for (let i = 0; i < half; i++) {
      const c = f[cs + i], s = f[sn + i];
      const ia = interleaved ? base + 2 * i : base + i;
      const ib = interleaved ? ia + 1 : ia + half;
      const a = f[ia], b = f[ib];
      f[ia] = a * c - b * s;
      f[ib] = b * c + a * s;
    }
  }
}
