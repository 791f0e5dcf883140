import { measureLimits, type MachineLimits } from "../tuner/limits.js";
import type { Outcome, Say } from "./command.js";
import os from "node:os";
import { createEngine } from "../engine/engine.js";
import type { Policy } from "../engine/policy.js";
import { defaultProfile } from "../engine/profile/defaults.js";
import type { ProfileMachine } from "../engine/profile/types.js";
import type { BackendName } from "../kernels/types.js";
import { wasmInt8DotForm, type WasmBuild } from "../kernels/wasm/load.js";
import type { PresetName } from "../model/config.js";
import type { WeightType } from "../model/weights.js";
import { OPS, type ProfileOp } from "../engine/ops/descriptors.js";
import { BENCH_CASES, benchCase, type KernelBenchResult } from "../tuner/kernel-bench.js";
import { benchLayer, DECODE_CACHED, PREFILL_TOKENS, type LayerVariant } from "../tuner/layer-bench.js";
import { machineInfo } from "../tuner/machine.js";
import { startNeighbours } from "./busy-neighbours.js";
import { measureForkJoin } from "../tuner/pool-bench.js";
import { fmtNs } from "../format.js";
import type { ForkJoinResult, LayerBenchResult } from "../results/types.js";

export interface BenchArgs {
  backend: BackendName[];
  ops?: ProfileOp[];
  time: number;
  json: boolean;
  /** Thread counts to compare (1 is always measured: it is the baseline). */
  threads: number[];
  /** Layer presets to time (wasm backend only); empty: none. */
  layer: PresetName[];
  weights: WeightType[];
  layerTime: number;
  /** Spinning neighbour processes to run beside the bench (a busy machine); 0: none. */
  busy?: number;
}

/** Ops whose descriptors name bench shapes. */
export const BENCH_OPS: ProfileOp[] = [...new Set(BENCH_CASES.map((c) => c.op))];

function rate(r: KernelBenchResult, limits?: MachineLimits): string {
  const of = (x: number, limit: number | undefined) => (limit ? ` (${Math.round((100 * x) / limit)}%)` : "");
  // Q8_0's operations are int8 multiply-adds: the f32 peak is not theirs
  const flopPeak = OPS[r.op as ProfileOp]?.arithmetic === "int8" ? undefined : limits?.peakGflops;
  return [r.gflops !== undefined ? `${r.gflops.toFixed(2)} GFLOP/s${of(r.gflops, flopPeak)}` : "",
    r.gbps !== undefined ? `${r.gbps.toFixed(2)} GB/s${of(r.gbps, limits?.streamGbps)}` : ""].filter(Boolean).join("  ");
}

/** One row per case: the time on each thread count (± MAD), the speedups over one thread, the serial throughput. */
function row(rs: KernelBenchResult[], limits?: MachineLimits): string {
  const base = rs[0];
  const times = rs.map((r) => `${fmtNs(r.medianNs)} ±${((r.madNs / r.medianNs) * 100).toFixed(0)}%`.padStart(19));
  const speedups = rs.slice(1).map((r) => `${(base.medianNs / r.medianNs).toFixed(2)}x`.padStart(7));
  return `${base.op.padEnd(17)} ${base.label.padEnd(22)} ${base.backend.padEnd(5)}${times.join("")}${speedups.join("")}  ${rate(base, limits)}`;
}

/**
 * `crossover bench`: every kernel at the reference document's shapes on each
 * thread count (interleaved), then the decoder layer per policy.
 */
export async function runBench(args: BenchArgs, out: Say): Promise<Outcome & { results: KernelBenchResult[]; forkJoin: ForkJoinResult[]; layer: LayerBenchResult[] }> {
  const machine = machineInfo();
  const threads = [...new Set([1, ...args.threads])].sort((a, b) => a - b);
  const cases = BENCH_CASES.filter((c) => !args.ops || args.ops.includes(c.op));
  const text = (s: string) => { if (!args.json) out(s); };
  const stopNeighbours = args.busy ? startNeighbours(args.busy) : () => {};
  try {
    return await benchAll(args, out, machine, threads, cases, text);
  } finally {
    stopNeighbours();
  }
}

/** The build and, for relaxed SIMD, which form of the int8 dot its Q8_0 kernels take on this runtime. */
function buildText(build: WasmBuild): string {
  if (build === "simd128") return "SIMD128 build";
  const form = wasmInt8DotForm(build);
  return `relaxed-SIMD build; Q8_0 int8 dot ${form === "unsigned"
    ? "on x + 128 from 4 activation rows (the runtime's dot reads unsigned bytes: VNNI), sign transfer below"
    : form === "sign transfer" ? "with sign transfer (the runtime's dot reads signed bytes)"
    : "widened to i16 as in SIMD128 (the runtime's relaxed dot saturates)"}`;
}

