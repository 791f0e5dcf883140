import { madd } from "./common";

// Rotary position embedding in place on x [seqLen, heads, headDim].
// Work unit: a row = one head of one token (row = token * heads + head).
// rowTable holds, per token, the byte address of its table row:
// [cos(half) | sin(half)] with half = headDim / 2 (built by the engine, so
// positions past the cached table cost nothing special here).
// neox pairs element i with i + half; interleaved pairs 2i with 2i + 1.

export function rope(x: usize, rowTable: usize, heads: i32, headDim: i32, interleaved: i32, rowStart: i32, rowEnd: i32): void {
  const half = headDim >> 1;
  const headBytes = <usize>headDim << 2;
  let r = rowStart;
  while (r < rowEnd) {
    const t = r / heads;
    const h0 = r - t * heads;
    const h1 = min<i32>(heads, rowEnd - t * heads);
    const cs = <usize>load<u32>(rowTable + (<usize>t << 2));
    const sn = cs + (<usize>half << 2);
    const base = x + <usize>t * <usize>heads * headBytes;
    if (interleaved != 0) ropeInterleaved(base, cs, sn, half, headBytes, h0, h1);
    else ropeNeox(base, cs, sn, half, headBytes, h0, h1);
    r = t * heads + h1;
  }
}

// @ts-ignore: decorator
@inline function ropeNeox(base: usize, cs: usize, sn: usize, half: i32, headBytes: usize, h0: i32, h1: i32): void {
  const hb = <usize>half << 2;
  let i = 0;
  // cos/sin are loaded once per vector and reused by every head of the token
  for (; i + 4 <= half; i += 4) {
    const o = <usize>i << 2;
    const c = v128.load(cs + o), s = v128.load(sn + o), ns = f32x4.neg(s);
    for (let h = h0; h < h1; h++) {
      const p = base + <usize>h * headBytes + o;
      const a = v128.load(p), b = v128.load(p + hb);
      // a*c - b*s and b*c + a*s: fused in the relaxed build (8 vector ops per 8 elements, not 10)
      v128.store(p, madd(a, c, f32x4.mul(b, ns)));
      v128.store(p + hb, madd(a, s, f32x4.mul(b, c)));
    }
  }
  for (; i < half; i++) {
    const o = <usize>i << 2;
    const c = load<f32>(cs + o), s = load<f32>(sn + o);
    for (let h = h0; h < h1; h++) {
      const p = base + <usize>h * headBytes + o;
      const a = load<f32>(p), b = load<f32>(p + hb);
      store<f32>(p, a * c - b * s);
      store<f32>(p + hb, b * c + a * s);
    }
  }
}

// @ts-ignore: decorator
@inline function ropeInterleaved(base: usize, cs: usize, sn: usize, half: i32, headBytes: usize, h0: i32, h1: i32): void {
  const signs = f32x4(-1.0, 1.0, -1.0, 1.0);
  let i = 0;
  // eight elements (four pairs) per step: two vectors share one load of cos and sin
  for (; i + 4 <= half; i += 4) {
    const o = <usize>i << 2;
    const c4 = v128.load(cs + o), s4 = v128.load(sn + o);
    const cLo = v128.shuffle<f32>(c4, c4, 0, 0, 1, 1), cHi = v128.shuffle<f32>(c4, c4, 2, 2, 3, 3);
    const sLo = f32x4.mul(v128.shuffle<f32>(s4, s4, 0, 0, 1, 1), signs);
    const sHi = f32x4.mul(v128.shuffle<f32>(s4, s4, 2, 2, 3, 3), signs);
    const xo = o << 1;
    for (let h = h0; h < h1; h++) {
      const p = base + <usize>h * headBytes + xo;
      const v = v128.load(p), u = v128.load(p, 16);
      v128.store(p, f32x4.add(f32x4.mul(v, cLo), f32x4.mul(v128.shuffle<f32>(v, v, 1, 0, 3, 2), sLo)));
      v128.store(p, f32x4.add(f32x4.mul(u, cHi), f32x4.mul(v128.shuffle<f32>(u, u, 1, 0, 3, 2), sHi)), 16);
    }
  }
  for (; i + 2 <= half; i += 2) {
    const o = <usize>i << 2;
    // [c_i, c_i, c_i+1, c_i+1] and [-s_i, s_i, -s_i+1, s_i+1]
    const c2 = v128.load64_zero(cs + o);
    const s2 = v128.load64_zero(sn + o);
    const c = v128.shuffle<f32>(c2, c2, 0, 0, 1, 1);
    const s = f32x4.mul(v128.shuffle<f32>(s2, s2, 0, 0, 1, 1), signs);
    const xo = o << 1;
    for (let h = h0; h < h1; h++) {
      const p = base + <usize>h * headBytes + xo;
      const v = v128.load(p);
      const sw = v128.shuffle<f32>(v, v, 1, 0, 3, 2);
      v128.store(p, f32x4.add(f32x4.mul(v, c), f32x4.mul(sw, s)));
    }
  }
  for (; i < half; i++) {
    const o = <usize>i << 2;
    const c = load<f32>(cs + o), s = load<f32>(sn + o);
    for (let h = h0; h < h1; h++) {
      const p = base + <usize>h * headBytes + (o << 1);
      const a = load<f32>(p), b = load<f32>(p + 4);
      store<f32>(p, a * c + b * -s);
      store<f32>(p + 4, b * c + a * s);
    }
  }
}
