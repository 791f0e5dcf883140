import type { WasmBuild } from "../../kernels/wasm/load.js";
// The threshold profile, as schema/profile.schema.json describes it.

/** The profile layout this release writes; version 1 files are migrated when read (migrate-v1.ts). */
export const SCHEMA_VERSION = 2;

export { PROFILE_OPS, type ProfileOp } from "../ops/descriptors.js";
import type { ProfileOp } from "../ops/descriptors.js";

/** What the engine matches a profile on. */
export interface Fingerprint {
  cpuModel: string;
  logicalCpus: number;
  arch: string;
  os: string;
  nodeMajor: number;
}

export interface ProfileMachine extends Fingerprint {
  slug: string;
  osRelease?: string;
  node?: string;
  v8?: string;
  caches?: { l1d?: number; l2?: number; l3?: number };
}

/** Which kernels ran: the crossover version and the SHA-256 of the wasm kernel module. */
export interface KernelBuild {
  crossover: string;
  wasmSha256: string;
  /** The wasm build (absent in profiles from before there were two: SIMD128). */
  build?: WasmBuild;
}

export interface Line {
  interceptNs: number;
  slopeNs: number;
}

/** From `fromWork` on (up to the next range's fromWork), the op runs on `threads`. */
export interface WorkRange {
  fromWork: number;
  threads: number;
  /** 95% interval of fromWork, where it was fitted. */
  interval?: { low: number; high: number; level: number };
}

/** Per op: the thread count for each range of work (the fastest count measured there). */
export interface OpRule {
  work: string;
  /** Sorted by fromWork; the first starts at 0. */
  ranges: WorkRange[];
  /** The thread counts measured and compared, 1 included. */
  compared?: number[];
  /** The time lines fitted per count. */
  model?: { fit: string; lines: Array<{ threads: number } & Line>; margin?: number; points?: number; workRange?: [number, number] };
  reason?: string;
}

export interface Profile {
  $schema?: string;
  schemaVersion: number;
  machine: ProfileMachine;
  tuning: {
    date: string;
    tool: string;
    level: "quick" | "standard" | "thorough" | "defaults" | "hand" | "calibrated";
    durationSeconds?: number;
    backend: "wasm" | "js";
    threads: number[];
    loadAverage?: number[];
    notes?: string[];
    /** The kernels it was tuned with: thresholds move when kernels get faster. */
    kernels?: KernelBuild;
  };
  pool: {
    spinMicros: number;
    forkJoinHotMicros?: number;
    forkJoinColdMicros?: number;
    /** Per thread count: fork-join costs grow with the workers woken and joined. */
    forkJoin?: { threads: number; hotMicros: number; coldMicros: number }[];
  };
  ops: Partial<Record<ProfileOp, OpRule>>;
}

/** Where the engine's profile came from, and how well it fits this machine. */
export interface LoadedProfile {
  source: "option" | "env" | "match" | "calibrated" | "defaults";
  match: "exact" | "compatible" | "none";
  /** The file it was read from, when there was one. */
  path?: string;
  data: Profile;
  /** What went wrong with the profile that was asked for, when the defaults serve instead. */
  warnings: string[];
}
