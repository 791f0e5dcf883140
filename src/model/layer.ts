import type { Engine } from "../engine/engine.js";
import { checkConfig, PRESETS, type LayerConfig, type PresetName } from "./config.js";
import { seededRandom } from "../random.js";
import { randomWeights, weightTensors, type LayerWeights, type WeightType } from "./weights.js";

export interface LayerOptions {
  /** A preset's name or a config. */
  config: PresetName | LayerConfig;
  weights?: WeightType;
  seed?: number;
  /** Positions the KV cache holds (default 4096). */
  maxSeqLen?: number;
  /** Most tokens one prefill call takes (default 512). */
  maxBatch?: number;
}

/**
 * One pre-norm decoder block made only of engine ops, with its KV cache:
 *   x += Wo · attention(rope(qkNorm(Wq · n)), rope(qkNorm(Wk · n)), Wv · n),  n = rmsNorm(x)
 *   x += Wdown · (act(Wgate · m) * (Wup · m)),                                  m = rmsNorm(x)
 * prefill(tokens) runs a batch at the next positions; decode(token) one token.
 */
export class DecoderLayer {
  readonly config: LayerConfig;
  readonly weights: LayerWeights;
  readonly maxSeqLen: number;
  readonly maxBatch: number;
  private position = 0;
  private readonly x: Float32Array;
  private readonly normed: Float32Array;
  private readonly q: Float32Array;
  private readonly attn: Float32Array;
  private readonly proj: Float32Array;
  private readonly gate: Float32Array;
  private readonly up: Float32Array;
  private readonly kCache: Float32Array;
  private readonly vCache: Float32Array;

