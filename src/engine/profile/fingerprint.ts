import { readFileSync } from "node:fs";
import os from "node:os";
import type { Fingerprint, ProfileMachine } from "./types.js";

/** This machine's fingerprint: what a profile must match to be used here. */
export function thisFingerprint(): Fingerprint {
  return {
    cpuModel: os.cpus()[0]?.model?.trim() || "unknown",
    logicalCpus: os.availableParallelism(),
    arch: process.arch,
    os: process.platform,
    nodeMajor: Number(process.versions.node.split(".")[0]),
  };
}

/** The fingerprint plus what else we can read about this machine, as a profile records it. */
export function thisMachine(): ProfileMachine {
  const fp = thisFingerprint();
  return {
    slug: machineSlug(fp),
    ...fp,
    osRelease: `${os.type()} ${os.release()}`,
    node: process.versions.node,
    v8: process.versions.v8,
    caches: readCaches(),
  };
}

/**
 * exact: every fingerprint field equal. compatible: the same CPU, core count,
 * architecture and OS under another Node major (thresholds shift a little with
 * V8, but not by much). none: another machine.
 */
export function matchQuality(profile: Fingerprint, here: Fingerprint): "exact" | "compatible" | "none" {
  const sameHardware = profile.cpuModel === here.cpuModel && profile.logicalCpus === here.logicalCpus &&
    profile.arch === here.arch && profile.os === here.os;
  if (!sameHardware) return "none";
  return profile.nodeMajor === here.nodeMajor ? "exact" : "compatible";
}

/** Which fingerprint fields differ, for messages. */
export function fingerprintDiff(profile: Fingerprint, here: Fingerprint): string[] {
  const keys: (keyof Fingerprint)[] = ["cpuModel", "logicalCpus", "arch", "os", "nodeMajor"];
  return keys.filter((k) => profile[k] !== here[k]).map((k) => `${k} ${JSON.stringify(profile[k])} (here ${JSON.stringify(here[k])})`);
}

/**
 * A readable, stable file name for a fingerprint, e.g.
 * "amd-epyc-9b14-2cpu-linux-x64-node20": the CPU model without vendor noise.
 */
export function machineSlug(fp: Fingerprint): string {
  const model = fp.cpuModel.toLowerCase()
    .replace(/\((r|tm)\)/g, "")
    .replace(/\b(\d+-core|processor|cpu|with radeon graphics)\b/g, "")
    .replace(/@.*$/, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "") || "unknown-cpu";
  return `${model}-${fp.logicalCpus}cpu-${fp.os}-${fp.arch}-node${fp.nodeMajor}`;
}

function readCaches(): NonNullable<ProfileMachine["caches"]> {
  const caches: NonNullable<ProfileMachine["caches"]> = {};
  for (let i = 0; i < 8; i++) {
    const dir = `/sys/devices/system/cpu/cpu0/cache/index${i}`;
    try {
      const level = readFileSync(`${dir}/level`, "utf8").trim();
      const type = readFileSync(`${dir}/type`, "utf8").trim();
      const size = parseSize(readFileSync(`${dir}/size`, "utf8").trim());
      if (!(size > 0)) continue;
      if (level === "1" && type === "Data") caches.l1d = size;
      else if (level === "2") caches.l2 = size;
      else if (level === "3") caches.l3 = size;
    } catch {
      break; // not Linux, or no more cache levels
    }
  }
  return caches;
}

function parseSize(s: string): number {
  const m = /^(\d+)([KMG]?)$/.exec(s);
  if (!m) return NaN;
  return Number(m[1]) * ({ "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 } as const)[m[2] as "" | "K" | "M" | "G"];
}
