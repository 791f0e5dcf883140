import { profileMachine } from "./profile-machine.js";
import { SCHEMA_VERSION, type OpRule, type Profile, type ProfileMachine, type ProfileOp } from "./types.js";
import { OPS, workFormula } from "../ops/descriptors.js";

/** Spin window when no profile says otherwise: covers the gaps between back-to-back ops of a layer. */
export const DEFAULT_SPIN_MICROS = 100;

/**
 * The built-in profile for `machine`: serial below each op's built-in
 * threshold, `maxThreads` from it. A pure function of its arguments (the
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

/** The default rule of one op (also for ops a profile leaves out): serial, then every thread from its descriptor's built-in threshold. */
export function defaultRule(op: ProfileOp, maxThreads: number): OpRule {
  const { minWork, reason } = OPS[op].builtIn;
  const serial = { fromWork: 0, threads: 1 };
  if (minWork === undefined || maxThreads < 2) return { work: workFormula(op), ranges: [serial], reason };
  return { work: workFormula(op), ranges: [serial, { fromWork: minWork, threads: maxThreads }], reason };
}
