import { profileMachine } from "./profile-machine.js";
import { SCHEMA_VERSION, type OpRule, type Profile, type ProfileMachine, type ProfileOp } from "./types.js";
import { OPS, workFormula } from "../ops/descriptors.js";

/** Spin window when no profile says otherwise: covers the gaps between back-to-back ops of a layer. */
export const DEFAULT_SPIN_MICROS = 100;

/**
 * The built-in profile for `machine`: the same threshold for every thread
 * count from 2 up to `maxThreads`. A pure function of its arguments (the
 * report renders another machine's defaults exactly as that machine would).
 */
export function defaultProfile(maxThreads: number, machine: ProfileMachine): Profile {
  const ops: Partial<Record<ProfileOp, OpRule>> = {};
  for (const op of Object.keys(OPS) as ProfileOp[]) ops[op] = defaultRule(op, maxThreads);
  return {
    schemaVersion: SCHEMA_VERSION,
    machine: profileMachine(machine),
    tuning: { date: new Date(0).toISOString(), tool: "crossover built-in defaults", level: "defaults", backend: "wasm", threads: [1] },
    pool: { spinMicros: DEFAULT_SPIN_MICROS },
    ops,
  };
}

/** The default rule of one op (also for ops a profile leaves out): its descriptor's built-in rule for every thread count. */
export function defaultRule(op: ProfileOp, maxThreads: number): OpRule {
  const { minWork, reason } = OPS[op].builtIn;
  if (minWork === undefined) return { work: workFormula(op), parallel: "never", thresholds: [], reason };
  const top = Math.max(2, maxThreads);
  return {
    work: workFormula(op), parallel: "threshold", reason,
    thresholds: Array.from({ length: top - 1 }, (_, i) => ({ threads: i + 2, minWork })),
  };
}
