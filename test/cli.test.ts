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

  it("bench --json measures the chosen ops on each thread count and records the machine", () => {
    const out = execFileSync(process.execPath, [bin, "bench", "--json", "--backend", "wasm", "--ops", "rmsNorm", "--threads", "1,2",
      "--layer", "", "--time", "5"], { encoding: "utf8" });
    const data = JSON.parse(out);
    expect(data.machine.logicalCpus).toBeGreaterThan(0);
    expect(data.threads).toEqual([1, 2]);
    expect(data.results.length).toBe(22);
    for (const r of data.results) {
      expect(r.op).toBe("rmsNorm");
      expect(r.backend).toBe("wasm");
      expect(r.medianNs).toBeGreaterThan(0);
      expect(r.gbps).toBeGreaterThan(0);
    }
    expect(data.results.filter((r: { threads: number }) => r.threads === 2)).toHaveLength(11);
    expect(data.layer).toEqual([]);
  });

  it("bench times the decoder layer per policy", () => {
    const out = execFileSync(process.execPath, [bin, "bench", "--json", "--ops", "", "--threads", "1,2", "--layer", "gemma-3-270m",
      "--layer-time", "30"], { encoding: "utf8" });
    const { layer } = JSON.parse(out);
    const names = [...new Set(layer.map((r: { variant: string }) => r.variant))];
    expect(names).toEqual(expect.arrayContaining(["serial", "parallel (2 threads)"]));
    expect(names.some((n) => String(n).startsWith("profile ("))).toBe(true);
    for (const r of layer) {
      expect(r).toMatchObject({ preset: "gemma-3-270m", weights: "q8_0" });
      expect(r.medianMs).toBeGreaterThan(0);
      expect(r.tokens).toBe(r.step === "prefill" ? 128 : 512);
    }
  });

  it("tune --help documents levels, budget and resume; a bad budget is a usage error", () => {
    const help = execFileSync(process.execPath, [bin, "tune", "--help"], { encoding: "utf8" });
    expect(help).toMatch(/--level/);
    expect(help).toMatch(/--resume/);
    expect(help).toMatch(/crossover tune --level quick --budget/);
    const r = spawnSync(process.execPath, [bin, "tune", "--budget", "soon"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--budget: "soon" is not a duration/);
  });

  it("tune --resume without earlier results says what is missing", () => {
    const r = spawnSync(process.execPath, [bin, "tune", "--resume", "--out", "/nonexistent-crossover-dir"], { encoding: "utf8" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/results\.json: no such file/);
  });

  it("a bad thread count is a usage error", () => {
    const r = spawnSync(process.execPath, [bin, "bench", "--threads", "1,two"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--threads: "two" is not a thread count/);
  });

  it("an unknown option value is a usage error naming the choices", () => {
    const r = spawnSync(process.execPath, [bin, "bench", "--ops", "gemm"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown value "gemm"; choose from .*rmsNorm.*matmul\.q8_0/);
  });

  it("a reader that leaves early (crossover show | head -1) ends the command quietly", () => {
    const r = spawnSync("sh", ["-c", `"${process.execPath}" "${bin}" profiles --json | head -c 1; "${process.execPath}" "${bin}" show | head -1 >/dev/null; echo "rc=$?"`], { encoding: "utf8" });
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled/);
  });
});
