import { execFileSync, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The built command line (npm test builds first: see "pretest").
const bin = fileURLToPath(new URL("../bin/crossover.js", import.meta.url));

describe("crossover command line", () => {
  it("--help lists the bench command", () => {
    const out = execFileSync(process.execPath, [bin, "--help"], { encoding: "utf8" });
    expect(out).toMatch(/crossover bench/);
  });

  it("bench --json measures the chosen ops and records the machine", () => {
    const out = execFileSync(process.execPath, [bin, "bench", "--json", "--backend", "wasm", "--ops", "rmsNorm", "--time", "5"], { encoding: "utf8" });
    const data = JSON.parse(out);
    expect(data.machine.logicalCpus).toBeGreaterThan(0);
    expect(data.results.length).toBe(11);
    for (const r of data.results) {
      expect(r.op).toBe("rmsNorm");
      expect(r.backend).toBe("wasm");
      expect(r.medianNs).toBeGreaterThan(0);
      expect(r.gbps).toBeGreaterThan(0);
    }
  });

  it("an unknown option value is a usage error naming the choices", () => {
    const r = spawnSync(process.execPath, [bin, "bench", "--ops", "gemm"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown value "gemm"; choose from rope, qkNorm/);
  });
});
