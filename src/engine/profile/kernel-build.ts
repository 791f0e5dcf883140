import { createHash } from "node:crypto";
import { wasmBytes } from "../../kernels/wasm/load.js";
import { VERSION } from "../../version.js";
import type { KernelBuild, Profile } from "./types.js";

let here: KernelBuild | undefined;

/**
 * The kernels this process runs: the crossover version and the SHA-256 of the
 * wasm module. Thresholds measured with other kernels may be off (a kernel 2x
 * faster moves every crossover), so a profile records the build it was tuned with.
 */
export function thisKernelBuild(): KernelBuild {
  here ??= { crossover: VERSION, wasmSha256: wasmHash() };
  return here;
}

/** The wasm module's SHA-256; "unbuilt" when it is missing (the js backend runs without it, and no tune can). */
function wasmHash(): string {
  let bytes: Buffer;
  try {
    bytes = wasmBytes();
  } catch {
    return "unbuilt";
  }
  return createHash("sha256").update(bytes).digest("hex");
}

/** Profiles written by hand or built from defaults measure nothing, so they need no kernel build. */
const UNMEASURED: readonly Profile["tuning"]["level"][] = ["hand", "defaults"];

/**
 * How a profile's kernels differ from `build`, in words; undefined when they
 * are the same (or the profile measured nothing).
 */
export function kernelDifference(profile: Profile, build: KernelBuild): string | undefined {
  const k = profile.tuning.kernels;
  if (!k) return UNMEASURED.includes(profile.tuning.level) ? undefined : "it records no kernel build (tuned by an earlier crossover)";
  if (k.crossover === build.crossover && k.wasmSha256 === build.wasmSha256) return undefined;
  const what = k.wasmSha256 === build.wasmSha256 ? "the same kernels" : `kernels ${k.wasmSha256.slice(0, 12)}`;
  return `it was tuned with crossover ${k.crossover} (${what}), this is crossover ${build.crossover} (kernels ${build.wasmSha256.slice(0, 12)})`;
}
