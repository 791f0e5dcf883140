import { defaultRule } from "./profile/defaults.js";
import { PROFILE_OPS, type OpRule, type Profile, type ProfileOp } from "./profile/types.js";

/** 'profile' follows the loaded profile; the others force a choice, for A/B comparisons. */
export type Policy = "profile" | "serial" | "parallel" | number;

export interface Decision {
  op: ProfileOp;
  work: number;
  threads: number;
  /** The minWork that decided (reached, or the smallest one not reached); null when no threshold applies. */
  threshold: number | null;
  reason: string;
}

interface Step {
  threads: number;
  minWork: number;
}

/**
 * Per op, the thread count for a work size: the largest t <= the engine's
 * threads whose threshold the work reaches. Precomputed per op so the hot path
 * is a short scan of numbers.
 */
export class PolicyTable {
  private readonly steps = new Map<ProfileOp, Step[]>();
  private readonly rules = new Map<ProfileOp, { rule: OpRule; fromDefaults: boolean }>();

  constructor(readonly profile: Profile, readonly threads: number, public policy: Policy) {
    for (const op of PROFILE_OPS) {
      const given = profile.ops[op];
      const rule = given ?? defaultRule(op, threads);
      this.rules.set(op, { rule, fromDefaults: given === undefined });
      this.steps.set(op, stepsOf(rule, threads));
    }
  }

  /** Threads for `work` units of `op` (the hot path). */
  threadsFor(op: ProfileOp, work: number): number {
    const policy = this.policy;
    if (policy === "profile") {
      const steps = this.steps.get(op)!;
      for (let i = 0; i < steps.length; i++) if (work >= steps[i].minWork) return steps[i].threads;
      return 1;
    }
    if (policy === "serial") return 1;
    if (policy === "parallel") return this.threads;
    return policy;
  }

  /** The decision for `work` units of `op`, with its reason in words. */
  explain(op: ProfileOp, work: number): Decision {
    const threads = this.threadsFor(op, work);
    const base = { op, work, threads };
    if (this.policy !== "profile") {
      return { ...base, threshold: null, reason: `policy "${this.policy}" forces ${threads} thread${threads === 1 ? "" : "s"}` };
    }
    const { rule, fromDefaults } = this.rules.get(op)!;
    const origin = fromDefaults ? "built-in default" : "profile";
    const why = rule.reason ? ` (${rule.reason})` : "";
    if (this.threads === 1) return { ...base, threshold: null, reason: "the engine has 1 thread" };
    if (rule.parallel === "never") return { ...base, threshold: null, reason: `${origin}: ${op} never runs in parallel${why}` };
    const steps = this.steps.get(op)!;
    if (threads > 1) {
      const step = steps.find((s) => s.threads === threads)!;
      const what = rule.parallel === "always" ? `${op} always runs on ${threads} threads` :
        `work ${work} (${rule.work}) >= ${step.minWork}, the threshold for ${threads} threads`;
      return { ...base, threshold: step.minWork, reason: `${origin}: ${what}${why}` };
    }
    if (steps.length === 0) {
      return { ...base, threshold: null, reason: `${origin}: no threshold for ${this.threads} or fewer threads${why}` };
    }
    const lowest = Math.min(...steps.map((s) => s.minWork));
    const step = steps.find((s) => s.minWork === lowest)!;
    return {
      ...base, threshold: lowest,
      reason: `${origin}: work ${work} (${rule.work}) < ${lowest}, the threshold for ${step.threads} threads: serial${why}`,
    };
  }
}

/** Usable thresholds, largest thread count first. */
function stepsOf(rule: OpRule, threads: number): Step[] {
  if (rule.parallel === "never" || threads === 1) return [];
  if (rule.parallel === "always") {
    const listed = rule.thresholds.map((t) => t.threads).filter((t) => t <= threads);
    return [{ threads: listed.length > 0 ? Math.max(...listed) : threads, minWork: 0 }];
  }
  return rule.thresholds
    .filter((t) => t.threads <= threads)
    .map((t) => ({ threads: t.threads, minWork: t.minWork }))
    .sort((a, b) => b.threads - a.threads);
}
