// Fuzzing the public API: random op names, shapes, option types and tensor
// origins. Whatever comes in, an op either runs and writes only its output, or
// throws a RangeError/TypeError that starts with the op's name and names what
// was wrong, having written nothing. (A hang would fail the test's timeout.)
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../src/index.js";

type Tensor = Float32Array | { rows: number; cols: number; bytes: Uint8Array };

/** Each op: how its arguments are laid out, and which one it writes. */
const OPS = {
  rmsNorm: { tensors: 3, output: 0 }, qkNorm: { tensors: 2, output: 0 }, rope: { tensors: 1, output: 0 },
  softmax: { tensors: 2, output: 0 }, attention: { tensors: 4, output: 0 }, matmul: { tensors: 3, output: 0 },
  add: { tensors: 3, output: 0 }, mul: { tensors: 3, output: 0 }, gelu: { tensors: 2, output: 0 }, silu: { tensors: 2, output: 0 },
} as const;
type OpName = keyof typeof OPS;
const SHAPE_FIELDS = ["rows", "dim", "seqLen", "heads", "kvHeads", "headDim", "kvLen", "n", "batch", "inDim", "outDim", "positions", "base",
  "style", "eps", "gemma", "causal", "scale"];

const value = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 24 }) },
  { weight: 1, arbitrary: fc.integer({ min: -3, max: 0 }) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, 2 ** 40, 0.5, 64, 32, 128) },
  { weight: 1, arbitrary: fc.constantFrom("8", "neox", "interleaved", "false", true, false, null, [0, 1], {}) },
);
const shapeArb = fc.oneof(
  { weight: 8, arbitrary: fc.dictionary(fc.constantFrom(...SHAPE_FIELDS), value, { maxKeys: 9 }) },
  { weight: 1, arbitrary: fc.constantFrom(null, undefined, 7, "shape", [1, 2]) },
);
/** Where a tensor argument comes from. */
const origin = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant("arena" as const), offset: fc.integer({ min: 0, max: 64 }), length: fc.integer({ min: 1, max: 600 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom("plain" as const, "freed" as const, "other" as const, "q8" as const, "junk" as const), length: fc.integer({ min: 1, max: 600 }) }) },
);

/** A shape each op accepts, with its tensors' lengths: the fuzzer starts from these and breaks one field, or none. */
function validCall(op: OpName, k: number): { shape: Record<string, unknown>; lengths: number[] } {
  const h = 8 * k;
  switch (op) {
    case "rmsNorm": return { shape: { rows: 2, dim: h }, lengths: [2 * h, 2 * h, h] };
    case "qkNorm": return { shape: { seqLen: 2, heads: 2, headDim: h }, lengths: [4 * h, h] };
    case "rope": return { shape: { seqLen: 2, heads: 2, headDim: h, positions: 3 }, lengths: [4 * h] };
    case "softmax": return { shape: { rows: 3, n: h }, lengths: [3 * h, 3 * h] };
    case "attention": return { shape: { seqLen: 2, kvLen: 3, heads: 2, kvHeads: 1, headDim: h }, lengths: [4 * h, 4 * h, 3 * h, 3 * h] };
    case "matmul": return { shape: { batch: 2, inDim: h, outDim: 5 }, lengths: [10, 5 * h, 2 * h] };
    default: return { shape: {}, lengths: [h, h, h] };
  }
}

