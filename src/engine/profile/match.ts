import { fingerprintDiff, matchQuality } from "./fingerprint.js";
import { kernelDifference } from "./kernel-build.js";
import type { Fingerprint, KernelBuild, Profile } from "./types.js";

export interface ProfileMatch {
  /** exact: this machine, this Node major, these kernels; compatible: the same hardware otherwise; none: another machine. */
  match: "exact" | "compatible" | "none";
  /** What differs, in words (empty for an exact match). */
  differences: string[];
}

/**
 * How well a profile fits this machine and these kernels: the one rule that
 * lookup, `show`, `profiles` and `validate` apply. Another Node major or other
 * kernels still use the profile (the hardware is the same), with a warning.
 */
export function profileMatch(p: Profile, here: Fingerprint, build: KernelBuild): ProfileMatch {
  const hardware = matchQuality(p.machine, here);
  if (hardware === "none") return { match: "none", differences: fingerprintDiff(p.machine, here) };
  const differences: string[] = [];
  if (hardware === "compatible") differences.push(`it was tuned under Node ${p.machine.nodeMajor}, this is Node ${here.nodeMajor}`);
  const kernels = kernelDifference(p, build);
  if (kernels) differences.push(kernels);
  return { match: differences.length === 0 ? "exact" : "compatible", differences };
}

/** The warning for a compatible profile: what differs and what to do. */
export function compatibleWarning(name: string, differences: readonly string[]): string {
  return `${name} was tuned on this CPU, but ${differences.join("; ")}: using it as a compatible profile; ` +
    `run "crossover check" to test its thresholds here, or "crossover tune" to measure again`;
}
