import type { Outcome, Say } from "./command.js";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { kernelDifference, thisKernelBuild } from "../engine/profile/kernel-build.js";
import { profileProblems } from "../engine/profile/profile-checks.js";
import { checkProfile } from "../engine/profile/validate-profile.js";
import type { Profile } from "../engine/profile/types.js";
import { readJson } from "../engine/profile/validate-profile.js";

export interface FileReport {
  file: string;
  problems: { field: string; message: string }[];
  /** Worth knowing, not wrong: e.g. the profile was tuned with other kernels than these. */
  notes: { field: string; message: string }[];
  /** The profile, when it is valid. */
  profile?: Profile;
}

/** The profile files under the given paths (folders: their *.json, not recursive). */
export function profileFiles(paths: readonly string[]): string[] {
  return paths.flatMap((p) => {
    try {
      if (statSync(p).isDirectory()) return readdirSync(p).filter((f) => f.endsWith(".json")).sort().map((f) => join(p, f));
    } catch {
      // missing, unreadable, a link loop: validateFile says which
    }
    return [p];
  });
}

export function validateFile(file: string): FileReport {
  let data: unknown;
  try {
    data = readJson(file);
  } catch (err) {
    return { file, problems: [{ field: "(file)", message: (err as Error).message.slice(file.length + 2) }], notes: [] };
  }
  const problems = profileProblems(data);
  if (problems.length > 0) return { file, problems, notes: [] };
  const migrated: string[] = [];
  const profile = checkProfile(data, file, migrated);
  const kernels = kernelDifference(profile, thisKernelBuild());
  const notes = [
    ...migrated.map((m) => ({ field: "schemaVersion", message: m.slice(file.length + 1).trim() })),
    ...(kernels ? [{ field: "tuning.kernels", message: `${kernels}: the engine uses it as compatible, not exact; run "crossover check" on its machine, or tune it again` }] : []),
  ];
  return { file, problems, notes, profile };
}

/** `crossover validate`: exit 0 when every profile passes, 1 otherwise; one line per problem. */
export interface ValidateArgs {
  paths: readonly string[];
  json: boolean;
}

/** `crossover validate`: exit 0 when every profile passes, 1 otherwise. */
export function runValidate({ paths, json }: ValidateArgs, out: Say): Outcome {
  const files = profileFiles(paths.length ? paths : ["profiles"]);
  const reports = files.map(validateFile);
  const bad = reports.filter((r) => r.problems.length > 0);
  if (json) out(JSON.stringify({ ok: bad.length === 0, files: reports }, null, 2));
  else {
    if (files.length === 0) out(`no profiles found in ${paths.join(", ") || "profiles"}: nothing was validated`);
    for (const r of reports) {
      if (r.problems.length === 0) out(`ok    ${r.file}`);
      for (const p of r.problems) out(`error ${r.file}: ${p.field}: ${p.message}`);
      for (const n of r.notes) out(`note  ${r.file}: ${n.field}: ${n.message}`);
    }
    out(`${reports.length - bad.length} of ${reports.length} profile(s) valid`);
  }
  // nothing to validate is a failure: a CI step that checks no file must not pass
  return { exitCode: bad.length === 0 && files.length > 0 ? 0 : 1 };
}
