import type { Outcome, Say } from "./command.js";
import { thisFingerprint } from "../engine/profile/fingerprint.js";
import { thisKernelBuild } from "../engine/profile/kernel-build.js";
import { profileMatch } from "../engine/profile/match.js";
import { profileFiles, validateFile } from "./validate.js";

/** `crossover profiles`: the committed profiles, one line each, the one matching this machine marked. */
export interface ProfilesArgs {
  dir: string;
  json: boolean;
}

export function runProfiles({ dir, json }: ProfilesArgs, out: Say): Outcome {
  const here = thisFingerprint();
  const build = thisKernelBuild();
  const rows = profileFiles([dir]).map((file) => {
    const { problems, profile: p } = validateFile(file);
    if (!p) return { file, valid: false as const, problem: `${problems[0].field}: ${problems[0].message}` };
    const { match, differences } = profileMatch(p, here, build);
    return {
      file, valid: true as const, machine: p.machine.slug, date: p.tuning.date, level: p.tuning.level, ops: Object.keys(p.ops), match,
      ...(match === "compatible" ? { differences } : {}),
    };
  });
  if (json) {
    out(JSON.stringify(rows, null, 2));
    return { exitCode: 0 };
  }
  if (rows.length === 0) out(`no profiles in ${dir}: run crossover tune`);
  for (const r of rows) {
    if (!r.valid) out(`  ${r.file}: invalid (${r.problem})`);
    else out(`${r.match === "exact" ? "*" : r.match === "compatible" ? "~" : " "} ${r.machine}  ${r.date?.slice(0, 10)}  ${r.level}  ${r.ops?.length} ops  ${r.file}`);
  }
  if (rows.length) out(`* matches this machine and its kernels; ~ same CPU, other Node major or other kernels (crossover show says which)`);
  return { exitCode: 0 };
}
