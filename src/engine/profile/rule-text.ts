import { fmtWork } from "../../format.js";
import type { OpRule } from "./types.js";

/** A rule in words: "1 thread", "2 threads", "1 thread, from 10.2k 2 threads, from 1.2M 4 threads". */
export function ruleText(rule: OpRule | undefined): string {
  const count = (t: number) => `${t} thread${t === 1 ? "" : "s"}`;
  if (!rule) return count(1);
  return rule.ranges.map((r, i) => (i === 0 ? count(r.threads) : `from ${fmtWork(r.fromWork)} ${count(r.threads)}`)).join(", ");
}
