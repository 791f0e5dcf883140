// Back-off under load. On a shared machine (CI runners, other jobs) a worker
// the OS has descheduled, or a neighbour on its core, can make an op tuned to
// win on 2 threads run 5-8x slower than serial. Whether parallel still wins is
// measured directly, as an A/B test in time slices: the engine times one op in
// eight at the count it runs now (per op and work size), and now and then runs
// a short burst of ops on half the threads and compares the same ops' times.
// When the half count wins, it halves the threads it allows; ops that suddenly
// take far longer than their recent times (suspicion) bring the next burst
// forward and drop the stale times first. While backed off,
// bursts at the higher count (probes) tell when to go back up. The join wait
// (the caller's wait for its workers) stays as a fast path for a machine that
// is plainly busy. The decisions are pure (an injected clock), so their
// hysteresis is tested without a busy machine.

export interface BackOffOptions {
  /** Milliseconds, monotonic (default performance.now). */
  now?: () => number;
  /** Time one op in this many at the count it runs (the reference bursts are judged against); bursts start only on such an op. */
  sampleEvery?: number;
  /** A join wait below this many microseconds, or 5x the profile's fork-join, is never plainly slow (timer resolution, small imbalance). */
  slowFloorUs?: number;
  /**
   * First wait before probing a higher count again, ms (default 250); doubles after a failed probe up to
   * maxProbeMs (500). A probe on a busy machine runs up to PROBE_MAX_MS at the higher count: every 100 ms,
   * that cost a fifth of the time at ~2x serial, and the decode ran 1.39x serial while backed off.
   */
  probeMs?: number;
  maxProbeMs?: number;
}

export interface BackOffEvent {
  /** ms on the back-off's clock. */
  at: number;
  from: number;
  to: number;
  reason: string;
}

/**
 * A burst on half the threads: DOWN_WARM_MS not judged (an op run alone on
 * the caller right after parallel ones finds half its weights in the other
 * core's caches: measured 1.5-1.7x slower than the same op in a serial
 * stream), then at least DOWN_JUDGE_MS judged (MIN_PAIRED ops, or ops of
 * that much time together). Bursts come every
 * DOWN_RARE_MS while the current count clearly wins (its ops below
 * CLEARLY_AHEAD of their time on half the threads: each burst also lets the
 * workers fall asleep, and they run slower for a while after: with the
 * timing, 1-9% of an idle decode against the same engine with the back-off
 * off), every DOWN_OFTEN_MS when it is close (a burst then costs next to
 * nothing, and a busy machine is caught sooner), DOWN_TRIAL_MS on trial (at
 * 20 ms, the second after a recovery on a quiet machine ran 1.1-1.3x slower
 * than with the back-off off; at 100 ms a false recovery under load was
 * caught late).
 */
const DOWN_WARM_MS = 1;
const DOWN_JUDGE_MS = 2;
/**
 * A burst that found the two counts close (half the threads within
 * AMBIGUOUS..LOSS of the current count) is followed by a long one: what
 * fewer threads gain on a busy machine shows over the scheduler's time
 * scale (tens of ms: a process with a sleeping worker gets a larger share),
 * and short bursts saw the counts even while serial ran 1.3x faster over a
 * whole round.
 */
const AMBIGUOUS = 0.9;
const LONG_WARM_MS = 5;
const LONG_JUDGE_MS = 20;
const DOWN_RARE_MS = 200;
const DOWN_OFTEN_MS = 50;
const DOWN_TRIAL_MS = 50;
const CLEARLY_AHEAD = 0.85;
/**
 * Suspicion: SUSPECT_RUN of the last four references (of ops on more than
 * one thread) that took SUSPECT x their op's recent time bring the next burst
 * forward (to SUSPECT_MS after the last): a load that starts is caught in
 * about a tenth of a second, not at the next scheduled burst. Not sooner: on
 * an idle machine, spikes while the rings fill made up to 19 bursts a second
 * (each ~3 ms on half the threads).
 */
const SUSPECT = 1.5;
// three of four, not four in a row: an op that parallel barely helps slows less under load, and in a decode
// mix it broke every run of four
const SUSPECT_RUN = 3;
const SUSPECT_WINDOW = 0b1111;
const SUSPECT_MS = 100;
/**
 * Suspicion also drops the references it doubted (a load that starts after a
 * quiet spell: against the quiet spell's times, the first burst saw parallel
 * winning and the move waited for the next, 200 ms on). After references are
 * dropped, no burst starts before this many fresh ones came in (waiting a
 * fixed 10 ms instead, bursts under load found none and ran 12-60 ms on half
 * the threads for nothing).
 */
