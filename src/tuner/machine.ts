import { readFileSync } from "node:fs";
import os from "node:os";

/** What a measurement ran on: recorded with every result. */
export interface MachineInfo {
  cpuModel: string;
  logicalCpus: number;
  arch: string;
  os: string;
  node: string;
  v8: string;
  /** Cache sizes in bytes where the OS exposes them (Linux sysfs). */
  caches: { l1d?: number; l2?: number; l3?: number };
  loadAverage: number[];
}

export function machineInfo(): MachineInfo {
  return {
    cpuModel: os.cpus()[0]?.model?.trim() || "unknown",
    logicalCpus: os.availableParallelism(),
    arch: process.arch,
    os: `${os.type()} ${os.release()}`,
    node: process.versions.node,
    v8: process.versions.v8,
    caches: readCaches(),
    loadAverage: os.loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

function readCaches(): MachineInfo["caches"] {
  const caches: MachineInfo["caches"] = {};
  for (let i = 0; i < 8; i++) {
    const dir = `/sys/devices/system/cpu/cpu0/cache/index${i}`;
    try {
      const level = readFileSync(`${dir}/level`, "utf8").trim();
      const type = readFileSync(`${dir}/type`, "utf8").trim();
      const size = parseSize(readFileSync(`${dir}/size`, "utf8").trim());
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
