import { hsum, hsum4, madd } from "./common";

// out[b][o] = sum_k W[o][k] * x[b][k]   (ggml's weight-first layout)
//   W [outDim, inDim], x [batch, inDim], out [batch, outDim]
// Work unit: an output row o (a row of W), for every batch row.
//
// Every output is one f32x4 accumulator stepping 4 along k, reduced in hsum's
// order, plus the k % 4 tail added in order. The tiles below only decide how
// many such accumulators run side by side (and share loads), never the
// arithmetic of one, so any split of the o range gives the same bits.
// Cache blocking: a tile of 4 W rows stays in L1/L2 while every batch row
// streams past it, so W is read from memory once per call.

export function matmulF32(out: usize, w: usize, x: usize, batch: i32, inDim: i32, outDim: i32, oStart: i32, oEnd: i32): void {
  const rowBytes = <usize>inDim << 2;
  const outRow = <usize>outDim << 2;
  let o = oStart;
  if (batch == 1) {
    for (; o + 8 <= oEnd; o += 8) dot8(out + (<usize>o << 2), w + <usize>o * rowBytes, x, inDim, rowBytes);
  } else {
    for (; o + 4 <= oEnd; o += 4) {
      const wt = w + <usize>o * rowBytes;
      let b = 0;
      for (; b + 2 <= batch; b += 2) {
        dot4x2(out + <usize>b * outRow + (<usize>o << 2), outRow, wt, x + <usize>b * rowBytes, inDim, rowBytes);
      }
      for (; b < batch; b++) dot4(out + <usize>b * outRow + (<usize>o << 2), wt, x + <usize>b * rowBytes, inDim, rowBytes);
    }
  }
  for (; o + 4 <= oEnd; o += 4) {
    for (let b = 0; b < batch; b++) dot4(out + <usize>b * outRow + (<usize>o << 2), w + <usize>o * rowBytes, x + <usize>b * rowBytes, inDim, rowBytes);
  }
  for (; o < oEnd; o++) {
    for (let b = 0; b < batch; b++) {
      store<f32>(out + <usize>b * outRow + (<usize>o << 2), dot1(w + <usize>o * rowBytes, x + <usize>b * rowBytes, inDim));
    }
  }
}

// @ts-ignore: decorator
@inline function tail1(s: f32, wr: usize, xr: usize, k4: i32, inDim: i32): f32 {
  for (let k = k4; k < inDim; k++) s += load<f32>(wr + (<usize>k << 2)) * load<f32>(xr + (<usize>k << 2));
  return s;
}

/** Four dot products sharing x, with their k % 4 tails, as one vector. */
// @ts-ignore: decorator
@inline function finish4(a0: v128, a1: v128, a2: v128, a3: v128, w0: usize, rowBytes: usize, xr: usize, k4: i32, inDim: i32): v128 {
  let s = hsum4(a0, a1, a2, a3);
  for (let k = k4; k < inDim; k++) {
    const o = <usize>k << 2;
    const xk = load<f32>(xr + o);
    const p = w0 + o;
    s = f32x4.add(s, f32x4(load<f32>(p) * xk, load<f32>(p + rowBytes) * xk, load<f32>(p + 2 * rowBytes) * xk, load<f32>(p + 3 * rowBytes) * xk));
  }
  return s;
}

function dot1(wr: usize, xr: usize, inDim: i32): f32 {
  const k4 = inDim & ~3;
  let a = f32x4.splat(0);
  for (let k = 0; k < k4; k += 4) {
    const o = <usize>k << 2;
    a = madd(v128.load(wr + o), v128.load(xr + o), a);
  }
  return tail1(hsum(a), wr, xr, k4, inDim);
}

function dot4(dst: usize, w0: usize, xr: usize, inDim: i32, rowBytes: usize): void {
  const k4 = inDim & ~3;
  const w1 = w0 + rowBytes, w2 = w1 + rowBytes, w3 = w2 + rowBytes;
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  for (let k = 0; k < k4; k += 4) {
    const o = <usize>k << 2;
    const xv = v128.load(xr + o);
    a0 = madd(v128.load(w0 + o), xv, a0);
    a1 = madd(v128.load(w1 + o), xv, a1);
    a2 = madd(v128.load(w2 + o), xv, a2);
    a3 = madd(v128.load(w3 + o), xv, a3);
  }
  v128.store(dst, finish4(a0, a1, a2, a3, w0, rowBytes, xr, k4, inDim));
}

function dot8(dst: usize, w0: usize, xr: usize, inDim: i32, rowBytes: usize): void {
  const k4 = inDim & ~3;
  const w1 = w0 + rowBytes, w2 = w1 + rowBytes, w3 = w2 + rowBytes;
  const w4 = w3 + rowBytes, w5 = w4 + rowBytes, w6 = w5 + rowBytes, w7 = w6 + rowBytes;
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let a4 = f32x4.splat(0), a5 = f32x4.splat(0), a6 = f32x4.splat(0), a7 = f32x4.splat(0);
  for (let k = 0; k < k4; k += 4) {
    const o = <usize>k << 2;
    const xv = v128.load(xr + o);
    a0 = madd(v128.load(w0 + o), xv, a0);
    a1 = madd(v128.load(w1 + o), xv, a1);
    a2 = madd(v128.load(w2 + o), xv, a2);
    a3 = madd(v128.load(w3 + o), xv, a3);
    a4 = madd(v128.load(w4 + o), xv, a4);
    a5 = madd(v128.load(w5 + o), xv, a5);
    a6 = madd(v128.load(w6 + o), xv, a6);
    a7 = madd(v128.load(w7 + o), xv, a7);
  }
  v128.store(dst, finish4(a0, a1, a2, a3, w0, rowBytes, xr, k4, inDim));
  v128.store(dst, finish4(a4, a5, a6, a7, w4, rowBytes, xr, k4, inDim), 16);
}

/** Four W rows against two batch rows: eight accumulators, each load used twice or four times. */
function dot4x2(dst: usize, outRow: usize, w0: usize, x0: usize, inDim: i32, rowBytes: usize): void {
  const k4 = inDim & ~3;
  const w1 = w0 + rowBytes, w2 = w1 + rowBytes, w3 = w2 + rowBytes;
  const x1 = x0 + rowBytes;
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
  for (let k = 0; k < k4; k += 4) {
    const o = <usize>k << 2;
    const xa = v128.load(x0 + o), xb = v128.load(x1 + o);
    const v0 = v128.load(w0 + o), v1 = v128.load(w1 + o), v2 = v128.load(w2 + o), v3 = v128.load(w3 + o);
    a0 = madd(v0, xa, a0); b0 = madd(v0, xb, b0);
    a1 = madd(v1, xa, a1); b1 = madd(v1, xb, b1);
    a2 = madd(v2, xa, a2); b2 = madd(v2, xb, b2);
    a3 = madd(v3, xa, a3); b3 = madd(v3, xb, b3);
  }
  v128.store(dst, finish4(a0, a1, a2, a3, w0, rowBytes, x0, k4, inDim));
  v128.store(dst + outRow, finish4(b0, b1, b2, b3, w0, rowBytes, x1, k4, inDim));
}
