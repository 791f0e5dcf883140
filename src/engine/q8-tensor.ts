/** A Q8_0 weight matrix [rows, cols] whose bytes are in ggml's (and GGUF's) layout, in the engine's arena. */
export interface Q8Tensor {
  readonly rows: number;
  readonly cols: number;
  readonly bytes: Uint8Array;
}

export function isQ8Tensor(value: unknown): value is Q8Tensor {
  return typeof value === "object" && value !== null && (value as Q8Tensor).bytes instanceof Uint8Array &&
    typeof (value as Q8Tensor).rows === "number" && typeof (value as Q8Tensor).cols === "number";
}
