import { SCHEMA_VERSION, type KernelBuild, type OpRule, type Profile, type ProfileMachine, type ProfileOp, type Threshold } from "../engine/profile/types.js";
import { profileMachine } from "../engine/profile/profile-machine.js";
import { WORK_UNITS } from "../engine/ops/descriptors.js";
import type { CrossoverFit, Fits } from "../results/types.js";

export interface ProfileRun {
  machine: ProfileMachine;
  date: string;
  tool: string;
  level: Profile["tuning"]["level"];
  durationSeconds: number;
  threads: number[];
  loadAverage: number[];
  spinMicros: number;
  forkJoinHotMicros?: number;
  forkJoinColdMicros?: number;
  notes: string[];
  kernels: KernelBuild;
}

/**
 * The profile a run's fits imply. Per op: the thresholds of the thread counts
 * that win somewhere; "never" when none does; "always" when the largest one
 * won at every measured size. Ops with no data keep the built-in default.
 */
export function buildProfile(run: ProfileRun, fits: Fits): Profile {
  const ops: Partial<Record<ProfileOp, OpRule>> = {};
  for (const [op, list] of Object.entries(fits) as [ProfileOp, CrossoverFit[]][]) {
    if (list.length === 0) continue;
    const winning = list.filter((f) => f.decision !== "never");
    const thresholds: Threshold[] = winning.map((f) => ({
      threads: f.threads,
      minWork: f.decision === "always" ? 0 : f.minWork!,
      ...(f.interval ? { interval: { low: Math.round(f.interval.low), high: Math.round(f.interval.high), level: f.interval.level } } : {}),
      model: { fit: "theil-sen", serial: round(f.serial), parallel: round(f.parallel), margin: f.margin, points: f.points, workRange: f.workRange },
    }));
    const parallel = winning.length === 0 ? "never" : winning.every((f) => f.decision === "always") ? "always" : "threshold";
    ops[op] = { work: WORK_UNITS[op], parallel, thresholds, reason: list.map((f) => f.reason).join("; ") };
  }
  return {
    $schema: "../schema/profile.schema.json",
    schemaVersion: SCHEMA_VERSION,
    machine: profileMachine(run.machine),
    tuning: {
      date: run.date, tool: run.tool, level: run.level, durationSeconds: Math.round(run.durationSeconds), backend: "wasm",
      threads: run.threads, loadAverage: run.loadAverage, ...(run.notes.length > 0 ? { notes: run.notes } : {}), kernels: run.kernels,
    },
    pool: {
      spinMicros: run.spinMicros,
      ...(run.forkJoinHotMicros !== undefined ? { forkJoinHotMicros: round3(run.forkJoinHotMicros) } : {}),
      ...(run.forkJoinColdMicros !== undefined ? { forkJoinColdMicros: round3(run.forkJoinColdMicros) } : {}),
    },
    ops,
  };
}

function round(l: { interceptNs: number; slopeNs: number }) {
  return { interceptNs: Number(l.interceptNs.toPrecision(6)), slopeNs: Number(l.slopeNs.toPrecision(6)) };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
