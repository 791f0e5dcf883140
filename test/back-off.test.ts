// The back-off's decisions on an injected clock: it backs off when bursts on
// half the threads beat the same ops at the current count, does not flap on a
// noisy signal, comes back when probes win again, and costs little when
// parallel clearly wins.
import { describe, expect, it } from "vitest";
import { BackOff } from "../src/engine/back-off.js";
import { seededRandom } from "../src/random.js";

/** An op of a workload: its name, work, and its time in microseconds on 1 thread. */
interface OpKind {
  op: string;
  work: number;
  serialUs: number;
}

/** A decode-like mix: three op shapes, one of which parallel does not help. */
const MIX: OpKind[] = [
  { op: "matmul.q8_0", work: 1_310_720, serialUs: 80 },
  { op: "matmul.q8_0", work: 655_360, serialUs: 40 },
  { op: "attention.decode", work: 525_312, serialUs: 60 },
];

/**
 * A simulated machine: `timeUs(kind, threads)` is what an op takes (the caller's
 * own slice is serialUs / threads, the rest is the join); the clock advances by it.
 */
function setup(maxThreads: number, timeUs: (kind: OpKind, threads: number) => number) {
  const clock = { t: 0 };
  const b = new BackOff(maxThreads, () => 1, { now: () => clock.t });
  const counts = new Map<number, number>();
  let i = 0;
  /** Runs the mix's next op that the policy put on `want` threads; returns the threads it ran on. */
  const step = (want = maxThreads): number => {
    const kind = MIX[i++ % MIX.length];
    const t = b.limit(want);
    const us = timeUs(kind, t);
    clock.t += us / 1000;
    if (b.timed) {
      const own = kind.serialUs / t;
      b.observe(kind.op, kind.work, t, us, Math.min(own, us), Math.max(0, us - own));
    }
    counts.set(t, (counts.get(t) ?? 0) + 1);
    return t;
  };
  const runFor = (ms: number, until: () => boolean = () => false) => {
    const end = clock.t + ms;
    while (clock.t < end && !until()) step();
  };
  return { b, clock, step, runFor, counts };
}

/** Parallel wins on a quiet machine: 0.6x serial on 2 threads (attention 1.05x). */
const quiet = (kind: OpKind, t: number) => (t === 1 ? kind.serialUs : kind.op === "attention.decode" ? kind.serialUs * 1.05 : kind.serialUs * 0.6);

