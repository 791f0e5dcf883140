import type { ProfileMachine } from "./types.js";

// Pure (reads nothing of the host): the report and the built-in defaults use it.

/** Only the fields a profile's machine holds (a results file's machine also carries its load average). */
export function profileMachine(m: ProfileMachine): ProfileMachine {
  const { slug, cpuModel, logicalCpus, arch, os, nodeMajor, osRelease, node, v8, caches } = m;
  return { slug, cpuModel, logicalCpus, arch, os, nodeMajor, ...(osRelease ? { osRelease } : {}), ...(node ? { node } : {}), ...(v8 ? { v8 } : {}), ...(caches ? { caches } : {}) };
}
