import { SCHEMA_VERSION, type KernelBuild, type OpRule, type Profile, type ProfileMachine, type ProfileOp } from "../engine/profile/types.js";
import { profileMachine } from "../engine/profile/profile-machine.js";
import { WORK_UNITS } from "../engine/ops/descriptors.js";
import type { ForkJoinResult, RangeFit, TuneResults } from "../results/types.js";

export interface ProfileRun {
  machine: ProfileMachine;
  date: string;
  tool: string;
  level: Profile["tuning"]["level"];
  durationSeconds: number;
  threads: number[];
  loadAverage: number[];
  spinMicros: number;
  /** Fork-join costs per thread count measured. */
  forkJoin: readonly ForkJoinResult[];
  notes: string[];
  kernels: KernelBuild;
}

/**
 * The profile a run's range fits imply: per op, the fastest count in each
 * range of work, the counts compared and the lines fitted. Ops with no data
 * keep the built-in default.
 */
export function buildProfile(run: ProfileRun, fits: NonNullable<TuneResults["ranges"]>): Profile {
  const ops: Partial<Record<ProfileOp, OpRule>> = {};
  for (const [op, f] of Object.entries(fits) as [ProfileOp, RangeFit][]) {
    ops[op] = {
      work: WORK_UNITS[op], ranges: f.ranges, compared: f.compared, reason: f.reason,
      model: { fit: "theil-sen", lines: f.lines.map((l) => ({ threads: l.threads, ...round(l) })), margin: f.margin, points: f.points, workRange: f.workRange },
    };
  }
  const top = run.forkJoin.reduce<ForkJoinResult | undefined>((a, f) => (!a || f.threads > a.threads ? f : a), undefined);
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
      ...(top ? { forkJoinHotMicros: round3(top.hotMedianUs), forkJoinColdMicros: round3(top.coldMedianUs) } : {}),
      ...(run.forkJoin.length > 0 ? { forkJoin: run.forkJoin.map((f) => ({ threads: f.threads, hotMicros: round3(f.hotMedianUs), coldMicros: round3(f.coldMedianUs) })) } : {}),
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
