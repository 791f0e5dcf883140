import type { Outcome, Say } from "./command.js";
import { createEngine } from "../engine/engine.js";
import { fingerprintDiff, matchQuality, thisFingerprint } from "../engine/profile/fingerprint.js";
import { loadProfile } from "../engine/profile/load-profile.js";
import type { ProfileOp } from "../engine/profile/types.js";
import { readProfile } from "../engine/profile/validate-profile.js";
import { checkProfileOnEngine } from "../tuner/check.js";
import { measureForkJoin } from "../tuner/pool-bench.js";
import { fmtPercent } from "../format.js";
import { LIMITS } from "../results/limits.js";

export interface CheckArgs {
  profile?: string;
  budgetMs: number;
  strict: boolean;
  force: boolean;
  json: boolean;
  ops?: ProfileOp[];
}

/**
 * `crossover check`: does the committed profile still hold on this machine?
 * Exit 0 when it does (or, without --strict, when it drifted: shared CI
 * runners are noisy), 1 on drift with --strict, 2 when the profile is for another machine.
 */
export async function runCheck(args: CheckArgs, out: Say): Promise<Outcome> {
  let path: string | undefined;
  let profile;
  if (args.profile) {
    path = args.profile;
    profile = readProfile(args.profile);
  } else {
    const loaded = loadProfile({ strict: false });
    if (loaded.source === "defaults") throw new Error(`no profile for this machine (${thisFingerprint().cpuModel}): give one with --profile, or run crossover tune`);
    path = loaded.path;
    profile = loaded.data;
  }
  const match = matchQuality(profile.machine, thisFingerprint());
  if (match === "none" && !args.force) {
    out(`crossover check: ${path} is for another machine (${fingerprintDiff(profile.machine, thisFingerprint()).join(", ")}): ` +
      `its thresholds are not expected to hold here. Use --force to check it anyway.`);
    return { exitCode: 2 };
  }
  const engine = await createEngine({ threads: Math.max(2, ...profile.tuning.threads), profile, adapt: false, onWarning: () => {} });
  try {
    // the dispatch cost now against when the profile was tuned: a changed cost explains drift everywhere at once
    const forkJoin = engine.workerPool ? measureForkJoin(engine, { hotBatches: 10, coldSamples: 3 }) : undefined;
    const tunedHot = profile.pool.forkJoinHotMicros;
    const results = await checkProfileOnEngine(engine, profile, args.budgetMs, args.ops);
    const drift = results.filter((r) => r.status === "drift");
    const dispatch = forkJoin ? { hotMicros: forkJoin.hotMedianUs, tunedHotMicros: tunedHot ?? null } : null;
    if (args.json) out(JSON.stringify({ profile: path, match, drift: drift.length > 0, dispatch, ops: results }, null, 2));
    else {
      out(`crossover check: ${path} (${match} match), Mann-Whitney U per point, alpha ${LIMITS.alpha}, ${fmtPercent(LIMITS.margin)} effect, contradictions confirmed by a second measurement`);
      if (forkJoin) {
        const ratio = tunedHot ? forkJoin.hotMedianUs / tunedHot : 1;
        out(`dispatch: fork-join ${forkJoin.hotMedianUs.toFixed(2)} us now${tunedHot ? `, ${tunedHot.toFixed(2)} us when tuned` : ""}` +
          (ratio > 2 ? ` (${ratio.toFixed(1)}x: the machine is not in the state it was tuned in; drift below may be that)` : ""));
      }
      for (const r of results) out(`${r.status === "drift" ? "DRIFT" : r.status === "holds" ? "ok   " : "skip "} ${r.op.padEnd(18)} ${r.rule}: ${r.summary}`);
      out(drift.length === 0 ? "the committed thresholds hold" : `${drift.length} op(s) drifted: re-run crossover tune and commit the new profile${args.strict ? "" : " (not failing: no --strict)"}`);
    }
    return { exitCode: drift.length > 0 && args.strict ? 1 : 0 };
  } finally {
    engine.close();
  }
}
