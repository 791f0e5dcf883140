import { performance } from "node:perf_hooks";
import type { Engine } from "../engine/engine.js";
import { DecoderLayer } from "../model/layer.js";
import type { PresetName } from "../model/config.js";
import type { WeightType } from "../model/weights.js";
import { seededRandom } from "../random.js";
import { mad, median } from "./stats.js";
import { yieldToEventLoop } from "./yield.js";
import type { LayerBenchResult } from "../results/types.js";

/** The layer's two steps as the issue and the reference document frame them. */
export const PREFILL_TOKENS = 128;
export const DECODE_CACHED = 512;

export interface LayerVariant {
  /** What it stands for: "serial", "parallel", "profile", "defaults". */
  name: string;
  /** Threads it may use. */
  threads: number;
  /** Sets the engine's policy (and profile) for this variant. */
  configure: () => void;
}

export interface LayerStep {
  step: "prefill" | "decode";
  /** prefill: tokens in the batch; decode: tokens already cached. */
  tokens: number;
}

export const DEFAULT_STEPS: LayerStep[] = [{ step: "prefill", tokens: PREFILL_TOKENS }, { step: "decode", tokens: DECODE_CACHED }];

/**
 * Times each step (prefill of n tokens; decode of one token against n cached,
 * the cache filled with random keys and values) for each variant with the
 * same weights (same seed), interleaved in rotating order over `rounds` rounds.
 */
export async function benchLayer(engine: Engine, preset: PresetName, weights: WeightType, variants: LayerVariant[], timeMs: number,
    steps: readonly LayerStep[] = DEFAULT_STEPS, rounds = 3, shouldStop: () => boolean = () => false): Promise<LayerBenchResult[]> {
  const maxSeqLen = Math.max(...steps.map((s) => (s.step === "decode" ? s.tokens + 1 : s.tokens)));
  const maxBatch = Math.max(1, ...steps.filter((s) => s.step === "prefill").map((s) => s.tokens));
  // one layer on one engine: the variants differ only in policy, never in memory placement
  const layer = new DecoderLayer(engine, { config: preset, weights, seed: 1, maxSeqLen, maxBatch });
  try {
    return await timeSteps(layer, preset, weights, variants, timeMs, steps, rounds, shouldStop);
  } finally {
    layer.dispose();
  }
}

async function timeSteps(layer: DecoderLayer, preset: PresetName, weights: WeightType, variants: LayerVariant[], timeMs: number,
    steps: readonly LayerStep[], rounds: number, shouldStop: () => boolean): Promise<LayerBenchResult[]> {
  const maxBatch = Math.max(1, ...steps.filter((s) => s.step === "prefill").map((s) => s.tokens));
  const hidden = layer.config.hidden;
  const rand = seededRandom(5);
  const prompt = Float32Array.from({ length: maxBatch * hidden }, () => rand() * 2 - 1);
  const results: LayerBenchResult[] = [];
  for (const s of steps) {
    const tokens = prompt.subarray(0, (s.step === "prefill" ? s.tokens : 1) * hidden);
    const run = s.step === "prefill"
      ? (l: DecoderLayer) => { l.reset(); l.prefill(tokens); }
      : (l: DecoderLayer) => { l.rewind(s.tokens); l.decode(tokens); };
    if (s.step === "decode") layer.fillCache(s.tokens);
    const perCall = variants.map((v) => {
      v.configure();
      run(layer); // warm-up
      return time(() => run(layer));
    });
    const samples: number[][] = variants.map(() => []);
    for (let r = 0; r < rounds; r++) {
      for (let j = 0; j < variants.length; j++) {
        const i = (j + r) % variants.length;
        variants[i].configure();
        run(layer);
        const reps = Math.max(1, Math.round(timeMs / steps.length / rounds / variants.length / Math.max(perCall[i], 1e-3)));
        for (let k = 0; k < reps; k++) {
          samples[i].push(time(() => run(layer)));
          await yieldToEventLoop(); // a prefill takes up to a few hundred ms: Ctrl-C must not wait for the whole step
          if (shouldStop()) return results; // the steps finished so far
        }
      }
    }
    variants.forEach((v, i) => results.push({
      preset, weights, variant: v.name, threads: v.threads, step: s.step, tokens: s.tokens,
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
