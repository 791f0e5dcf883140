import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../src/index.js";
import { defaultProfile } from "../src/engine/profile/defaults.js";
import { PolicyTable } from "../src/engine/policy.js";
import { thisFingerprint } from "../src/engine/profile/fingerprint.js";
import { thisKernelBuild } from "../src/engine/profile/kernel-build.js";
import { loadProfile } from "../src/engine/profile/load-profile.js";
import type { Fingerprint } from "../src/engine/profile/types.js";
import { schemaErrors } from "../src/engine/profile/validate-profile.js";
import { profileFor, tunedProfile } from "./fixtures/profile-fixture.js";

const HERE: Fingerprint = { cpuModel: "Test CPU 9000", logicalCpus: 8, arch: "x64", os: "linux", nodeMajor: 20 };

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "crossover-profile-"));
}

function write(dir: string, name: string, content: unknown): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  return path;
}

describe("profile lookup order", () => {
  let cwd: string, pkg: string, empty: string;
  beforeAll(() => {
    cwd = tempDir();
    pkg = tempDir();
    empty = tempDir();
    write(join(cwd, "profiles"), "here.json", profileFor(HERE, "2026-11-02T00:00:00Z"));
    write(join(cwd, "profiles"), "other.json", profileFor({ ...HERE, cpuModel: "Other CPU" }));
    write(join(pkg, "profiles"), "here.json", profileFor(HERE, "2026-11-03T00:00:00Z"));
  });
  const base = () => ({ cwd, packageDir: pkg, env: {}, here: HERE });

  it("the profile option comes first (object or path)", () => {
    const p = loadProfile({ ...base(), profile: profileFor(HERE, "2026-01-01T00:00:00Z"), env: { CROSSOVER_PROFILE: "x.json" } });
    expect(p).toMatchObject({ source: "option", match: "exact", warnings: [] });
    expect(p.data.tuning.date).toBe("2026-01-01T00:00:00Z");
    const path = write(tempDir(), "mine.json", profileFor(HERE, "2026-02-02T00:00:00Z"));
    expect(loadProfile({ ...base(), profile: path })).toMatchObject({ source: "option", path, match: "exact" });
  });

  it("then CROSSOVER_PROFILE", () => {
    const path = write(tempDir(), "env.json", profileFor(HERE, "2026-03-03T00:00:00Z"));
    expect(loadProfile({ ...base(), env: { CROSSOVER_PROFILE: path } })).toMatchObject({ source: "env", path, match: "exact" });
  });

  it("then the matching profile in ./profiles, before the package's", () => {
    const p = loadProfile(base());
    expect(p).toMatchObject({ source: "match", match: "exact", path: join(cwd, "profiles", "here.json"), warnings: [] });
  });

  it("then the package's own profiles/", () => {
    const p = loadProfile({ ...base(), cwd: empty });
    expect(p).toMatchObject({ source: "match", match: "exact", path: join(pkg, "profiles", "here.json") });
  });

  it("then the built-in defaults, silently when nothing was asked for", () => {
    const p = loadProfile({ ...base(), cwd: empty, packageDir: empty });
    expect(p).toMatchObject({ source: "defaults", match: "none", warnings: [] });
    expect(p.data.ops["attention.decode"]?.ranges).toEqual([{ fromWork: 0, threads: 1 }]);
    expect(schemaErrors(p.data)).toEqual([]);
  });

  it("a profile for the same CPU under another Node major is used, with a warning", () => {
    const dir = tempDir();
    write(join(dir, "profiles"), "node22.json", profileFor({ ...HERE, nodeMajor: 22 }));
    const p = loadProfile({ ...base(), cwd: dir, packageDir: empty });
    expect(p).toMatchObject({ source: "match", match: "compatible" });
    expect(p.warnings[0]).toMatch(/tuned under Node 22, this is Node 20/);
  });

  it("of several partial matches the newest compatible one serves; another core count never matches", () => {
    const dir = tempDir();
    write(join(dir, "profiles"), "node18.json", profileFor({ ...HERE, nodeMajor: 18 }, "2026-06-01T00:00:00Z"));
    write(join(dir, "profiles"), "node22.json", profileFor({ ...HERE, nodeMajor: 22 }, "2026-07-01T00:00:00Z"));
    write(join(dir, "profiles"), "4cores.json", profileFor({ ...HERE, logicalCpus: 4 }, "2026-08-01T00:00:00Z"));
    write(join(dir, "profiles"), "arm.json", profileFor({ ...HERE, arch: "arm64" }, "2026-09-01T00:00:00Z"));
    const p = loadProfile({ ...base(), cwd: dir, packageDir: empty });
    expect(p).toMatchObject({ source: "match", match: "compatible", path: join(dir, "profiles", "node22.json") });
    expect(p.warnings).toEqual([expect.stringMatching(/node22\.json was tuned on this CPU, but it was tuned under Node 22, this is Node 20/)]);
  });

  it("of two exact matches the newest wins", () => {
    const dir = tempDir();
    write(join(dir, "profiles"), "a.json", profileFor(HERE, "2026-05-01T00:00:00Z"));
    write(join(dir, "profiles"), "b.json", profileFor(HERE, "2026-04-01T00:00:00Z"));
    expect(loadProfile({ ...base(), cwd: dir }).path).toBe(join(dir, "profiles", "a.json"));
  });
});