const REFILL_REFS = 24;
/**
 * References an op needs before a burst compares against their mean: after
 * they were dropped, one spike alone (5x) made a burst on an idle machine see
 * parallel losing 3x and move at once.
 */
const MIN_REFS = 3;
/** Ops of many ms make a burst longer than planned: the next one waits at least this many times the overrun. */
const BURST_SPACING = 50;
/**
 * After a pause (no sampled op for PAUSE_MS more than the ops in between
 * take: the engine sat idle, or another engine ran), the first
 * PAUSE_WARM_SHARE of the pause, at most PAUSE_WARM_MAX_MS, is not compared
 * (its ops are timed only for opMs): workers that slept run slow for a while;
 * and a suspicion from before the pause is dropped.
 * busy.mjs: right after a second engine's 1 s warm-up, a burst 7 ms into the
 * first decode, brought forward by a suspicion from before, saw half the
 * threads 1.75x faster and moved on an idle machine (back 400 ms later).
 * Not for short pauses: with PAUSE_MS 10, busy.mjs's slices (each engine's
 * turn comes every 20-30 ms) lost their first ms and their suspicion, and
 * the back-off caught the load late (1.3-1.7x serial in 3 of 8 runs).
 */
const PAUSE_MS = 100;
const PAUSE_WARM_SHARE = 0.1;
const PAUSE_WARM_MAX_MS = 30;
/** Ops of a burst paired with a reference of the same op for its verdict to count (unless they took DOWN_JUDGE_MS together). */
const MIN_PAIRED = 8;
/**
 * The current count loses when its ops take this much longer than on half
 * the threads; twice in a row (the second burst DOWN_OFTEN_MS later, on fresh
 * samples), or once on trial or by LOSS_CLEAR (LOSS_SUSPECTED), moves down.
 */
const LOSS = 1.08;
const LOSS_CLEAR = 2;
/**
 * A burst that suspicion brought forward has two signals that agree (the ops
 * slowed down, and half the threads beat them): a loss this clear moves at
 * once. busy.mjs: a first loss of 1.65x waited 450 ms for its confirmation
 * while the decode ran 1.9x serial; 1.5 for every burst moved on the idle
 * machine in 3 of 8 runs (1.2-1.3x the better of serial and the profile).
 */
const LOSS_SUSPECTED = 1.5;
const LOSING_BURSTS = 2;
/**
 * No burst on half the threads before this many ops: the workers' copies of
 * the kernels tier up (V8 compiles per thread) after the caller's. The
 * join-wait fast path acts from the first op.
 */
const GRACE_OPS = 2000;
/**
 * Samples kept per op, work and count, and their plain mean: what a busy
 * machine costs is in rare long ops (a worker descheduled mid-slice: an op
 * of 40 us taking milliseconds), so a mean that left the longest out saw
 * parallel winning 2x while it ran 1.8x slower than serial. Sixteen samples
 * keep a quiet machine's spikes from deciding alone; a loss is confirmed by
 * a second burst on fresh samples anyway.
 */
const RING = 16;
/**
 * A probe runs ops at the higher count for up to PROBE_MAX_MS. The first
 * PROBE_WARM_MS are not judged; then, after each op, the last ops (at least
 * PROBE_OPS, and PROBE_SPAN_US of time at the lower count: a load that comes
 * and goes in slices of a few ms let windows of 16 short ops pass under load)
 * are judged against the same ops' times at the lower count (the worst left
 * out), and the first window that wins makes the probe quiet. Workers
 * asleep since the back-off ran 1.2-2x slower than serial for 5-30 ms on an
 * idle KVM guest (their vCPUs halted, the cores clocked down; measured after
 * spinning neighbours stopped), so a probe judged on its first ops failed on
 * a quiet machine for seconds. On a busy machine a probe costs at most
 * PROBE_MAX_MS of ops at the higher count per probe interval, and a slice no
 * worker claims in time the caller runs itself (pool.ts).
 */
const PROBE_WARM_MS = 2;
const PROBE_MAX_MS = 25;
const PROBE_OPS = 16;
const PROBE_SPAN_US = 2000;
const PROBE_DROP = 1;
/**
 * Quiet probes in a row before the higher count is allowed again; doubled
 * for each recovery that failed its trial since the last one that passed (at
 * most 4x): a load that comes and goes in bursts of tens of ms (neighbours'
 * time slices) passed 3 probes again and again, and the engine flapped 5-7
 * times in 3 s.
 */
