// Where a calibrated profile is kept between runs: the user's cache folder
// (XDG on Linux, ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows), one
// file per machine fingerprint and kernel build, so a machine calibrates once
// per crossover version.
import { buildOf } from "../engine/profile/kernel-build.js";
import { homedir } from "node:os";
import { join } from "node:path";
import type { KernelBuild } from "../engine/profile/types.js";

export function cacheDir(env: Record<string, string | undefined> = process.env, platform: string = process.platform, home: string = homedir()): string {
  if (env.CROSSOVER_CACHE_DIR) return env.CROSSOVER_CACHE_DIR;
  if (platform === "win32") return join(env.LOCALAPPDATA ?? join(home, "AppData", "Local"), "crossover", "Cache");
  if (platform === "darwin") return join(home, "Library", "Caches", "crossover");
  return join(env.XDG_CACHE_HOME || join(home, ".cache"), "crossover");
}

/** The calibrated profile's file for a machine and a kernel build. */
export function calibrationPath(dir: string, slug: string, kernels: KernelBuild): string {
  return join(dir, `${slug}-crossover${kernels.crossover}-${buildOf(kernels)}-${kernels.wasmSha256.slice(0, 12)}.json`);
}
