import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { machineSlug, thisFingerprint } from "../src/engine/profile/fingerprint.js";
import { profileProblems } from "../src/engine/profile/profile-checks.js";
import { checkPoints } from "../src/tuner/check.js";
import { tunedProfile } from "./fixtures/profile-fixture.js";

const bin = fileURLToPath(new URL("../bin/crossover.js", import.meta.url));
const repo = fileURLToPath(new URL("..", import.meta.url));
/** Runs the CLI in `cwd` (default: the repository) with no CROSSOVER_PROFILE, so lookup is the machine's own. */
const runIn = (cwd: string, ...args: string[]) => {
  const env = { ...process.env };
  delete env.CROSSOVER_PROFILE;
  return spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", cwd, env });
};
const run = (...args: string[]) => runIn(repo, ...args);
/** A profile as tune writes it, for whatever machine runs the tests. */
const good = () => JSON.parse(JSON.stringify(tunedProfile(thisFingerprint())));
const hereSlug = machineSlug(thisFingerprint());

function dirWith(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), "crossover-cmd-"));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), typeof content === "string" ? content : JSON.stringify(content));
  return dir;
}

describe("crossover validate", () => {
  it("passes the committed profiles, exit 0", () => {
    const r = run("validate", "profiles");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/ok {4}profiles\/[a-z0-9.-]+\.json/);
    expect(r.stdout).toMatch(/(\d+) of \1 profile\(s\) valid/);
  });

  it("notes a profile tuned with other kernels, without failing it", () => {
    const old = good();
    old.tuning.kernels = { crossover: "0.0.9", wasmSha256: "ab".repeat(32) };
    const r = run("validate", join(dirWith({ "old.json": old, "same.json": good() }), "old.json"));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/note {2}.*old\.json: tuning\.kernels: it was tuned with crossover 0\.0\.9 \(the simd128 kernels abababababab\)/);
    expect(run("validate", dirWith({ "same.json": good() })).stdout).not.toMatch(/note/);
  });

  it("passes a version 1 profile with a note that it is read as version 2", () => {
    const base = good();
    delete base.tuning.kernels.build; // version 1 profiles predate the two wasm builds
    const v1 = { ...base, schemaVersion: 1, ops: { rope: { work: "seqLen*heads*headDim", parallel: "threshold", thresholds: [{ threads: 2, minWork: 4096 }] } } };
    const r = run("validate", join(dirWith({ "v1.json": v1 }), "v1.json"));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/note {2}.*v1\.json: schemaVersion: is a schema version 1 profile: read as version 2 with the same rule at every work size/);
  });

  it("names the file and the field of each problem, exit 1", () => {
    const wrongType = good(); wrongType.pool.spinMicros = "fast";
    const missing = good(); delete missing.tuning;
    const excludes = good(); excludes.ops.rope.ranges[1].interval = { low: 1, high: 2, level: 0.95 };
    const future = good(); future.schemaVersion = 3;
    const decreasing = good();
    decreasing.ops.rope.ranges = [{ fromWork: 0, threads: 1 }, { fromWork: 5000, threads: 2 }, { fromWork: 100, threads: 4 }];
    delete decreasing.ops.rope.compared;
    const dir = dirWith({
      "wrong-type.json": wrongType, "missing.json": missing, "excludes.json": excludes, "future.json": future,
      "truncated.json": JSON.stringify(good(), null, 2).slice(0, 300), "decreasing.json": decreasing,
    });
    const r = run("validate", dir);
    expect(r.status).toBe(1);
    const line = (f: string) => r.stdout.split("\n").find((l) => l.includes(`${f}.json:`)) ?? "";
    expect(line("wrong-type")).toMatch(/pool\.spinMicros: must be number/);
    expect(line("missing")).toMatch(/\(top level\): missing field "tuning"/);
    expect(line("excludes")).toMatch(/ops\.rope\.ranges\.1\.interval: \[1, 2\] does not contain its estimate fromWork 10240/);
    expect(line("future")).toMatch(/schemaVersion 3 is newer than this release reads \(2\): upgrade crossover/);
    expect(line("truncated")).toMatch(/\(file\): not valid JSON .*truncated/);
    expect(line("decreasing")).toMatch(/ops\.rope\.ranges\.2\.fromWork: 100 does not follow 5000: ranges are sorted by fromWork/);
    expect(r.stdout).toMatch(/0 of 6 profile\(s\) valid/);
    const json = JSON.parse(run("validate", join(dir, "future.json"), "--json").stdout);
    expect(json.ok).toBe(false);
  });

  it("checks what a schema cannot: a fingerprint that names a machine", () => {
    const p = good();
    p.machine.arch = "z80";
    p.machine.cpuModel = "unknown";
    const fields = profileProblems(p).map((x) => x.field);
    expect(fields).toEqual(expect.arrayContaining(["machine.arch", "machine.cpuModel", "machine.slug"]));
  });
});

