import { spawn, type ChildProcess } from "node:child_process";

/**
 * Processes that spin on a CPU each, beside a benchmark: the busy CI runner
 * or shared machine of the back-off, reproducible by anyone. Stopped by the
 * returned function, and when this process exits.
 */
export function startNeighbours(count: number): () => void {
  const children: ChildProcess[] = Array.from({ length: count }, () => spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }));
  const stop = () => {
    for (const c of children) if (c.exitCode === null) c.kill();
  };
  process.once("exit", stop);
  return stop;
}
