// The one reader and writer of results files: the tuner writes through it,
// the report and --resume read through it.
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { readJson, readSchema } from "../engine/profile/validate-profile.js";
import { writeJsonAtomic } from "../io/atomic-write.js";
import type { TuneResults } from "./types.js";

// schema/ sits at the package root; this file is at the same depth in src/ and dist/.
const SCHEMA_URL = new URL("../../schema/results.schema.json", import.meta.url);
let compiled: ValidateFunction | undefined;

/** Schema violations of a results object, one line each (empty: valid). */
export function resultsErrors(data: unknown): string[] {
  compiled ??= new Ajv2020({ allErrors: true, strict: false }).compile(readSchema(SCHEMA_URL));
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

/** Writes a results file atomically: a crash leaves the old file or the new one, never half of one. */
export function writeResults(path: string, results: TuneResults): void {
  writeJsonAtomic(path, results);
}
