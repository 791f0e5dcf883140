// The public API of crossover.
export { createEngine, Engine, DEFAULT_MAX_MEMORY, type EngineOptions } from "./engine/engine.js";
export type { Q8Tensor } from "./engine/q8-tensor.js";
export type { RmsNormShape } from "./engine/ops/rms-norm.js";
export type { QkNormShape } from "./engine/ops/qk-norm.js";
export type { RopeShape } from "./engine/ops/rope.js";
export type { SoftmaxShape } from "./engine/ops/softmax.js";
export type { AttentionShape } from "./engine/ops/attention.js";
export type { MatmulShape } from "./engine/ops/matmul.js";
export { quantizeQ8, dequantizeQ8, q8Bytes } from "./kernels/q8.js";
export { f16ToF32, f32ToF16 } from "./kernels/f16.js";
export type { Kernels, BackendName } from "./kernels/types.js";
export { DecoderLayer, type LayerOptions } from "./model/layer.js";
export { PRESETS, type LayerConfig, type PresetName } from "./model/config.js";
export type { LayerWeights, WeightType } from "./model/weights.js";
export type { EngineHealth } from "./engine/engine.js";
export type { Policy, Decision } from "./engine/policy.js";
export type { PlanOp } from "./engine/plan-work.js";
export type { Profile, LoadedProfile, ProfileOp, OpRule, WorkRange, Fingerprint } from "./engine/profile/types.js";
