import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { BENCH_OPS, DEFAULT_BENCH_THREADS, runBench } from "./commands/bench.js";
import { PRESETS, type PresetName } from "./model/config.js";
import { runTune } from "./commands/tune.js";
import { runReport } from "./commands/report.js";
import type { Outcome } from "./commands/command.js";
import { runValidate } from "./commands/validate.js";
import { runShow } from "./commands/show.js";
import { runProfiles } from "./commands/profiles.js";
import { runCheck } from "./commands/check.js";
import { PLAN_OPS } from "./engine/plan-work.js";
import { PROFILE_OPS, type ProfileOp } from "./engine/profile/types.js";
import { LEVELS } from "./tuner/grid.js";
import { VERSION } from "./version.js";
import type { WeightType } from "./model/weights.js";
import type { BackendName } from "./kernels/types.js";
import type { Level } from "./results/types.js";

/** Prints a command's lines to stdout. */
const say = (s: string) => process.stdout.write(s + "\n");

/** Every command's handler: run it, print its lines, exit with the status it asks for. */
async function exit(outcome: Outcome | Promise<Outcome>): Promise<void> {
  process.exitCode = (await outcome).exitCode;
}

/** Splits "a,b" lists and checks each item against the allowed values; an empty list only where it means "none". */
function list<T extends string>(name: string, allowed: readonly T[], emptyMeansNone = false) {
  return (value: string | string[]): T[] => {
    const items = ([] as string[]).concat(value).flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);
    if (items.length === 0 && !emptyMeansNone) throw new Error(`--${name}: name at least one of ${allowed.join(", ")}`);
    for (const item of items) {
      if (!allowed.includes(item as T)) throw new Error(`--${name}: unknown value "${item}"; choose from ${allowed.join(", ")}`);
    }
    return items as T[];
  };
}

/** Shortest budget that can measure a point of every op and fit it. */
const MIN_BUDGET_MS = 5000;

/** A duration like "90s", "5m", "1500ms" or a number of seconds, in ms; at least 5 s. */
function duration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(String(value).trim());
  if (!m || !(Number(m[1]) > 0)) throw new Error(`--budget: "${value}" is not a duration (e.g. 90s, 5m)`);
  const ms = Number(m[1]) * ({ ms: 1, s: 1000, m: 60000 } as const)[(m[2] ?? "s") as "ms" | "s" | "m"];
  if (ms < MIN_BUDGET_MS) throw new Error(`--budget: ${value} is too short to measure anything; give at least ${MIN_BUDGET_MS / 1000}s`);
  return ms;
}

/** A folder option given with no value reads as "": that is no folder. */
function folder(name: string) {
  return (value: string): string => {
    if (typeof value !== "string" || value.trim() === "") throw new Error(`--${name}: give a folder, e.g. --${name} /tmp/out`);
    return value;
  };
}

/** A list of thread counts, e.g. "1,2,4". */
function counts(value: string | string[]): number[] {
  const items = ([] as string[]).concat(value).flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);
  if (items.length === 0) throw new Error(`--threads: name at least one thread count, e.g. 1,2`);
  return items.map((item) => {
    const n = Number(item);
    if (!Number.isInteger(n) || n < 1 || n > 256) throw new Error(`--threads: "${item}" is not a thread count from 1 to 256`);
    return n;
  });
}

