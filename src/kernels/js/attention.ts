import type { Heap } from "./heap.js";

/**
 * Attention for units u = head * seqLen + query, the plain way: scores, softmax,
 * weighted sum of V, in float64 arithmetic (scores kept as f32 in scratch).
 * Query i sits at position kvLen - seqLen + i; causal units see keys <= it.
 */
export function attention(heap: Heap, out: number, q: number, k: number, v: number, scratch: number,
    seqLen: number, kvLen: number, heads: number, kvHeads: number, headDim: number, causal: number, scale: number,
    unitStart: number, unitEnd: number): void {
  const f = heap.refresh().f32;
  const group = heads / kvHeads;
  const s = scratch >> 2;
  const fscale = Math.fround(scale);
  for (let u = unitStart; u < unitEnd; u++) {
    const h = Math.floor(u / seqLen);
    const i = u - h * seqLen;
    const kh = Math.floor(h / group);
    const qi = (q >> 2) + (i * heads + h) * headDim;
    const oi = (out >> 2) + (i * heads + h) * headDim;
    const n = causal ? kvLen - seqLen + i + 1 : kvLen;
    let m = -Infinity;
    for (let j = 0; j < n; j++) {
      const ki = (k >> 2) + (j * kvHeads + kh) * headDim;
      let dot = 0;
      for (let d = 0; d < headDim; d++) dot += f[qi + d] * f[ki + d];
      f[s + j] = dot * fscale;
      m = Math.max(m, f[s + j]);
    }
    let sum = 0;
    for (let j = 0; j < n; j++) {
      const e = Math.exp(f[s + j] - m);
      f[s + j] = e;
      sum += e;
    }
    for (let d = 0; d < headDim; d++) {
      let acc = 0;
      for (let j = 0; j < n; j++) acc += f[s + j] * f[(v >> 2) + (j * kvHeads + kh) * headDim + d];
      f[oi + d] = acc / sum;
    }
  }
}
