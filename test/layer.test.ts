import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, DecoderLayer, dequantizeQ8, type Engine, type LayerConfig } from "../src/index.js";
import type { LayerWeights } from "../src/model/weights.js";
import { fill } from "./helpers.js";
import { attentionRef, matmulRef, rmsNormRef, ropeRef } from "./reference.js";

// The decoder block, prefill then decode, against the same block computed in
// float64 over the whole sequence at once (causal, so token i sees 0..i).

const GEMMA_LIKE: LayerConfig = {
  name: "tiny-gemma", hidden: 64, heads: 4, kvHeads: 1, headDim: 32, ffn: 96,
  activation: "gelu", qkNorm: true, gemmaNorm: true, ropeBase: 10000, eps: 1e-6,
};
const LLAMA_LIKE: LayerConfig = {
  name: "tiny-llama", hidden: 96, heads: 6, kvHeads: 2, headDim: 16, ffn: 160,
  activation: "silu", qkNorm: false, gemmaNorm: false, ropeBase: 500000, eps: 1e-5,
};

function weightValues(w: LayerWeights["wq"], rows: number, cols: number): Float32Array {
  return w instanceof Float32Array ? w : dequantizeQ8(w.bytes, rows, cols);
}

function blockRef(c: LayerConfig, w: LayerWeights, tokens: Float32Array, n: number): Float64Array {
  const qDim = c.heads * c.headDim, kvDim = c.kvHeads * c.headDim;
  const mm = (wt: LayerWeights["wq"], x: ArrayLike<number>, outDim: number, inDim: number) =>
    matmulRef(weightValues(wt, outDim, inDim), x, n, inDim, outDim).out;
  const positions = Array.from({ length: n }, (_, i) => i);
  const x = Float64Array.from(tokens);
  let normed = rmsNormRef(x, w.attnNorm, n, c.hidden, c.eps, c.gemmaNorm);
  let q: ArrayLike<number> = mm(w.wq, normed, qDim, c.hidden);
  let k: ArrayLike<number> = mm(w.wk, normed, kvDim, c.hidden);
  const v = mm(w.wv, normed, kvDim, c.hidden);
  if (c.qkNorm) {
    q = rmsNormRef(q, w.qNorm!, n * c.heads, c.headDim, c.eps, c.gemmaNorm);
    k = rmsNormRef(k, w.kNorm!, n * c.kvHeads, c.headDim, c.eps, c.gemmaNorm);
  }
  q = ropeRef(q, n, c.heads, c.headDim, positions, c.ropeBase, "neox");
  k = ropeRef(k, n, c.kvHeads, c.headDim, positions, c.ropeBase, "neox");
  const attn = attentionRef(q, k, v, { seqLen: n, kvLen: n, heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim, causal: true, scale: 1 / Math.sqrt(c.headDim) });
  const o = mm(w.wo, attn, c.hidden, qDim);
  for (let i = 0; i < x.length; i++) x[i] += o[i];
  normed = rmsNormRef(x, w.ffnNorm, n, c.hidden, c.eps, c.gemmaNorm);
  const gate = mm(w.wGate, normed, c.ffn, c.hidden);
  const up = mm(w.wUp, normed, c.ffn, c.hidden);
  const gelu = (z: number) => z / (1 + Math.exp(-2 * Math.sqrt(2 / Math.PI) * (z + 0.044715 * z ** 3)));
  const silu = (z: number) => z / (1 + Math.exp(-z));
  const act = c.activation === "gelu" ? gelu : silu;
  const h = gate.map((g, i) => act(g) * up[i]);
  const down = mm(w.wDown, h, c.hidden, c.ffn);
  for (let i = 0; i < x.length; i++) x[i] += down[i];
  return x;
}

/** Largest |a - b| over the largest |b|: one number for how close the block came. */
function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let err = 0, scale = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return err / scale;
}

describe("decoder layer: prefill then decode equals a float64 reference of the block", () => {
  const engines: Engine[] = [];
  let serial: Engine, parallel: Engine;
  beforeAll(async () => {
    serial = await createEngine({ threads: 1, policy: "serial" });
    parallel = await createEngine({ threads: 2, policy: "parallel" });
    engines.push(serial, parallel);
  });
  afterAll(() => engines.forEach((e) => e.close()));

  for (const config of [GEMMA_LIKE, LLAMA_LIKE]) {
    for (const [weights, tolerance] of [["f32", 2e-6], ["q8_0", 2e-2]] as const) {
      it(`${config.name}, ${weights} weights: 5 tokens of prefill, then 3 decode steps`, () => {
        const total = 8, prompt = 5;
        const tokens = fill(new Float32Array(total * config.hidden), 42);
        const outputs: Float32Array[] = [];
        for (const e of [serial, parallel]) {
          const layer = new DecoderLayer(e, { config, weights, seed: 7, maxSeqLen: 16, maxBatch: 8 });
          const out = new Float32Array(total * config.hidden);
          out.set(layer.prefill(tokens.subarray(0, prompt * config.hidden)));
          for (let t = prompt; t < total; t++) out.set(layer.decode(tokens.subarray(t * config.hidden, (t + 1) * config.hidden)), t * config.hidden);
          expect(layer.cached).toBe(total);
          outputs.push(out);
          if (e === serial) {
            const ref = blockRef(config, layer.weights, tokens, total);
            // Q8_0 quantizes the activations too (per 32-block, ~0.4% each): the reference uses exact activations
            // compared on what the block adds to its input, so the residual cannot hide an error
            expect(relError(out.map((o, i) => o - tokens[i]), ref.map((r, i) => r - tokens[i]))).toBeLessThan(tolerance);
          }
        }
        // the same block on two threads gives the same bits
        expect(new Uint32Array(outputs[1].buffer)).toEqual(new Uint32Array(outputs[0].buffer));
      });
    }
  }

  it("refuses what does not fit, with the fix in the message", () => {
    const layer = new DecoderLayer(serial, { config: GEMMA_LIKE, maxSeqLen: 4, maxBatch: 4 });
    expect(() => layer.prefill(new Float32Array(5 * 64))).toThrow(/5 tokens, more than maxBatch \(4\)/);
    layer.prefill(new Float32Array(3 * 64));
    expect(() => layer.prefill(new Float32Array(2 * 64))).toThrow(/holds 4 positions; 3 are used and 2 more do not fit/);
    expect(() => layer.decode(new Float32Array(63))).toThrow(/hidden \(64\) floats, got length 63/);
    expect(() => new DecoderLayer(serial, { config: "gpt-5" as never })).toThrow(/unknown preset "gpt-5"; presets: gemma-3-270m, llama-3.2-1b/);
    // a misspelt option (no config at all) or no options: what to pass, not a TypeError from inside
    expect(() => new DecoderLayer(serial, { preset: "llama-3.2-1b" } as never)).toThrow(/expected a preset name \(gemma-3-270m, llama-3.2-1b\) or a LayerConfig object, got undefined/);
    expect(() => new DecoderLayer(serial, undefined as never)).toThrow(/options must be an object such as \{ config: "llama-3.2-1b" \}/);
    layer.reset();
    expect(layer.cached).toBe(0);
  });
});