  constructor(private readonly engine: Engine, options: LayerOptions) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`DecoderLayer: options must be an object such as { config: "llama-3.2-1b" }, got ${options === null ? "null" : typeof options}`);
    }
    const c = checkConfig(typeof options.config === "string" ? presetConfig(options.config) : options.config);
    this.config = c;
    this.maxSeqLen = positive("maxSeqLen", options.maxSeqLen ?? 4096);
    this.maxBatch = positive("maxBatch", options.maxBatch ?? 512);
    const type = options.weights ?? "f32";
    if (type !== "f32" && type !== "q8_0") throw new RangeError(`DecoderLayer: weights must be "f32" or "q8_0", got ${String(type)}`);
    this.weights = randomWeights(engine, c, type, options.seed ?? 1);
    const b = this.maxBatch, qDim = c.heads * c.headDim, kvDim = c.kvHeads * c.headDim;
    // a constructor that fails (the arena is too small) gives back what it took
    const buffers: Float32Array[] = [];
    const f32 = (n: number) => { const t = engine.f32(n); buffers.push(t); return t; };
    try {
      this.x = f32(b * c.hidden);
      this.normed = f32(b * c.hidden);
      this.q = f32(b * qDim);
      this.attn = f32(b * qDim);
      this.proj = f32(b * c.hidden);
      this.gate = f32(b * c.ffn);
      this.up = f32(b * c.ffn);
      this.kCache = f32(this.maxSeqLen * kvDim);
      this.vCache = f32(this.maxSeqLen * kvDim);
    } catch (err) {
      for (const t of [...weightTensors(this.weights), ...buffers]) engine.free(t);
      throw err;
    }
  }

  /** Returns the layer's weights, buffers and KV cache to the engine's arena. */
  dispose(): void {
    const all = [...weightTensors(this.weights),
      this.x, this.normed, this.q, this.attn, this.proj, this.gate, this.up, this.kCache, this.vCache];
    for (const t of all) this.engine.free(t);
  }

  /** Tokens already in the KV cache. */
  get cached(): number {
    return this.position;
  }

  /** Empties the KV cache. */
  reset(): void {
    this.position = 0;
  }

  /**
   * Fills the KV cache's first n positions with random keys and values, as if
   * n tokens had been processed: to time decode against a long context
   * without running the prefill.
   */
  fillCache(n: number, seed = 1): void {
    if (!Number.isInteger(n) || n < 0 || n > this.maxSeqLen) throw new RangeError(`DecoderLayer.fillCache: n must be an integer from 0 to maxSeqLen (${this.maxSeqLen}), got ${n}`);
    const rand = seededRandom(seed);
    const kvDim = this.config.kvHeads * this.config.headDim;
    for (let i = 0; i < n * kvDim; i++) {
      this.kCache[i] = rand() * 2 - 1;
      this.vCache[i] = rand() * 2 - 1;
    }
    this.position = n;
  }

  /** Forgets every cached position from `position` on (e.g. to decode the same step again). */
  rewind(position: number): void {
    if (!Number.isInteger(position) || position < 0 || position > this.position) {
      throw new RangeError(`DecoderLayer.rewind: position must be an integer from 0 to the ${this.position} cached, got ${position}`);
    }
    this.position = position;
  }

  /**
   * Runs `tokens` ([n, hidden] activations) at the next n positions. Returns
   * the block's output [n, hidden]: a view that the next call overwrites.
   */
  prefill(tokens: Float32Array): Float32Array {
    const hidden = this.config.hidden;
    if (!(tokens instanceof Float32Array) || tokens.length === 0 || tokens.length % hidden !== 0) {
      throw new RangeError(`DecoderLayer.prefill: tokens must be a Float32Array of n * hidden (${hidden}) floats, got length ${tokens?.length}`);
    }
    const n = tokens.length / hidden;
    if (n > this.maxBatch) throw new RangeError(`DecoderLayer.prefill: ${n} tokens, more than maxBatch (${this.maxBatch}): split the prompt`);
    if (this.position + n > this.maxSeqLen) {
      throw new RangeError(`DecoderLayer: the KV cache holds ${this.maxSeqLen} positions; ${this.position} are used and ${n} more do not fit (reset() or a larger maxSeqLen)`);
    }
    const x = this.x.subarray(0, n * hidden);
    x.set(tokens);
    this.step(x, n);
    return x;
  }

  /** One token ([hidden] activations) at the next position. */
  decode(token: Float32Array): Float32Array {
    if (!(token instanceof Float32Array) || token.length !== this.config.hidden) {
      throw new RangeError(`DecoderLayer.decode: token must be a Float32Array of hidden (${this.config.hidden}) floats, got length ${token?.length}`);
    }
    return this.prefill(token);
  }

  private step(x: Float32Array, n: number): void {
    const e = this.engine, c = this.config, w = this.weights;
    const pos = this.position;
    const qDim = c.heads * c.headDim, kvDim = c.kvHeads * c.headDim;
    const normed = this.normed.subarray(0, n * c.hidden);
    const q = this.q.subarray(0, n * qDim);
    const k = this.kCache.subarray(pos * kvDim, (pos + n) * kvDim);
    const v = this.vCache.subarray(pos * kvDim, (pos + n) * kvDim);
    const attn = this.attn.subarray(0, n * qDim);
    const proj = this.proj.subarray(0, n * c.hidden);
    const gate = this.gate.subarray(0, n * c.ffn);
    const up = this.up.subarray(0, n * c.ffn);
    const norm = { eps: c.eps, gemma: c.gemmaNorm };

    e.rmsNorm(normed, x, w.attnNorm, { rows: n, dim: c.hidden, ...norm });
    e.matmul(q, w.wq, normed, { batch: n, inDim: c.hidden, outDim: qDim });
    e.matmul(k, w.wk, normed, { batch: n, inDim: c.hidden, outDim: kvDim });
    e.matmul(v, w.wv, normed, { batch: n, inDim: c.hidden, outDim: kvDim });
    if (w.qNorm && w.kNorm) {
      e.qkNorm(q, w.qNorm, { seqLen: n, heads: c.heads, headDim: c.headDim, ...norm });
      e.qkNorm(k, w.kNorm, { seqLen: n, heads: c.kvHeads, headDim: c.headDim, ...norm });
    }
    e.rope(q, { seqLen: n, heads: c.heads, headDim: c.headDim, positions: pos, base: c.ropeBase });
    e.rope(k, { seqLen: n, heads: c.kvHeads, headDim: c.headDim, positions: pos, base: c.ropeBase });
    const kvLen = pos + n;
    e.attention(attn, q, this.kCache.subarray(0, kvLen * kvDim), this.vCache.subarray(0, kvLen * kvDim),
      { seqLen: n, kvLen, heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim, causal: true });
    e.matmul(proj, w.wo, attn, { batch: n, inDim: qDim, outDim: c.hidden });
    e.add(x, x, proj);

    e.rmsNorm(normed, x, w.ffnNorm, { rows: n, dim: c.hidden, ...norm });
    e.matmul(gate, w.wGate, normed, { batch: n, inDim: c.hidden, outDim: c.ffn });
    e.matmul(up, w.wUp, normed, { batch: n, inDim: c.hidden, outDim: c.ffn });
    if (c.activation === "gelu") e.gelu(gate, gate);
    else e.silu(gate, gate);
    e.mul(gate, gate, up);
    e.matmul(proj, w.wDown, gate, { batch: n, inDim: c.ffn, outDim: c.hidden });
    e.add(x, x, proj);
    this.position = kvLen;
  }
}

function presetConfig(name: string): LayerConfig {
  const c = (PRESETS as Record<string, LayerConfig>)[name];
  if (!c) throw new RangeError(`DecoderLayer: unknown preset ${JSON.stringify(name)}; presets: ${Object.keys(PRESETS).join(", ")}`);
  return c;
}

function positive(name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw new RangeError(`DecoderLayer: ${name} must be an integer >= 1, got ${String(v)}`);
  return v;
}
