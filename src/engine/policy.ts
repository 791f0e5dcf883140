import { defaultRule } from "./profile/defaults.js";
import { PROFILE_OPS, type OpRule, type Profile, type ProfileOp } from "./profile/types.js";

/** 'profile' follows the loaded profile; the others force a choice, for A/B comparisons. */
export type Policy = "profile" | "serial" | "parallel" | number;

export interface Decision {
  op: ProfileOp;
  work: number;
  threads: number;
  /** The range of work the shape fell in, [fromWork, toWork) (toWork null: no end); null when a forced policy decided. */
  range: { fromWork: number; toWork: number | null } | null;
  /** The thread counts the profile compared for this op (null: its rule does not say, as for built-in defaults). */
  compared: number[] | null;
  reason: string;
}

/** Which range a work size falls in: the last whose fromWork it reaches (the first range starts at 0). The one place for this rule. */
export function rangeIndex(fromWorks: ArrayLike<number>, work: number): number {
  let i = fromWorks.length - 1;
  while (i > 0 && work < fromWorks[i]) i--;
  return i;
}

/**
 * Per op, the thread count for a work size: the range the work falls in
 * names the fastest count measured there, capped at the engine's threads.
 * Precomputed per op as two arrays so the hot path is a short scan of numbers.
 */
export class PolicyTable {
  private readonly from = new Map<ProfileOp, Float64Array>();
  private readonly counts = new Map<ProfileOp, Int32Array>();
  private readonly rules = new Map<ProfileOp, { rule: OpRule; fromDefaults: boolean }>();

  constructor(readonly profile: Profile, readonly threads: number, public policy: Policy) {
    for (const op of PROFILE_OPS) {
      const given = profile.ops[op];
      const rule = given ?? defaultRule(op, threads);
      this.rules.set(op, { rule, fromDefaults: given === undefined });
      this.from.set(op, Float64Array.from(rule.ranges, (r) => r.fromWork));
      this.counts.set(op, Int32Array.from(rule.ranges, (r) => Math.max(1, Math.min(r.threads, threads))));
    }
  }

  /** Threads for `work` units of `op` (the hot path). */
  threadsFor(op: ProfileOp, work: number): number {
    const policy = this.policy;
    if (policy === "profile") {
      return this.counts.get(op)![rangeIndex(this.from.get(op)!, work)];
    }
    if (policy === "serial") return 1;
    if (policy === "parallel") return this.threads;
    return policy;
  }

  /** The decision for `work` units of `op`, with its reason in words: the range it fell in and the counts compared there. */
  explain(op: ProfileOp, work: number): Decision {
    const threads = this.threadsFor(op, work);
    const base = { op, work, threads };
    if (this.policy !== "profile") {
      return { ...base, range: null, compared: null, reason: `policy "${this.policy}" forces ${threads} thread${threads === 1 ? "" : "s"}` };
    }
    const { rule, fromDefaults } = this.rules.get(op)!;
    const origin = fromDefaults ? "built-in default" : "profile";
    const why = rule.reason ? ` (${rule.reason})` : "";
    const ranges = rule.ranges;
    const i = rangeIndex(this.from.get(op)!, work);
    const r = ranges[i], next = ranges[i + 1];
    const found = { range: { fromWork: r.fromWork, toWork: next ? next.fromWork : null }, compared: rule.compared ?? null };
    if (this.threads === 1) return { ...base, ...found, reason: "the engine has 1 thread" };
    const span = next ? `${r.fromWork} <= work ${work} < ${next.fromWork}` : `work ${work} >= ${r.fromWork}`;
    const compared = rule.compared ? `the fastest of ${rule.compared.join(", ")} threads measured there` : "its rule";
    const capped = r.threads > threads ? `; capped at the engine's ${threads} threads` : "";
    const fastest = ranges.length === 1 ? `${op} runs on ${r.threads} thread${r.threads === 1 ? "" : "s"} at every size, ${compared}` :
      `${span} (${rule.work}): ${r.threads} thread${r.threads === 1 ? "" : "s"}, ${compared}`;
    return { ...base, ...found, reason: `${origin}: ${fastest}${capped}${why}` };
  }
}
