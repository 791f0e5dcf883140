// Engines of one thread share one pool: the threads that can spin at once are
// the largest engine's count, not the sum; closing one leaves the others working.
import { describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../src/index.js";

function ropeInput(e: Engine, n: number): Float32Array {
  const x = e.f32(n);
  for (let i = 0; i < n; i++) x[i] = Math.sin(i * 0.37);
  return x;
}

describe("one pool per thread", () => {
  it("two engines share the workers, each on its own memory, bitwise as serial", async () => {
    const a = await createEngine({ threads: 2, policy: "parallel", onWarning: () => {} });
    const b = await createEngine({ threads: 3, policy: "parallel", onWarning: () => {} });
    const serial = await createEngine({ threads: 1, onWarning: () => {} });
    try {
      expect(a.workerPool).toBe(b.workerPool);
      expect(a.health()).toMatchObject({ status: "ok", workers: 2, sharedBy: 2 }); // the pool grew to b's 3 threads
      expect(b.health()).toMatchObject({ status: "ok", workers: 2, sharedBy: 2 });
      const shape = { seqLen: 16, heads: 8, headDim: 64, positions: 3 };
      const n = 16 * 8 * 64;
      const [xa, xb, xs] = [ropeInput(a, n), ropeInput(b, n), ropeInput(serial, n)];
      for (let i = 0; i < 5; i++) { a.rope(xa, shape); b.rope(xb, shape); serial.rope(xs, shape); }
      expect(Array.from(xa)).toEqual(Array.from(xs));
      expect(Array.from(xb)).toEqual(Array.from(xs));
      a.close();
      expect(b.health()).toMatchObject({ status: "ok", sharedBy: 1 });
      b.rope(xb, shape);
      serial.rope(xs, shape);
      expect(Array.from(xb)).toEqual(Array.from(xs));
    } finally {
      a.close();
      b.close();
      serial.close();
    }
  });

  it("engines created at once start one pool; after the last one closes, a new engine starts a new one", async () => {
    const [a, b] = await Promise.all([2, 2].map((threads) => createEngine({ threads, onWarning: () => {} })));
    const first = a.workerPool;
    expect(b.workerPool).toBe(first);
    a.close();
    b.close();
    expect(first!.closed).toBe(true);
    const c = await createEngine({ threads: 2, onWarning: () => {} });
    try {
      expect(c.workerPool).not.toBe(first);
      expect(c.health()).toMatchObject({ status: "ok", sharedBy: 1 });
    } finally {
      c.close();
    }
  });

  it("an engine closing while another grows the pool does not wait for workers still starting", async () => {
    const a = await createEngine({ threads: 2, onWarning: () => {} });
    const growing = createEngine({ threads: 4, policy: "parallel", onWarning: () => {} });
    await new Promise((r) => setTimeout(r, 5)); // workers 2 and 3 spawned, not ready yet
    expect(a.workerPool!.size).toBe(2);
    const t0 = performance.now();
    a.close(); // its detach is published while workers 2 and 3 start
    expect(performance.now() - t0).toBeLessThan(1000); // no wait for the 5 s worker deadline
    const b = await growing;
    try {
      expect(b.health()).toMatchObject({ status: "ok", workers: 3, sharedBy: 1 });
      const x = b.f32(4096), out = b.f32(4096);
      for (let i = 0; i < x.length; i++) x[i] = i % 5;
      b.add(out, x, x);
      expect(out.every((v, i) => v === 2 * (i % 5))).toBe(true);
    } finally {
      b.close();
    }
  });
});
