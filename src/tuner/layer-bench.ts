import { performance } from "node:perf_hooks";
import type { Engine } from "../engine/engine.js";
import { DecoderLayer } from "../model/layer.js";
import type { PresetName } from "../model/config.js";
import type { WeightType } from "../model/weights.js";
import { seededRandom } from "../model/weights.js";
import { mad, median } from "./stats.js";

/** The layer's two steps as the issue and the reference document frame them. */
export const PREFILL_TOKENS = 128;
export const DECODE_CACHED = 512;

export interface LayerVariant {
  /** What this engine stands for: "serial", "parallel", "profile", "defaults". */
  name: string;
  engine: Engine;
}

export interface LayerBenchResult {
  preset: PresetName;
  weights: WeightType;
  variant: string;
  threads: number;
  step: "prefill" | "decode";
  /** prefill: tokens processed; decode: tokens already cached. */
  tokens: number;
  medianMs: number;
  madMs: number;
  samples: number;
}

/**
 * Times prefill of PREFILL_TOKENS tokens and decode of one token against
 * DECODE_CACHED cached ones, for each variant (same weights: same seed),
 * interleaved in rotating order over `rounds` rounds.
 */
export function benchLayer(preset: PresetName, weights: WeightType, variants: LayerVariant[], timeMs: number, rounds = 3): LayerBenchResult[] {
  const layers = variants.map((v) => new DecoderLayer(v.engine, { config: preset, weights, seed: 1, maxSeqLen: DECODE_CACHED + 1, maxBatch: PREFILL_TOKENS }));
  const hidden = layers[0].config.hidden;
  const rand = seededRandom(5);
  const prompt = Float32Array.from({ length: PREFILL_TOKENS * hidden }, () => rand() * 2 - 1);
  const token = prompt.subarray(0, hidden);
  const prefill = (l: DecoderLayer) => {
    l.reset();
    l.prefill(prompt);
  };
  const fillCache = (l: DecoderLayer) => {
    l.reset();
    for (let t = 0; t < DECODE_CACHED; t += PREFILL_TOKENS) l.prefill(prompt);
  };
  const decode = (l: DecoderLayer) => {
    l.rewind(DECODE_CACHED);
    l.decode(token);
  };
  const results: LayerBenchResult[] = [];
  for (const [step, run, setup] of [["prefill", prefill, () => {}], ["decode", decode, fillCache]] as const) {
    const samples: number[][] = variants.map(() => []);
    layers.forEach((l) => { setup(l); run(l); }); // warm-up
    const perCall = layers.map((l) => time(() => run(l)));
    for (let r = 0; r < rounds; r++) {
      for (let j = 0; j < variants.length; j++) {
        const i = (j + r) % variants.length;
        const reps = Math.max(1, Math.round(timeMs / rounds / variants.length / Math.max(perCall[i], 1e-3)));
        for (let k = 0; k < reps; k++) samples[i].push(time(() => run(layers[i])));
      }
    }
    variants.forEach((v, i) => results.push({
      preset, weights, variant: v.name, threads: v.engine.threads, step, tokens: step === "prefill" ? PREFILL_TOKENS : DECODE_CACHED,
      medianMs: median(samples[i]), madMs: mad(samples[i]), samples: samples[i].length,
    }));
  }
  return results;
}

function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}