async function benchAll(args: BenchArgs, out: Say, machine: ReturnType<typeof machineInfo>, threads: number[], cases: typeof BENCH_CASES,
    text: (s: string) => void): Promise<Outcome & { results: KernelBenchResult[]; forkJoin: ForkJoinResult[]; layer: LayerBenchResult[] }> {
  text(`crossover bench: ${machine.cpuModel}, ${machine.logicalCpus} logical CPUs, ${machine.osRelease}, Node ${machine.node} (V8 ${machine.v8}), load ${machine.loadAverage.join(" ")}`);
  if (args.busy) text(`busy: ${args.busy} spinning neighbour process(es) run beside every measurement`);
  if (threads.some((t) => t > machine.logicalCpus)) text(`warning: more threads than the ${machine.logicalCpus} available CPUs: expect milliseconds per fork-join`);
  text(`median time per call (±: median absolute deviation); thread counts interleaved; ${args.time} ms per case`);
  text(`attention GFLOP/s counts 4*seqLen*kvLen*heads*headDim (causal runs about half of that)\n`);
  const heads = threads.map((t) => `${t} thread${t > 1 ? "s" : ""}`.padStart(19)).join("") + threads.slice(1).map((t) => `x${t}`.padStart(7)).join("");
  if (cases.length > 0) text(`${"op".padEnd(17)} ${"shape".padEnd(22)} ${"impl".padEnd(5)}${heads}  throughput (1 thread)`);
  const results: KernelBenchResult[] = [];
  const limitsByBackend: (MachineLimits & { backend: string; wasmBuild?: string })[] = [];
  for (const backend of cases.length > 0 ? args.backend : []) {
    // one engine with the most threads; its policy is forced per variant, on the same tensors
    const engine = await createEngine({ backend, threads: Math.max(...threads), adapt: false });
    try {
      const limits = measureLimits(engine);
      text(`${backend}${engine.wasmBuild ? ` (${buildText(engine.wasmBuild)})` : ""}, one thread: ` +
        `${limits.peakGflops !== undefined ? `f32 peak ${limits.peakGflops.toFixed(1)} GFLOP/s (twelve independent f32x4 multiply-add chains); ` : ""}` +
        `streaming ${limits.streamGbps.toFixed(1)} GB/s (an add over ${limits.streamBytes >> 20} MB arrays); (%) = the kernel's rate against them (over 100% of streaming: its data sat in the caches)`);
      limitsByBackend.push({ backend, wasmBuild: engine.wasmBuild, ...limits });
      for (const c of cases) {
        const rs = await benchCase(engine, c, threads, args.time);
        results.push(...rs);
        text(row(rs, limits));
      }
    } finally {
      engine.close();
    }
  }
  const forkJoin: ForkJoinResult[] = [];
  for (const t of threads.filter((t) => t > 1)) {
    const e = await createEngine({ threads: t, policy: "parallel" });
    try {
      const r = measureForkJoin(e);
      forkJoin.push(r);
      if (forkJoin.length === 1) text(`\nworker pool: cost of one fork-join with next to no work (median ± MAD)`);
      text(`${t} threads: hot (workers spinning) ${r.hotMedianUs.toFixed(3)} us ±${r.hotMadUs.toFixed(3)}; ` +
        `after sleep (spin window ${r.spinMicros} us passed) ${r.coldMedianUs.toFixed(1)} us ±${r.coldMadUs.toFixed(1)}`);
    } finally {
      e.close();
    }
  }
  const layer = await layerSection(args, threads, machine, text);
  if (args.json) out(JSON.stringify({ machine, threads, limits: limitsByBackend, results, forkJoin, layer }, null, 2));
  return { exitCode: 0, results, forkJoin, layer };
}

async function layerSection(args: BenchArgs, threads: number[], machine: ProfileMachine, text: (s: string) => void): Promise<LayerBenchResult[]> {
  if (args.layer.length === 0) return [];
  const top = Math.max(...threads);
  const engine = await createEngine({ threads: top, adapt: false }); // each variant as configured: A/B, no back-off
  const loaded = engine.profile;
  const spin = engine.spinMicros;
  const as = (policy: Policy, profile = loaded.data, adapt = false) => () => {
    engine.useProfile(profile);
    engine.setPolicy(policy);
    engine.setAdapt(adapt);
    engine.spinMicros = spin;
  };
  const source = loaded.source === "defaults" ? "built-in defaults" : `${loaded.source}: ${loaded.path ?? "object"}`;
  const variants: LayerVariant[] = [
    { name: "serial", threads: 1, configure: as("serial") },
    ...(top > 1 ? [{ name: `parallel (${top} threads)`, threads: top, configure: as("parallel") }] : []),
    { name: `profile (${source})`, threads: top, configure: as("profile") },
    ...(top > 1 ? [{ name: "profile + back-off under load", threads: top, configure: as("profile", loaded.data, true) }] : []),
    ...(loaded.source !== "defaults" ? [{ name: "built-in defaults", threads: top, configure: as("profile", defaultProfile(top, machine)) }] : []),
  ];
  text(`\ndecoder layer (wasm): prefill ${PREFILL_TOKENS} tokens; decode 1 token with ${DECODE_CACHED} cached; policies interleaved; median ± MAD`);
  text(`${"preset".padEnd(14)} ${"weights".padEnd(7)} ${"policy".padEnd(44)} ${"prefill".padStart(18)} ${"decode".padStart(18)}`);
  const all: LayerBenchResult[] = [];
  try {
    for (const preset of args.layer) {
      for (const weights of args.weights) {
        const rs = await benchLayer(engine, preset, weights, variants, args.layerTime * 2);
        all.push(...rs);
        for (const v of variants) {
          const cell = (step: string) => {
            const r = rs.find((x) => x.variant === v.name && x.step === step)!;
            const serial = rs.find((x) => x.variant === "serial" && x.step === step)!;
            const speedup = v.name === "serial" ? "" : ` ${(serial.medianMs / r.medianMs).toFixed(2)}x`;
            return `${r.medianMs.toFixed(2)} ms ±${((r.madMs / r.medianMs) * 100).toFixed(0)}%${speedup}`.padStart(18);
          };
          text(`${preset.padEnd(14)} ${weights.padEnd(7)} ${v.name.padEnd(44)} ${cell("prefill")} ${cell("decode")}`);
        }
      }
    }
  } finally {
    engine.close();
  }
  return all;
}

export const DEFAULT_BENCH_THREADS = [1, os.availableParallelism()];
