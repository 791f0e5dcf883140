// Version 1 profiles said, per op, a threshold per thread count and "the
// largest count whose threshold the work reaches". Version 2 says which count
// runs in each range of work. The same rules, rewritten: at every work size
// the migrated profile picks the count version 1 picked.
import type { Line, OpRule, Profile, WorkRange } from "./types.js";

interface RuleV1 {
  work: string;
  parallel: "threshold" | "never" | "always";
  thresholds: { threads: number; minWork: number; interval?: WorkRange["interval"]; model?: { serial: Line; parallel: Line } }[];
  reason?: string;
}

/** A version-1 profile (already checked against profile.v1.schema.json) as version 2. */
export function migrateV1(v1: Omit<Profile, "ops" | "schemaVersion"> & { ops: Record<string, RuleV1> }): Profile {
  const top = Math.max(...v1.tuning.threads, v1.machine.logicalCpus);
  const ops: Profile["ops"] = {};
  for (const [op, rule] of Object.entries(v1.ops)) (ops as Record<string, OpRule>)[op] = migrateRule(rule, top);
  const note = "migrated from schema version 1 (the same rule at every work size)";
  return { ...v1, schemaVersion: 2, tuning: { ...v1.tuning, notes: [...(v1.tuning.notes ?? []), note] }, ops };
}

function migrateRule(rule: RuleV1, top: number): OpRule {
  const base = { work: rule.work, ...(rule.reason !== undefined ? { reason: rule.reason } : {}) };
  if (rule.parallel === "never" || rule.thresholds.length === 0 && rule.parallel !== "always") return { ...base, ranges: [{ fromWork: 0, threads: 1 }] };
  if (rule.parallel === "always") {
    const listed = rule.thresholds.map((t) => t.threads);
    return { ...base, ranges: [{ fromWork: 0, threads: listed.length > 0 ? Math.max(...listed) : top }] };
  }
  // version 1: at work w, the largest count whose minWork <= w; that count only grows with w
  const ranges: WorkRange[] = [{ fromWork: 0, threads: 1 }];
  for (const t of [...rule.thresholds].sort((a, b) => a.minWork - b.minWork || b.threads - a.threads)) {
    const last = ranges[ranges.length - 1];
    if (t.threads <= last.threads) continue;
    const range = { fromWork: t.minWork, threads: t.threads, ...(t.interval ? { interval: t.interval } : {}) };
    if (t.minWork === last.fromWork) ranges[ranges.length - 1] = range;
    else ranges.push(range);
  }
  return { ...base, ranges };
}

/** A schema-valid profile of either version in this release's layout (version 1 migrated with the same meaning). */
export function upgradeProfile(data: unknown): Profile {
  const p = data as Profile;
  return (p as { schemaVersion: unknown }).schemaVersion === 1 ? migrateV1(data as Parameters<typeof migrateV1>[0]) : p;
}
