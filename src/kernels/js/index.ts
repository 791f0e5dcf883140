import type { ElementwiseKernels, Kernels } from "../types.js";
import { attention } from "./attention.js";
import { BINARY_KERNELS, UNARY_KERNELS } from "./elementwise.js";
import { Heap } from "./heap.js";
import { matmulF32 } from "./matmul-f32.js";
import { matmulQ8, quantizeRowsQ8 } from "./matmul-q8.js";
import { rmsNorm } from "./rms-norm.js";
import { rope } from "./rope.js";
import { softmax } from "./softmax.js";

/** The readable TypeScript backend, over the same shared memory and addresses as the wasm one. */
export function jsKernels(memory: WebAssembly.Memory): Kernels {
  const heap = new Heap(memory);
  return {
    name: "js",
    rmsNorm: (...a) => rmsNorm(heap, ...a),
    rope: (...a) => rope(heap, ...a),
    softmax: (...a) => softmax(heap, ...a),
    attention: (...a) => attention(heap, ...a),
    matmulF32: (...a) => matmulF32(heap, ...a),
    quantizeRowsQ8: (...a) => quantizeRowsQ8(heap, ...a),
    matmulQ8: (...a) => matmulQ8(heap, ...a),
    // one activation layout here
    quantizeRowsQ8U: (...a) => quantizeRowsQ8(heap, ...a),
    matmulQ8U: (...a) => matmulQ8(heap, ...a),
    ...elementwise(heap),
  };
}

/** Every elementwise kernel of the tables, bound to the heap. */
function elementwise(heap: Heap): ElementwiseKernels {
  const out: Record<string, (...a: number[]) => void> = {};
  for (const [name, f] of Object.entries(UNARY_KERNELS)) out[name] = (o, x, s, e) => f(heap, o, x, s, e);
  for (const [name, f] of Object.entries(BINARY_KERNELS)) out[name] = (o, a, b, s, e) => f(heap, o, a, b, s, e);
  return out as unknown as ElementwiseKernels;
}
