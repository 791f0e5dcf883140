import { expv, hsum4, madd } from "./common";

// What both attention kernels share: how query units are numbered, and the
// score and exponent passes for four units that share a KV head.

/** Unit u's row in a [seqLen, heads, headDim] tensor: u = head * seqLen + query. */
// @ts-ignore: decorator
@inline export function unitRow(base: usize, u: i32, seqLen: i32, tokBytes: usize, rowBytes: usize): usize {
  const h = u / seqLen;
  const i = u - h * seqLen;
  return base + <usize>i * tokBytes + <usize>h * rowBytes;
}

/** How many keys unit u sees: when causal, its query sits at position offset + (u % seqLen). */
// @ts-ignore: decorator
@inline export function keysSeen(u: i32, seqLen: i32, kvLen: i32, offset: i32, causal: i32): i32 {
  return causal != 0 ? offset + (u % seqLen) + 1 : kvLen;
}

/**
 * Scores of keys [j0, jEnd) for four query rows, two keys a pass (each query
 * load serves both: six loads per eight multiply-adds), stored transposed from
 * dst (row j - j0: the four units' scores for key j), -inf in the lanes whose
 * unit sees fewer keys than j + 1 (ends). rowBytes must be a multiple of 16.
 * Each score: the dot's four lane sums reduced in hsum's order, times scale.
 */
// @ts-ignore: decorator
@inline export function scoreRows4(q0: usize, q1: usize, q2: usize, q3: usize, k: usize, kvTok: usize, rowBytes: usize,
    j0: i32, jEnd: i32, ends: v128, scale: v128, dst: usize): void {
  const negInf = f32x4.splat(-Infinity);
  let j = j0;
  for (; j + 2 <= jEnd; j += 2) {
    const kr = k + <usize>j * kvTok, kr1 = kr + kvTok;
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
    for (let d: usize = 0; d < rowBytes; d += 16) {
      const ka = v128.load(kr + d), kc = v128.load(kr1 + d);
      let x = v128.load(q0 + d);
      a0 = madd(x, ka, a0); b0 = madd(x, kc, b0);
      x = v128.load(q1 + d);
      a1 = madd(x, ka, a1); b1 = madd(x, kc, b1);
      x = v128.load(q2 + d);
      a2 = madd(x, ka, a2); b2 = madd(x, kc, b2);
      x = v128.load(q3 + d);
      a3 = madd(x, ka, a3); b3 = madd(x, kc, b3);
    }
    const r = dst + (<usize>(j - j0) << 4);
    v128.store(r, v128.bitselect(f32x4.mul(hsum4(a0, a1, a2, a3), scale), negInf, i32x4.lt_s(i32x4.splat(j), ends)));
    v128.store(r, v128.bitselect(f32x4.mul(hsum4(b0, b1, b2, b3), scale), negInf, i32x4.lt_s(i32x4.splat(j + 1), ends)), 16);
  }
  if (j < jEnd) {
    const kr = k + <usize>j * kvTok;
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    for (let d: usize = 0; d < rowBytes; d += 16) {
      const kv = v128.load(kr + d);
      a0 = madd(v128.load(q0 + d), kv, a0);
      a1 = madd(v128.load(q1 + d), kv, a1);
      a2 = madd(v128.load(q2 + d), kv, a2);
      a3 = madd(v128.load(q3 + d), kv, a3);
    }
    v128.store(dst + (<usize>(j - j0) << 4), v128.bitselect(f32x4.mul(hsum4(a0, a1, a2, a3), scale), negInf, i32x4.lt_s(i32x4.splat(j), ends)));
  }
}

/**
 * Replaces rows [0, rows) of transposed scores at s (rows a multiple of 4) by
 * e^(score - m) and returns each unit's sum of them: four partial sums by key
 * mod 4, reduced as hsum reduces a lone unit's four lanes.
 */
// @ts-ignore: decorator
@inline export function expRows4(s: usize, rows: i32, m: v128): v128 {
  let e0 = f32x4.splat(0), e1 = f32x4.splat(0), e2 = f32x4.splat(0), e3 = f32x4.splat(0);
  for (let p = 0; p < rows; p += 4) {
    const r = s + (<usize>p << 4);
    const x0 = expv(f32x4.sub(v128.load(r), m));
    const x1 = expv(f32x4.sub(v128.load(r, 16), m));
    const x2 = expv(f32x4.sub(v128.load(r, 32), m));
    const x3 = expv(f32x4.sub(v128.load(r, 48), m));
    v128.store(r, x0); v128.store(r, x1, 16); v128.store(r, x2, 32); v128.store(r, x3, 48);
    e0 = f32x4.add(e0, x0); e1 = f32x4.add(e1, x1); e2 = f32x4.add(e2, x2); e3 = f32x4.add(e3, x3);
  }
  return f32x4.add(f32x4.add(e0, e2), f32x4.add(e1, e3));
}
