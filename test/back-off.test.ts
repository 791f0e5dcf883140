// The back-off's decisions on an injected clock: it backs off only when most
// sampled joins are slow, does not flap on a noisy signal, and comes back
// when probes are quiet.
import { describe, expect, it } from "vitest";
import { BackOff } from "../src/engine/back-off.js";
import { seededRandom } from "../src/random.js";

function setup(maxThreads = 4) {
  const clock = { t: 0 };
  const b = new BackOff(maxThreads, () => 1, { now: () => clock.t, sampleEvery: 1 });
  /** One op the policy runs on `want` threads, its own slice 40 us, its join waiting `waitUs(threads)`; 50 us of clock per op. */
  const op = (want: number, waitUs: (threads: number) => number) => {
    clock.t += 0.05;
    const t = b.limit(want);
    if (t > 1 && b.shouldSample()) b.observe(t, 40, waitUs(t));
    return t;
  };
  return { b, clock, op };
}

describe("back-off under load", () => {
  it("a quiet machine: never backs off", () => {
    const { b, op } = setup();
    for (let i = 0; i < 5000; i++) expect(op(4, () => 3)).toBe(4);
    expect(b.events).toEqual([]);
  });

  it("busy: halves the threads until the joins are quiet, then probes and recovers within a second of the load ending", () => {
    const { b, clock, op } = setup(4);
    let busy = true;
    // busy: any join on more than 1 thread waits 2 ms (a descheduled worker)
    const wait = (t: number) => (busy && t > 1 ? 2000 : 3);
    for (let i = 0; i < 400; i++) op(4, wait);
    expect(b.allowed).toBe(1);
    expect(b.events.map((e) => [e.from, e.to])).toEqual([[4, 2], [2, 1]]);
    expect(b.events[0].reason).toMatch(/the last 8 sampled ops on 4 threads waited 12\.00 ms at the join \(the 2 longest left out\), more than the 0\.96 ms serial would have spent/);
    // still busy for 5 s: probes fail, the cap stays at 1, and probes become rarer (at most one per 500 ms)
    const start = clock.t;
    let probes = 0;
    while (clock.t - start < 5000) if (op(4, wait) > 1) probes++;
    expect(b.allowed).toBe(1);
    expect(probes).toBeLessThanOrEqual((2 / 0.05 + 16) * (5000 / 500 + 4)); // a probe is 2 ms unjudged, then 16 ops
    // the load ends: back to 4 threads within a second
    busy = false;
    const quietAt = clock.t;
    while (b.allowed < 4 && clock.t - quietAt < 5000) op(4, wait);
    expect(b.allowed).toBe(4);
    expect(clock.t - quietAt).toBeLessThan(1000);
  });

  it("a quiet machine recovers although each probe's first ops are slow (workers and their cores waking after a long sleep)", () => {
    const { b, clock, op } = setup(2);
    for (let i = 0; i < 400; i++) op(2, () => 2000);
    expect(b.allowed).toBe(1);
    // quiet now, but a worker idle since the back-off runs its first ~1.5 ms of slices 5x slower
    let lastParallel = -Infinity, warmFrom = 0;
    const quietAt = clock.t;
    while (b.allowed < 2 && clock.t - quietAt < 5000) {
      op(2, (t) => {
        if (clock.t - lastParallel > 50) warmFrom = clock.t; // asleep for 50 ms: cold again
        lastParallel = clock.t;
        return t > 1 && clock.t - warmFrom < 1.5 ? 200 : 3;
      });
    }
    expect(b.allowed).toBe(2);
    expect(clock.t - quietAt).toBeLessThan(1000);
  });

  it("a noisy signal (a slow join now and then, less than parallel saves) does not flap", () => {
    const { b, op } = setup(2);
    const rand = seededRandom(5);
    // 5% of joins wait 300 us (7.5x the own slice), the rest 3 us: on average parallel still saves
    for (let i = 0; i < 50_000; i++) op(2, () => (rand() < 0.05 ? 300 : 3));
    expect(b.events).toEqual([]);
    expect(b.allowed).toBe(2);
  });

  it("rare joins of milliseconds outweigh many quick ones: that is a loss, and it backs off", () => {
    const { b, op } = setup(2);
    const rand = seededRandom(6);
    for (let i = 0; i < 2000; i++) op(2, () => (rand() < 0.2 ? 3000 : 3)); // a descheduled worker one op in five
    expect(b.allowed).toBe(1);
  });

  it("a load near break-even backs off and recovers at most once per probe interval (no flapping)", () => {
    const { b, clock, op } = setup(2);
    const rand = seededRandom(7);
    while (clock.t < 20_000) op(2, () => (rand() < 0.5 ? 82 : 18)); // waits of 50 us on average: at the back-off's edge
    expect(b.events.length).toBeGreaterThan(0);
    expect(b.events.length).toBeLessThanOrEqual(2 * Math.ceil(20_000 / 100) / 4);
    for (let i = 2; i < b.events.length; i++) expect(b.events[i].at - b.events[i - 2].at).toBeGreaterThanOrEqual(100);
  });

  it("waking a sleeping worker on every op costs more than a small op saves: that is a loss; a rare cold wake is not", () => {
    const { b } = setup(2);
    for (let i = 0; i < 1000; i++) b.observe(2, 30, i % 40 === 0 ? 90 : 2); // a cold wake (90 us) now and then, on 30-us slices
    expect(b.allowed).toBe(2);
    for (let i = 0; i < 1000; i++) b.observe(2, 30, 150); // every op wakes the worker: 150 us for a 30 us share
    expect(b.allowed).toBe(1);
  });

  it("a quiet machine's rare multi-millisecond stall (a descheduled vCPU) does not count", () => {
    const { b, op } = setup(2);
    let i = 0;
    for (let k = 0; k < 20_000; k++) op(2, () => (++i % 300 === 0 ? 6000 : 3)); // one join in 300 (every ~38th sample) stalls 6 ms
    expect(b.events).toEqual([]);
  });

  it("ops the policy already runs on fewer threads than the cap are left as they are", () => {
    const { b, op } = setup(4);
    for (let i = 0; i < 100; i++) expect(op(2, () => 3)).toBe(2);
    expect(op(1, () => 3)).toBe(1);
    expect(b.allowed).toBe(4);
  });
});
