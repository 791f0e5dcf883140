import { expect } from "vitest";
import { createEngine, type Engine } from "../src/index.js";
import { seededRandom } from "../src/random.js";
import { wasmBuildRuns } from "../src/kernels/wasm/load.js";

/**
 * The kernels every op test runs: both wasm builds where this runtime runs
 * them (Node 20 runs only SIMD128; CI also runs the suite on 22 and 24), and js.
 */
export type Backend = "wasm" | "wasm-relaxed" | "js";
export const BACKENDS: readonly Backend[] = wasmBuildRuns("relaxed") ? ["wasm", "wasm-relaxed", "js"] : ["wasm", "js"];

/** createEngine's options for a backend of BACKENDS. */
export function backendOptions(b: Backend): { backend: "wasm" | "js"; wasmBuild?: "simd128" | "relaxed" } {
  return b === "js" ? { backend: "js" } : { backend: "wasm", wasmBuild: b === "wasm" ? "simd128" : "relaxed" };
}

const engines = new Map<string, Engine>();

/**
 * One serial engine per backend for the whole test file (tensors are freed by
 * the tests). Threads and policy are stated: whichever profile matches this
 * machine must not decide what a kernel test runs (parallel.test.ts covers threads).
 */
export async function engineFor(backend: Backend): Promise<Engine> {
  let e = engines.get(backend);
  if (!e) {
    e = await createEngine({ ...backendOptions(backend), threads: 1, policy: "serial", maxMemory: 512 * 2 ** 20, onWarning: () => {} });
    engines.set(backend, e);
  }
  return e;
}

/** A small deterministic PRNG (mulberry32) so a failing case can be replayed from its seed. */
export const rng = seededRandom;

/** Fills with uniform values in [-scale, scale). */
export function fill(a: Float32Array, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  for (let i = 0; i < a.length; i++) a[i] = (r() * 2 - 1) * scale;
  return a;
}

/** Asserts |a - ref| <= atol + rtol * |ref| element-wise, reporting the worst element. */
export function expectClose(actual: ArrayLike<number>, ref: ArrayLike<number>, tol: { rtol: number; atol: number | ArrayLike<number> }): void {
  expect(actual.length).toBe(ref.length);
  let worst = -1, worstExcess = 0;
  for (let i = 0; i < ref.length; i++) {
    const atol = typeof tol.atol === "number" ? tol.atol : tol.atol[i];
    const excess = Math.abs(actual[i] - ref[i]) - (atol + tol.rtol * Math.abs(ref[i]));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) { worst = i; worstExcess = excess; }
  }
  if (worst >= 0) {
    const atol = typeof tol.atol === "number" ? tol.atol : tol.atol[worst];
    expect.fail(`element ${worst}: got ${actual[worst]}, expected ${ref[worst]} (tolerance ${atol} + ${tol.rtol}*|ref|)`);
  }
}

/** A tensor with `guard` sentinel floats on each side; returns the inner view and a checker for the guards. */
export function guarded(e: Engine, n: number, guard = 16) {
  const all = e.f32(n + 2 * guard);
  all.fill(-12345.5);
  const inner = all.subarray(guard, guard + n);
  return {
    inner,
    all,
    guardsIntact(): boolean {
      for (let i = 0; i < guard; i++) if (all[i] !== -12345.5 || all[guard + n + i] !== -12345.5) return false;
      return true;
    },
  };
}
