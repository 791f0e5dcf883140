import type { Engine } from "../engine/engine.js";
import type { Q8Tensor } from "../engine/q8-tensor.js";
import { seededRandom } from "../random.js";
import type { LayerConfig } from "./config.js";

export type WeightType = "f32" | "q8_0";

/** Every tensor of a block's weights, to free them. */
export function weightTensors(w: LayerWeights): (Float32Array | Q8Tensor)[] {
  return [w.attnNorm, w.ffnNorm, w.qNorm, w.kNorm, w.wq, w.wk, w.wv, w.wo, w.wGate, w.wUp, w.wDown].filter((t) => t !== undefined);
}

/** A block's weights on an engine's arena. Projections are [outDim, inDim]. */
export interface LayerWeights {
  type: WeightType;
  attnNorm: Float32Array;
  ffnNorm: Float32Array;
  qNorm?: Float32Array;
  kNorm?: Float32Array;
  wq: Float32Array | Q8Tensor;
  wk: Float32Array | Q8Tensor;
  wv: Float32Array | Q8Tensor;
  wo: Float32Array | Q8Tensor;
  wGate: Float32Array | Q8Tensor;
  wUp: Float32Array | Q8Tensor;
  wDown: Float32Array | Q8Tensor;
}

/**
 * Random weights from a seed: projections uniform in +-1/sqrt(inDim) so that
 * activations keep their scale through the block; norm weights near their
 * neutral value (1, or 0 for Gemma's 1 + w).
 */
export function randomWeights(engine: Engine, c: LayerConfig, type: WeightType, seed: number): LayerWeights {
  const taken: (Float32Array | Q8Tensor)[] = [];
  try {
    return makeWeights(engine, c, type, seed, taken);
  } catch (err) {
    for (const t of taken) engine.free(t); // a failed build keeps nothing
    throw err;
  }
}

function makeWeights(engine: Engine, c: LayerConfig, type: WeightType, seed: number, taken: (Float32Array | Q8Tensor)[]): LayerWeights {
  const rand = seededRandom(seed);
  const uniform = (n: number, scale: number, center = 0) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = center + (rand() * 2 - 1) * scale;
    return a;
  };
  const onArena = (src: Float32Array) => {
    const t = engine.f32(src.length);
    taken.push(t);
    t.set(src);
    return t;
  };
  const norm = (n: number) => onArena(uniform(n, 0.1, c.gemmaNorm ? 0 : 1));
  const proj = (outDim: number, inDim: number) => {
    const w = uniform(outDim * inDim, 1 / Math.sqrt(inDim));
    if (type !== "q8_0") return onArena(w);
    const q8 = engine.quantizeQ8(w, outDim, inDim);
    taken.push(q8);
    return q8;
  };
  const q = c.heads * c.headDim, kv = c.kvHeads * c.headDim;
  return {
    type,
    attnNorm: norm(c.hidden),
    ffnNorm: norm(c.hidden),
    ...(c.qkNorm ? { qNorm: norm(c.headDim), kNorm: norm(c.headDim) } : {}),
    wq: proj(q, c.hidden),
    wk: proj(kv, c.hidden),
    wv: proj(kv, c.hidden),
    wo: proj(c.hidden, q),
    wGate: proj(c.ffn, c.hidden),
    wUp: proj(c.ffn, c.hidden),
    wDown: proj(c.hidden, c.ffn),
  };
}
