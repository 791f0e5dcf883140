// Float64 reference implementations: the definitions the kernels are checked against.

export function rmsNormRef(x: ArrayLike<number>, w: ArrayLike<number>, rows: number, dim: number, eps: number, gemma: boolean): Float64Array {
  const y = new Float64Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let i = 0; i < dim; i++) ss += x[r * dim + i] ** 2;
    const inv = 1 / Math.sqrt(ss / dim + eps);
    for (let i = 0; i < dim; i++) y[r * dim + i] = x[r * dim + i] * inv * (gemma ? 1 + w[i] : w[i]);
  }
  return y;
}

export function ropeRef(x: ArrayLike<number>, seqLen: number, heads: number, headDim: number, positions: ArrayLike<number>,
    base: number, style: "neox" | "interleaved"): Float64Array {
  const y = Float64Array.from(x);
  const half = headDim / 2;
  for (let t = 0; t < seqLen; t++) {
    for (let h = 0; h < heads; h++) {
      const o = (t * heads + h) * headDim;
      for (let i = 0; i < half; i++) {
        const angle = positions[t] * Math.pow(base, (-2 * i) / headDim);
        const c = Math.cos(angle), s = Math.sin(angle);
        const ia = style === "neox" ? o + i : o + 2 * i;
        const ib = style === "neox" ? ia + half : ia + 1;
        const a = x[ia], b = x[ib];
        y[ia] = a * c - b * s;
        y[ib] = b * c + a * s;
      }
    }
  }
  return y;
}

export function softmaxRef(x: ArrayLike<number>, rows: number, n: number): Float64Array {
  const y = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let i = 0; i < n; i++) m = Math.max(m, x[r * n + i]);
    let sum = 0;
    for (let i = 0; i < n; i++) sum += Math.exp(x[r * n + i] - m);
    for (let i = 0; i < n; i++) y[r * n + i] = Math.exp(x[r * n + i] - m) / sum;
  }
  return y;
}

export interface AttnShape {
  seqLen: number;
  kvLen: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  causal: boolean;
  scale: number;
}

export function attentionRef(q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, s: AttnShape): Float64Array {
  const { seqLen, kvLen, heads, kvHeads, headDim, causal, scale } = s;
  const out = new Float64Array(seqLen * heads * headDim);
  const group = heads / kvHeads;
  for (let i = 0; i < seqLen; i++) {
    for (let h = 0; h < heads; h++) {
      const kh = Math.floor(h / group);
      const n = causal ? kvLen - seqLen + i + 1 : kvLen;
      const scores = new Float64Array(n);
      let m = -Infinity;
      for (let j = 0; j < n; j++) {
        let d = 0;
        for (let e = 0; e < headDim; e++) d += q[(i * heads + h) * headDim + e] * k[(j * kvHeads + kh) * headDim + e];
        scores[j] = d * scale;
        m = Math.max(m, scores[j]);
      }
      let sum = 0;
      for (let j = 0; j < n; j++) { scores[j] = Math.exp(scores[j] - m); sum += scores[j]; }
      for (let e = 0; e < headDim; e++) {
        let acc = 0;
        for (let j = 0; j < n; j++) acc += scores[j] * v[(j * kvHeads + kh) * headDim + e];
        out[(i * heads + h) * headDim + e] = acc / sum;
      }
    }
  }
  return out;
}

/** out[b][o] = sum_k w[o][k] x[b][k], and the sum of |terms| per output (for error bounds). */
export function matmulRef(w: ArrayLike<number>, x: ArrayLike<number>, batch: number, inDim: number, outDim: number) {
  const out = new Float64Array(batch * outDim);
  const mag = new Float64Array(batch * outDim);
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < outDim; o++) {
      let acc = 0, m = 0;
      for (let kk = 0; kk < inDim; kk++) {
        const t = w[o * inDim + kk] * x[b * inDim + kk];
        acc += t;
        m += Math.abs(t);
      }
      out[b * outDim + o] = acc;
      mag[b * outDim + o] = m;
    }
  }
  return { out, mag };
}
