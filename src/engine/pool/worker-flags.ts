// Worker threads inherit the process's Node flags, but Node refuses the
// process-wide ones in a worker (--max-old-space-size, --expose-gc, --prof,
// --stack-size, --title, ...: ERR_WORKER_INVALID_EXEC_ARGV, which names
// them). The pool starts its workers with what the process has, minus what
// a worker is known to refuse; what Node refuses is learnt once and dropped.

/** --input-type (node -e scripts) makes a file worker fail to start; it is never a worker's business. */
let flags: string[] = process.execArgv.filter((a) => !a.startsWith("--input-type"));
let learnt = false;

/** The flags to start a worker with. */
export function workerExecArgv(): string[] {
  return flags;
}

/**
 * After a Worker constructor threw: if Node refused some of our flags, drop
 * them (or, when the message cannot be read, every flag) and return true, so
 * the caller retries once; false for any other error, or when already learnt.
 */
export function dropRefusedFlags(err: unknown): boolean {
  if ((err as { code?: string })?.code !== "ERR_WORKER_INVALID_EXEC_ARGV" || learnt) return false;
  learnt = true;
  const listed = /flags: (.*)$/.exec((err as Error).message)?.[1]?.split(", ").map((s) => s.trim()).filter(Boolean) ?? [];
  const refused = new Set(listed);
  const kept: string[] = [];
  for (let i = 0; i < flags.length; i++) {
    const a = flags[i];
    if (!refused.has(a)) { kept.push(a); continue; }
    // "--flag value" given as two arguments: the value goes with it
    if (!a.includes("=") && i + 1 < flags.length && !flags[i + 1].startsWith("-")) i++;
  }
  flags = listed.length > 0 && kept.length < flags.length ? kept : [];
  return true;
}
