// A worker the OS does not run (a busy machine) must not hold the caller: once
// its own slice is done, the caller runs every slice no worker has claimed.
// The hold hook stops a worker before it claims, as descheduling would; without
// stealing each op below would wait for it until the 2 s deadline and fail.
import { afterAll, beforeAll, expect, it } from "vitest";
import { createEngine, type Engine } from "../src/index.js";
import { FAULT_HOLD } from "../src/engine/pool/control-block.js";
import { attentionRef } from "./reference.js";
import { expectClose, fill } from "./helpers.js";

let e: Engine;
beforeAll(async () => {
  e = await createEngine({ threads: 4, policy: "parallel", workerTimeoutMs: 2000, onWarning: () => {} });
});
afterAll(() => e.close());

it("slices of held workers run on the caller: the output is right and nothing waits for them", () => {
  const pool = e.workerPool!;
  pool.injectFault(1, FAULT_HOLD);
  pool.injectFault(3, FAULT_HOLD);
  try {
    const before = pool.stolen;
    const n = 1 << 16;
    const a = fill(e.f32(n), 1), b = fill(e.f32(n), 2), out = e.f32(n);
    for (let rep = 0; rep < 20; rep++) {
      out.fill(0);
      e.add(out, a, b);
      expect(out.every((v, i) => v === Math.fround(a[i] + b[i]))).toBe(true);
    }
    expect(pool.stolen - before).toBeGreaterThanOrEqual(2 * 20);
    // per-thread scratch (attention's scores): a stolen slice reuses the caller's, its own slice being done
    const s = { seqLen: 8, kvLen: 64, heads: 4, kvHeads: 2, headDim: 32, causal: true, scale: 1 / Math.sqrt(32) };
    const q = fill(e.f32(s.seqLen * s.heads * s.headDim), 3);
    const k = fill(e.f32(s.kvLen * s.kvHeads * s.headDim), 4), v = fill(e.f32(s.kvLen * s.kvHeads * s.headDim), 5);
    const o = e.f32(s.seqLen * s.heads * s.headDim);
    e.attention(o, q, k, v, s);
    expectClose(o, attentionRef(q, k, v, s), { rtol: 0, atol: 2e-5 });
    // a stolen slice's return value counts: Q8_0 quantization reports the overflowing rows of x, here only in the last row
    const w = e.quantizeQ8(fill(new Float32Array(64 * 32), 6), 64, 32);
    const x = e.f32(4 * 32), y = e.f32(4 * 64);
    x[3 * 32 + 5] = 3e38;
    expect(() => e.matmul(y, w, x, { batch: 4, inDim: 32, outDim: 64 })).toThrow(/too large for Q8_0/);
    expect(e.health().status).not.toBe("serial");
  } finally {
    pool.clearFault(1);
    pool.clearFault(3);
  }
  // released, the workers take slices again and the pool is whole
  const n = 1 << 16;
  const a = fill(e.f32(n), 7), out = e.f32(n);
  for (let rep = 0; rep < 50; rep++) e.add(out, a, a);
  expect(out.every((v, i) => v === Math.fround(2 * a[i]))).toBe(true);
  expect(pool.fault).toBeUndefined();
});
