import { readFileSync, statSync } from "node:fs";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import { PROFILE_OPS, SCHEMA_VERSION, type Profile } from "./types.js";

// schema/ sits at the package root; this file is at the same depth in src/ and dist/.
const SCHEMA_URL = new URL("../../../schema/profile.schema.json", import.meta.url);

let compiled: ValidateFunction | undefined;

/**
 * A schema file with its op names filled in: the files say "a string" and
 * point at the descriptors, which are the one list of ops.
 */
export function readSchema(url: URL): object {
  const schema = JSON.parse(readFileSync(url, "utf8")) as { $defs: { op: Record<string, unknown> } };
  schema.$defs.op.enum = [...PROFILE_OPS];
  return schema;
}

function validator(): ValidateFunction {
  compiled ??= new Ajv2020({ allErrors: true, strict: true }).compile(readSchema(SCHEMA_URL));
  return compiled;
}

/** One line per schema violation: where in the file, and what is wrong. */
export function schemaErrors(data: unknown): string[] {
  if (data !== null && typeof data === "object" && "schemaVersion" in data) {
    const v = (data as { schemaVersion: unknown }).schemaVersion;
    if (typeof v === "number" && v !== SCHEMA_VERSION) {
      return [v > SCHEMA_VERSION
        ? `schemaVersion ${v} is newer than this release reads (${SCHEMA_VERSION}): upgrade crossover, or re-tune with this version`
        : `schemaVersion ${v} is older than this release reads (${SCHEMA_VERSION}): re-tune with "crossover tune"`];
    }
  }
  const validate = validator();
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
export function readProfile(path: string): Profile {
  return checkProfile(readJson(path), path);
}

/** Checks a parsed profile against the schema. */
export function checkProfile(data: unknown, where: string): Profile {
  const errors = schemaErrors(data);
  if (errors.length > 0) {
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : "";
    throw new Error(`${where}: ${errors[0]}${more}`);
  }
  return data as Profile;
}
