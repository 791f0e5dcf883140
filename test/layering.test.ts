// The architecture's one-way rules, checked on the sources: kernels know no
// threads, the report neither measures nor reads the host, the tuner never renders.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL("../src", import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** Value imports (type-only imports carry no behaviour) of each file under `dir`, as written. */
function valueImports(dir: string): { file: string; from: string }[] {
  return files(join(SRC, dir)).flatMap((file) => [...readFileSync(file, "utf8").matchAll(/^import (?!type )[^;]*? from "([^"]+)";/gm)]
    .map((m) => ({ file: relative(SRC, file), from: m[1] })));
}

/** Every module a file reaches through value imports (relative ones followed, packages and node: listed as named). */
function reach(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const m of readFileSync(file, "utf8").matchAll(/^import (?!type )[^;]*? from "([^"]+)";/gm)) {
    const from = m[1];
    if (from.startsWith(".")) reach(join(file, "..", from.replace(/\.js$/, ".ts")), seen);
    else seen.add(from);
  }
  return seen;
}

describe("layering", () => {
  it("kernels import nothing of the engine, the pool or threads", () => {
    const bad = valueImports("kernels").filter((i) => /engine\/|worker_threads|node:os/.test(i.from));
    expect(bad).toEqual([]);
  });

  it("the report neither measures nor reads the host", () => {
    const bad = valueImports("report").filter((i) =>
      /node:os|node:child_process|fingerprint|machine\.js|measure-point|sweep|sentinel|cpu-load|pool|engine\.js|tune\.js/.test(i.from));
    expect(bad).toEqual([]);
  });

  it("nothing the report reaches, however indirectly, reads the host", () => {
    const bad = files(join(SRC, "report")).flatMap((f) => [...reach(f)].filter((x) => /^node:os$|fingerprint\.ts$|cpu-load\.ts$|pool\.ts$/.test(x))
      .map((x) => `${relative(SRC, f)} -> ${x.startsWith(SRC) ? relative(SRC, x) : x}`));
    expect([...new Set(bad)]).toEqual([]);
  });

  it("the pool runs jobs and knows nothing of ops", () => {
    expect(valueImports("engine/pool").concat(files(join(SRC, "engine/pool")).flatMap((f) =>
      [...readFileSync(f, "utf8").matchAll(/^import type [^;]*? from "([^"]+)";/gm)].map((m) => ({ file: relative(SRC, f), from: m[1] }))))
      .filter((i) => /\/ops\//.test(i.from))).toEqual([]);
  });

  it("the report reads results and profiles: it imports nothing of the tuner", () => {
    expect(valueImports("report").filter((i) => /\/tuner\//.test(i.from))).toEqual([]);
  });

  it("the tuner never renders", () => {
    expect(valueImports("tuner").filter((i) => /report\//.test(i.from))).toEqual([]);
  });
});
