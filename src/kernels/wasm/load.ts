import { readFileSync } from "node:fs";
import type { Kernels } from "../types.js";

// The compiled module sits in dist/wasm; this file lives at the same depth in
// src/ (tests) and dist/ (the package), so one relative path serves both.
const WASM_URL = new URL("../../../dist/wasm/kernels.wasm", import.meta.url);

let compiled: WebAssembly.Module | undefined;
let bytes: Buffer | undefined;

/** The kernel module's bytes, read once per thread: what the kernels are (a profile records their hash). */
export function wasmBytes(): Buffer {
  if (bytes) return bytes;
  try {
    bytes = readFileSync(WASM_URL);
  } catch (err) {
    throw new Error(`crossover: the WebAssembly kernels are not built (${WASM_URL.pathname} is missing). ` +
      `Run "npm run build" in the crossover package. (${(err as Error).message})`);
  }
  return bytes;
}

/** The compiled kernel module, read and compiled once per thread. */
export function wasmModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(wasmBytes());
  return compiled;
}

interface WasmExports {
  rmsNorm: Kernels["rmsNorm"];
  rope: Kernels["rope"];
  softmax: Kernels["softmax"];
  attention: Kernels["attention"];
  matmulF32: Kernels["matmulF32"];
  quantizeRowsQ8: Kernels["quantizeRowsQ8"];
  matmulQ8: Kernels["matmulQ8"];
  add: Kernels["add"];
  mul: Kernels["mul"];
  gelu: Kernels["gelu"];
  silu: Kernels["silu"];
}

/** Instantiates the SIMD kernels over a shared memory (synchronously: the module is small). */
export function wasmKernels(memory: WebAssembly.Memory): Kernels {
  const instance = new WebAssembly.Instance(wasmModule(), { env: { memory } });
  const e = instance.exports as unknown as WasmExports;
  return {
    name: "wasm",
    rmsNorm: e.rmsNorm,
    rope: e.rope,
    softmax: e.softmax,
    attention: e.attention,
    matmulF32: e.matmulF32,
    quantizeRowsQ8: e.quantizeRowsQ8,
    matmulQ8: e.matmulQ8,
    add: e.add,
    mul: e.mul,
    gelu: e.gelu,
    silu: e.silu,
  };
}
