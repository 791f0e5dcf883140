import { profileMachine } from "./profile-machine.js";
import { SCHEMA_VERSION, type OpRule, type Profile, type ProfileMachine, type ProfileOp } from "./types.js";
import { WORK_UNITS } from "./work-units.js";

/** Spin window when no profile says otherwise: covers the gaps between back-to-back ops of a layer. */
export const DEFAULT_SPIN_MICROS = 100;

const REFERENCE = "reference document (pure-go-llamas, Ryzen 9 7900)";

/**
 * The reference document's recommendations, in our work units (headDim 64
 * where it counted heads and tokens only). Conservative: where it gave no
 * threshold, serial.
 */
const RULES: Record<ProfileOp, { minWork?: number; reason: string }> = {
  rope: { minWork: 64 * 64, reason: `${REFERENCE}: minWork = 64 (seqLen x heads), kept; here x headDim 64` },
  "attention.prefill": {
    minWork: 32 * 32 * 8 * 64,
    reason: `${REFERENCE}: multi-query from 8 heads with 32+ tokens (32 queries x 32 keys x 8 heads x headDim 64)`,
  },
  "attention.decode": { reason: `${REFERENCE}: single-query attention regressed on 16 and 32 heads; "consider disabling"` },
  qkNorm: { reason: `${REFERENCE}: per-head normalization too fine-grained, keep serial` },
  rmsNorm: { minWork: 4 * 2048, reason: `${REFERENCE}: parallelize at batch level, from 4 rows (dim 2048)` },
  "matmul.f32": { reason: `${REFERENCE}: matmul kept serial` },
  "matmul.q8_0": { reason: `${REFERENCE}: matmul kept serial` },
  softmax: { reason: "no recommendation in the reference document: serial" },
  add: { reason: "no recommendation in the reference document: serial" },
  mul: { reason: "no recommendation in the reference document: serial" },
  gelu: { reason: "no recommendation in the reference document: serial" },
  silu: { reason: "no recommendation in the reference document: serial" },
};

/**
 * The built-in profile for `machine`: the same threshold for every thread
 * count from 2 up to `maxThreads`. A pure function of its arguments (the
 * report renders another machine's defaults exactly as that machine would).
 */
export function defaultProfile(maxThreads: number, machine: ProfileMachine): Profile {
  const ops: Partial<Record<ProfileOp, OpRule>> = {};
  for (const op of Object.keys(RULES) as ProfileOp[]) ops[op] = defaultRule(op, maxThreads);
  return {
    schemaVersion: SCHEMA_VERSION,
    machine: profileMachine(machine),
    tuning: { date: new Date(0).toISOString(), tool: "crossover built-in defaults", level: "defaults", backend: "wasm", threads: [1] },
    pool: { spinMicros: DEFAULT_SPIN_MICROS },
    ops,
  };
}

/** The default rule of one op (also for ops a profile leaves out). */
export function defaultRule(op: ProfileOp, maxThreads: number): OpRule {
  const { minWork, reason } = RULES[op];
  if (minWork === undefined) return { work: WORK_UNITS[op], parallel: "never", thresholds: [], reason };
  const top = Math.max(2, maxThreads);
  return {
    work: WORK_UNITS[op], parallel: "threshold", reason,
    thresholds: Array.from({ length: top - 1 }, (_, i) => ({ threads: i + 2, minWork })),
  };
}
