import { LIMITS } from "../results/limits.js";
import type { LayerBenchResult } from "../results/types.js";

/** The layer variants the proof compares the tuned profile with. */
export const PROOF_BASELINES = ["serial", "built-in defaults"] as const;

export interface LayerProof {
  /** The tuned profile lost clearly to serial or to the built-in defaults on some step. */
  loses: boolean;
  /** Each step where it lost, in words (empty when it did not). */
  losses: string[];
}

/** Whether the tuned profile ran the layer clearly slower than a baseline on any step. */
export function judgeLayer(layer: readonly LayerBenchResult[]): LayerProof {
  const losses: string[] = [];
  const steps = [...new Set(layer.map((l) => `${l.step} ${l.tokens}`))];
  for (const s of steps) {
    const rows = layer.filter((l) => `${l.step} ${l.tokens}` === s);
    const tuned = rows.find((r) => r.variant === "tuned profile");
    if (!tuned) continue;
    for (const name of PROOF_BASELINES) {
      const base = rows.find((r) => r.variant === name);
      if (!base) continue;
      const clear = tuned.medianMs > base.medianMs * (1 + LIMITS.clearLoss) && tuned.medianMs - tuned.madMs > base.medianMs + base.madMs;
      if (clear) {
        const what = s.startsWith("prefill") ? `prefill of ${tuned.tokens} tokens` : `decode at ${tuned.tokens} cached`;
        losses.push(`${what}: tuned ${tuned.medianMs.toFixed(2)} ms against ${name} ${base.medianMs.toFixed(2)} ms (${(tuned.medianMs / base.medianMs).toFixed(2)}x slower)`);
      }
    }
  }
  return { loses: losses.length > 0, losses };
}
