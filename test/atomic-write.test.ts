import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeJsonAtomic } from "../src/io/atomic-write.js";

describe("files", () => {
  it("atomic writes leave the old file or the new one, and no temporary files", () => {
    const dir = mkdtempSync(join(tmpdir(), "crossover-atomic-"));
    const path = join(dir, "sub", "x.json");
    writeJsonAtomic(path, { a: 1 });
    writeJsonAtomic(path, { a: 2 });
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({ a: 2 });
    expect(readdirSync(join(dir, "sub"))).toEqual(["x.json"]);
    writeFileSync(join(dir, "blocker"), "");
    expect(() => writeJsonAtomic(join(dir, "blocker", "y.json"), {})).toThrow(/could not write .*y\.json|ENOTDIR|EEXIST/);
  });
});
