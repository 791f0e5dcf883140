// Back-off under load. On a shared machine (CI runners, other jobs) a worker
// the OS has descheduled makes the caller spin for milliseconds at the join:
// an op tuned to win on 2 threads runs 5-8x slower than serial. The engine
// times the caller's own slice and its join wait on some parallel ops. On t
// threads the op beats serial while wait < (t - 1) x own slice (serial would
// run all t slices itself); when a block of samples waited longer than that in
// sum (a few joins of milliseconds outweigh many quick ones), parallel is
// losing, and the engine halves the threads it allows. Later it probes the
// higher count again, one op at a time, and goes back up only when probes come
// back quiet. The decisions are pure (an injected clock), so their hysteresis
// is tested without a busy machine.

export interface BackOffOptions {
  /** Milliseconds, monotonic (default performance.now). */
  now?: () => number;
  /** Sample one parallel op in this many. */
  sampleEvery?: number;
  /** A join wait below this many microseconds, or 20x the profile's fork-join, is never slow (timer resolution, small imbalance). */
  slowFloorUs?: number;
  /** First wait before probing a higher count again, ms; doubles after a failed probe up to maxProbeMs. */
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
 * Samples per decision, in blocks (not a sliding window), and by how much the
 * block's waits must exceed what serial would have spent: rare spikes on a
 * quiet machine (a join in twenty waiting 7x the slice) stay under it, a
 * descheduled worker one op in five is far over it.
 */
const WINDOW = 64;
const LOSS = 1.25;
/** Losing blocks in a row before backing off: a transient (workers' kernels still warming up) is not a busy machine. */
const LOSING_BLOCKS = 2;
/**
 * A probe runs ops at the higher count for PROBE_WARM_MS without judging them
 * (workers asleep since the back-off, on a core the idle machine clocked down,
 * run the first ~1.5 ms of work 2-5x slower on an idle KVM guest: judged from
 * its first ops every probe failed on a quiet machine), then judges the next
 * PROBE_OPS by their sum, the longest left out. Cheap under load: a slice no
 * worker claims in time the caller runs itself (pool.ts).
 */
const PROBE_WARM_MS = 2;
const PROBE_OPS = 16;
/** Quiet probes in a row before the higher count is allowed again. */
const QUIET_TO_RECOVER = 3;
/** A block that already waited this many times the budget after a few samples is decided early: a busy machine is obvious. */
const CLEAR_LOSS = 8;
const EARLY_SAMPLES = 8;
/** After a recovery, every op is sampled for this long, and one losing block backs off again. */
const TRIAL_MS = 1000;

export class BackOff {
  /** The most threads ops may use now (maxThreads when nothing is backed off). */
  private cap: number;
  private block = emptyBlock();
  private counter = 0;
  private probeAt = Infinity;
  private probeMs: number;
  private quietProbes = 0;
  /** Ops left in the current probe (0: not probing), and its sums. */
  private probing = 0;
  private probeStart = 0;
  private probe = { waitUs: 0, budgetUs: 0, top: 0 };
  private losingBlocks = 0;
  /** Until when the count just recovered is on trial. */
  private trialUntil = -Infinity;
  readonly events: BackOffEvent[] = [];
  private readonly now: () => number;
  private readonly o: Required<Omit<BackOffOptions, "now">>;

  /** `expectedUs(t)`: the profile's hot fork-join on t threads (5x it, or slowFloorUs, is the least mean wait that counts as slow). */
  constructor(readonly maxThreads: number, private readonly expectedUs: (threads: number) => number, options: BackOffOptions = {}) {
    this.cap = maxThreads;
    this.now = options.now ?? (() => performance.now());
    this.o = { sampleEvery: 8, slowFloorUs: 20, probeMs: 100, maxProbeMs: 500, ...options };
    this.probeMs = this.o.probeMs;
  }

  /** Threads allowed now. */
  get allowed(): number {
    return this.cap;
  }

  /**
   * The threads for an op the policy gave `threads` (the hot path: a compare,
   * and a clock read only while backed off). While backed off, one op now
   * and then runs at the count above the cap, as a probe.
   */
  limit(threads: number): number {
    if (threads <= this.cap) return threads;
    if (this.probing > 0) return Math.min(threads, this.cap * 2);
    const now = this.now();
    if (now >= this.probeAt) {
      this.probing = PROBE_OPS;
      this.probeStart = now;
      this.probeAt = Infinity; // until this probe reports
      return Math.min(threads, this.cap * 2);
    }
    return this.cap;
  }

  /** Whether the next parallel op's join should be timed. */
  shouldSample(): boolean {
    if (this.probing > 0) return true;
    // a block already lost: every op counts until the next verdict, so a busy machine is caught in ~600 ops, not ~1000
    if (this.losingBlocks > 0) return true;
    if (this.trialUntil > -Infinity && this.now() < this.trialUntil) return true;
    return ++this.counter % this.o.sampleEvery === 0;
  }

