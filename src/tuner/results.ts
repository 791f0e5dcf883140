import { readFileSync } from "node:fs";
import { readJson } from "../engine/profile/validate-profile.js";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import type { KernelBuild, Profile, ProfileMachine } from "../engine/profile/types.js";
import type { CpuLoad } from "./cpu-load.js";
import type { Limits } from "./limits.js";
import type { SentinelReading, SentinelVerdict } from "./sentinel.js";
import type { Level } from "./grid.js";
import type { Fits } from "./fit-all.js";
import type { LayerBenchResult } from "./layer-bench.js";
import type { PointResult } from "./measure-point.js";
import type { ForkJoinResult } from "./pool-bench.js";
import type { RegretSummary } from "./regret.js";

/** What one tuning run measured and fitted (schema/results.schema.json). */
export interface TuneResults {
  $schema?: string;
  schemaVersion: 1;
  kind: "crossover-results";
  complete: boolean;
  machine: ProfileMachine & { node: string; v8: string; loadAverage: number[] };
  run: {
    level: Level;
    budgetSeconds: number;
    startedAt: string;
    endedAt?: string;
    durationSeconds: number;
    threads: number[];
    oversubscribed?: boolean;
    backend: "wasm";
    ops?: string[];
    tool: string;
    command: string;
    sampleMs: number;
    rounds: number;
    margin?: number;
    loadBefore: number[];
    loadAfter: number[];
    stoppedBy: "done" | "budget" | "interrupt";
    skippedPoints?: number;
    resumedPoints?: number;
    /** The margins and limits the run held its measurements to (absent in results of earlier versions). */
    limits?: Limits;
    /** The kernels measured (a profile records them too). */
    kernels?: KernelBuild;
    /** Why the profile was not written (a string), or false when it was written although it lost (--force). */
    profileRefused?: string | false;
  };
  points: PointResult[];
  heldOut: PointResult[];
  fits: Fits;
  pool: {
    forkJoin: ForkJoinResult[];
    spin: { chosen: number; candidates: { spinMicros: number; medianMs: number; madMs: number }[]; reason?: string };
  };
  layer: LayerBenchResult[];
  regret: RegretSummary;
  warnings: string[];
  /** Whether the machine and process stayed in one state while measuring (absent in results of earlier versions). */
  health?: {
    /** Other processes' use of the CPUs just before the run. */
    cpuBefore: CpuLoad;
    sentinel: {
      description: string;
      /** A reading slower than this factor of the run's best counts as a slow state. */
      factor: number;
      readings: SentinelReading[];
      verdicts: SentinelVerdict[];
      /** Points measured again after a slow state passed. */
      remeasured: number;
      /** Points still marked suspect (measured in a slow state, not measured again). */
      suspect: number;
    };
  };
  /** The profile the engine would have loaded on this machine before this run: the report's "current" thresholds. */
  previous?: { source: string; path?: string; profile: Profile };
}

const SCHEMA_URL = new URL("../../schema/results.schema.json", import.meta.url);
let compiled: ValidateFunction | undefined;

/** Schema violations of a results object, one line each (empty: valid). */
export function resultsErrors(data: unknown): string[] {
  compiled ??= new Ajv2020({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(SCHEMA_URL, "utf8")) as object);
  if (compiled(data)) return [];
  return (compiled.errors ?? []).map((e) => `${e.instancePath || "(top level)"}: ${e.message}`);
}

/** Reads a results file (untrusted: checked as a file, as JSON, then against the schema), or explains why it cannot be used. */
export function readResults(path: string): TuneResults {
  const data = readJson(path);
  const errors = resultsErrors(data);
  if (errors.length > 0) throw new Error(`${path}: ${errors[0]}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ""}`);
  return data as TuneResults;
}
