import type { Heap } from "./heap.js";

// Elementwise kernels over [start, end) of floats, computed in float64.
// The two tables at the end name them: the kernel interface, the pool's kernel
// ids and the wasm binding all read these names, so a new elementwise kernel
// is a function here, its twin in the wasm module, and a table entry.

export function add(heap: Heap, out: number, a: number, b: number, start: number, end: number): void {
  const f = heap.refresh().f32;
  const o = out >> 2, x = a >> 2, y = b >> 2;
  for (let i = start; i < end; i++) f[o + i] = f[x + i] + f[y + i];
}

export function mul(heap: Heap, out: number, a: number, b: number, start: number, end: number): void {
  const f = heap.refresh().f32;
  const o = out >> 2, x = a >> 2, y = b >> 2;
  for (let i = start; i < end; i++) f[o + i] = f[x + i] * f[y + i];
}

/**
 * GELU, tanh approximation: 0.5 x (1 + tanh(y)), y = sqrt(2/pi) (x + 0.044715 x^3),
 * computed as x / (1 + e^(-2y)): 1 + tanh(y) cancels to nothing for y < -18.
 */
export function gelu(heap: Heap, out: number, x: number, start: number, end: number): void {
  const f = heap.refresh().f32;
  const o = out >> 2, xi = x >> 2;
  const c = 2 * Math.sqrt(2 / Math.PI);
  for (let i = start; i < end; i++) {
    const v = f[xi + i];
    f[o + i] = v / (1 + Math.exp(-c * (v + 0.044715 * v * v * v)));
  }
}

/** SiLU: x / (1 + e^-x). */
export function silu(heap: Heap, out: number, x: number, start: number, end: number): void {
  const f = heap.refresh().f32;
  const o = out >> 2, xi = x >> 2;
  for (let i = start; i < end; i++) {
    const v = f[xi + i];
    f[o + i] = v / (1 + Math.exp(-v));
  }
}

/** Kernels of one input: out = f(x). */
export const UNARY_KERNELS = { gelu, silu };
/** Kernels of two inputs: out = f(a, b). */
export const BINARY_KERNELS = { add, mul };
