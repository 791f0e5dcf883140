import { madd } from "./common";

// RMSNorm over rows: y = x / sqrt(mean(x^2) + eps) * w  (Gemma: * (1 + w)).
// Used for both the model's RMSNorm (rows = tokens) and per-head Q/K norm
// (rows = tokens * heads, dim = headDim). The sum of squares is accumulated in
// f64 (as ggml does) over chunks of 256 summed in f32, so long rows lose no
// precision. out may equal x.

// @ts-ignore: decorator
@inline function sumSquares(xr: usize, dim: i32): f64 {
  let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
  let i = 0;
  // chunks of 256: squares summed in eight f32x4 accumulators (8 terms a lane: a relative error near 1e-7), each
  // chunk's sum then added in f64, so long rows lose nothing (fused multiply-adds in the relaxed build); one
  // promotion per 256 values instead of per 64:
  // 1x4096 703 -> 633 ns (A/B of the two modules in one process, Node 20)
  for (; i + 256 <= dim; i += 256) {
    const p = xr + (<usize>i << 2);
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    let s4 = f32x4.splat(0), s5 = f32x4.splat(0), s6 = f32x4.splat(0), s7 = f32x4.splat(0);
    for (let j: usize = 0; j < 1024; j += 128) {
      const u0 = v128.load(p + j), u1 = v128.load(p + j, 16), u2 = v128.load(p + j, 32), u3 = v128.load(p + j, 48);
      const u4 = v128.load(p + j, 64), u5 = v128.load(p + j, 80), u6 = v128.load(p + j, 96), u7 = v128.load(p + j, 112);
      s0 = madd(u0, u0, s0);
      s1 = madd(u1, u1, s1);
      s2 = madd(u2, u2, s2);
      s3 = madd(u3, u3, s3);
      s4 = madd(u4, u4, s4);
      s5 = madd(u5, u5, s5);
      s6 = madd(u6, u6, s6);
      s7 = madd(u7, u7, s7);
    }
    s0 = f32x4.add(s0, s4);
    s1 = f32x4.add(s1, s5);
    s2 = f32x4.add(s2, s6);
    s3 = f32x4.add(s3, s7);
    a0 = f64x2.add(a0, f64x2.add(f64x2.promote_low_f32x4(s0), f64x2.promote_low_f32x4(s1)));
    a1 = f64x2.add(a1, f64x2.add(f64x2.promote_low_f32x4(v128.shuffle<f32>(s0, s0, 2, 3, 2, 3)), f64x2.promote_low_f32x4(v128.shuffle<f32>(s1, s1, 2, 3, 2, 3))));
    a2 = f64x2.add(a2, f64x2.add(f64x2.promote_low_f32x4(s2), f64x2.promote_low_f32x4(s3)));
    a3 = f64x2.add(a3, f64x2.add(f64x2.promote_low_f32x4(v128.shuffle<f32>(s2, s2, 2, 3, 2, 3)), f64x2.promote_low_f32x4(v128.shuffle<f32>(s3, s3, 2, 3, 2, 3))));
  }
  for (; i + 8 <= dim; i += 8) {
    const p = xr + (<usize>i << 2);
    const u = v128.load(p);
    const v = v128.load(p, 16);
    const u0 = f64x2.promote_low_f32x4(u), u1 = f64x2.promote_low_f32x4(v128.shuffle<f32>(u, u, 2, 3, 2, 3));
    const v0 = f64x2.promote_low_f32x4(v), v1 = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
    a0 = f64x2.add(a0, f64x2.mul(u0, u0));
    a1 = f64x2.add(a1, f64x2.mul(u1, u1));
    a2 = f64x2.add(a2, f64x2.mul(v0, v0));
    a3 = f64x2.add(a3, f64x2.mul(v1, v1));
  }
  const s = f64x2.add(f64x2.add(a0, a1), f64x2.add(a2, a3));
  let ss = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; i < dim; i++) {
    const e = <f64>load<f32>(xr + (<usize>i << 2));
    ss += e * e;
  }
  return ss;
}

export function rmsNorm(out: usize, x: usize, w: usize, dim: i32, eps: f32, gemma: i32, rowStart: i32, rowEnd: i32): void {
  const rowBytes = <usize>dim << 2;
  const one = f32x4.splat(gemma != 0 ? 1.0 : 0.0);
  const oneS: f32 = gemma != 0 ? 1.0 : 0.0;
  for (let r = rowStart; r < rowEnd; r++) {
    const xr = x + <usize>r * rowBytes;
    const yr = out + <usize>r * rowBytes;
    const inv = <f32>(1.0 / Math.sqrt(sumSquares(xr, dim) / <f64>dim + <f64>eps));
    const vinv = f32x4.splat(inv);
    let i = 0;
    if (gemma != 0) {
      for (; i + 4 <= dim; i += 4) {
        const o = <usize>i << 2;
        v128.store(yr + o, f32x4.mul(f32x4.mul(v128.load(xr + o), vinv), f32x4.add(v128.load(w + o), one)));
      }
    } else {
      // the same products without adding a zero: (x * inv) * w
      for (; i + 16 <= dim; i += 16) {
        const o = <usize>i << 2;
        const x0 = v128.load(xr + o), x1 = v128.load(xr + o, 16), x2 = v128.load(xr + o, 32), x3 = v128.load(xr + o, 48);
        const w0 = v128.load(w + o), w1 = v128.load(w + o, 16), w2 = v128.load(w + o, 32), w3 = v128.load(w + o, 48);
        v128.store(yr + o, f32x4.mul(f32x4.mul(x0, vinv), w0));
        v128.store(yr + o, f32x4.mul(f32x4.mul(x1, vinv), w1), 16);
        v128.store(yr + o, f32x4.mul(f32x4.mul(x2, vinv), w2), 32);
        v128.store(yr + o, f32x4.mul(f32x4.mul(x3, vinv), w3), 48);
      }
      for (; i + 4 <= dim; i += 4) {
        const o = <usize>i << 2;
        v128.store(yr + o, f32x4.mul(f32x4.mul(v128.load(xr + o), vinv), v128.load(w + o)));
      }
    }
    for (; i < dim; i++) {
      const o = <usize>i << 2;
      store<f32>(yr + o, load<f32>(xr + o) * inv * (load<f32>(w + o) + oneS));
    }
  }
}
