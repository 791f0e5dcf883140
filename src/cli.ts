import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { BENCH_OPS, runBench } from "./commands/bench.js";
import type { BenchOp } from "./tuner/bench-shapes.js";
import type { BackendName } from "./kernels/types.js";

/** Splits "a,b" lists and checks each item against the allowed values. */
function list<T extends string>(name: string, allowed: readonly T[]) {
  return (value: string | string[]): T[] => {
    const items = ([] as string[]).concat(value).flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);
    for (const item of items) {
      if (!allowed.includes(item as T)) throw new Error(`--${name}: unknown value "${item}"; choose from ${allowed.join(", ")}`);
    }
    return items as T[];
  };
}

export async function main(argv: string[]): Promise<void> {
  await yargs(hideBin(argv))
    .scriptName("crossover")
    .usage("$0 <command> [options]\n\nCPU kernels for transformer inference in Node.js, and the tuner that decides where they run in parallel.")
    .command(
      "bench",
      "time every kernel on one thread at the reference document's shapes",
      (y) => y
        .option("backend", { type: "string", default: "wasm,js", describe: "backends to measure (wasm, js)", coerce: list<BackendName>("backend", ["wasm", "js"]) })
        .option("ops", { type: "string", describe: `ops to measure (${BENCH_OPS.join(", ")})`, coerce: list<BenchOp>("ops", BENCH_OPS) })
        .option("time", { type: "number", default: 100, describe: "milliseconds of samples per case" })
        .option("json", { type: "boolean", default: false, describe: "print the machine and results as JSON" })
        .check((a) => {
          if (!(a.time > 0)) throw new Error(`--time must be a positive number of milliseconds, got ${a.time}`);
          return true;
        })
        .example("$0 bench", "all kernels, both backends")
        .example("$0 bench --backend wasm --ops matmul.f32,matmul.q8_0 --time 300", "the matmuls, longer"),
      async (a) => {
        await runBench({ backend: a.backend as unknown as BackendName[], ops: a.ops as unknown as BenchOp[] | undefined, time: a.time, json: a.json });
      },
    )
    .demandCommand(1, "name a command: crossover bench (tune, report, validate, check and show come with the tuner)")
    .strict()
    .help()
    .version()
    .fail((msg, err) => {
      // errors thrown by a command's own code propagate; usage errors exit 2 with a hint
      if (err && !msg) throw err;
      process.stderr.write(`crossover: ${msg ?? err?.message}\nRun "crossover --help" for usage.\n`);
      process.exit(2);
    })
    .parseAsync();
}
