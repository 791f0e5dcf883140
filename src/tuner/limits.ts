// What one thread of this machine can do, for `crossover bench` to set each
// kernel's rate against: the build's f32 arithmetic peak (twelve independent
// f32x4 multiply-add chains) and the streaming bandwidth of
// an add over arrays far beyond the caches.
import type { Engine } from "../engine/engine.js";
import { wasmModule } from "../kernels/wasm/load.js";
import { median } from "./stats.js";

export interface MachineLimits {
  /** The wasm build's f32 peak on one thread, GFLOP/s (undefined on the js backend). */
  peakGflops?: number;
  /** out = a + b over three arrays of `streamBytes` each, one thread: bytes moved per second, GB/s. */
  streamGbps: number;
  streamBytes: number;
}

const PEAK_STEPS = 2_000_000; // 192 Mflop: tens of milliseconds
/** x -> x * PEAK_MUL + PEAK_ADD converges to 0.1: never subnormal, never infinite. */
const PEAK_MUL = 0.999999, PEAK_ADD = 1e-7;
const STREAM_FLOATS = 4 << 20; // 16 MB a array, 48 MB moved: past a 32 MB L3

export function measureLimits(engine: Engine): MachineLimits {
  let peakGflops: number | undefined;
  if (engine.wasmBuild !== undefined) {
    const peak = new WebAssembly.Instance(wasmModule(engine.wasmBuild), { env: { memory: engine.memory } }).exports.peakF32 as (steps: number, mul: number, add: number) => number;
    peak(PEAK_STEPS / 20, PEAK_MUL, PEAK_ADD); // warm: tier-up
    const runs = Array.from({ length: 5 }, () => { const t0 = performance.now(); peak(PEAK_STEPS, PEAK_MUL, PEAK_ADD); return performance.now() - t0; });
    peakGflops = (PEAK_STEPS * 96) / (Math.min(...runs) * 1e6);
  }
  const a = engine.f32(STREAM_FLOATS), b = engine.f32(STREAM_FLOATS), out = engine.f32(STREAM_FLOATS);
  const policy = engine.policy;
  try {
    a.fill(1);
    b.fill(2);
    engine.setPolicy("serial");
    engine.add(out, a, b);
    const runs = Array.from({ length: 7 }, () => { const t0 = performance.now(); engine.add(out, a, b); return performance.now() - t0; });
    return { peakGflops, streamGbps: (3 * STREAM_FLOATS * 4) / (median(runs) * 1e6), streamBytes: STREAM_FLOATS * 4 };
  } finally {
    engine.setPolicy(policy);
    engine.free(a);
    engine.free(b);
    engine.free(out);
  }
}
