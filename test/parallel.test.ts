import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../src/index.js";
import { BACKENDS, backendOptions, fill, rng } from "./helpers.js";

// Every op split across threads must give bitwise the serial output: the
// partition is static and each kernel computes every output the same way
// whatever slice it falls in. 3 and 4 threads oversubscribe this 2-core
// machine (workers sleep at once: spinMicros 0); they must still be right.

type Case = { name: string; run: (e: Engine, seed: number) => Float32Array };

function inputs(e: Engine, n: number, seed: number, scale = 1): Float32Array {
  return fill(e.f32(n), seed, scale);
}

function randomCases(seed: number): Case[] {
  const r = rng(seed);
  const pick = (...v: number[]) => v[Math.floor(r() * v.length)];
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const rows = int(1, 40), dim = pick(8, 64, 100, 768);
  const seqLen = int(1, 24), heads = pick(1, 2, 4, 8), headDim = pick(16, 64, 128);
  const kvHeads = pick(...[1, 2, heads].filter((k) => heads % k === 0));
  const kvLen = seqLen + int(0, 40);
  const batch = int(1, 9), inDim = pick(32, 64, 96, 256), outDim = int(1, 100);
  const n = int(1, 5000);
  const position = int(0, 100);
  return [
    { name: `rmsNorm ${rows}x${dim}`, run: (e, s) => { const o = e.f32(rows * dim); e.rmsNorm(o, inputs(e, rows * dim, s), inputs(e, dim, s + 1), { rows, dim }); return o; } },
    { name: `qkNorm ${seqLen}x${heads}x${headDim}`, run: (e, s) => { const x = inputs(e, seqLen * heads * headDim, s); e.qkNorm(x, inputs(e, headDim, s + 1), { seqLen, heads, headDim, gemma: true }); return x; } },
    { name: `rope ${seqLen}x${heads}x${headDim}`, run: (e, s) => { const x = inputs(e, seqLen * heads * headDim, s); e.rope(x, { seqLen, heads, headDim, positions: position }); return x; } },
    { name: `softmax ${rows}x${dim}`, run: (e, s) => { const o = e.f32(rows * dim); e.softmax(o, inputs(e, rows * dim, s, 5), { rows, n: dim }); return o; } },
    {
      name: `attention ${seqLen}x${kvLen}x${heads}/${kvHeads}x${headDim}`,
      run: (e, s) => {
        const o = e.f32(seqLen * heads * headDim);
        e.attention(o, inputs(e, seqLen * heads * headDim, s), inputs(e, kvLen * kvHeads * headDim, s + 1),
          inputs(e, kvLen * kvHeads * headDim, s + 2), { seqLen, kvLen, heads, kvHeads, headDim });
        return o;
      },
    },
    {
      name: `decode attention 1x${kvLen}x${heads}x${headDim}`,
      run: (e, s) => {
        const o = e.f32(heads * headDim);
        e.attention(o, inputs(e, heads * headDim, s), inputs(e, kvLen * heads * headDim, s + 1), inputs(e, kvLen * heads * headDim, s + 2),
          { seqLen: 1, kvLen, heads, headDim });
        return o;
      },
    },
    { name: `matmul f32 ${batch}x${inDim}x${outDim}`, run: (e, s) => { const o = e.f32(batch * outDim); e.matmul(o, inputs(e, outDim * inDim, s), inputs(e, batch * inDim, s + 1), { batch, inDim, outDim }); return o; } },
    {
      name: `matmul q8_0 ${batch}x${inDim}x${outDim}`,
      run: (e, s) => {
        const o = e.f32(batch * outDim);
        const w = e.quantizeQ8(fill(new Float32Array(outDim * inDim), s), outDim, inDim);
        e.matmul(o, w, inputs(e, batch * inDim, s + 1), { batch, inDim, outDim });
        e.free(w);
        return o;
      },
    },
    { name: `add ${n}`, run: (e, s) => { const a = inputs(e, n, s); e.add(a, a, inputs(e, n, s + 1)); return a; } },
    { name: `mul ${n}`, run: (e, s) => { const o = e.f32(n); e.mul(o, inputs(e, n, s), inputs(e, n, s + 1)); return o; } },
    { name: `gelu ${n}`, run: (e, s) => { const o = e.f32(n); e.gelu(o, inputs(e, n, s, 6)); return o; } },
    { name: `silu ${n}`, run: (e, s) => { const x = inputs(e, n, s, 20); e.silu(x, x); return x; } },
  ];
}

