import { readFileSync } from "node:fs";
import { KERNEL_NAMES, type Kernels } from "../types.js";

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

/** Instantiates the SIMD kernels over a shared memory (synchronously: the module is small). */
export function wasmKernels(memory: WebAssembly.Memory): Kernels {
  const instance = new WebAssembly.Instance(wasmModule(), { env: { memory } });
  const bound: Record<string, unknown> = { name: "wasm" };
  for (const name of KERNEL_NAMES) {
    const f = instance.exports[name];
    if (typeof f !== "function") {
      throw new Error(`crossover: the WebAssembly kernels have no "${name}" export: dist/wasm is out of date. Run "npm run build" in the crossover package.`);
    }
    bound[name] = f;
  }
  return bound as unknown as Kernels;
}
