// The op descriptors are the one source of an op's work: dispatch (the op's
// call) and plan() must compute the same work, and profiles record the same formula.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../src/index.js";
import { attentionCall } from "../src/engine/ops/attention.js";
import { OPS, WORK_UNITS, kernelsOf, workFormula } from "../src/engine/ops/descriptors.js";
import { binaryCall, unaryCall, type BinaryOp, type UnaryOp } from "../src/engine/ops/elementwise.js";
import { matmulCalls } from "../src/engine/ops/matmul.js";
import type { OpCall, OpContext } from "../src/engine/ops/op-call.js";
import { qkNormCall } from "../src/engine/ops/qk-norm.js";
import { rmsNormCall } from "../src/engine/ops/rms-norm.js";
import { ropeCall } from "../src/engine/ops/rope.js";
import { softmaxCall } from "../src/engine/ops/softmax.js";
import { PLAN_OPS, planWork } from "../src/engine/plan-work.js";
import { defaultProfile } from "../src/engine/profile/defaults.js";
import { PROFILE_OPS } from "../src/engine/profile/types.js";
import { KERNEL_NAMES } from "../src/kernels/types.js";
import { schemaErrors } from "../src/engine/profile/validate-profile.js";
import { BENCH_CASES } from "../src/tuner/kernel-bench.js";
import { profileFor } from "./fixtures/profile-fixture.js";
import { BINARY_KERNELS, UNARY_KERNELS } from "../src/kernels/js/elementwise.js";

let e: Engine, ctx: OpContext;
beforeAll(async () => {
  e = await createEngine({ threads: 1, policy: "serial", maxMemory: 256 * 2 ** 20, onWarning: () => {} });
  ctx = (e as unknown as { ctx: OpContext }).ctx; // the op builders' context, as dispatch uses it
});
afterAll(() => e.close());

const size = (max: number) => fc.integer({ min: 1, max });

/** Random valid shapes per method, with the tensors dispatch needs and the call(s) it would run. */
const cases: Record<string, fc.Arbitrary<{ plan: [string, object]; calls: () => OpCall[] }>> = {
  rmsNorm: fc.record({ rows: size(8), dim: size(64) }).map((s) => ({ plan: ["rmsNorm", s], calls: () => [rmsNormCall(ctx, e.f32(s.rows * s.dim), e.f32(s.rows * s.dim), e.f32(s.dim), s)] })),
  qkNorm: fc.record({ seqLen: size(8), heads: size(8), headDim: size(32) }).map((s) => ({ plan: ["qkNorm", s], calls: () => [qkNormCall(ctx, e.f32(s.seqLen * s.heads * s.headDim), e.f32(s.headDim), s)] })),
  rope: fc.record({ seqLen: size(8), heads: size(8), half: size(32) }).map(({ seqLen, heads, half }) => {
    const s = { seqLen, heads, headDim: 2 * half, positions: 0 };
    return { plan: ["rope", s], calls: () => [ropeCall(ctx, e.f32(seqLen * heads * 2 * half), s)] };
  }),
  softmax: fc.record({ rows: size(8), n: size(64) }).map((s) => ({ plan: ["softmax", s], calls: () => [softmaxCall(ctx, e.f32(s.rows * s.n), e.f32(s.rows * s.n), s)] })),
  attention: fc.record({ seqLen: size(6), extra: fc.integer({ min: 0, max: 6 }), kvHeads: size(3), group: size(3), headDim: size(16) }).map((r) => {
    const s = { seqLen: r.seqLen, kvLen: r.seqLen + r.extra, heads: r.kvHeads * r.group, kvHeads: r.kvHeads, headDim: r.headDim };
    const q = () => e.f32(s.seqLen * s.heads * s.headDim), kv = () => e.f32(s.kvLen * s.kvHeads * s.headDim);
    return { plan: ["attention", s], calls: () => [attentionCall(ctx, q(), q(), kv(), kv(), s)] };
  }),
  matmulF32: fc.record({ batch: size(4), inDim: size(64), outDim: size(64) }).map((s) => ({
    plan: ["matmul", s], calls: () => matmulCalls(ctx, e.f32(s.batch * s.outDim), e.f32(s.outDim * s.inDim), e.f32(s.batch * s.inDim), s) })),
  matmulQ8: fc.record({ batch: size(4), blocks: size(4), outDim: size(32) }).map(({ batch, blocks, outDim }) => {
    const s = { batch, inDim: 32 * blocks, outDim };
    return { plan: ["matmul", { ...s, weights: "q8_0" }], calls: () => matmulCalls(ctx, e.f32(batch * outDim), e.q8(outDim, s.inDim), e.f32(batch * s.inDim), s) };
  }),
  elementwise: fc.record({ op: fc.constantFrom(...PROFILE_OPS.filter((o) => OPS[o].method === "unary" || OPS[o].method === "binary")), n: size(300) }).map(({ op, n }) => ({
    plan: [op, { n }], calls: () => [OPS[op].method === "binary" ? binaryCall(ctx, op as BinaryOp, e.f32(n), e.f32(n), e.f32(n)) : unaryCall(ctx, op as UnaryOp, e.f32(n), e.f32(n))],
  })),
};

