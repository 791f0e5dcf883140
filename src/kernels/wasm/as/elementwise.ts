import { expv } from "./common";

// Elementwise kernels over [start, end) of n floats. The last partial vector
// is loaded lane by lane and computed with the same vector code, so every
// element gets the same arithmetic whichever slice it falls in.
//
// One loop serves every op: each export passes its op as a constant, so after
// inlining the optimizer keeps only that op's arm (no branch in the loop).
// A new elementwise op is one constant, one arm in apply() and one export.

const ADD = 0, MUL = 1, GELU = 2, SILU = 3;

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

/** The op on one vector: unary ops read only a. */
// @ts-ignore: decorator
@inline function apply(op: i32, a: v128, b: v128): v128 {
  if (op == ADD) return f32x4.add(a, b);
  if (op == MUL) return f32x4.mul(a, b);
  if (op == GELU) {
    const x3 = f32x4.mul(f32x4.mul(a, a), a);
    return gateV(a, f32x4.mul(f32x4.splat(1.5957691216), f32x4.add(a, f32x4.mul(f32x4.splat(0.044715), x3))));
  }
  return gateV(a, a); // SILU
}

/** out[i] = op(a[i], b[i]) over [start, end); b is not read when `binary` is false. */
// @ts-ignore: decorator
@inline function map(op: i32, binary: bool, out: usize, a: usize, b: usize, start: i32, end: i32): void {
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, apply(op, v128.load(a + o), binary ? v128.load(b + o) : f32x4.splat(0)));
  }
  if (i < end) {
    const o = <usize>i << 2, n = end - i;
    storeTail(out + o, apply(op, loadTail(a + o, n), binary ? loadTail(b + o, n) : f32x4.splat(0)), n);
  }
}

export function add(out: usize, a: usize, b: usize, start: i32, end: i32): void { map(ADD, true, out, a, b, start, end); }
export function mul(out: usize, a: usize, b: usize, start: i32, end: i32): void { map(MUL, true, out, a, b, start, end); }
export function gelu(out: usize, x: usize, start: i32, end: i32): void { map(GELU, false, out, x, 0, start, end); }
export function silu(out: usize, x: usize, start: i32, end: i32): void { map(SILU, false, out, x, 0, start, end); }
