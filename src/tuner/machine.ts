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
