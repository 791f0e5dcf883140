// Workers of a thread count not in use must not spin against the ones in use,
// and waking for an op wakes its participants only.
import { afterAll, beforeAll, expect, it } from "vitest";
import { createEngine, type Engine } from "../src/index.js";

let e: Engine;
beforeAll(async () => {
  e = await createEngine({ threads: 4, spinMicros: 2000, onWarning: () => {} });
});
afterAll(() => e.close());

/** Blocks the calling thread (no event loop turn) for `ms`. */
const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

it("workers left out of ops fall asleep after their spin window, and are not woken by ops on fewer threads", () => {
  const pool = e.workerPool!;
  const n = 64 * 1024, a = e.f32(n), out = e.f32(n);
  e.setPolicy(4);
  e.add(out, a, a); // every worker has just worked
  e.setPolicy(2);
  // ops on 2 threads, back to back for 200 ms: 100x the spin window
  const t0 = performance.now();
  while (performance.now() - t0 < 200) e.add(out, a, a);
  const wakesBefore = [2, 3].map((w) => pool.wakes(w));
  const t1 = performance.now();
  while (performance.now() - t1 < 100) e.add(out, a, a);
  // workers 2 and 3 sat out 300 ms of ops: asleep, and never woken for them
  expect(pool.sleeping).toBeGreaterThanOrEqual(2);
  expect([2, 3].map((w) => pool.wakes(w))).toEqual(wakesBefore);
  // an op on 4 threads wakes them, and is still right
  pause(5);
  e.setPolicy(4);
  for (let i = 0; i < n; i++) a[i] = i % 7;
  e.add(out, a, a);
  expect(out.every((v, i) => v === 2 * (i % 7))).toBe(true);
  expect(pool.wakes(2) + pool.wakes(3)).toBeGreaterThan(wakesBefore[0] + wakesBefore[1]);
});
