import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../src/index.js";
import { FAULT_EXIT, FAULT_THROW } from "../src/engine/pool/control-block.js";
import { fill } from "./helpers.js";

// A worker that throws or dies must give the caller a clear error, fast,
// never a hang; then the engine runs serially and says so once.

async function faultyEngine(warnings: string[]): Promise<Engine> {
  return createEngine({ threads: 2, policy: "parallel", workerTimeoutMs: 2000, onWarning: (m) => warnings.push(m) });
}

function addInputs(e: Engine, n: number) {
  const a = fill(e.f32(n), 1), b = fill(e.f32(n), 2), o = e.f32(n);
  return { a, b, o };
}

/** The error of the first call that throws within `ms` of calls (undefined if none does). */
function firstThrow(call: () => void, ms: number): Error | undefined {
  for (const t0 = performance.now(); performance.now() - t0 < ms;) {
    try {
      call();
    } catch (err) {
      return err as Error;
    }
  }
  return undefined;
}

describe("worker faults", () => {
  for (const [kind, name, expected] of [
    [FAULT_THROW, "a kernel that throws in a worker", /worker 1 threw: Error: injected fault/],
    [FAULT_EXIT, "a worker that exits mid-op", /worker 1 (died|exited)|did not finish/],
  ] as const) {
    it(`${name}: the op throws on the caller, then every op runs serially and stays right`, async () => {
      const warnings: string[] = [];
      const e = await faultyEngine(warnings);
      try {
        const { a, b, o } = addInputs(e, 4096);
        e.workerPool!.injectFault(1, kind);
        const t0 = performance.now();
        // the fault fires on the next slice worker 1 claims; a slice the caller stole from it (worker 1 still waking) runs right
        const error = firstThrow(() => e.add(o, a, b), 2000);
        expect(error?.message).toMatch(expected);
        // the deadline (2 s), not a hang: generous, a busy CI machine may be slow to notice
        expect(performance.now() - t0).toBeLessThan(15000);
        expect(e.health()).toMatchObject({ status: "serial", workers: 0 });
        expect(e.health().fault).toMatch(expected);
        expect(e.plan("add", { n: 4096 })).toMatchObject({ threads: 1 });
        // the engine goes on, serially, with right results
        e.add(o, a, b);
        for (let i = 0; i < 4096; i += 511) expect(o[i]).toBe(Math.fround(a[i] + b[i]));
        e.mul(o, a, b);
        const poolWarnings = warnings.filter((w) => w.includes("worker pool failed"));
        expect(poolWarnings).toHaveLength(1);
        expect(poolWarnings[0]).toMatch(/running every op serially/);
      } finally {
        e.close();
      }
    });
  }

  it("a worker terminated while idle is noticed before the next op, which then runs serially", async () => {
    const warnings: string[] = [];
    const e = await faultyEngine(warnings);
    try {
      const pool = e.workerPool!;
      await (pool as unknown as { workers: { terminate(): Promise<number> }[] }).workers[0].terminate();
      await new Promise((r) => setTimeout(r, 20)); // let the exit event arrive
      const { a, b, o } = addInputs(e, 1000);
      e.add(o, a, b); // no throw: nothing had started
      expect(o[999]).toBe(Math.fround(a[999] + b[999]));
      expect(e.health().status).toBe("serial");
      expect(warnings.some((w) => /worker 1 exited/.test(w))).toBe(true);
    } finally {
      e.close();
    }
  });

  it("close() ends the workers; ops on a closed engine throw", async () => {
    const e = await createEngine({ threads: 2 });
    e.close();
    expect(e.health().status).toBe("closed");
    expect(() => e.f32(4)).toThrow(/closed/);
    e.close(); // twice is fine
  });

  it("an engine that is never closed does not keep the process alive", () => {
    const src = fileURLToPath(new URL("../dist/index.js", import.meta.url));
    const script = `const { createEngine } = await import(${JSON.stringify(src)});
      const e = await createEngine({ threads: 2, policy: "parallel", spinMicros: 100000, onWarning: () => {} });
      const a = e.f32(1 << 16); e.gelu(a, a); console.log("ran", e.health().workers);`;
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 20000 });
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("ran 1");
    expect(r.status).toBe(0);
    // the spin window is 100 ms: an idle child exits at once; a held-open one would hit the 20 s timeout
    expect(Date.now() - t0).toBeLessThan(15000);
  });
});
