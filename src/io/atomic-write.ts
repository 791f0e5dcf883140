import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/**
 * Writes a file so that readers see the old content or the new, never half:
 * a temporary file in the same folder, flushed, then renamed over the target.
 */
export function writeFileAtomic(path: string, content: string): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  try {
    const fd = openSync(tmp, "w");
    try {
      writeSync(fd, content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new Error(`could not write ${path}: ${(err as Error).message}`);
  }
}

/** JSON with two-space indent and a final newline: stable diffs for committed files. */
export function writeJsonAtomic(path: string, data: unknown): void {
  writeFileAtomic(path, JSON.stringify(data, null, 2) + "\n");
}
