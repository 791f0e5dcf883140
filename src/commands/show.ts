import type { Outcome, Say } from "./command.js";
import os from "node:os";
import { planWork } from "../engine/plan-work.js";
import { PolicyTable, type Decision } from "../engine/policy.js";
import { buildOf, thisKernelBuild } from "../engine/profile/kernel-build.js";
import { loadProfile } from "../engine/profile/load-profile.js";
import { ruleText } from "../engine/profile/rule-text.js";
import { loadCalibration } from "../calibrate/calibrated-profile.js";
import { PROFILE_OPS } from "../engine/profile/types.js";

export interface ShowArgs {
  profile?: string;
  op?: string;
  shape: Record<string, unknown>;
  threads?: number;
  json: boolean;
}

/**
 * `crossover show`: which profile the engine would load here and why; with an
 * op and its shape, the decision plan() would make.
 */
export function runShow(args: ShowArgs, out: Say): Outcome {
  const threads = args.threads ?? os.availableParallelism();
  const found = loadProfile({ profile: args.profile, maxThreads: threads });
  // nothing matched: what an engine here would run is its cached calibration, when there is one
  const loaded = found.source === "defaults" && !args.profile ? loadCalibration() ?? found : found;
  const table = new PolicyTable(loaded.data, threads, "profile");
  let decision: Decision | undefined;
  if (args.op) {
    const { key, work } = planWork(args.op, args.shape);
    decision = table.explain(key, work);
  }
  if (args.json) {
    out(JSON.stringify({
      profile: {
        source: loaded.source, match: loaded.match, path: loaded.path ?? null, machine: loaded.data.machine.slug, tuned: loaded.data.tuning.date,
        kernels: loaded.data.tuning.kernels ?? null, warnings: loaded.warnings,
      },
      kernels: thisKernelBuild(),
      threads, ...(decision ? { decision } : {}),
    }, null, 2));
    return { exitCode: 0 };
  }
  const why = {
    option: "given with --profile",
    env: "named by CROSSOVER_PROFILE",
    match: `its fingerprint matches this machine (${loaded.match})`,
    calibrated: "no profile for this machine was found; an engine calibrated it when it started (cached; run crossover tune for a full profile)",
    defaults: "no profile for this machine was found: an engine here calibrates it when it starts (under a second, then cached; " +
      "calibrate: false or CROSSOVER_CALIBRATE=0 keeps the built-in defaults shown below); run crossover tune to measure it fully",
  }[loaded.source];
  out(`profile: ${loaded.path ?? (loaded.source === "defaults" ? "built-in defaults" : "object")}`);
  out(`  why: ${why}`);
  if (loaded.source !== "defaults") {
    out(`  tuned: ${loaded.data.tuning.date} (${loaded.data.tuning.level}) on ${loaded.data.machine.slug}`);
    const k = loaded.data.tuning.kernels, build = thisKernelBuild();
    out(`  kernels: ${k ? `crossover ${k.crossover}, ${buildOf(k)} wasm ${k.wasmSha256.slice(0, 12)}` : "not recorded"}; ` +
      `this build: crossover ${build.crossover}, ${build.build} wasm ${build.wasmSha256.slice(0, 12)}` +
      `${k && k.crossover === build.crossover && k.wasmSha256 === build.wasmSha256 ? " (the same)" : ""}`);
  }
  for (const w of loaded.warnings) out(`  warning: ${w}`);
  out(`engine threads: ${threads}; spin window ${loaded.data.pool.spinMicros} us`);
  if (decision) {
    out(`${decision.op} at work ${decision.work}: ${decision.threads} thread${decision.threads > 1 ? "s" : ""}`);
    out(`  ${decision.reason}`);
  } else {
    for (const op of PROFILE_OPS) out(`  ${op.padEnd(18)} ${ruleText(loaded.data.ops[op])}`);
  }
  return { exitCode: 0 };
}
