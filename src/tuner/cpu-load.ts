import { readFileSync } from "node:fs";
import os from "node:os";
import { LIMITS } from "../results/limits.js";
import type { CpuLoad } from "../results/types.js";

/** CPU time counters of the whole machine and of this process, at one moment (ms). */
export interface CpuSnapshot {
  atMs: number;
  /** Time all CPUs spent running anything (user, nice, system, irq). */
  busyMs: number;
  /** Time the hypervisor ran something else on our virtual CPUs (Linux only; 0 elsewhere). */
  stealMs: number;
  /** Time this process's threads ran. */
  ownMs: number;
}

/** /proc/stat's first line, in ms (it counts in USER_HZ ticks of 10 ms); undefined where it is not readable. */
function procStat(): { busyMs: number; stealMs: number } | undefined {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0];
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    if (f.length < 8 || f.some((x) => !Number.isFinite(x))) return undefined;
    const [user, nice, system, , , irq, softirq, steal] = f;
    return { busyMs: (user + nice + system + irq + softirq) * 10, stealMs: steal * 10 };
  } catch {
    return undefined;
  }
}

export function cpuSnapshot(): CpuSnapshot {
  const own = process.cpuUsage();
  const stat = procStat();
  const busyMs = stat?.busyMs ?? os.cpus().reduce((s, c) => s + c.times.user + c.times.nice + c.times.sys + c.times.irq, 0);
  return { atMs: performance.now(), busyMs, stealMs: stat?.stealMs ?? 0, ownMs: (own.user + own.system) / 1000 };
}

/** What other processes (and the hypervisor) took between two snapshots. */
export function cpuLoadBetween(a: CpuSnapshot, b: CpuSnapshot): CpuLoad {
  const wall = Math.max(1, b.atMs - a.atMs);
  return {
    othersCpus: Math.max(0, (b.busyMs - a.busyMs - (b.ownMs - a.ownMs)) / wall),
    stealCpus: Math.max(0, (b.stealMs - a.stealMs) / wall),
    seconds: wall / 1000,
  };
}

/** Other processes' load that makes measurements untrustworthy (LIMITS.busyCpus, stealCpus; the counters tick every 10 ms). */
export function busyWarning(load: CpuLoad, when: string): string | undefined {
  const parts: string[] = [];
  if (load.othersCpus >= LIMITS.busyCpus) parts.push(`other processes used ${load.othersCpus.toFixed(2)} CPUs`);
  if (load.stealCpus >= LIMITS.stealCpus) parts.push(`the hypervisor took ${load.stealCpus.toFixed(2)} CPUs (steal)`);
  if (parts.length === 0) return undefined;
  return `${when}, ${parts.join(" and ")} (over ${load.seconds.toFixed(1)} s): the machine is not idle, so parallel timings ` +
    `may be far off; tune on an idle machine`;
}