  /**
   * A timed parallel op on `threads` threads: the caller's own slice and the
   * rest the op cost it (publishing, waking, waiting for the workers: `waitUs`),
   * microseconds.
   */
  observe(threads: number, ownUs: number, waitUs: number): void {
    const floor = Math.max(this.o.slowFloorUs, 5 * this.expectedUs(threads));
    // what serial would have spent on the other slices: the most the rest of the op may cost for parallel to break even
    // (a cold wake on every op is a loss on any machine; a rare one is lost in the block's sum)
    const budgetUs = (threads - 1) * ownUs;
    if (this.probing > 0) {
      if (this.now() - this.probeStart < PROBE_WARM_MS) return; // workers (and their cores) still waking
      this.probing--;
      this.probe.waitUs += waitUs;
      this.probe.budgetUs += budgetUs;
      this.probe.top = Math.max(this.probe.top, waitUs);
      if (this.probing > 0) return;
      // as in a block, one stall does not decide: the longest wait of the probe is left out
      const trimmed = this.probe.waitUs - this.probe.top;
      const lost = trimmed > this.probe.budgetUs && trimmed / (PROBE_OPS - 1) > floor;
      this.probe = { waitUs: 0, budgetUs: 0, top: 0 };
      if (lost) {
        this.quietProbes = 0;
        this.probeMs = Math.min(this.o.maxProbeMs, this.probeMs * 2);
      } else if (++this.quietProbes >= QUIET_TO_RECOVER) {
        this.move(Math.min(this.maxThreads, this.cap * 2), `${QUIET_TO_RECOVER} probes on ${threads} threads came back quiet`);
        this.quietProbes = 0;
        this.trialUntil = this.now() + TRIAL_MS;
      }
      // a quiet probe is followed up at once; a failed one waits longer each time (at most maxProbeMs)
      if (this.cap < this.maxThreads) this.probeAt = this.now() + (this.quietProbes > 0 ? this.o.probeMs / 4 : this.probeMs);
      return;
    }
    const b = this.block;
    b.n++;
    b.waitUs += waitUs;
    b.budgetUs += budgetUs;
    // the two longest waits of a block do not count: a quiet VM too deschedules a worker for milliseconds now and then
    if (waitUs > b.top[1]) b.top = waitUs > b.top[0] ? [waitUs, b.top[0]] : [b.top[0], waitUs];
    const trimmed = b.waitUs - b.top[0] - b.top[1];
    const clear = b.n >= EARLY_SAMPLES && trimmed > CLEAR_LOSS * b.budgetUs && trimmed / b.n > floor;
    if (b.n < WINDOW && !clear) return;
    this.block = emptyBlock();
    const losing = clear || (trimmed > LOSS * b.budgetUs && trimmed / b.n > floor);
    this.losingBlocks = losing ? this.losingBlocks + 1 : 0;
    const onTrial = this.now() < this.trialUntil;
    if (!onTrial && this.trialUntil > -Infinity) {
      this.trialUntil = -Infinity; // the trial passed: probes start short again
      this.probeMs = this.o.probeMs;
    }
    // a clear loss (EARLY_SAMPLES waiting CLEAR_LOSS x what serial would spend) acts at once; a marginal one must persist
    if ((this.losingBlocks >= LOSING_BLOCKS || clear || (losing && onTrial)) && threads > 1) {
      this.move(Math.max(1, Math.floor(Math.min(this.cap, threads) / 2)),
        `the last ${b.n} sampled ops on ${threads} threads waited ${(trimmed / 1000).toFixed(2)} ms at the join (the 2 longest left out), more than the ` +
        `${(b.budgetUs / 1000).toFixed(2)} ms serial would have spent on the other slices: the machine is busy`);
      // lost again during a trial: the quiet probes were luck, so probe less often
      if (onTrial) this.probeMs = Math.min(this.o.maxProbeMs, this.probeMs * 2);
      this.trialUntil = -Infinity;
      this.probeAt = this.now() + this.probeMs;
    }
  }

  private move(to: number, reason: string): void {
    this.events.push({ at: this.now(), from: this.cap, to, reason });
    if (this.events.length > 20) this.events.shift();
    this.cap = to;
    this.block = emptyBlock();
    this.losingBlocks = 0;
  }
}

/** A block of samples not begun: counts, sums, and its two longest waits (left out of the verdict). */
function emptyBlock(): { n: number; waitUs: number; budgetUs: number; top: [number, number] } {
  return { n: 0, waitUs: 0, budgetUs: 0, top: [0, 0] };
}
