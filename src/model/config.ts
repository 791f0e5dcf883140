/** The shape of one decoder block. */
export interface LayerConfig {
  name: string;
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  ffn: number;
  activation: "gelu" | "silu";
  /** Per-head RMSNorm of Q and K before RoPE (Gemma 3, Qwen 3). */
  qkNorm: boolean;
  /** Gemma's RMSNorm scales by (1 + w). */
  gemmaNorm: boolean;
  ropeBase: number;
  eps: number;
}

/**
 * Blocks shaped like real models' (one layer each; sizes from their published
 * configs): a Gemma-3-270M-like block and a Llama-3.2-1B-like block.
 */
export const PRESETS = {
  "gemma-3-270m": {
    name: "gemma-3-270m", hidden: 640, heads: 4, kvHeads: 1, headDim: 256, ffn: 2048,
    activation: "gelu", qkNorm: true, gemmaNorm: true, ropeBase: 1_000_000, eps: 1e-6,
  },
  "llama-3.2-1b": {
    name: "llama-3.2-1b", hidden: 2048, heads: 32, kvHeads: 8, headDim: 64, ffn: 8192,
    activation: "silu", qkNorm: false, gemmaNorm: false, ropeBase: 500_000, eps: 1e-5,
  },
} as const satisfies Record<string, LayerConfig>;

export type PresetName = keyof typeof PRESETS;

/** Checks a config, naming the field that is wrong. */
export function checkConfig(c: LayerConfig): LayerConfig {
  if (typeof c !== "object" || c === null) {
    throw new TypeError(`layer config: expected a preset name (${Object.keys(PRESETS).join(", ")}) or a LayerConfig object, got ${c === null ? "null" : typeof c}`);
  }
  const ints: (keyof LayerConfig)[] = ["hidden", "heads", "kvHeads", "headDim", "ffn"];
  for (const k of ints) {
    const v = c[k];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw new RangeError(`layer config: ${k} must be an integer >= 1, got ${String(v)}`);
  }
  if (c.heads % c.kvHeads !== 0) throw new RangeError(`layer config: heads (${c.heads}) must be a multiple of kvHeads (${c.kvHeads})`);
  if (c.headDim % 2 !== 0) throw new RangeError(`layer config: headDim must be even for RoPE, got ${c.headDim}`);
  if (c.activation !== "gelu" && c.activation !== "silu") throw new RangeError(`layer config: activation must be "gelu" or "silu", got ${String(c.activation)}`);
  for (const k of ["qkNorm", "gemmaNorm"] as const) {
    if (typeof c[k] !== "boolean") throw new TypeError(`layer config: ${k} must be true or false, got ${JSON.stringify(c[k])}`);
  }
  if (typeof c.ropeBase !== "number" || !Number.isFinite(c.ropeBase) || c.ropeBase <= 1) {
    throw new RangeError(`layer config: ropeBase must be a finite number above 1 (e.g. 10000), got ${String(c.ropeBase)}`);
  }
  if (typeof c.eps !== "number" || !Number.isFinite(c.eps) || c.eps <= 0 || c.eps >= 1) {
    throw new RangeError(`layer config: eps must be a small positive number (e.g. 1e-6), got ${String(c.eps)}`);
  }
  return c;
}
