// The threshold profile, as schema/profile.schema.json describes it.

export const SCHEMA_VERSION = 1;

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
}

export interface Line {
  interceptNs: number;
  slopeNs: number;
}

export interface Threshold {
  threads: number;
  minWork: number;
  interval?: { low: number; high: number; level: number };
  model?: { fit: string; serial: Line; parallel: Line; margin?: number; points?: number; workRange?: [number, number] };
}

export interface OpRule {
  work: string;
  parallel: "threshold" | "never" | "always";
  thresholds: Threshold[];
  reason?: string;
}

export interface Profile {
  $schema?: string;
  schemaVersion: number;
  machine: ProfileMachine;
  tuning: {
    date: string;
    tool: string;
    level: "quick" | "standard" | "thorough" | "defaults" | "hand";
    durationSeconds?: number;
    backend: "wasm" | "js";
    threads: number[];
    loadAverage?: number[];
    notes?: string[];
    /** The kernels it was tuned with: thresholds move when kernels get faster. */
    kernels?: KernelBuild;
  };
  pool: { spinMicros: number; forkJoinHotMicros?: number; forkJoinColdMicros?: number };
  ops: Partial<Record<ProfileOp, OpRule>>;
}

/** Where the engine's profile came from, and how well it fits this machine. */
export interface LoadedProfile {
  source: "option" | "env" | "match" | "defaults";
  match: "exact" | "compatible" | "none";
  /** The file it was read from, when there was one. */
  path?: string;
  data: Profile;
  /** What went wrong with the profile that was asked for, when the defaults serve instead. */
  warnings: string[];
}
