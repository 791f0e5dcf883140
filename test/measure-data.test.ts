import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../src/index.js";
import { PROFILE_OPS } from "../src/engine/profile/types.js";
import { censusOf, dataIssue } from "../src/tuner/data-check.js";
import { gridFamilies, gridPoints } from "../src/tuner/grid.js";
import { measurePoint, type Prepare } from "../src/tuner/measure-point.js";
import { prepareOp } from "../src/tuner/op-runner.js";

let engine: Engine;
beforeAll(async () => { engine = await createEngine({ threads: 1, policy: "serial", maxMemory: 512 * 2 ** 20, onWarning: () => {} }); });
afterAll(() => engine.close());

describe("the data a timed call sees", () => {
  it("counts subnormal and non-finite floats exactly", () => {
    const a = Float32Array.from([1, 0, -0, 1e-39, -1e-40, Infinity, NaN, 1.2e-38, 3.4e38]);
    expect(censusOf([a])).toEqual({ values: 9, subnormal: 2, nonFinite: 2 });
    expect(dataIssue(censusOf([a]))).toBe("2 subnormal and 2 non-finite of 9 output values after timing");
    expect(dataIssue(censusOf([Float32Array.from([1, 0, 1.1754944e-38])]))).toBeUndefined(); // the smallest normal
  });

  // Repeating a call thousands of times is what the tuner, bench and check do.
  // Weights in [-1, 1) made an in-place qkNorm decay geometrically into subnormals.
  it.each(PROFILE_OPS)("%s stays normal and finite over 3000 repeated calls", (op) => {
    const smallest = gridPoints(gridFamilies("quick", [op])).sort((a, b) => a.work - b.work)[0];
    const p = prepareOp(engine, op, smallest.shape);
    try {
      for (let i = 0; i < 3000; i++) p.run();
      const census = censusOf(p.outputs);
      expect(census.values).toBeGreaterThan(0);
      expect(dataIssue(census)).toBeUndefined();
      // and the values still carry information: not all collapsed to zero
      expect(p.outputs.some((o) => o.some((v) => Math.abs(v) > 1e-6))).toBe(true);
    } finally {
      p.dispose();
    }
  });
});

describe("a point whose outputs went subnormal", () => {
  const point = { op: "add" as const, shape: { n: 64 }, work: 64, key: "add n=64", family: "test" };
  const spec = { sampleMs: 2, rounds: 1 };

  /** A call that writes subnormals until it has been refilled `healAfter` times (Infinity: never). */
  function drifting(healAfter: number): { prepare: Prepare; refills: () => number } {
    let refills = 0;
    const prepare: Prepare = (e, op, shape) => {
      const p = prepareOp(e, op, shape);
      const out = p.outputs[0];
      return {
        ...p,
        run: () => { p.run(); if (refills < healAfter) out[3] = 1e-40; },
        refill: () => { refills++; p.refill(); },
      };
    };
    return { prepare, refills: () => refills };
  }

  it("is measured again on fresh data, and not flagged when that cures it", async () => {
    const d = drifting(1);
    const r = await measurePoint(engine, point, [1], spec, undefined, d.prepare);
    expect(d.refills()).toBe(1);
    expect(r.attempts).toBeGreaterThanOrEqual(2);
    expect(r.dataIssue).toBeUndefined();
  });

  it("is flagged when fresh data drifts too", async () => {
    const d = drifting(Infinity);
    const r = await measurePoint(engine, point, [1], spec, undefined, d.prepare);
    expect(d.refills()).toBe(1);
    expect(r.dataIssue).toMatch(/^1 subnormal of 64 output values/);
  });

  it("a clean point is measured once and carries no flag", async () => {
    const d = drifting(0);
    const r = await measurePoint(engine, point, [1], spec, undefined, d.prepare);
    expect(d.refills()).toBe(0);
    expect(r.dataIssue).toBeUndefined();
  });
});