describe("crossover show and profiles", () => {
  it("says which profile the engine loads here and why, and a shape's decision", () => {
    // a profile for this machine in ./profiles of a working folder: found by its fingerprint
    const cwd = dirWith({});
    mkdirSync(join(cwd, "profiles"));
    writeFileSync(join(cwd, "profiles", `${hereSlug}.json`), JSON.stringify(good()));
    const r = runIn(cwd, "show", "rope", "--seq-len", "128", "--heads", "16", "--head-dim", "64", "--json");
    expect(r.status).toBe(0);
    const data = JSON.parse(r.stdout);
    expect(data.profile).toMatchObject({ source: "match", match: "exact", path: join(cwd, "profiles", `${hereSlug}.json`) });
    expect(data.decision).toMatchObject({ op: "rope", work: 131072, threads: 2, range: { fromWork: 10240, toWork: null }, compared: [1, 2] });
    const text = runIn(cwd, "show").stdout;
    expect(text).toMatch(/why: its fingerprint matches this machine \(exact\)/);
    expect(text).toMatch(/kernels: crossover .*; this build: .* \(the same\)/);
    expect(text).toMatch(/attention\.decode/);
    const old = good();
    old.tuning.kernels = { crossover: "0.0.9", wasmSha256: "ab".repeat(32) };
    const oldText = runIn(cwd, "show", "--profile", join(dirWith({ "old.json": old }), "old.json")).stdout;
    expect(oldText).toMatch(/why: given with --profile/);
    expect(oldText).toMatch(/warning: .*tuned with crossover 0\.0\.9 .*compatible/);
    const bad = run("show", "rope", "--seq-len", "0", "--heads", "1", "--head-dim", "2");
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/seqLen must be an integer >= 1/);
  });

  it("lists profiles, marking the one for this machine", () => {
    const other = good();
    other.machine = { ...other.machine, cpuModel: "Other CPU" };
    other.machine.slug = machineSlug(other.machine);
    const dir = dirWith({ "a.json": good(), "b.json": other, "c.json": "{" });
    const r = run("profiles", dir);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^\\* ${hereSlug.replace(/\./g, "\\.")} +2026-11-25 +standard +4 ops`, "m"));
    expect(r.stdout).toMatch(new RegExp(`^ {2}${other.machine.slug}`, "m"));
    expect(r.stdout).toMatch(/c\.json: invalid/);
  });
});

describe("crossover check", () => {
  it("refuses a profile for another machine unless --force, exit 2", () => {
    const other = good();
    other.machine = { ...other.machine, cpuModel: "Other CPU" };
    other.machine.slug = machineSlug(other.machine);
    const dir = dirWith({ "other.json": other });
    const r = run("check", "--profile", join(dir, "other.json"));
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/is for another machine \(cpuModel "Other CPU"/);
    expect(r.stdout).toMatch(/Use --force/);
  });

  it("picks points on each side of every range boundary from the grid, each with the two counts to compare", () => {
    const two = { work: "w", ranges: [{ fromWork: 0, threads: 1 }, { fromWork: 10240, threads: 2 }] };
    const pts = checkPoints("rope", two, 2);
    expect(pts.length).toBe(4);
    expect(pts.filter((p) => p.expect === 1).every((p) => p.against === 2 && p.point.work <= 10240 / 2)).toBe(true);
    expect(pts.filter((p) => p.expect === 2).every((p) => p.against === 1 && p.point.work >= 10240 * 2)).toBe(true);
    const withInterval = checkPoints("rope", { work: "w", ranges: [{ fromWork: 0, threads: 1 }, { fromWork: 10240, threads: 2, interval: { low: 3000, high: 40000, level: 0.95 } }] }, 2);
    expect(withInterval.every((p) => p.point.work < 3000 || p.point.work > 40000)).toBe(true);
    // three ranges: points between two boundaries compare the middle count with each neighbour
    const three = checkPoints("rope", { work: "w", ranges: [{ fromWork: 0, threads: 1 }, { fromWork: 2000, threads: 2 }, { fromWork: 200000, threads: 4 }] }, 4);
    expect(three.filter((p) => p.expect === 2).map((p) => p.against).sort()).toEqual([1, 1, 4, 4]);
    expect(three.every((p) => p.expect === 1 ? p.point.work < 2000 : p.expect === 4 ? p.point.work >= 200000 : p.point.work >= 2000 && p.point.work < 200000)).toBe(true);
    // one range: serial is checked at the large end against the most threads compared; the engine's threads cap every count
    const serial = checkPoints("rope", { work: "w", ranges: [{ fromWork: 0, threads: 1 }], compared: [1, 2, 8] }, 4);
    expect(serial.every((p) => p.expect === 1 && p.against === 4)).toBe(true);
    expect(checkPoints("rope", two, 1)).toEqual([]); // one thread: nothing to compare
  });
});