describe("profiles know their kernels", () => {
  const build = thisKernelBuild();
  const at = (p: object) => write(tempDir(), "p.json", p);

  it("this build: the crossover version and the SHA-256 of the wasm module", () => {
    expect(build.crossover).toMatch(/^\d+\.\d+\.\d+/);
    expect(build.wasmSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("a profile tuned with these kernels is an exact match", () => {
    expect(loadProfile({ profile: at(tunedProfile(HERE)), env: {}, here: HERE })).toMatchObject({ match: "exact", warnings: [] });
  });

  it("one tuned with other kernels is used as compatible, with a warning naming both builds and what to do", () => {
    const old = tunedProfile(HERE);
    old.tuning.kernels = { crossover: "0.0.9", wasmSha256: "ab".repeat(32) };
    const p = loadProfile({ profile: at(old), env: {}, here: HERE });
    expect(p).toMatchObject({ source: "option", match: "compatible" });
    expect(p.warnings).toHaveLength(1);
    expect(p.warnings[0]).toContain(`tuned with crossover 0.0.9 (the simd128 kernels abababababab), this is crossover ${build.crossover} (the ${build.build} kernels ${build.wasmSha256.slice(0, 12)})`);
    expect(p.warnings[0]).toMatch(/crossover check/);
  });

  it("a measured profile that records no kernels is compatible too; a hand-written one is exact", () => {
    const unknown = tunedProfile(HERE);
    delete unknown.tuning.kernels;
    expect(loadProfile({ profile: at(unknown), env: {}, here: HERE }).warnings[0]).toMatch(/records no kernel build/);
    expect(loadProfile({ profile: at(profileFor(HERE)), env: {}, here: HERE })).toMatchObject({ match: "exact", warnings: [] });
  });

  it("in ./profiles, an exact match wins over a newer one tuned with other kernels", () => {
    const dir = tempDir();
    const newer = tunedProfile(HERE, "2026-12-01T00:00:00Z");
    newer.tuning.kernels = { crossover: build.crossover, wasmSha256: "cd".repeat(32) };
    write(join(dir, "profiles"), "newer.json", newer);
    write(join(dir, "profiles"), "same.json", tunedProfile(HERE, "2026-11-01T00:00:00Z"));
    expect(loadProfile({ cwd: dir, packageDir: dir, env: {}, here: HERE })).toMatchObject({ match: "exact", path: join(dir, "profiles", "same.json") });
  });
});

describe("bad profiles: a warning naming the file and the problem, and the defaults", () => {
  const dir = tempDir();
  const good = profileFor(HERE);
  const cases: [string, string, RegExp][] = [
    ["a missing file", join(dir, "nope.json"), /nope\.json: no such file; using the built-in defaults/],
    ["broken JSON", write(dir, "broken.json", JSON.stringify(good).slice(0, 60)), /broken\.json: not valid JSON/],
    ["a schema violation", write(dir, "wrong-type.json", { ...good, pool: { spinMicros: "fast" } }), /wrong-type\.json: pool\.spinMicros: must be number/],
    ["a missing field", write(dir, "no-ops.json", { ...good, ops: undefined }), /no-ops\.json: \(top level\): missing field "ops"/],
    ["another machine", write(dir, "other.json", profileFor({ ...HERE, cpuModel: "Other CPU", logicalCpus: 4 })),
      /other\.json is for another machine \(cpuModel "Other CPU" \(here "Test CPU 9000"\), logicalCpus 4 \(here 8\)\)/],
    ["a future schemaVersion", write(dir, "future.json", { ...good, schemaVersion: 3 }), /future\.json: schemaVersion 3 is newer than this release reads \(2\)/],
  ];
  for (const [what, path, message] of cases) {
    it(what, () => {
      const p = loadProfile({ profile: path, env: {}, here: HERE, cwd: dir });
      expect(p.source).toBe("defaults");
      expect(p.warnings).toHaveLength(1);
      expect(p.warnings[0]).toMatch(message);
      expect(() => loadProfile({ profile: path, env: {}, here: HERE, strict: true })).toThrow(/strictProfile is set/);
    });
  }

  it("an invalid file in ./profiles is skipped with a warning; the match is still found", () => {
    const d = tempDir();
    write(join(d, "profiles"), "a-broken.json", "{");
    write(join(d, "profiles"), "b-good.json", good);
    const p = loadProfile({ cwd: d, packageDir: d, env: {}, here: HERE });
    expect(p).toMatchObject({ source: "match", match: "exact" });
    expect(p.warnings).toEqual([expect.stringMatching(/a-broken\.json: not valid JSON.*; skipped/)]);
  });

  it("the engine says once what it did instead, and keeps working", async () => {
    const warnings: string[] = [];
    const e = await createEngine({ threads: 1, profile: join(dir, "nope.json"), onWarning: (m) => warnings.push(m) });
    expect(e.profile.source).toBe("defaults");
    expect(warnings).toEqual([expect.stringMatching(/nope\.json: no such file; using the built-in defaults/)]);
    const x = e.f32(8).fill(2);
    e.rmsNorm(x, x, e.f32(8).fill(1), { rows: 1, dim: 8 });
    expect(x[0]).toBeCloseTo(1, 5);
    e.close();
    await expect(createEngine({ threads: 1, profile: join(dir, "nope.json"), strictProfile: true })).rejects.toThrow(/no such file/);
  });
});

describe("plan() against a hand-written profile", () => {
  let e4: Engine, e2: Engine;
  const fp = thisFingerprint();
  const hand = profileFor(fp, "2026-11-01T00:00:00Z", {
    rope: { work: "seqLen*heads*headDim", compared: [1, 2, 4], ranges: [
      { fromWork: 0, threads: 1 },
      { fromWork: 10000, threads: 2, interval: { low: 9000, high: 11000, level: 0.95 } },
      { fromWork: 50000, threads: 4 },
    ] },
    "attention.decode": { work: "seqLen*kvLen*heads*headDim", ranges: [{ fromWork: 0, threads: 1 }], reason: "measured: never wins" },
    "attention.prefill": { work: "seqLen*kvLen*heads*headDim", ranges: [{ fromWork: 0, threads: 1 }, { fromWork: 1e6, threads: 2 }] },
    "matmul.f32": { work: "batch*inDim*outDim", ranges: [{ fromWork: 0, threads: 4 }] },
  });
  beforeAll(async () => {
    e4 = await createEngine({ threads: 4, spinMicros: 0, profile: hand, onWarning: () => {} });
    e2 = await createEngine({ threads: 2, profile: hand, onWarning: () => {} });
  });
  afterAll(() => {
    e4.close();
    e2.close();
  });

  it("the engine reports the profile it loaded", () => {
    expect(e4.profile).toMatchObject({ source: "option", match: "exact" });
    expect(e4.health().oversubscribed).toBe(fp.logicalCpus < 4);
  });

  it("picks the count of the range the work falls in, and says which counts were compared", () => {
    const rope = (seqLen: number) => ({ seqLen, heads: 4, headDim: 64 }); // work = seqLen * 256
    expect(e4.plan("rope", rope(20))).toMatchObject({ op: "rope", work: 5120, threads: 1, range: { fromWork: 0, toWork: 10000 }, compared: [1, 2, 4] });
    expect(e4.plan("rope", rope(20)).reason).toMatch(/^profile: 0 <= work 5120 < 10000 \(seqLen\*heads\*headDim\): 1 thread, the fastest of 1, 2, 4 threads measured there$/);
    expect(e4.plan("rope", rope(40))).toMatchObject({ work: 10240, threads: 2, range: { fromWork: 10000, toWork: 50000 } });
    expect(e4.plan("rope", rope(200))).toMatchObject({ work: 51200, threads: 4, range: { fromWork: 50000, toWork: null } });
    const capped = e2.plan("rope", rope(200)); // 4 is more than this engine has
    expect(capped).toMatchObject({ threads: 2 });
    expect(capped.reason).toMatch(/capped at the engine's 2 threads/);
  });

  it("splits attention into decode and prefill, and honours never and always", () => {
    const d = e4.plan("attention", { seqLen: 1, kvLen: 4096, heads: 32, headDim: 128 });
    expect(d).toMatchObject({ op: "attention.decode", work: 4096 * 32 * 128, threads: 1, range: { fromWork: 0, toWork: null }, compared: null });
    expect(d.reason).toMatch(/attention.decode runs on 1 thread at every size, its rule \(measured: never wins\)/);
    expect(e4.plan("attention", { seqLen: 64, kvLen: 64, heads: 8, headDim: 64 })).toMatchObject({ op: "attention.prefill", threads: 2 });
    expect(e4.plan("matmul", { batch: 1, inDim: 32, outDim: 32 })).toMatchObject({ op: "matmul.f32", threads: 4 });
    expect(e4.plan("matmul", { batch: 1, inDim: 32, outDim: 32, weights: "q8_0" })).toMatchObject({ op: "matmul.q8_0", threads: 1 });
  });

  it("an op the profile leaves out gets the built-in default, and says so", () => {
    const d = e4.plan("rmsNorm", { rows: 8, dim: 2048 });
    expect(d).toMatchObject({ op: "rmsNorm", work: 16384, threads: 4, range: { fromWork: 8192, toWork: null } });
    expect(d.reason).toMatch(/^built-in default: .*reference document/);
    expect(e4.plan("add", { n: 1 << 20 })).toMatchObject({ threads: 1 });
  });

  it("forced policies override the profile", async () => {
    for (const [policy, threads] of [["serial", 1], ["parallel", 2], [2, 2], [1, 1]] as const) {
      const e = await createEngine({ threads: 2, profile: hand, policy, onWarning: () => {} });
      expect(e.plan("attention", { seqLen: 1, kvLen: 16, heads: 1, headDim: 8 })).toMatchObject({ threads, range: null, compared: null });
      e.close();
    }
    await expect(createEngine({ threads: 2, policy: 3 })).rejects.toThrow(/policy must be .* from 1 to threads \(2\), got 3/);
  });

  it("rejects unknown ops and bad shapes with a clear error", () => {
    expect(() => e4.plan("conv2d" as never, {})).toThrow(/unknown op "conv2d"; expected one of/);
    expect(() => e4.plan("rope", { seqLen: 0, heads: 1, headDim: 2 })).toThrow(/plan\(rope\): seqLen must be an integer >= 1, got 0/);
    expect(() => e4.plan("matmul", { batch: 1, inDim: 1, outDim: 1, weights: "q4" })).toThrow(/weights must be "f32" or "q8_0"/);
  });

  it("the built-in defaults follow the reference document's recommendations", () => {
    const d = defaultProfile(4, { slug: "x-4cpu-linux-x64-node20", cpuModel: "X", logicalCpus: 4, arch: "x64", os: "linux", nodeMajor: 20 });
    expect(d.ops.rope?.ranges).toEqual([{ fromWork: 0, threads: 1 }, { fromWork: 4096, threads: 4 }]);
    expect(d.ops.qkNorm?.ranges).toEqual([{ fromWork: 0, threads: 1 }]);
    expect(d.ops["matmul.f32"]?.ranges).toEqual([{ fromWork: 0, threads: 1 }]);
    expect(d.ops["attention.prefill"]?.ranges[1].fromWork).toBe(32 * 32 * 8 * 64);
  });
});

describe("version 1 profiles: migrated when read, with the same rule at every work size", () => {
  const v1 = {
    ...profileFor(HERE), schemaVersion: 1,
    tuning: { date: "2026-11-01T00:00:00Z", tool: "crossover 0.1.0", level: "standard", backend: "wasm", threads: [1, 2, 3, 4] },
    ops: {
      rope: { work: "seqLen*heads*headDim", parallel: "threshold", reason: "measured", thresholds: [
        { threads: 2, minWork: 10000, interval: { low: 9000, high: 11000, level: 0.95 } }, { threads: 3, minWork: 10000 }, { threads: 4, minWork: 50000 }] },
      qkNorm: { work: "seqLen*heads*headDim", parallel: "never", thresholds: [] },
      "matmul.f32": { work: "batch*inDim*outDim", parallel: "always", thresholds: [{ threads: 2, minWork: 0 }] },
      gelu: { work: "n", parallel: "always", thresholds: [] },
      // a larger count with a lower threshold: version 1 took the largest count reached
      add: { work: "n", parallel: "threshold", thresholds: [{ threads: 2, minWork: 9000 }, { threads: 4, minWork: 3000 }] },
    },
  };
  /** Version 1's rule on the machine it was tuned for: the largest count whose threshold the work reaches. */
  const v1Threads = (op: keyof typeof v1.ops, work: number): number => {
    const r = v1.ops[op];
    if (r.parallel === "never") return 1;
    if (r.parallel === "always") return r.thresholds.length ? Math.max(...r.thresholds.map((t) => t.threads)) : 4;
    return Math.max(1, ...r.thresholds.filter((t) => work >= t.minWork).map((t) => t.threads));
  };

  it("loads with a note, and decides as version 1 did at every work size", () => {
    const dir = tempDir();
    const p = loadProfile({ profile: write(dir, "v1.json", v1), env: {}, here: HERE });
    expect(p.source).toBe("option"); // "compatible": it records no kernel build, as no version 1 profile did
    expect(p.data.schemaVersion).toBe(2);
    expect(p.warnings.join("\n")).toMatch(/v1\.json is a schema version 1 profile: read as version 2 with the same rule at every work size/);
    expect(p.data.ops.rope!.ranges).toEqual([{ fromWork: 0, threads: 1 }, { fromWork: 10000, threads: 3 }, { fromWork: 50000, threads: 4 }]);
    expect(schemaErrors(p.data)).toEqual([]);
    const table = new PolicyTable(p.data, 4, "profile"); // the engine's own lookup, on the machine it was tuned for
    for (const op of Object.keys(v1.ops) as (keyof typeof v1.ops)[]) {
      for (const work of [0, 1, 2999, 3000, 8999, 9000, 9999, 10000, 10001, 49999, 50000, 1e9]) {
        expect(table.threadsFor(op, work), `${op} at ${work}`).toBe(v1Threads(op, work));
      }
    }
  });

  it("a broken version 1 profile is checked against version 1's schema, and crossover validate notes the migration", () => {
    const bad = { ...v1, ops: { rope: { work: "x", parallel: "sometimes", thresholds: [] } } };
    expect(schemaErrors(bad).join("\n")).toMatch(/ops\.rope\.parallel: must be equal to one of the allowed values \(.*"threshold"/);
    expect(schemaErrors(v1)).toEqual([]);
  });
});