const QUIET_TO_RECOVER = 3;
/** Fast path: EARLY_SAMPLES joins (the longest left out) that waited CLEAR_LOSS x what serial would have spent on the other slices. */
const CLEAR_LOSS = 8;
const EARLY_SAMPLES = 8;
/** After a recovery the count is on trial this long: bursts on half the threads come often, and one losing burst backs off again. */
const TRIAL_MS = 1000;

type Kind = "none" | "ref" | "burst" | "warm";

/** A burst of ops at another count: `up` a probe of the higher count, else half the threads. */
interface Burst {
  up: boolean;
  start: number;
  /** Suspicion brought it forward: ops at the current count had slowed down. */
  suspected: boolean;
  /** A burst on half the threads: ms not judged, then ms judged at the least. */
  warmMs: number;
  judgeMs: number;
  /** (time in the burst minus the op's reference, the reference) for each judged op with a reference; a probe keeps its last window. */
  pairs: number[];
  /** The sum of the references in `pairs`. */
  refUs: number;
  /** Join waits and what serial would have spent on the other slices (a probe's fallback when few ops have a reference). */
  waitUs: number;
  budgetUs: number;
  topWait: number;
  /** The longest op it ran, us. */
  longestUs: number;
}

export class BackOff {
  /** The most threads ops may use now (maxThreads when nothing is backed off). */
  private cap: number;
  /** Whether the op limit() just planned is to be timed and reported to observe(). */
  timed = false;
  private kind: Kind = "none";
  private counter = 0;
  private readonly stats = new Map<string, Map<number, OpStats>>();
  private burst: Burst | null = null;
  /** When the next burst on half the threads may start. */
  private downAt = -Infinity;
  private losingBursts = 0;
  private lastBurstEnd = -Infinity;
  /** The next burst on half the threads is a long one (the last found the counts close). */
  private longNext = false;
  /** The clock at the last sampled op, and until when ops after a pause are left alone. */
  private lastSampleAt = Infinity;
  /** A running mean of timed ops' wall time, ms. */
  private opMs = 0;
  private warmUntil = -Infinity;
  /** Suspicion fired since the last burst on half the threads. */
  private suspected = false;
  /** References still to come in before a burst may start (after they were dropped). */
  private refill = 0;
  /** The last four references of parallel ops, one bit each: set when it took SUSPECT x its op's recent time. */
  private suspicious = 0;
  private joins = emptyJoins();
  private probeAt = Infinity;
  private probeMs: number;
  private quietProbes = 0;
  /** Recoveries that failed their trial since the last that passed. */
  private failedTrials = 0;
  /** Until when the count just recovered is on trial. */
  private trialUntil = -Infinity;
  readonly events: BackOffEvent[] = [];
  private readonly now: () => number;
  private readonly o: Required<Omit<BackOffOptions, "now">>;

  /** `expectedUs(t)`: the profile's hot fork-join on t threads (for the join-wait fast path). */
  constructor(readonly maxThreads: number, private readonly expectedUs: (threads: number) => number, options: BackOffOptions = {}) {
    this.cap = maxThreads;
    this.now = options.now ?? (() => performance.now());
    this.o = { sampleEvery: 8, slowFloorUs: 20, probeMs: 250, maxProbeMs: 500, ...options };
    this.probeMs = this.o.probeMs;
  }

  /** Threads allowed now. */
  get allowed(): number {
    return this.cap;
  }

  /**
   * The threads for an op the policy gave `threads` (> 1) and that can be
   * split (the hot path: a counter; a clock read one op in eight, and on
   * every op while backed off or in a burst). Sets `timed` when the op is to
   * be timed and reported to observe().
   */
  limit(threads: number): number {
    this.timed = false;
    this.kind = "none";
    const b = this.burst;
    if (b !== null) {
      if (!b.up) return this.plan("burst", Math.min(threads, this.cap) >> 1);
      if (threads > this.cap) return this.plan("burst", Math.min(threads, this.cap * 2));
      return threads; // runs at its own count: not part of the probe
    }
    if (threads > this.cap) {
      if (this.now() >= this.probeAt) {
        this.startBurst(true);
        return this.plan("burst", Math.min(threads, this.cap * 2));
      }
      threads = this.cap;
    }
    if (++this.counter % this.o.sampleEvery !== 0) return threads;
    const now = this.now();
    const gap = now - this.lastSampleAt;
    this.lastSampleAt = now;
    // a gap far beyond what the ops in between take (ops of many ms are no pause)
    if (gap > PAUSE_MS + 4 * this.o.sampleEvery * this.opMs) {
      this.warmUntil = now + Math.min(PAUSE_WARM_MAX_MS, gap * PAUSE_WARM_SHARE);
      // what made it suspicious happened before the pause
      this.suspected = false;
      this.suspicious = 0;
    }
    if (now < this.warmUntil) return this.plan("warm", threads); // cold after a pause: timed for opMs only
    if (threads > 1 && this.counter >= GRACE_OPS && this.refill <= 0 && now >= this.downAt) {
      this.startBurst(false);
      return this.plan("burst", threads >> 1);
    }
    return this.plan("ref", threads);
  }