function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(Float32Array.from(a).buffer);
}

describe.each(BACKENDS)("parallel equals serial bitwise (%s)", (backend) => {
  const engines = new Map<string, Engine>();
  beforeAll(async () => {
    const opts = { ...backendOptions(backend), maxMemory: 256 * 2 ** 20, onWarning: () => {} };
    engines.set("serial", await createEngine({ ...opts, threads: 1 }));
    engines.set("2", await createEngine({ ...opts, threads: 2, policy: "parallel" }));
    engines.set("3", await createEngine({ ...opts, threads: 3, policy: "parallel", spinMicros: 0 }));
    engines.set("4", await createEngine({ ...opts, threads: 4, policy: "parallel", spinMicros: 0 }));
  });
  afterAll(() => {
    for (const e of engines.values()) e.close();
  });

  for (let seed = 1; seed <= (backend === "js" ? 3 : 6); seed++) {
    it(`random shapes, seed ${seed}`, () => {
      for (const c of randomCases(seed * 7919)) {
        const serial = bits(c.run(engines.get("serial")!, seed));
        for (const t of ["2", "3", "4"]) {
          const e = engines.get(t)!;
          const got = bits(c.run(e, seed));
          expect(got, `${c.name} on ${t} threads`).toEqual(serial);
        }
      }
      for (const e of engines.values()) expect(e.health().status).toBe("ok");
    });
  }

  it("long prefill attention (several key blocks, tiles cut at every split) stays exact", () => {
    // the tiled kernel walks keys in blocks of 64 and units in tiles of 16: splits on 2-4 threads start
    // tiles mid-head and leave lone units, which must still give each unit the serial bits
    // (the wasm kernel tiles where kvLen * headDim > 65536)
    const shapes = [
      { seqLen: 70, kvLen: 300, heads: 6, kvHeads: 2, headDim: 256, causal: true },
      { seqLen: 33, kvLen: 530, heads: 4, kvHeads: 4, headDim: 128, causal: false },
      { seqLen: 129, kvLen: 8200, heads: 3, kvHeads: 1, headDim: 8, causal: true },
    ];
    for (const [i, s] of shapes.entries()) {
      const run = (e: Engine) => {
        const o = e.f32(s.seqLen * s.heads * s.headDim);
        e.attention(o, inputs(e, s.seqLen * s.heads * s.headDim, i, 3), inputs(e, s.kvLen * s.kvHeads * s.headDim, i + 1),
          inputs(e, s.kvLen * s.kvHeads * s.headDim, i + 2), s);
        return o;
      };
      const serial = bits(run(engines.get("serial")!));
      for (const t of ["2", "3", "4"]) expect(bits(run(engines.get(t)!)), `${JSON.stringify(s)} on ${t} threads`).toEqual(serial);
    }
  });

  it("a 3-thread policy on a 4-thread engine uses three slices and stays exact", async () => {
    const e3of4 = await createEngine({ ...backendOptions(backend), threads: 4, policy: 3, spinMicros: 0, onWarning: () => {} });
    try {
      for (const c of randomCases(99)) expect(bits(c.run(e3of4, 5)), c.name).toEqual(bits(c.run(engines.get("serial")!, 5)));
    } finally {
      e3of4.close();
    }
  });

  it("workers see memory the arena grew after they started", () => {
    const e = engines.get("2")!;
    const before = e.memoryUsage().capacity;
    const n = 8 * 2 ** 20; // 32 MiB: more than the arena had
    const a = inputs(e, n, 3), b = inputs(e, n, 4);
    expect(e.memoryUsage().capacity).toBeGreaterThan(before);
    const o = e.f32(n);
    e.add(o, a, b);
    for (const i of [0, n / 2 + 17, n - 1]) expect(o[i]).toBe(Math.fround(a[i] + b[i]));
    e.free(a); e.free(b); e.free(o);
  });
});
