import { createHash } from "node:crypto";
import { defaultWasmBuild, wasmBytes, type WasmBuild } from "../../kernels/wasm/load.js";
import { VERSION } from "../../version.js";
import type { KernelBuild, Profile } from "./types.js";

const here = new Map<WasmBuild, KernelBuild>();

/**
 * The kernels an engine runs: the crossover version, the wasm build and the
 * SHA-256 of its module (by default the build this runtime picks). Thresholds
 * measured with other kernels may be off (a kernel 2x faster moves every
 * crossover), so a profile records the build it was tuned with; a profile of
 * the other build is used as compatible, not exact.
 */
export function thisKernelBuild(build: WasmBuild = defaultWasmBuild()): KernelBuild {
  let k = here.get(build);
  if (!k) {
    k = { crossover: VERSION, wasmSha256: wasmHash(build), build };
    here.set(build, k);
  }
  return k;
}

/** A kernel build's wasm build: profiles from before there were two record none, and ran SIMD128. */
export function buildOf(k: KernelBuild): WasmBuild {
  return k.build ?? "simd128";
}

/** The wasm module's SHA-256; "unbuilt" when it is missing (the js backend runs without it, and no tune can). */
function wasmHash(build: WasmBuild): string {
  let bytes: Buffer;
  try {
    bytes = wasmBytes(build);
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
  const what = k.wasmSha256 === build.wasmSha256 ? "the same kernels" : `the ${buildOf(k)} kernels ${k.wasmSha256.slice(0, 12)}`;
  return `it was tuned with crossover ${k.crossover} (${what}), this is crossover ${build.crossover} (the ${buildOf(build)} kernels ${build.wasmSha256.slice(0, 12)})`;
}