  /**
   * The op limit() just planned ran on `threads` threads in `wallUs`
   * microseconds: the caller's own slice `ownUs`, and `waitUs` the rest
   * (publishing, waking, waiting for the workers; 0 when serial).
   */
  observe(op: string, work: number, threads: number, wallUs: number, ownUs: number, waitUs: number): void {
    const kind = this.kind;
    this.kind = "none";
    if (kind === "none") return;
    this.opMs += 0.1 * (wallUs / 1000 - this.opMs);
    if (kind === "warm") return;
    const s = this.opStats(op, work);
    if (kind === "burst") return this.observeBurst(this.burst!, s, threads, wallUs, ownUs, waitUs);
    const ring = s.ring(threads);
    // not while fresh references are still coming in: suspicion would drop them again and again (busy.mjs: eight
    // drops in 250 ms kept a confirmation from running while the matmul ran 1.3x serial)
    if (threads > 1 && ring.n >= MIN_REFS && this.refill <= 0) this.suspicious = ((this.suspicious << 1) | (wallUs > SUSPECT * ring.mean() ? 1 : 0)) & SUSPECT_WINDOW;
    if (popcount(this.suspicious) >= SUSPECT_RUN) {
      this.suspicious = 0;
      this.suspected = true;
      // the references are from before what changed: a burst against them saw parallel winning and waited DOWN_RARE_MS
      this.forgetCurrent();
      this.downAt = Math.min(this.downAt, this.lastBurstEnd + SUSPECT_MS);
    }
    ring.push(wallUs);
    this.refill--;
    s.count = threads;
    if (threads > 1) this.observeJoin(threads, ownUs, waitUs);
  }

  private observeBurst(b: Burst, s: OpStats, threads: number, wallUs: number, ownUs: number, waitUs: number): void {
    const elapsed = this.now() - b.start;
    if (elapsed < b.warmMs) return; // caches (and, for a probe, sleeping workers) still warming
    if (s.count > 0 && s.ring(s.count).n >= MIN_REFS) {
      const ref = s.ring(s.count).mean();
      b.pairs.push(wallUs - ref, ref);
      b.refUs += ref;
      // a probe's window: its last ops, at least PROBE_OPS of them and PROBE_SPAN_US of reference time
      while (b.up && b.pairs.length > 2 * PROBE_OPS && b.refUs - b.pairs[1] >= PROBE_SPAN_US) b.refUs -= b.pairs.splice(0, 2)[1];
    }
    b.waitUs += waitUs;
    b.budgetUs += (threads - 1) * ownUs;
    b.topWait = Math.max(b.topWait, waitUs);
    b.longestUs = Math.max(b.longestUs, wallUs);
    if (b.up) return this.judgeProbe(b, elapsed, threads);
    // long enough: a few ms and MIN_PAIRED ops, or a few long ops (a prefill's matmul is one op of many ms)
    const enough = (b.pairs.length >= 2 * MIN_PAIRED || b.refUs >= 1000 * DOWN_JUDGE_MS) && elapsed >= b.warmMs + b.judgeMs;
    if (elapsed < b.warmMs + b.judgeMs || (!enough && elapsed < 4 * (b.warmMs + b.judgeMs))) return;
    this.burst = null;
    this.judgeDown(b, enough, elapsed);
  }