describe("the public API under random input", () => {
  let e: Engine, other: Engine;
  let region: Float32Array;
  const GUARD = 256;
  beforeAll(async () => {
    e = await createEngine({ threads: 1, policy: "serial", maxMemory: 128 * 2 ** 20, onWarning: () => {} });
    other = await createEngine({ threads: 1, policy: "serial", maxMemory: 64 * 2 ** 20, onWarning: () => {} });
    region = e.f32(GUARD + 1400 + GUARD);
  });
  afterAll(() => { e.close(); other.close(); });

  it("runs and writes only its output, or throws a RangeError/TypeError naming the argument, writing nothing", () => {
    const stats = { ran: 0, threw: 0 };
    fc.assert(fc.property(
      fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...(Object.keys(OPS) as OpName[])) }, { weight: 1, arbitrary: fc.constantFrom("conv2d", "__proto__", "constructor") }),
      fc.array(origin, { minLength: 4, maxLength: 4 }), shapeArb, fc.integer(),
      fc.option(fc.record({ k: fc.integer({ min: 1, max: 4 }), field: fc.constantFrom(...SHAPE_FIELDS), broken: value, breakIt: fc.boolean() }), { freq: 2 }),
      (op, generated, randomShape, seed, start) => {
        const origins = [...generated];
        // half the time: a call the op accepts, possibly with one field broken; else anything at all
        let shape: unknown = randomShape;
        if (start && Object.hasOwn(OPS, op)) {
          const v = validCall(op as OpName, start.k);
          shape = start.breakIt ? { ...v.shape, [start.field]: start.broken } : v.shape;
          let at = 0;
          v.lengths.forEach((length, i) => { origins[i] = { kind: "arena", offset: at, length }; at += length; });
        }
        // fill the region with known values, then carve the tensors out of its middle
        let s = seed >>> 0;
        for (let i = 0; i < region.length; i++) { s = (s * 1103515245 + 12345) >>> 0; region[i] = (s / 2 ** 32) * 2 - 1; }
        const made: Tensor[] = [];
        void stats;
        const cleanup: (() => void)[] = [];
        for (const o of origins) {
          if (o.kind === "arena") made.push(region.subarray(GUARD + o.offset, GUARD + Math.min(1400, o.offset + o.length)));
          else if (o.kind === "plain") made.push(new Float32Array(o.length));
          else if (o.kind === "freed") { const t = e.f32(o.length); e.free(t); made.push(t); }
          else if (o.kind === "other") made.push(other.f32(o.length));
          else if (o.kind === "q8") { const q = e.q8(1, 32); cleanup.push(() => e.free(q)); made.push(q); }
          else made.push({ length: o.length } as unknown as Float32Array);
        }
        const before = Float32Array.from(region);
        const spec = Object.hasOwn(OPS, op) ? OPS[op as OpName] : undefined;
        // plan() takes any name and shape: it answers or says what is wrong
        try {
          e.plan(op as never, shape as never);
        } catch (err) {
          expect(err instanceof RangeError || err instanceof TypeError, String(err)).toBe(true);
          expect((err as Error).message).toMatch(/^plan(\([\w.]+\))?: \S/);
        }
        let error: unknown;
        try {
          if (spec) (e as unknown as Record<OpName, (...a: unknown[]) => void>)[op as OpName](...made.slice(0, spec.tensors), shape);
        } catch (err) {
          error = err;
        } finally {
          for (const c of cleanup) c();
        }
        const out = spec ? made[spec.output] : undefined;
        const outRange = out instanceof Float32Array && out.buffer === region.buffer
          ? [(out.byteOffset - region.byteOffset) / 4, (out.byteOffset - region.byteOffset) / 4 + out.length] : [0, 0];
        for (let i = 0; i < region.length; i++) {
          const inOut = !error && i >= outRange[0] && i < outRange[1];
          if (!inOut && !Object.is(region[i], before[i])) {
            throw new Error(`${op} wrote element ${i} outside its output (${error ? "and threw" : "and succeeded"})`);
          }
        }
        if (spec) stats[error === undefined ? "ran" : "threw"]++;
        if (error !== undefined && spec) {
          expect(error instanceof RangeError || error instanceof TypeError, String(error)).toBe(true);
          expect((error as Error).message).toMatch(new RegExp(`^${op}: \\S`));
        }
      },
    ), { numRuns: 1500, seed: 20261127 });
    // not a vacuous property: many calls ran (and wrote only their outputs), many were refused
    console.log(`api fuzz: ${stats.ran} calls ran, ${stats.threw} were refused`);
    expect(stats.ran).toBeGreaterThan(150);
    expect(stats.threw).toBeGreaterThan(150);
  }, 120000);
});
