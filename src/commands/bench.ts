import { createEngine } from "../engine/engine.js";
import type { BackendName } from "../kernels/types.js";
import { BENCH_CASES, type BenchOp } from "../tuner/bench-shapes.js";
import { benchCase, type KernelBenchResult } from "../tuner/kernel-bench.js";
import { machineInfo } from "../tuner/machine.js";

export interface BenchArgs {
  backend: BackendName[];
  ops?: BenchOp[];
  time: number;
  json: boolean;
}

export const BENCH_OPS: BenchOp[] = [...new Set(BENCH_CASES.map((c) => c.op))];

function fmtTime(ns: number): string {
  if (ns < 1e3) return `${ns.toFixed(0)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(2)} us`;
  return `${(ns / 1e6).toFixed(3)} ms`;
}

function line(r: KernelBenchResult): string {
  const rate = [r.gflops !== undefined ? `${r.gflops.toFixed(2)} GFLOP/s` : "", r.gbps !== undefined ? `${r.gbps.toFixed(2)} GB/s` : ""]
    .filter(Boolean).join("  ");
  const spread = `±${((r.madNs / r.medianNs) * 100).toFixed(1)}%`;
  return `${r.op.padEnd(12)} ${r.label.padEnd(22)} ${r.backend.padEnd(5)} ${fmtTime(r.medianNs).padStart(11)} ${spread.padStart(7)}  ${rate}`;
}

/** `crossover bench`: every kernel, on each backend, at the reference document's shapes, one thread. */
export async function runBench(args: BenchArgs, out: (s: string) => void = (s) => process.stdout.write(s + "\n")): Promise<KernelBenchResult[]> {
  const machine = machineInfo();
  const cases = BENCH_CASES.filter((c) => !args.ops || args.ops.includes(c.op));
  if (!args.json) {
    out(`crossover bench: ${machine.cpuModel}, ${machine.logicalCpus} logical CPUs, ${machine.os}, Node ${machine.node} (V8 ${machine.v8}), load ${machine.loadAverage.join(" ")}`);
    out(`one thread; median time per call (±: median absolute deviation), ${args.time} ms per case`);
    out(`attention GFLOP/s counts 4*seqLen*kvLen*heads*headDim (causal runs about half of that)\n`);
    out(`${"op".padEnd(12)} ${"shape".padEnd(22)} ${"impl".padEnd(5)} ${"median".padStart(11)} ${"spread".padStart(7)}  throughput`);
  }
  const results: KernelBenchResult[] = [];
  for (const backend of args.backend) {
    const engine = await createEngine({ backend });
    try {
      for (const c of cases) {
        const r = await benchCase(engine, c, args.time);
        results.push(r);
        if (!args.json) out(line(r));
      }
    } finally {
      engine.close();
    }
  }
  if (args.json) out(JSON.stringify({ machine, results }, null, 2));
  return results;
}
