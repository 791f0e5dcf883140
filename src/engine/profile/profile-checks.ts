import { machineSlug } from "./fingerprint.js";
import { PROFILE_OPS, type Profile } from "./types.js";
import { schemaErrors } from "./validate-profile.js";

const ARCHES = ["x64", "arm64", "ia32", "arm", "ppc64", "s390x", "riscv64", "loong64", "mips", "mipsel"];
const PLATFORMS = ["linux", "darwin", "win32", "freebsd", "openbsd", "netbsd", "aix", "sunos", "android"];

/** One problem in one profile: the field (dotted path) and what is wrong. */
export interface Problem {
  field: string;
  message: string;
}

/**
 * Everything wrong with a parsed profile: schema violations first (they make
 * the rest meaningless), then what a schema cannot say.
 */
export function profileProblems(data: unknown): Problem[] {
  const schema = schemaErrors(data);
  if (schema.length > 0) {
    return schema.map((e) => {
      const i = e.indexOf(": ");
      return { field: e.slice(0, i), message: e.slice(i + 2) };
    });
  }
  const p = data as Profile;
  const out: Problem[] = [];
  const m = p.machine;
  if (m.cpuModel.trim() === "" || m.cpuModel === "unknown") out.push({ field: "machine.cpuModel", message: `"${m.cpuModel}" does not name a CPU` });
  if (!ARCHES.includes(m.arch)) out.push({ field: "machine.arch", message: `"${m.arch}" is not a Node architecture (${ARCHES.join(", ")})` });
  if (!PLATFORMS.includes(m.os)) out.push({ field: "machine.os", message: `"${m.os}" is not a Node platform (${PLATFORMS.join(", ")})` });
  const slug = machineSlug(m);
  if (m.slug !== slug) out.push({ field: "machine.slug", message: `"${m.slug}" does not match the fingerprint (expected "${slug}")` });
  if (Number.isNaN(Date.parse(p.tuning.date))) out.push({ field: "tuning.date", message: `"${p.tuning.date}" is not a date` });
  for (const op of PROFILE_OPS) {
    const rule = p.ops[op];
    if (!rule) continue;
    const seen = new Set<number>();
    rule.thresholds.forEach((t, i) => {
      const f = `ops.${op}.thresholds.${i}`;
      if (seen.has(t.threads)) out.push({ field: `${f}.threads`, message: `thread count ${t.threads} appears twice` });
      seen.add(t.threads);
      if (t.interval) {
        if (t.interval.low > t.interval.high) out.push({ field: `${f}.interval`, message: `low ${t.interval.low} is above high ${t.interval.high}` });
        else if (rule.parallel === "threshold" && (t.minWork < t.interval.low || t.minWork > t.interval.high)) {
          out.push({ field: `${f}.interval`, message: `[${t.interval.low}, ${t.interval.high}] does not contain its estimate minWork ${t.minWork}` });
        }
      }
    });
    // more threads cost more to dispatch: their threshold should not be lower, unless the profile says why
    const sorted = [...rule.thresholds].sort((a, b) => a.threads - b.threads);
    for (let i = 1; i < sorted.length; i++) {
      if (rule.parallel === "threshold" && sorted[i].minWork < sorted[i - 1].minWork && !rule.reason) {
        out.push({ field: `ops.${op}.thresholds`, message: `minWork falls from ${sorted[i - 1].minWork} (${sorted[i - 1].threads} threads) to ${sorted[i].minWork} (${sorted[i].threads} threads) and no reason says why the data allows it` });
      }
    }
  }
  return out;
}
