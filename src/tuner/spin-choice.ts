import { performance } from "node:perf_hooks";
import type { Engine } from "../engine/engine.js";
import { DecoderLayer } from "../model/layer.js";
import type { PresetName } from "../model/config.js";
import { mad, median } from "./stats.js";
import { yieldToEventLoop } from "./yield.js";
import { LIMITS } from "../results/limits.js";
import { fmtPercent } from "../format.js";

export interface SpinChoice {
  chosen: number;
  candidates: { spinMicros: number; medianMs: number; madMs: number }[];
  reason: string;
}

/**
 * The spin window that serves a decode loop best: each step is one token
 * through the layer (512 cached) followed by the caller's own work between
 * tokens (a softmax over 32000 logits, as sampling would do). Too short a
 * window and every step pays the workers' wake-up; longer than needed burns
 * CPU while idle. Picks the shortest window within 3% of the fastest.
 */
export async function chooseSpin(engine: Engine, preset: PresetName, candidates: readonly number[], timeMs: number): Promise<SpinChoice> {
  const layer = new DecoderLayer(engine, { config: preset, weights: "q8_0", seed: 3, maxSeqLen: 513, maxBatch: 1 });
  const token = new Float32Array(layer.config.hidden).fill(0.1);
  const logits = engine.f32(32000).fill(0.5), probs = engine.f32(32000);
  const before = engine.spinMicros;
  layer.fillCache(512);
  const step = () => {
    layer.rewind(512);
    layer.decode(token);
    engine.softmax(probs, logits, { rows: 1, n: 32000 });
  };
  try {
    const samples: number[][] = candidates.map(() => []);
    const rounds = 3;
    for (let r = 0; r < rounds; r++) {
      for (let j = 0; j < candidates.length; j++) {
        const i = (j + r) % candidates.length;
        engine.spinMicros = candidates[i];
        step();
        const end = performance.now() + timeMs / rounds / candidates.length;
        // time whole steps: the gap's wake-up cost lands in the next step
        while (performance.now() < end) {
          const t0 = performance.now();
          step();
          samples[i].push(performance.now() - t0);
        }
        await yieldToEventLoop();
      }
    }
    const rows = candidates.map((spinMicros, i) => ({ spinMicros, medianMs: median(samples[i]), madMs: mad(samples[i]) }));
    const best = Math.min(...rows.map((r) => r.medianMs));
    const chosen = rows.filter((r) => r.medianMs <= best * (1 + LIMITS.spinTolerance)).sort((a, b) => a.spinMicros - b.spinMicros)[0];
    return {
      chosen: chosen.spinMicros,
      candidates: rows,
      reason: `shortest window whose decode step (${preset}, 512 cached, then a 32000-logit softmax) is within ${fmtPercent(LIMITS.spinTolerance)} of the fastest ` +
        `(${chosen.medianMs.toFixed(3)} ms vs best ${best.toFixed(3)} ms)`,
    };
  } finally {
    engine.spinMicros = before;
    engine.free(logits);
    engine.free(probs);
    layer.dispose();
  }
}
