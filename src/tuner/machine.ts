import { readFileSync } from "node:fs";
import os from "node:os";
import { thisMachine } from "../engine/profile/fingerprint.js";
import type { ProfileMachine } from "../engine/profile/types.js";

/** What a measurement ran on: recorded with every result. */
export interface MachineInfo extends ProfileMachine {
  loadAverage: number[];
}

export function machineInfo(): MachineInfo {
  return { ...thisMachine(), loadAverage: os.loadavg().map((v) => Math.round(v * 100) / 100) };
}

/**
 * Physical cores, where the OS says (Linux: distinct "physical id"/"core id"
 * pairs in /proc/cpuinfo); undefined elsewhere or when the file says nothing.
 */
export function physicalCores(cpuinfo?: string): number | undefined {
  let text = cpuinfo;
  if (text === undefined) {
    try {
      text = readFileSync("/proc/cpuinfo", "utf8");
    } catch {
      return undefined;
    }
  }
  const cores = new Set<string>();
  for (const block of text.split(/\n\s*\n/)) {
    const pkg = /^physical id\s*:\s*(\d+)/m.exec(block)?.[1], core = /^core id\s*:\s*(\d+)/m.exec(block)?.[1];
    if (pkg !== undefined && core !== undefined) cores.add(`${pkg}:${core}`);
  }
  return cores.size > 0 ? cores.size : undefined;
}