describe("back-off under load", () => {
  it("a quiet machine: never backs off, and runs less than 3% of its ops on half the threads to check", () => {
    const { b, runFor, counts } = setup(2, quiet);
    runFor(20_000);
    expect(b.events).toEqual([]);
    expect(b.allowed).toBe(2);
    expect(counts.get(1)! / (counts.get(1)! + counts.get(2)!)).toBeLessThan(0.03);
  });

  it("busy: backs off within 300 ms, stays off with rare probes, and recovers within a second of the load ending", () => {
    let busy = false;
    const { b, clock, runFor, step } = setup(2, (kind, t) => (busy && t > 1 ? kind.serialUs * 1.6 : quiet(kind, t)));
    runFor(2000);
    busy = true;
    const busyAt = clock.t;
    runFor(5000, () => b.allowed === 1);
    expect(b.allowed).toBe(1);
    expect(clock.t - busyAt).toBeLessThan(300);
    expect(b.events[0].reason).toMatch(/ops took 1\.60x on up to 2 threads what the same ops took on half as many .*the machine is busy/);
    // still busy for 5 s: probes fail, the cap stays at 1, and probes become rarer (every 500 ms at most)
    const start = clock.t;
    let probeOps = 0;
    while (clock.t - start < 5000) if (step() > 1) probeOps++;
    expect(b.allowed).toBe(1);
    expect(b.events.length).toBe(1);
    const opsPerProbe = 20_000 / 60; // a probe lasts at most 20 ms; the mix averages 60 us an op
    expect(probeOps).toBeLessThanOrEqual(opsPerProbe * (5000 / 500 + 3));
    busy = false;
    const quietAt = clock.t;
    runFor(5000, () => b.allowed === 2);
    expect(b.allowed).toBe(2);
    expect(clock.t - quietAt).toBeLessThan(1000);
    expect(b.events.at(-1)!.reason).toMatch(/3 probes on 2 threads ran faster than the same ops on 1/);
  });

  it("a load that starts after a quiet spell is caught by its first burst: the references from before it are dropped, not compared against", () => {
    let busy = false;
    const { b, clock, runFor } = setup(2, (kind, t) => (busy && t > 1 ? kind.serialUs * 1.3 : quiet(kind, t)));
    runFor(3000);
    busy = true;
    const busyAt = clock.t;
    runFor(1000, () => b.allowed === 1);
    expect(b.allowed).toBe(1);
    // stale references (0.6x serial) made the first burst see parallel winning and wait 200 ms for the next
    expect(clock.t - busyAt).toBeLessThan(150);
  });

  it("after a pause (the engine idle, or another engine running), the first ms of cold workers are neither compared nor a reason to back off", () => {
    let resumedAt = -Infinity;
    // workers asleep for 300-500 ms run 2.5x serial for their first 25 ms (this KVM guest: 1.2-2x for 5-30 ms)
    const { b, clock, runFor, step } = setup(2, (kind, t) => (t > 1 && clock.t - resumedAt < 25 ? kind.serialUs * 2.5 : quiet(kind, t)));
    runFor(3000);
    for (let k = 0; k < 20; k++) {
      clock.t += 300 + 50 * (k % 5); // idle between requests
      resumedAt = clock.t;
      // a burst was due long ago: it still waits out the cold start (a tenth of the pause, at most 30 ms)
      while (clock.t - resumedAt < 25) expect(step()).toBe(2);
      runFor(200);
    }
    expect(b.events).toEqual([]);
  });

  it("an engine that runs in slices (8 ms of ops every 33 ms: other engines' turns between) still backs off within 300 ms", () => {
    let busy = false;
    const { b, clock, step } = setup(2, (kind, t) => (busy && t > 1 ? kind.serialUs * 1.8 : quiet(kind, t)));
    const slice = () => {
      const end = clock.t + 8;
      while (clock.t < end && !(busy && b.allowed === 1)) step();
      clock.t += 25;
    };
    while (clock.t < 3000) slice();
    busy = true;
    const busyAt = clock.t;
    while (clock.t - busyAt < 5000 && b.allowed > 1) slice();
    expect(b.allowed).toBe(1);
    // a burst stretched over a pause once put the next 50x its wall time away: it never backed off
    expect(clock.t - busyAt).toBeLessThan(300);
  });

  it("a busy machine where parallel still wins (the neighbours leave it more CPU with more threads) stays parallel", () => {
    const { b, runFor } = setup(2, (kind, t) => (t === 1 ? kind.serialUs * 1.5 : kind.serialUs * 1.5 * 0.7));
    runFor(10_000);
    expect(b.events).toEqual([]);
  });

  it("recovers although workers asleep since the back-off run 2x slower for the first 10 ms of each probe", () => {
    let busy = true, lastParallel = -Infinity, warmFrom = 0;
    const { b, clock, runFor } = setup(2, (kind, t) => {
      if (t === 1) return kind.serialUs;
      if (clock.t - lastParallel > 20) warmFrom = clock.t; // asleep for 20 ms: cold again
      lastParallel = clock.t;
      return busy ? kind.serialUs * 2 : clock.t - warmFrom < 10 ? kind.serialUs * 2 : quiet(kind, t);
    });
    runFor(3000, () => b.allowed === 1);
    expect(b.allowed).toBe(1);
    runFor(2000); // probes fail and grow apart
    busy = false;
    const quietAt = clock.t;
    runFor(5000, () => b.allowed === 2);
    expect(b.allowed).toBe(2);
    expect(clock.t - quietAt).toBeLessThan(1000);
  });

  it("a noisy signal (one parallel op in 20 takes 3x serial, 5x its usual time) where parallel still saves 14% on average does not flap", () => {
    const rand = seededRandom(5);
    const { b, runFor } = setup(2, (kind, t) => (t > 1 && rand() < 0.05 ? kind.serialUs * 3 : quiet(kind, t)));
    runFor(30_000);
    expect(b.events).toEqual([]);
  });

  it("rare long stalls (one parallel op in ten takes 20x serial: a worker descheduled mid-slice) outweigh many quick ops: it backs off", () => {
    const rand = seededRandom(9);
    const { b, runFor } = setup(2, (kind, t) => (t > 1 && rand() < 0.1 ? kind.serialUs * 20 : quiet(kind, t)));
    runFor(3000, () => b.allowed === 1);
    expect(b.allowed).toBe(1);
  });

  it("a load near break-even moves at most once per probe interval (no flapping)", () => {
    const rand = seededRandom(7);
    const { b, clock, runFor } = setup(2, (kind, t) => (t === 1 ? kind.serialUs : kind.serialUs * (0.8 + 0.5 * rand())));
    runFor(20_000);
    expect(clock.t).toBeGreaterThanOrEqual(20_000);
    expect(b.events.length).toBeLessThanOrEqual(2 * (20_000 / 100 / 4));
    for (let i = 2; i < b.events.length; i++) expect(b.events[i].at - b.events[i - 2].at).toBeGreaterThanOrEqual(100);
  });

  it("joins that wait milliseconds (a descheduled worker) back off at once, before any burst", () => {
    const { b, step } = setup(4, (kind, t) => (t > 1 ? kind.serialUs / t + 2000 : kind.serialUs));
    for (let i = 0; i < 300 && b.allowed > 1; i++) step(); // 8 sampled joins (one op in 8) per move, and a probe now and then
    expect(b.allowed).toBe(1);
    expect(b.events.map((e) => [e.from, e.to])).toEqual([[4, 2], [2, 1]]);
    expect(b.events[0].reason).toMatch(/the last 8 sampled ops on 4 threads waited .* ms at the join \(the longest left out\)/);
  });

  it("no op runs on half the threads to compare before the workers had time to warm up", () => {
    const { step } = setup(2, quiet);
    for (let i = 0; i < 1999; i++) expect(step()).toBe(2);
  });

  it("ops of many milliseconds: the bursts that compare them stay a few percent of the time", () => {
    const { b, clock, counts } = setup(2, (_, t) => (t === 1 ? 10_000 : 6_000));
    const kind = MIX[0];
    while (clock.t < 600_000) {
      const t = b.limit(2);
      const us = t === 1 ? 10_000 : 6_000;
      clock.t += us / 1000;
      if (b.timed) b.observe(kind.op, kind.work, t, us, 10_000 / t, us - 10_000 / t);
      counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    expect(b.events).toEqual([]);
    expect(counts.get(1)! / (counts.get(1)! + counts.get(2)!)).toBeLessThan(0.05);
  });

  it("ops the policy already runs on fewer threads than the cap are left at their count or below", () => {
    const { step } = setup(4, quiet);
    for (let i = 0; i < 5000; i++) expect(step(2)).toBeLessThanOrEqual(2);
  });
});