export async function main(argv: string[]): Promise<void> {
  // `crossover show | head`: the reader left; stop quietly as other Unix tools do
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
    throw err;
  });
  await yargs(hideBin(argv))
    .scriptName("crossover")
    .usage("$0 <command> [options]\n\nCPU kernels for transformer inference in Node.js, and the tuner that decides where they run in parallel.")
    .command(
      "bench",
      "time every kernel at the reference document's shapes on 1 and more threads, and the decoder layer per policy",
      (y) => y
        .option("backend", { type: "string", default: "wasm,js", describe: "backends to measure (wasm, js)", coerce: list<BackendName>("backend", ["wasm", "js"]) })
        .option("ops", { type: "string", describe: `ops to measure (${BENCH_OPS.join(", ")}); none: --ops ''`, coerce: list<ProfileOp>("ops", BENCH_OPS, true) })
        .option("threads", { type: "string", default: DEFAULT_BENCH_THREADS.join(","), describe: "thread counts to compare (1 is the baseline, always measured)", coerce: counts })
        .option("layer", { type: "string", default: Object.keys(PRESETS).join(","), describe: "layer presets to time (wasm); none: --layer ''", coerce: list<PresetName>("layer", Object.keys(PRESETS) as PresetName[], true) })
        .option("weights", { type: "string", default: "q8_0", describe: "layer weight types (f32, q8_0)", coerce: list<WeightType>("weights", ["f32", "q8_0"]) })
        .option("time", { type: "number", default: 100, describe: "milliseconds of samples per kernel case" })
        .option("layer-time", { type: "number", default: 1500, describe: "milliseconds of samples per layer step" })
        .option("busy", { type: "number", default: 0, describe: "spinning neighbour processes beside the bench, e.g. one per CPU: a busy machine" })
        .option("json", { type: "boolean", default: false, describe: "print the machine and results as JSON" })
        .check((a) => {
          if (!(a.time > 0)) throw new Error(`--time must be a positive number of milliseconds, got ${a.time}`);
          if (!(a["layer-time"] > 0)) throw new Error(`--layer-time must be a positive number of milliseconds, got ${a["layer-time"]}`);
          if (!Number.isInteger(a.busy) || a.busy < 0 || a.busy > 256) throw new Error(`--busy must be a number of processes from 0 to 256, got ${a.busy}`);
          return true;
        })
        .example("$0 bench --threads 1,2", "kernels serial and on 2 threads, with speedups, then the layer per policy")
        .example("$0 bench --backend wasm --ops matmul.f32,matmul.q8_0 --layer '' --time 300", "the matmuls only, longer"),
      (a) => exit(runBench({
        backend: a.backend, ops: a.ops, time: a.time, json: a.json,
        threads: a.threads, layer: a.layer, weights: a.weights,
        layerTime: a["layer-time"], busy: a.busy,
      }, say)),
    )
    .command(
      "tune",
      "measure this machine, fit where parallel beats serial, write profiles/<machine>.json and reports/<machine>/results.json",
      (y) => y
        .option("level", { choices: LEVELS, default: "standard" as Level, describe: "how long and how fine: quick (~1 min), standard (~5 min), thorough (~15 min)" })
        .option("budget", { type: "string", describe: "cap on the whole run, e.g. 90s, 5m (default: the level's)", coerce: duration })
        .option("ops", { type: "string", describe: `ops to tune (${PROFILE_OPS.join(", ")})`, coerce: list<ProfileOp>("ops", PROFILE_OPS) })
        .option("threads", { type: "string", describe: "thread counts to measure (default 1, 2, 4, ... up to the logical CPUs, the CPUs themselves and the physical cores)", coerce: counts })
        // no yargs default: with one, a bare --out would silently mean "."
        .option("out", { type: "string", describe: "folder for profiles/ and reports/ (default: the working folder)", coerce: folder("out") })
        .option("resume", { type: "boolean", default: false, describe: "continue an interrupted run from its results.json" })
        .option("force", { type: "boolean", default: false, describe: "write the profile even if it lost to serial or the built-in defaults on the decoder layer" })
        .option("json", { type: "boolean", default: false, describe: "one JSON line per measured point, then the paths" })
        .example("$0 tune", "the standard run: about 5 minutes here")
        .example("$0 tune --level quick --budget 60s --out /tmp/t", "a smoke test")
        .example("$0 tune --ops rope,attention.decode --threads 1,2", "two ops only")
        .check((a) => {
          const threads = a.threads;
          if (threads && Math.max(...threads) < 2) throw new Error("--threads: include a count above 1; one thread alone has nothing to compare with");
          return true;
        }),
      (a) => exit(runTune({
        level: a.level, budgetMs: a.budget, threads: a.threads,
        ops: a.ops, out: a.out ?? ".", resume: a.resume, force: a.force, json: a.json,
        command: `crossover ${process.argv.slice(2).join(" ")}`, tool: `crossover ${VERSION}`,
      }, say)),
    )
    .command(
      "report [results]",
      "render report.html and report.md from a tuning run's results.json (measures nothing)",
      (y) => y
        .positional("results", { type: "string", default: ".", describe: "a results.json, or the folder holding it (reports/<machine>/)" })
        .option("out", { type: "string", describe: "folder for the report files (default: beside the results; compare: the working folder)", coerce: folder("out") })
        .option("compare", { type: "string", array: true, describe: "two results (files or folders) to put side by side" })
        .check((a) => {
          if (a.compare && a.compare.length !== 2) throw new Error(`--compare takes two results, got ${a.compare.length}`);
          return true;
        })
        .example("$0 report reports/amd-epyc-2cpu-linux-x64-node20", "re-render a machine's report")
        .example("$0 report --compare reports/a reports/b --out /tmp", "two runs side by side, with deltas"),
      (a) => exit(runReport({ results: a.results ?? ".", out: a.out, compare: a.compare ? [String(a.compare[0]), String(a.compare[1])] : undefined }, say)),
    )
    .command(
      "validate [paths..]",
      "check profiles against the schema and what a schema cannot say; exit 0 when all pass, 1 otherwise",
      (y) => y
        .positional("paths", { type: "string", array: true, default: ["profiles"], describe: "profile files or folders" })
        .option("json", { type: "boolean", default: false, describe: "the problems as JSON" })
        .example("$0 validate", "every profile in ./profiles")
        .example("$0 validate profiles/my-machine.json --json", "one file, as data"),
      (a) => exit(runValidate({ paths: (a.paths ?? []).map(String), json: a.json }, say)),
    )
    .command(
      "show [op]",
      "which profile the engine would load here and why; with an op and its shape, the decision plan() makes",
      (y) => y
        .positional("op", { type: "string", choices: [...PLAN_OPS], describe: "an op, e.g. rope, attention, matmul" })
        .option("profile", { type: "string", describe: "a profile file instead of the lookup" })
        .option("threads", {
          type: "number", describe: "engine threads (default os.availableParallelism())",
          coerce: (n: number) => {
            if (!Number.isInteger(n) || n < 1 || n > 256) throw new Error(`--threads: ${n} is not a thread count from 1 to 256`);
            return n;
          },
        })
        .option("seq-len", { type: "number" }).option("kv-len", { type: "number" }).option("heads", { type: "number" })
        .option("kv-heads", { type: "number" }).option("head-dim", { type: "number" }).option("rows", { type: "number" })
        .option("dim", { type: "number" }).option("n", { type: "number" }).option("batch", { type: "number" })
        .option("in-dim", { type: "number" }).option("out-dim", { type: "number" })
        .option("weights", { choices: ["f32", "q8_0"] })
        .option("json", { type: "boolean", default: false })
        .example("$0 show", "the profile in force and every op's rule")
        .example("$0 show rope --seq-len 128 --heads 16 --head-dim 64", "the decision for one shape")
        .example("$0 show attention --seq-len 1 --kv-len 512 --heads 16 --head-dim 64 --json", "as JSON"),
      (a) => {
        const keys = ["seqLen", "kvLen", "heads", "kvHeads", "headDim", "rows", "dim", "n", "batch", "inDim", "outDim", "weights"];
        const shape = Object.fromEntries(keys.filter((k) => (a as Record<string, unknown>)[k] !== undefined).map((k) => [k, (a as Record<string, unknown>)[k]]));
        return exit(runShow({ profile: a.profile, op: a.op, shape, threads: a.threads, json: a.json }, say));
      },
    )
    .command(
      "check",
      "re-measure a few points each side of every committed crossover and test whether the thresholds still hold",
      (y) => y
        .option("profile", { type: "string", describe: "the profile to check (default: the one the engine loads here)" })
        .option("budget", { type: "string", default: "60s", describe: "time cap", coerce: duration })
        .option("ops", { type: "string", describe: "ops to check", coerce: list<ProfileOp>("ops", PROFILE_OPS) })
        .option("strict", { type: "boolean", default: false, describe: "exit 1 when a threshold drifted significantly" })
        .option("force", { type: "boolean", default: false, describe: "check a profile made on another machine" })
        .option("json", { type: "boolean", default: false })
        .example("$0 check", "the profile that matches this machine, in about a minute")
        .example("$0 check --profile profiles/x.json --strict", "fail on drift (for a dedicated runner)"),
      (a) => exit(runCheck({ profile: a.profile, budgetMs: a.budget, strict: a.strict, force: a.force, json: a.json, ops: a.ops }, say)),
    )
    .command(
      "profiles [dir]",
      "the committed profiles, one line each, marking the one that matches this machine",
      (y) => y
        .positional("dir", { type: "string", default: "profiles" })
        .option("json", { type: "boolean", default: false })
        .example("$0 profiles", "list ./profiles"),
      (a) => exit(runProfiles({ dir: a.dir ?? "profiles", json: a.json }, say)),
    )
    .demandCommand(1, "name a command: crossover tune, report, validate, check, show, profiles or bench")
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
