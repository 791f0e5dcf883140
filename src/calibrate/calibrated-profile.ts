// The calibrated profile's life: looked up in the cache, measured when
// missing, written atomically, adopted by the engine.
import { existsSync } from "node:fs";
import type { Engine } from "../engine/engine.js";
import { machineSlug, thisFingerprint } from "../engine/profile/fingerprint.js";
import { thisKernelBuild } from "../engine/profile/kernel-build.js";
import { profileMatch } from "../engine/profile/match.js";
import type { LoadedProfile } from "../engine/profile/types.js";
import { readProfile } from "../engine/profile/validate-profile.js";
import { writeJsonAtomic } from "../io/atomic-write.js";
import { cacheDir, calibrationPath } from "./cache.js";
import { calibrate } from "./calibrate.js";

/** This machine's cached calibration, when there is one for these kernels and it reads cleanly. */
export function loadCalibration(env: Record<string, string | undefined> = process.env, kernels = thisKernelBuild()): LoadedProfile | undefined {
  const here = thisFingerprint(), build = kernels;
  const path = calibrationPath(cacheDir(env), machineSlug(here), build);
  if (!existsSync(path)) return undefined;
  try {
    const data = readProfile(path);
    if (profileMatch(data, here, build).match !== "exact") return undefined;
    return { source: "calibrated", match: "exact", path, data, warnings: [] };
  } catch {
    return undefined; // a broken cache file is measured again and replaced
  }
}

/**
 * Whether an engine should calibrate: nothing matched (the built-in defaults
 * serve), the policy follows the profile, there are threads to choose among,
 * and neither the option nor CROSSOVER_CALIBRATE=0 said no.
 */
export function wantsCalibration(engine: Engine, option: boolean | undefined, env: Record<string, string | undefined> = process.env): boolean {
  const on = option ?? env.CROSSOVER_CALIBRATE !== "0";
  return on && engine.profile.source === "defaults" && engine.policy === "profile" && engine.threads > 1 && engine.workerPool !== undefined;
}

/** Gives `engine` this machine's calibrated profile: from the cache, or measured now and cached. */
export async function calibrateEngine(engine: Engine, warn: (message: string) => void, env: Record<string, string | undefined> = process.env): Promise<void> {
  const cached = loadCalibration(env, thisKernelBuild(engine.wasmBuild));
  if (cached) {
    engine.adoptProfile(cached);
    return;
  }
  const { profile, ms, points } = calibrate(engine);
  const path = calibrationPath(cacheDir(env), profile.machine.slug, thisKernelBuild(engine.wasmBuild));
  let where = `cached in ${path}`;
  try {
    writeJsonAtomic(path, profile);
  } catch (err) {
    where = `not cached (${(err as Error).message}): it will run again next time`;
  }
  engine.adoptProfile({ source: "calibrated", match: "exact", path, data: profile, warnings: [] });
  warn(`crossover: no profile matches this machine: calibrated in ${Math.round(ms)} ms (${points} points), ${where}; ` +
    `"crossover tune" measures it fully (calibrate: false or CROSSOVER_CALIBRATE=0 turns calibration off)`);
}
