import { expv } from "./common";

// Elementwise kernels over [start, end) of n floats. The last partial vector
// is loaded lane by lane and computed with the same vector code, so every
// element gets the same arithmetic whichever slice it falls in.

// @ts-ignore: decorator
@inline function loadTail(p: usize, n: i32): v128 {
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (n > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (n > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

// @ts-ignore: decorator
@inline function storeTail(p: usize, v: v128, n: i32): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/** x / (1 + e^-z): SiLU with z = x, GELU (tanh form) with z = 2 sqrt(2/pi) (x + 0.044715 x^3). */
// @ts-ignore: decorator
@inline function gateV(x: v128, z: v128): v128 {
  return f32x4.div(x, f32x4.add(f32x4.splat(1.0), expv(f32x4.neg(z))));
}

// @ts-ignore: decorator
@inline function geluV(x: v128): v128 {
  const x3 = f32x4.mul(f32x4.mul(x, x), x);
  const z = f32x4.mul(f32x4.splat(1.5957691216), f32x4.add(x, f32x4.mul(f32x4.splat(0.044715), x3)));
  return gateV(x, z);
}

export function add(out: usize, a: usize, b: usize, start: i32, end: i32): void {
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.add(v128.load(a + o), v128.load(b + o)));
  }
  if (i < end) {
    const o = <usize>i << 2;
    storeTail(out + o, f32x4.add(loadTail(a + o, end - i), loadTail(b + o, end - i)), end - i);
  }
}

export function mul(out: usize, a: usize, b: usize, start: i32, end: i32): void {
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  if (i < end) {
    const o = <usize>i << 2;
    storeTail(out + o, f32x4.mul(loadTail(a + o, end - i), loadTail(b + o, end - i)), end - i);
  }
}

export function gelu(out: usize, x: usize, start: i32, end: i32): void {
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, geluV(v128.load(x + o)));
  }
  if (i < end) {
    const o = <usize>i << 2;
    storeTail(out + o, geluV(loadTail(x + o, end - i)), end - i);
  }
}

export function silu(out: usize, x: usize, start: i32, end: i32): void {
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    v128.store(out + o, gateV(v, v));
  }
  if (i < end) {
    const o = <usize>i << 2;
    const v = loadTail(x + o, end - i);
    storeTail(out + o, gateV(v, v), end - i);
  }
}
