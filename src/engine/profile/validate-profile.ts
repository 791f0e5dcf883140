import { readFileSync, statSync } from "node:fs";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import { upgradeProfile } from "./migrate-v1.js";
import { PROFILE_OPS, SCHEMA_VERSION, type Profile } from "./types.js";

// schema/ sits at the package root; this file is at the same depth in src/ and dist/.
const SCHEMA_URLS: Record<number, URL> = {
  1: new URL("../../../schema/profile.v1.schema.json", import.meta.url),
  [SCHEMA_VERSION]: new URL("../../../schema/profile.schema.json", import.meta.url),
};

const compiled = new Map<number, ValidateFunction>();

/**
 * A schema file with its op names filled in: the files say "a string" and
 * point at the descriptors, which are the one list of ops.
 */
export function readSchema(url: URL): object {
  const schema = JSON.parse(readFileSync(url, "utf8")) as { $defs: { op?: Record<string, unknown> } };
  if (schema.$defs.op) schema.$defs.op.enum = [...PROFILE_OPS]; // version 1 lists its ops itself
  return schema;
}

function validator(version: number): ValidateFunction {
  let v = compiled.get(version);
  if (!v) {
    v = new Ajv2020({ allErrors: true, strict: true }).compile(readSchema(SCHEMA_URLS[version]));
    compiled.set(version, v);
  }
  return v;
}

function versionOf(data: unknown): unknown {
  return data !== null && typeof data === "object" && "schemaVersion" in data ? (data as { schemaVersion: unknown }).schemaVersion : undefined;
}

/** One line per schema violation: where in the file, and what is wrong (a version-1 profile is checked as version 1). */
export function schemaErrors(data: unknown): string[] {
  const v = versionOf(data);
  if (typeof v === "number" && !(v in SCHEMA_URLS)) {
    return [v > SCHEMA_VERSION
      ? `schemaVersion ${v} is newer than this release reads (${SCHEMA_VERSION}): upgrade crossover, or re-tune with this version`
      : `schemaVersion ${v} is not one this release reads (${Object.keys(SCHEMA_URLS).join(", ")}): re-tune with "crossover tune"`];
  }
  const validate = validator(v === 1 ? 1 : SCHEMA_VERSION);
  if (validate(data)) return [];
  // a bad op name is reported once, by name (ajv adds a second, vaguer "propertyNames" error)
  return (validate.errors ?? []).filter((e) => e.keyword !== "propertyNames").map(formatError);
}

function formatError(e: ErrorObject): string {
  const where = e.instancePath ? e.instancePath.slice(1).replace(/\//g, ".") : "(top level)";
  if (e.keyword === "additionalProperties") return `${where}: unknown field "${String(e.params.additionalProperty)}"`;
  if (e.keyword === "required") return `${where}: missing field "${String(e.params.missingProperty)}"`;
  if (e.propertyName !== undefined) return `${where}: unknown op "${e.propertyName}" (this crossover knows ${PROFILE_OPS.join(", ")})`;
  if (e.keyword === "enum") return `${where}: ${e.message} (${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")})`;
  return `${where}: ${e.message}`;
}

/** Larger than any profile or results file crossover writes (a thorough run's results are ~1 MiB). */
export const MAX_JSON_BYTES = 16 * 2 ** 20;

/**
 * Reads and parses a JSON file, treating it as untrusted: it must be a regular
 * file (a FIFO would block, a device never ends) of sane size. Throws an Error
 * that starts with the path and says what is wrong.
 */
export function readJson(path: string, maxBytes = MAX_JSON_BYTES): unknown {
  let text: string;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new Error(`${path}: not a regular file (${st.isDirectory() ? "a folder" : "a device, pipe or socket"})`);
    if (st.size > maxBytes) throw new Error(`${path}: ${st.size} bytes is too large for a crossover file (at most ${maxBytes})`);
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined) throw err;
    throw new Error(code === "ENOENT" ? `${path}: no such file` : `${path}: cannot be read (${(err as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message}): truncated or hand-edited? Re-run crossover tune`);
  }
}

/** Reads and checks a profile file. Throws an Error naming the file and its first problem. */
export function readProfile(path: string, notes?: string[]): Profile {
  return checkProfile(readJson(path), path, notes);
}

/** What to tell a user whose profile was migrated on reading. */
export function migratedNote(where: string): string {
  return `${where} is a schema version 1 profile: read as version ${SCHEMA_VERSION} with the same rule at every work size; "crossover tune" writes version ${SCHEMA_VERSION}`;
}

/** Checks a parsed profile against the schema and returns it in this release's layout (a migration is noted in `notes`). */
export function checkProfile(data: unknown, where: string, notes?: string[]): Profile {
  const errors = schemaErrors(data);
  if (errors.length > 0) {
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : "";
    throw new Error(`${where}: ${errors[0]}${more}`);
  }
  if (versionOf(data) === 1) notes?.push(migratedNote(where));
  return upgradeProfile(data);
}
