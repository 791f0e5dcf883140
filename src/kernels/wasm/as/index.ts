// Entry of the WebAssembly kernel module: pointer-only kernels over the
// imported shared memory (the TypeScript arena owns every byte of it).
export { rmsNorm } from "./rmsnorm";
export { rope } from "./rope";
export { softmax } from "./softmax";
export { attention, attentionScratchBytes } from "./attention";
export { matmulF32 } from "./matmul-f32";
export { matmulQ8, matmulQ8U, matmulQ8W, quantizeRowsQ8, quantizeRowsQ8U, quantizeRowsQ8W, int8DotForm, q8RowGroupBytes } from "./matmul-q8";
export * from "./elementwise";
export { peakF32 } from "./peak";