  /** A burst on half the threads ended: does the current count still win? */
  private judgeDown(b: Burst, enough: boolean, elapsed: number): void {
    const now = this.now();
    this.lastBurstEnd = now;
    const onTrial = now < this.trialUntil;
    if (!onTrial && this.trialUntil > -Infinity) {
      this.trialUntil = -Infinity; // the trial passed: probes start short again
      this.probeMs = this.o.probeMs;
      this.failedTrials = 0;
    }
    // ops of many ms make a burst last longer than planned: the next waits BURST_SPACING x the overrun. The
    // longest op's, not the burst's wall time: an engine that pauses (another engine's turn) stretches that too,
    // and a 34 ms burst of 35 us matmuls put the next 1.5 s away while the load went on
    const spacing = BURST_SPACING * Math.max(0, b.longestUs / 1000 - b.warmMs - b.judgeMs);
    if (!enough) { // too few ops seen at both counts: try again soon
      this.downAt = now + Math.max(DOWN_OFTEN_MS, spacing);
      return;
    }
    // the burst's ops took their references plus their excesses on half the threads
    let excess = 0;
    for (let i = 0; i < b.pairs.length; i += 2) excess += b.pairs[i];
    const r = b.refUs / (b.refUs + excess);
    this.losingBursts = r > LOSS ? this.losingBursts + 1 : 0;
    // close: settle it with a long burst (a long one that was close again does not ask for another)
    this.longNext = b.judgeMs === DOWN_JUDGE_MS && r >= AMBIGUOUS && r <= LOSS;
    // a first loss is checked again soon, on fresh references: the current count's samples are dropped, so a
    // spike among them does not decide twice (kept, they made the second burst agree with the first at idle)
    if (this.losingBursts === 1 && !onTrial) this.forgetCurrent();
    this.downAt = now + Math.max(spacing, onTrial ? DOWN_TRIAL_MS : this.losingBursts > 0 ? DOWN_OFTEN_MS : r < CLEARLY_AHEAD ? DOWN_RARE_MS : DOWN_OFTEN_MS);
    if (this.losingBursts >= LOSING_BURSTS || r > (b.suspected ? LOSS_SUSPECTED : LOSS_CLEAR) || (r > LOSS && onTrial)) {
      this.down(`${b.pairs.length / 2} ops took ${r.toFixed(2)}x on up to ${this.cap} threads what the same ops took on half as many ` +
        `(a burst of ops on half the threads every ${DOWN_OFTEN_MS}-${DOWN_RARE_MS} ms compares): parallel is losing, the machine is busy`, onTrial);
    }
  }

  /** Drops every op's references at the count it runs at (they refill one op in sampleEvery). */
  private forgetCurrent(): void {
    for (const byWork of this.stats.values()) for (const st of byWork.values()) st.forget(st.count);
    this.refill = REFILL_REFS;
  }

  /** A probe of the higher count: quiet at the first window of ops that wins, failed after PROBE_MAX_MS. */
  private judgeProbe(b: Burst, elapsed: number, threads: number): void {
    const won = b.pairs.length >= 2 * PROBE_OPS && b.refUs >= PROBE_SPAN_US && windowWins(b.pairs);
    if (!won && elapsed < PROBE_MAX_MS) return;
    this.burst = null;
    // with too few ops seen at the lower count (ops not run since the back-off), judged by the join wait
    const quiet = won || (b.pairs.length < PROBE_OPS && b.waitUs - b.topWait <= b.budgetUs);
    if (!quiet) {
      this.quietProbes = 0;
      this.probeMs = Math.min(this.o.maxProbeMs, this.probeMs * 2);
    } else if (++this.quietProbes >= QUIET_TO_RECOVER << Math.min(2, this.failedTrials)) {
      const from = this.cap;
      this.move(Math.min(this.maxThreads, this.cap * 2), `${this.quietProbes} probes on ${threads} threads ran faster than the same ops on ${from}`);
      this.quietProbes = 0;
      this.trialUntil = this.now() + TRIAL_MS;
      this.downAt = this.now() + DOWN_TRIAL_MS;
    }
    // a quiet probe is followed up at once; a failed one waits longer each time (at most maxProbeMs)
    if (this.cap < this.maxThreads) this.probeAt = this.now() + (this.quietProbes > 0 ? this.o.probeMs / 4 : this.probeMs);
  }

  /** Fast path: joins that wait many times what serial would have spent on the other slices. */
  private observeJoin(threads: number, ownUs: number, waitUs: number): void {
    const j = this.joins;
    j.n++;
    j.waitUs += waitUs;
    j.budgetUs += (threads - 1) * ownUs; // what serial would spend on the other slices
    j.top = Math.max(j.top, waitUs);
    if (j.n < EARLY_SAMPLES) return;
    this.joins = emptyJoins();
    const trimmed = j.waitUs - j.top; // one stall does not decide: a quiet VM too deschedules a worker for milliseconds now and then
    const floor = Math.max(this.o.slowFloorUs, 5 * this.expectedUs(threads));
    if (trimmed > CLEAR_LOSS * j.budgetUs && trimmed / (j.n - 1) > floor) {
      this.down(`the last ${j.n} sampled ops on ${threads} threads waited ${(trimmed / 1000).toFixed(2)} ms at the join (the longest left out), ` +
        `${CLEAR_LOSS}x more than the ${(j.budgetUs / 1000).toFixed(2)} ms serial would have spent on the other slices: the machine is busy`,
        this.now() < this.trialUntil);
    }
  }

