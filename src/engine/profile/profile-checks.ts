import { machineSlug } from "./fingerprint.js";
import { PROFILE_OPS } from "./types.js";
import { upgradeProfile } from "./migrate-v1.js";
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
  const p = upgradeProfile(data);
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
    const f = `ops.${op}.ranges`;
    if (rule.ranges[0].fromWork !== 0) out.push({ field: `${f}.0.fromWork`, message: `the first range starts at ${rule.ranges[0].fromWork}; it must start at 0 (what runs below it?)` });
    rule.ranges.forEach((r, i) => {
      if (i > 0 && r.fromWork <= rule.ranges[i - 1].fromWork) out.push({ field: `${f}.${i}.fromWork`, message: `${r.fromWork} does not follow ${rule.ranges[i - 1].fromWork}: ranges are sorted by fromWork` });
      if (i > 0 && r.threads === rule.ranges[i - 1].threads) out.push({ field: `${f}.${i}.threads`, message: `${r.threads} threads again: one range, written as two` });
      if (rule.compared && !rule.compared.includes(r.threads)) out.push({ field: `${f}.${i}.threads`, message: `${r.threads} threads were not among the counts compared (${rule.compared.join(", ")})` });
      if (r.interval) {
        if (r.interval.low > r.interval.high) out.push({ field: `${f}.${i}.interval`, message: `low ${r.interval.low} is above high ${r.interval.high}` });
        else if (r.fromWork < r.interval.low || r.fromWork > r.interval.high) {
          out.push({ field: `${f}.${i}.interval`, message: `[${r.interval.low}, ${r.interval.high}] does not contain its estimate fromWork ${r.fromWork}` });
        }
      }
    });
  }
  return out;
}
