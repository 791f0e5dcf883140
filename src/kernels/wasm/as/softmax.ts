import { expv, hsum } from "./common";

// Numerically stable softmax over rows of n: out = exp(x - max) / sum.
// out may equal x. A row of all -inf has no defined softmax and gives NaN.

export function softmax(out: usize, x: usize, n: i32, rowStart: i32, rowEnd: i32): void {
  const rowBytes = <usize>n << 2;
  for (let r = rowStart; r < rowEnd; r++) {
    const xr = x + <usize>r * rowBytes;
    const yr = out + <usize>r * rowBytes;
    let mv = f32x4.splat(-Infinity);
    let i = 0;
    for (; i + 4 <= n; i += 4) mv = f32x4.pmax(mv, v128.load(xr + (<usize>i << 2)));
    let m = max<f32>(max<f32>(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max<f32>(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
    for (; i < n; i++) m = max<f32>(m, load<f32>(xr + (<usize>i << 2)));
    const msplat = f32x4.splat(m);
    let acc = f32x4.splat(0);
    i = 0;
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const e = expv(f32x4.sub(v128.load(xr + o), msplat));
      v128.store(yr + o, e);
      acc = f32x4.add(acc, e);
    }
    let sum = hsum(acc);
    for (; i < n; i++) {
      const o = <usize>i << 2;
      const e = f32x4.extract_lane(expv(f32x4.splat(load<f32>(xr + o) - m)), 0);
      store<f32>(yr + o, e);
      sum += e;
    }
    const inv = f32x4.splat(<f32>1.0 / sum);
    i = 0;
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(yr + o, f32x4.mul(v128.load(yr + o), inv));
    }
    const invs = <f32>1.0 / sum;
    for (; i < n; i++) store<f32>(yr + (<usize>i << 2), load<f32>(yr + (<usize>i << 2)) * invs);
  }
}
