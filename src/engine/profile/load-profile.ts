import { lstatSync, readdirSync, realpathSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { defaultProfile } from "./defaults.js";
import os from "node:os";
import { thisFingerprint, thisMachine } from "./fingerprint.js";
import { thisKernelBuild } from "./kernel-build.js";
import { compatibleWarning, profileMatch } from "./match.js";
import type { Fingerprint, KernelBuild, LoadedProfile, Profile } from "./types.js";
import { checkProfile, readProfile } from "./validate-profile.js";

// The package root: this file is at the same depth in src/ and dist/.
const PACKAGE_DIR = fileURLToPath(new URL("../../../", import.meta.url));

export interface ProfileRequest {
  /** A path to a profile file, or a profile object. */
  profile?: string | Profile;
  /** Throw instead of falling back to the defaults. */
  strict?: boolean;
  /** Where ./profiles is looked up (default process.cwd()). */
  cwd?: string;
  /** Environment to read CROSSOVER_PROFILE from (default process.env). */
  env?: Record<string, string | undefined>;
  /** The package's own folder (default: this package). */
  packageDir?: string;
  /** This machine (default: read from the OS). */
  here?: Fingerprint;
  /** The kernels this process runs (default: this package's). */
  kernels?: KernelBuild;
  /** Thread counts the built-in defaults cover. */
  maxThreads?: number;
}

/**
 * The profile the engine starts with: the `profile` option, else the file
 * CROSSOVER_PROFILE names, else a profile matching this machine in
 * ./profiles and then in the package's profiles/, else the built-in defaults.
 * Problems never stop the engine unless `strict`: they become warnings and the
 * defaults serve.
 */
export function loadProfile(req: ProfileRequest = {}): LoadedProfile {
  const cwd = req.cwd ?? process.cwd();
  const here = req.here ?? thisFingerprint();
  const build = req.kernels ?? thisKernelBuild();
  const warnings: string[] = [];
  const defaults = (): LoadedProfile => ({ source: "defaults", match: "none", data: defaultProfile(req.maxThreads ?? os.availableParallelism(), thisMachine()), warnings });
  const problem = (message: string): LoadedProfile => {
    if (req.strict) throw new Error(`crossover: ${message} (strictProfile is set)`);
    warnings.push(`${message}; using the built-in defaults`);
    return defaults();
  };

  const explicit = (source: "option" | "env", value: string | Profile, label: string): LoadedProfile => {
    let data: Profile;
    let path: string | undefined;
    try {
      if (typeof value === "string") {
        path = resolve(cwd, value);
        data = readProfile(path, warnings);
      } else {
        data = checkProfile(value, label, warnings);
      }
    } catch (err) {
      return problem(`${source === "env" ? "CROSSOVER_PROFILE: " : ""}${(err as Error).message}`);
    }
    const { match, differences } = profileMatch(data, here, build);
    const name = path ?? label;
    if (match === "none") return problem(`${name} is for another machine (${differences.join(", ")})`);
    if (match === "compatible") warnings.push(compatibleWarning(name, differences));
    return { source, match, path, data, warnings };
  };

  if (req.profile !== undefined) {
    if (typeof req.profile !== "string" && (req.profile === null || typeof req.profile !== "object")) {
      return problem(`the profile option must be a path or a profile object, got ${req.profile === null ? "null" : typeof req.profile}`);
    }
    return explicit("option", req.profile, "the profile option");
  }
  const envPath = (req.env ?? process.env).CROSSOVER_PROFILE;
  if (envPath) return explicit("env", envPath, envPath);

  let compatible: { path: string; data: Profile; differences: string[]; notes: string[] } | undefined;
  // files that could not be read: skipped with a warning; fatal under strict only when no profile matched
  // (one of them may have been this machine's), never when an unrelated file is broken beside a match
  const broken: string[] = [];
  for (const dir of profileDirs(cwd, req.packageDir ?? PACKAGE_DIR, warnings)) {
    const candidates: { path: string; data: Profile; match: "exact" | "compatible"; differences: string[]; notes: string[] }[] = [];
    for (const file of dir.files) {
      const path = join(dir.path, file);
      let data: Profile;
      const notes: string[] = [];
      try {
        data = readProfile(path, notes);
      } catch (err) {
        broken.push((err as Error).message);
        continue;
      }
      const { match, differences } = profileMatch(data, here, build);
      if (match !== "none") candidates.push({ path, data, match, differences, notes });
    }
    // The newest of the exact matches; several can exist when a machine was re-tuned under another name.
    const exact = candidates.filter((c) => c.match === "exact").sort((a, b) => b.data.tuning.date.localeCompare(a.data.tuning.date));
    if (exact.length > 0) {
      warnings.push(...broken.map((b) => `${b}; skipped`));
      warnings.push(...exact[0].notes);
      return { source: "match", match: "exact", path: exact[0].path, data: exact[0].data, warnings };
    }
    compatible ??= candidates.filter((c) => c.match === "compatible")
      .sort((a, b) => b.data.tuning.date.localeCompare(a.data.tuning.date))[0];
  }
  if (req.strict && !compatible && broken.length > 0) {
    throw new Error(`crossover: no profile matches this machine, and ${broken.length} could not be read: ${broken[0]} (strictProfile is set)`);
  }
  warnings.push(...broken.map((b) => `${b}; skipped`));
  if (compatible) {
    warnings.push(...compatible.notes, compatibleWarning(compatible.path, compatible.differences));
    return { source: "match", match: "compatible", path: compatible.path, data: compatible.data, warnings };
  }
  return defaults();
}

/** Profile files read per folder at most: a folder of thousands of files is not a profiles folder. */
const MAX_FILES = 1000;

/**
 * ./profiles then the package's profiles/, each once, with their *.json names.
 * A folder that is missing is skipped silently; one that is not a folder or
 * cannot be listed (a file named profiles, no permission, a link loop) is
 * skipped with a warning: engine start never fails on it.
 */
function profileDirs(cwd: string, packageDir: string, warnings: string[]): { path: string; files: string[] }[] {
  const dirs: { path: string; files: string[] }[] = [];
  for (const dir of [join(cwd, "profiles"), join(packageDir, "profiles")]) {
    try {
      if (!lexists(dir)) continue;
      if (!statSync(dir).isDirectory()) {
        warnings.push(`${dir} is not a folder; skipped (profiles live in a folder named profiles)`);
        continue;
      }
      const real = realpathSync(dir);
      if (dirs.some((d) => d.path === real)) continue;
      const files = readdirSync(real).filter((f) => f.endsWith(".json")).sort();
      if (files.length > MAX_FILES) warnings.push(`${dir} holds ${files.length} .json files; only the first ${MAX_FILES} were read`);
      dirs.push({ path: real, files: files.slice(0, MAX_FILES) });
    } catch (err) {
      warnings.push(`${dir} cannot be read (${(err as Error).message}); skipped`);
    }
  }
  return dirs;
}

/** Whether anything is there, a broken or looping link included (existsSync says no to those). */
function lexists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