describe("op descriptors", () => {
  for (const [name, arb] of Object.entries(cases)) {
    it(`${name}: dispatch and plan() compute the same rule and work on random shapes`, () => {
      fc.assert(fc.property(arb, ({ plan, calls }) => {
        const planned = planWork(plan[0], plan[1]);
        for (const call of calls()) {
          expect(call.op).toBe(planned.key);
          expect(call.work).toBe(planned.work);
          expect(kernelsOf(call.op)).toContain(call.kernel);
        }
      }), { numRuns: 60 });
    });
  }

  it("every profile op has a descriptor; profiles, defaults and plan() use its formula and method", () => {
    expect(Object.keys(OPS).sort()).toEqual([...PROFILE_OPS].sort());
    const defaults = defaultProfile(2, { slug: "x-2cpu-linux-x64-node20", cpuModel: "X", logicalCpus: 2, arch: "x64", os: "linux", nodeMajor: 20 });
    for (const op of PROFILE_OPS) {
      expect(WORK_UNITS[op]).toBe(workFormula(op));
      expect(defaults.ops[op]!.work).toBe(workFormula(op));
      expect(defaults.ops[op]!.reason).toBe(OPS[op].builtIn.reason);
      expect(PLAN_OPS).toContain(op);
      for (const k of kernelsOf(op)) expect(KERNEL_NAMES).toContain(k);
      const { method } = OPS[op];
      if (method === "unary" || method === "binary") {
        // an elementwise op is named as its kernel, in the table of its arity
        expect(OPS[op].kernels).toEqual([op]);
        expect(Object.keys(method === "unary" ? UNARY_KERNELS : BINARY_KERNELS)).toContain(op);
      } else {
        expect(PLAN_OPS).toContain(method);
      }
    }
  });
});

describe("what derives from the descriptors", () => {
  const fp = { cpuModel: "X", logicalCpus: 2, arch: "x64", os: "linux", nodeMajor: 20 };

  it("a profile naming an op no descriptor has is refused with the op's name and the known ops", () => {
    const p = profileFor(fp, undefined, { conv2d: { work: "n", ranges: [{ fromWork: 0, threads: 1 }] } } as never);
    expect(schemaErrors(p)).toEqual([`ops: unknown op "conv2d" (this crossover knows ${PROFILE_OPS.join(", ")})`]);
    expect(schemaErrors(profileFor(fp, undefined, { silu: { work: "n", ranges: [{ fromWork: 0, threads: 1 }] } }))).toEqual([]);
  });

  it("unary() and binary() run every elementwise op of the descriptors and refuse others by name", () => {
    const a = e.f32(37), b = e.f32(37), out = e.f32(37);
    for (let i = 0; i < 37; i++) { a[i] = i / 9 - 2; b[i] = 1.5 - i / 13; }
    for (const op of PROFILE_OPS) {
      const { method } = OPS[op];
      if (method === "unary") e.unary(op as UnaryOp, out, a);
      else if (method === "binary") e.binary(op as BinaryOp, out, a, b);
      else continue;
      expect(out.every(Number.isFinite), op).toBe(true);
    }
    const named = (method: string) => PROFILE_OPS.filter((o) => OPS[o].method === method).join(", ");
    expect(() => e.unary("conv2d" as never, out, a)).toThrow(`unary: unknown op "conv2d"; expected one of ${named("unary")}`);
    expect(() => e.binary("gelu" as never, out, a, b)).toThrow(`binary: unknown op "gelu"; expected one of ${named("binary")}`);
    expect(() => e.unary(7 as never, out, a)).toThrow(/unary: op must be a string \(one of .*\), got number/);
  });

  it("every bench shape is a valid shape of its op, and plan() agrees on which op it is", () => {
    expect(BENCH_CASES.length).toBeGreaterThan(40);
    for (const c of BENCH_CASES) expect(planWork(c.op, c.shape).key, c.label).toBe(c.op);
  });

  it("the pool's kernel ids cover every kernel a descriptor runs, once each", () => {
    expect(new Set(KERNEL_NAMES).size).toBe(KERNEL_NAMES.length);
    const used = new Set(PROFILE_OPS.flatMap((op) => kernelsOf(op)));
    expect([...used].sort()).toEqual([...KERNEL_NAMES].sort());
  });
});
