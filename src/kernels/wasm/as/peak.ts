import { madd } from "./common";

// Not a kernel of any op: the build's arithmetic peak on one thread, for
// `crossover bench` to set each kernel's GFLOP/s against. Twelve independent
// multiply-add chains per step keep the FP pipes full (a multiply then an add
// is 6-7 cycles of latency in SIMD128, two pipes each), 96 flops a step; fused
// in the relaxed build (as the kernels do).
// m and c come in as arguments: as constants the optimizer folds them into
// every multiply-add, and V8 rebuilds a v128 constant per use inside the loop.
export function peakF32(steps: i32, mul: f32, add: f32): f32 {
  const m = f32x4.splat(mul), c = f32x4.splat(add);
  let a0 = f32x4.splat(1), a1 = f32x4.splat(2), a2 = f32x4.splat(3), a3 = f32x4.splat(4);
  let a4 = f32x4.splat(5), a5 = f32x4.splat(6), a6 = f32x4.splat(7), a7 = f32x4.splat(8);
  let a8 = f32x4.splat(9), a9 = f32x4.splat(10), a10 = f32x4.splat(11), a11 = f32x4.splat(12);
  for (let i = 0; i < steps; i++) {
    a0 = madd(a0, m, c); a1 = madd(a1, m, c); a2 = madd(a2, m, c); a3 = madd(a3, m, c);
    a4 = madd(a4, m, c); a5 = madd(a5, m, c); a6 = madd(a6, m, c); a7 = madd(a7, m, c);
    a8 = madd(a8, m, c); a9 = madd(a9, m, c); a10 = madd(a10, m, c); a11 = madd(a11, m, c);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7))),
    f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11)));
  return f32x4.extract_lane(s, 0);
}
