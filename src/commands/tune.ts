import type { Outcome, Say } from "./command.js";
import os from "node:os";
import type { ProfileOp } from "../engine/profile/types.js";
import type { SweepProgress } from "../tuner/sweep.js";
import { tune, type TuneOutcome } from "../tuner/tune.js";
import { runReport } from "./report.js";
import { physicalCores } from "../tuner/machine.js";
import { threadLadder } from "../tuner/thread-ladder.js";
import { fmtDuration, fmtNs } from "../format.js";
import type { Level, PointResult } from "../results/types.js";

export interface TuneArgs {
  level: Level;
  budgetMs?: number;
  threads?: number[];
  ops?: ProfileOp[];
  out: string;
  resume: boolean;
  force?: boolean;
  json: boolean;
  command: string;
  tool: string;
}

/** Exit status of a run stopped by a signal (128 + its number), its results kept for --resume. */
const EXIT_SIGNAL: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/** Exit status when the run completed but its profile lost the layer proof and was not written. */
export const EXIT_REFUSED = 3;

/** `crossover tune`: measures this machine, writes its profile and results, prints what it found. */
export async function runTune(args: TuneArgs, out: Say): Promise<Outcome & TuneOutcome> {
  const live = process.stdout.isTTY === true && !process.env.CI && !args.json;
  const threads = args.threads ?? threadLadder(os.availableParallelism(), physicalCores());
  // Ctrl-C or a SIGTERM (CI cancelling a job): stop after the current point, save, exit 130 / 143; a second one leaves at once
  let stopped: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopped) process.exit(EXIT_SIGNAL[signal]);
    stopped = signal;
    process.stderr.write(`\ncrossover tune: ${signal}: stopping after this point and saving (again to quit at once)...\n`);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const line = (s: string) => {
    if (live) process.stdout.write(`\r\x1b[2K${s}`);
    else out(s);
  };
  const onPoint = (r: PointResult, p: SweepProgress) => {
    const times = r.variants.map((v) => `${v.threads}t ${fmtNs(v.medianNs)}`).join(", ");
    if (args.json) {
      out(JSON.stringify({ phase: p.phase, op: r.op, shape: r.shape, work: r.work, variants: r.variants.map((v) => ({ threads: v.threads, medianNs: Math.round(v.medianNs) })), noisy: r.noisy, elapsedMs: Math.round(p.elapsedMs) }));
    } else {
      line(`[${p.phase} ${p.index}/${p.total}] ${r.op} ${Object.entries(r.shape).map(([k, v]) => `${k}=${v}`).join(" ")}: ${times}` +
        `${r.noisy ? " (noisy)" : ""}  elapsed ${fmtDuration(p.elapsedMs)}, ETA ${fmtDuration(p.etaMs)}`);
    }
  };
  try {
    if (!args.json) out(`crossover tune --level ${args.level}: threads ${threads.join(",")}${args.budgetMs ? `, budget ${fmtDuration(args.budgetMs)}` : ""}`);
    const outcome = await tune({
      level: args.level, budgetMs: args.budgetMs, threads, ops: args.ops, outDir: args.out, resume: args.resume, force: args.force,
      tool: args.tool, command: args.command,
    }, { onPoint, onPhase: (m) => { if (!args.json) line(m); }, shouldStop: () => stopped !== undefined });
    if (live) process.stdout.write("\n");
    let report: { html: string; markdown: string } | undefined;
    if (outcome.results.complete) report = await runReport({ results: outcome.resultsPath }, () => {});
    if (args.json) {
      out(JSON.stringify({
        complete: outcome.results.complete, results: outcome.resultsPath, profile: outcome.profilePath ?? null, report: report?.html ?? null,
        refused: outcome.refused ?? null,
      }));
    } else summary(outcome, out);
    if (report && !args.json) out(`wrote ${report.html}\nwrote ${report.markdown}`);
    const exitCode = !outcome.results.complete ? EXIT_SIGNAL[stopped ?? "SIGINT"] : outcome.refused ? EXIT_REFUSED : 0;
    return { ...outcome, exitCode };
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

function summary(o: TuneOutcome, out: Say): void {
  const r = o.results;
  if (!r.complete) {
    out(`\ninterrupted: ${r.points.length + r.heldOut.length} points kept in ${o.resultsPath}; continue with: crossover tune --resume --level ${r.run.level}`);
    return;
  }
  out(`\ndone in ${fmtDuration(r.run.durationSeconds * 1000)} (budget ${fmtDuration(r.run.budgetSeconds * 1000)}); ${r.points.length} points, ${r.heldOut.length} held out`);
  for (const f of r.pool.forkJoin) out(`pool: fork-join ${f.threads} threads hot ${f.hotMedianUs.toFixed(2)} us, after sleep ${f.coldMedianUs.toFixed(1)} us; spin window ${r.pool.spin.chosen} us`);
  // what the profile says: per op, the fastest count in each range of work
  for (const [op, f] of Object.entries(r.ranges ?? {})) {
    const ranges = f!.ranges.map((x, i) => i === 0 ? `${x.threads}t` : `from ${x.fromWork}${x.interval ? ` (95% ${x.interval.low}..${x.interval.high})` : ""} ${x.threads}t`);
    out(`  ${op.padEnd(18)} ${ranges.join(", ")}  (fastest of ${f!.compared.join(", ")})`);
  }
  out(`held-out regret: geometric mean ${r.regret.geomean.toFixed(3)}, max ${r.regret.max.toFixed(3)}`);
  const steps = [...new Set(r.layer.map((l) => `${l.step} ${l.tokens}`))];
  for (const s of steps) {
    const rows = r.layer.filter((l) => `${l.step} ${l.tokens}` === s);
    out(`layer ${rows[0]?.preset} ${s}: ${rows.map((l) => `${l.variant} ${l.medianMs.toFixed(2)} ms`).join(", ")}`);
  }
  for (const w of r.warnings) if (w !== o.refused) out(`warning: ${w}`); // the refusal is said once, below
  if (o.refused) out(`\nprofile NOT written (exit ${EXIT_REFUSED}): ${o.refused}`);
  else out(`wrote ${o.profilePath}`);
  out(`wrote ${o.resultsPath}`);
}
