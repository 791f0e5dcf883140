// Whether the numbers of a run can be trusted: what the sentinel, the idle
// check, the data census and the layer proof recorded, in words, from the
// results alone. The report puts it first, before any number.
import { LIMITS, regretHigh, slowFromStart } from "../results/limits.js";
import type { TuneResults } from "../results/types.js";

export interface HealthSummary {
  /** Nothing went wrong that the run could see. */
  ok: boolean;
  /** What went wrong, most serious first; or, when ok, what was checked. */
  lines: string[];
}

export function healthSummary(r: TuneResults): HealthSummary {
  const problems: string[] = [];
  const limits = r.run.limits ?? LIMITS; // what the run was held to; older results: this release's
  if (typeof r.run.profileRefused === "string") problems.push(`The profile was not written: ${r.run.profileRefused}`);
  else if (r.run.profileRefused === false) problems.push("The tuned profile lost to a simpler policy on the decoder layer, and was written anyway (--force).");
  const h = r.health;
  const s = h?.sentinel;
  if (s) {
    const slow = s.verdicts.filter((v) => v !== "ok").length;
    if (s.suspect > 0) problems.push(`${s.suspect} point(s) were measured while the process or machine was in a slow state and could not be measured again: they are marked suspect and left out of the fits.`);
    if (slow > 0) {
      problems.push(`The sentinel (${s.description}) saw a slow state in ${slow} of ${s.verdicts.length} checks` +
        `${s.remeasured > 0 ? `; ${s.remeasured} point(s) were measured again once it passed` : ""}.`);
    }
    const first = s.readings[0];
    if (first && slowFromStart(first, s.factor)) {
      problems.push(`At the start, parallel work ran ${(first.parallelUs / first.serialUs).toFixed(1)}x slower than serial: the process may have been in a slow state all along.`);
    }
  }
  if (h && (h.cpuBefore.othersCpus >= limits.busyCpus || h.cpuBefore.stealCpus >= limits.stealCpus)) {
    problems.push(`Before measuring, other processes used ${h.cpuBefore.othersCpus.toFixed(2)} CPUs and the hypervisor took ${h.cpuBefore.stealCpus.toFixed(2)}: the machine was not idle.`);
  }
  const data = [...r.points, ...r.heldOut].filter((p) => p.dataIssue).length;
  if (data > 0) problems.push(`${data} point(s) left subnormal or non-finite outputs even on fresh data: their times are suspect.`);
  if (regretHigh(r.regret, limits)) {
    problems.push(`Held-out regret is high (geometric mean ${r.regret.geomean.toFixed(2)}, worst ${r.regret.max.toFixed(2)}).`);
  }
  if (problems.length > 0) return { ok: false, lines: problems };
  if (!s || !h) return { ok: true, lines: ["This run predates the sentinel and the idle check: its measurement health was not recorded."] };
  const worstPar = Math.max(...s.readings.map((x) => x.parallelUs)) / Math.min(...s.readings.map((x) => x.parallelUs));
  return {
    ok: true,
    lines: [
      `The sentinel (${s.description}) was read ${s.readings.length} times and stayed within ${worstPar.toFixed(2)}x of its best: ` +
      `the process and machine kept one state throughout.`,
      `Before measuring, other processes used ${h.cpuBefore.othersCpus.toFixed(2)} CPUs (steal ${h.cpuBefore.stealCpus.toFixed(2)}).`,
      "Every timed output was free of subnormal and non-finite values.",
    ],
  };
}