  private down(reason: string, onTrial: boolean): void {
    if (this.cap <= 1) return;
    this.move(this.cap >> 1, reason);
    // lost again during a trial: the quiet probes were luck, so probe less often and ask for more of them
    if (onTrial) {
      this.probeMs = Math.min(this.o.maxProbeMs, this.probeMs * 2);
      this.failedTrials++;
    }
    this.trialUntil = -Infinity;
    this.probeAt = this.now() + this.probeMs;
  }

  private move(to: number, reason: string): void {
    const now = this.now();
    this.events.push({ at: now, from: this.cap, to, reason });
    if (this.events.length > 20) this.events.shift();
    this.cap = to;
    // what was measured before describes another machine state; the new count needs references before a burst is judged
    this.stats.clear();
    this.joins = emptyJoins();
    this.losingBursts = 0;
    this.burst = null;
    this.downAt = now + DOWN_OFTEN_MS;
  }

  private startBurst(up: boolean): void {
    const long = !up && this.longNext;
    this.longNext = false;
    this.burst = {
      up, start: this.now(), suspected: !up && this.suspected, warmMs: up ? PROBE_WARM_MS : long ? LONG_WARM_MS : DOWN_WARM_MS, judgeMs: long ? LONG_JUDGE_MS : DOWN_JUDGE_MS,
      pairs: [], refUs: 0, waitUs: 0, budgetUs: 0, topWait: 0, longestUs: 0,
    };
    if (up) this.probeAt = Infinity; // until this probe reports
    else this.suspected = false;
  }

  private plan(kind: Kind, threads: number): number {
    this.timed = true;
    this.kind = kind;
    return threads;
  }

  private opStats(op: string, work: number): OpStats {
    let byWork = this.stats.get(op);
    if (byWork === undefined) this.stats.set(op, (byWork = new Map()));
    let s = byWork.get(work);
    if (s === undefined) byWork.set(work, (s = new OpStats()));
    return s;
  }
}

/** One op at one work size: its recent times per thread count, and the count it runs at now (0: not sampled yet). */
class OpStats {
  count = 0;
  private readonly rings = new Map<number, Ring>();

  /** Drops the samples at one count (they are taken again from the next ops). */
  forget(threads: number): void {
    this.rings.delete(threads);
  }

  ring(threads: number): Ring {
    let r = this.rings.get(threads);
    if (r === undefined) this.rings.set(threads, (r = new Ring()));
    return r;
  }
}

/** The last RING times of one op at one count, and their mean. */
class Ring {
  n = 0;
  private next = 0;
  private readonly xs = new Float64Array(RING);

  push(us: number): void {
    this.xs[this.next] = us;
    this.next = (this.next + 1) % RING;
    if (this.n < RING) this.n++;
  }

  mean(): number {
    let sum = 0;
    for (let i = 0; i < this.n; i++) sum += this.xs[i];
    return sum / this.n;
  }
}

function emptyJoins(): { n: number; waitUs: number; budgetUs: number; top: number } {
  return { n: 0, waitUs: 0, budgetUs: 0, top: 0 };
}

/**
 * Whether a probe's window of ops, the PROBE_DROP worst left out, took less
 * at the higher count than the same ops at the lower one. Only one is left
 * out: a busy machine's cost is in a few long ops (a worker descheduled
 * mid-slice), and with the 4 worst left out probes passed under load and the
 * engine flapped 7 times in 3 s; the slow ops of workers waking after a long
 * sleep come first, and the window slides past them.
 */
function windowWins(pairs: number[]): boolean {
  const order = Array.from({ length: pairs.length / 2 }, (_, i) => i).sort((a, b) => pairs[2 * b] - pairs[2 * a]);
  let excess = 0;
  for (const i of order.slice(PROBE_DROP)) excess += pairs[2 * i];
  return excess < 0;
}

function popcount(bits: number): number {
  let n = 0;
  for (let b = bits; b !== 0; b &= b - 1) n++;
  return n;
}
