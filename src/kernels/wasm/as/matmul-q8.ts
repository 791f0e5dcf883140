import { f16ToF32, f32ToF16 } from "./common";

// Q8_0 (ggml): blocks of 32 weights, each an f16 scale then 32 int8, 34 bytes,
// row after row, so a GGUF Q8_0 tensor's bytes are used as they are.
//
// Activations are quantized per block the way ggml's reference does (d = amax/127,
// q = round-half-away(x / d), d stored as f16) into an unpacked form that the
// SIMD dot wants: the 32 values widened to i16 (64 bytes a block) and the f16
// scale already converted to f32 (4 bytes a block, in a separate array).
//
// A block's dot is exact in i32 (i32x4.dot_i16x8_s on the widened int8 weights);
// it is converted to f32, scaled by dw * dx and added to the output's f32
// accumulator, block after block. Four rows run in the four lanes of one
// vector; a lone row does the same arithmetic in scalar, so the result is the
// same whatever the tile or the split of the o range.
//
// The relaxed build has three forms, as type parameter T (the type the dot's
// second operand holds): i16, the SIMD128 build's widened dot, for runtimes
// whose i32x4.relaxed_dot_i8x16_i7x16_add_s saturates (x86 without VNNI in
// V8: pmaddubsw; Node 22 here: the relaxed dot ran 1.26x slower than SIMD128's);
// i8, |x| with x's sign moved onto the weight (two extra ops per 16 products);
// and u8, x + 128 (x ^ 0x80), for runtimes whose dot reads a second operand
// of 128 and up as unsigned without saturating (x86 with VNNI: one vpdpbusd).
// int8DotForm tells which, and load.ts binds the exports to match. The u8
// form subtracts 128 * sum(w) per block: every form gives the same integers.

const QK: i32 = 32;
const BLOCK_BYTES: usize = 34;

/** Quantizes rows of x [rows, cols] (cols % 32 == 0). Returns how many blocks overflowed f16's scale range. */
export function quantizeRowsQ8(qx: usize, qd: usize, x: usize, cols: i32, rowStart: i32, rowEnd: i32): i32 {
  return quantizeRows<i8>(qx, qd, x, cols, rowStart, rowEnd);
}

/** quantizeRowsQ8 for matmulQ8U: x + 128 as bytes. */
export function quantizeRowsQ8U(qx: usize, qd: usize, x: usize, cols: i32, rowStart: i32, rowEnd: i32): i32 {
  return quantizeRows<u8>(qx, qd, x, cols, rowStart, rowEnd);
}

/** quantizeRowsQ8 for matmulQ8W: the SIMD128 build's widened activations. */
export function quantizeRowsQ8W(qx: usize, qd: usize, x: usize, cols: i32, rowStart: i32, rowEnd: i32): i32 {
  return quantizeRows<i16>(qx, qd, x, cols, rowStart, rowEnd);
}

/**
 * How this runtime's relaxed int8 dot treats a second operand of 128 and up
 * (a = 127, b = 255, bytes splatted into every lane): 2 as unsigned, without
 * saturating (the u8 form is exact), 1 as signed, exactly (sign transfer runs
 * natively), 0 otherwise (it saturates: the widened form); 0 in the SIMD128 build.
 */
export function int8DotForm(a: i32, b: i32): i32 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    // 127 * 255 four times: 129540 unsigned; -508 signed; pmaddubsw's i16 pairs saturate at 65534
    const big = i32x4.relaxed_dot_i8x16_i7x16_add_s(i8x16.splat(<i8>a), i8x16.splat(<i8>b), i32x4.splat(0));
    // -127 * 200 (or * -56): a negative first operand
    const neg = i32x4.relaxed_dot_i8x16_i7x16_add_s(i8x16.splat(<i8>-a), i8x16.splat(<i8>(b - 55)), i32x4.splat(0));
    if (i32x4.all_true(i32x4.eq(big, i32x4.splat(4 * a * b))) && i32x4.all_true(i32x4.eq(neg, i32x4.splat(-4 * a * (b - 55))))) return 2;
    const sb = <i32><i8>b, sn = <i32><i8>(b - 55);
    if (i32x4.all_true(i32x4.eq(big, i32x4.splat(4 * a * sb))) && i32x4.all_true(i32x4.eq(neg, i32x4.splat(-4 * a * sn)))) return 1;
  }
  return 0;
}

// @ts-ignore: decorator
@inline function quantizeRows<T>(qx: usize, qd: usize, x: usize, cols: i32, rowStart: i32, rowEnd: i32): i32 {
  const nb = cols / QK;
  let overflow = 0;
  for (let r = rowStart; r < rowEnd; r++) {
    for (let b = 0; b < nb; b++) {
      const blk = r * nb + b;
      const src = x + (<usize>blk << 7);
      const v0 = v128.load(src), v1 = v128.load(src, 16), v2 = v128.load(src, 32), v3 = v128.load(src, 48);
      const v4 = v128.load(src, 64), v5 = v128.load(src, 80), v6 = v128.load(src, 96), v7 = v128.load(src, 112);
      let m = f32x4.max(f32x4.max(f32x4.abs(v0), f32x4.abs(v1)), f32x4.max(f32x4.abs(v2), f32x4.abs(v3)));
      m = f32x4.max(m, f32x4.max(f32x4.max(f32x4.abs(v4), f32x4.abs(v5)), f32x4.max(f32x4.abs(v6), f32x4.abs(v7))));
      const amax = max<f32>(max<f32>(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), max<f32>(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
      const d: f32 = amax / 127.0;
      const h = f32ToF16(d);
      // a scale that rounds to f16 zero makes the whole block zero (as the JS quantizer does)
      const id: f32 = d != 0 && h != 0 ? <f32>1.0 / d : 0;
      if ((h & 0x7c00) == 0x7c00) overflow++;
      store<f32>(qd + (<usize>blk << 2), f16ToF32(h));
      const vid = f32x4.splat(id);
      const dst = qx + (<usize>blk << 6);
      const q01 = i16x8.narrow_i32x4_s(roundHalfAway(v0, vid), roundHalfAway(v1, vid));
      const q23 = i16x8.narrow_i32x4_s(roundHalfAway(v2, vid), roundHalfAway(v3, vid));
      const q45 = i16x8.narrow_i32x4_s(roundHalfAway(v4, vid), roundHalfAway(v5, vid));
      const q67 = i16x8.narrow_i32x4_s(roundHalfAway(v6, vid), roundHalfAway(v7, vid));
      if (unsignedForm<T>()) {
        // q + 128 as unsigned bytes, then |q| for dot8 (which gets q's sign from q + 128)
        const lo = i8x16.narrow_i16x8_s(q01, q23), hi = i8x16.narrow_i16x8_s(q45, q67);
        v128.store(dst, v128.xor(lo, i8x16.splat(-128)));
        v128.store(dst, v128.xor(hi, i8x16.splat(-128)), 16);
        v128.store(dst, i8x16.abs(lo), 32);
        v128.store(dst, i8x16.abs(hi), 48);
      } else if (signTransferForm<T>()) {
        // |q| as 7-bit values (0..127), then the sign of q as a byte mask: the int8 dot's unsigned operand and
        // what turns each weight's sign (sign transfer, as ggml's maddubs path does)
        const lo = i8x16.narrow_i16x8_s(q01, q23), hi = i8x16.narrow_i16x8_s(q45, q67);
        v128.store(dst, i8x16.abs(lo));
        v128.store(dst, i8x16.abs(hi), 16);
        v128.store(dst, i8x16.lt_s(lo, i8x16.splat(0)), 32);
        v128.store(dst, i8x16.lt_s(hi, i8x16.splat(0)), 48);
      } else {
        v128.store(dst, q01);
        v128.store(dst, q23, 16);
        v128.store(dst, q45, 32);
        v128.store(dst, q67, 48);
      }
    }
  }
  return overflow;
}

/** C's roundf (ties away from zero) of v * id, as i32 lanes. */
// @ts-ignore: decorator
@inline function roundHalfAway(v: v128, id: v128): v128 {
  const y = f32x4.mul(v, id);
  const t = f32x4.trunc(y);
  const frac = f32x4.abs(f32x4.sub(y, t));
  const away = v128.and(f32x4.ge(frac, f32x4.splat(0.5)), v128.or(v128.and(y, f32x4.splat(-0.0)), f32x4.splat(1.0)));
  // |q| <= 127 except when 1/d overflowed (amax below ~1e-38); the clamp keeps
  // those lanes in range, and their f16 scale is 0 so they add nothing
  const q = i32x4.trunc_sat_f32x4_s(f32x4.add(t, away));
  return i32x4.max_s(i32x4.min_s(q, i32x4.splat(127)), i32x4.splat(-127));
}

/**
 * A block's 32 products, as four i32 lanes whose sum is the exact block dot.
 * SIMD128: x0..x3 are the activations widened to i16. Relaxed SIMD: x0, x1 are
 * |x| and x2, x3 the sign masks of x (quantizeRowsQ8 writes that layout in
 * that build); each weight takes x's sign ((w ^ m) - m), and the int8 dot
 * multiplies it by |x|, which fits its 7-bit operand. Weights are within
 * +-127 as ggml's quantizer writes them (a -128 would wrap when negated), so
 * both builds give the same integers, and the same bits.
 */
// @ts-ignore: decorator
@inline function blockDot<T>(wq: usize, x0: v128, x1: v128, x2: v128, x3: v128): v128 {
  if (unsignedForm<T>()) {
    // sum(w * (x + 128)); the caller subtracts 128 * sum(w) (rowGroupBlocks, bias1)
    return i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.load(wq, 16), x1, i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.load(wq), x0, i32x4.splat(0)));
  }
  if (signTransferForm<T>()) {
    const w0 = v128.load(wq), w1 = v128.load(wq, 16);
    const s0 = i32x4.relaxed_dot_i8x16_i7x16_add_s(i8x16.sub(v128.xor(w0, x2), x2), x0, i32x4.splat(0));
    return i32x4.relaxed_dot_i8x16_i7x16_add_s(i8x16.sub(v128.xor(w1, x3), x3), x1, s0);
  }
  // 8 int8 weights sign-extended to i16 per load, times the widened activations: exact in i32
  let s = i32x4.dot_i16x8_s(v128.load8x8_s(wq), x0);
  s = i32x4.add(s, i32x4.dot_i16x8_s(v128.load8x8_s(wq, 8), x1));
  s = i32x4.add(s, i32x4.dot_i16x8_s(v128.load8x8_s(wq, 16), x2));
  return i32x4.add(s, i32x4.dot_i16x8_s(v128.load8x8_s(wq, 24), x3));
}

/** Bytes per block of a row group's scratch (rowGroupBlocks): 16 scales, 16 bias, 32 the bias by pairs, 128 packed weights. */
const GROUP_BLOCK: i32 = 192;

/** What the engine must allocate per thread for matmulQ8's scratch, for rows of inDim (a test compares). */
export function q8RowGroupBytes(inDim: i32): i32 {
  return (inDim / QK) * GROUP_BLOCK;
}

/**
 * What every activation tile of four weight rows needs per block, worked out
 * once for all of them into `to` (GROUP_BLOCK bytes a block; per thread): the
 * four rows' f32 scales; in the u8 form what blockDot adds to their blocks
 * (lane r: 128 * the sum of row r's block), that bias again as the packed
 * tile starts from it, and the four rows' weights packed by pairs (packPair).
 */
function rowGroupBlocks<T>(to: usize, w0: usize, rowBytes: usize, nb: i32): void {
  const k = loopConsts(nb >>> 31), c = biasOperand(k);
  for (let b = 0; b < nb; b++) {
    const wb = w0 + <usize>b * BLOCK_BYTES;
    const at = to + <usize>b * GROUP_BLOCK;
    v128.store(at, weightScales4(wb, rowBytes, k));
    if (unsignedForm<T>()) {
      const bias = isum4(bias1(wb + 2, c), bias1(wb + rowBytes + 2, c), bias1(wb + 2 * rowBytes + 2, c), bias1(wb + 3 * rowBytes + 2, c));
      v128.store(at, bias, 16);
      // -bias of rows 0, 1 (2, 3) in lanes 0 and 2: where packed dots of the pair sum row 0 (2) and row 1 (3)
      const neg = i32x4.sub(i32x4.splat(0), bias), z = i32x4.splat(0);
      v128.store(at, v128.shuffle<i32>(neg, z, 0, 4, 1, 4), 32);
      v128.store(at, v128.shuffle<i32>(neg, z, 2, 4, 3, 4), 48);
      packPair(at + 64, wb + 2, rowBytes);
      packPair(at + 128, wb + 2 * rowBytes + 2, rowBytes);
    }
  }
}

/**
 * Two rows' 32 weights (at src and src + rowBytes) as four vectors, vector q
 * holding bytes 8q..8q+7 of the first row then of the second: an int8 dot of
 * vector q with activation bytes 8q..8q+7 in both halves sums the first row's
 * products in lanes 0-1 and the second's in lanes 2-3.
 */
// @ts-ignore: decorator
@inline function packPair(dst: usize, src: usize, rowBytes: usize): void {
  const a0 = v128.load(src), a1 = v128.load(src, 16), b0 = v128.load(src + rowBytes), b1 = v128.load(src + rowBytes, 16);
  v128.store(dst, v128.shuffle<i64>(a0, b0, 0, 2));
  v128.store(dst, v128.shuffle<i64>(a0, b0, 1, 3), 16);
  v128.store(dst, v128.shuffle<i64>(a1, b1, 0, 2), 32);
  v128.store(dst, v128.shuffle<i64>(a1, b1, 1, 3), 48);
}

/** Block b's four weight scales from rowGroupBlocks. */
// @ts-ignore: decorator
@inline function scalesAt(group: usize, b: i32): v128 {
  return v128.load(group + <usize>b * GROUP_BLOCK);
}

/** Block b's bias from rowGroupBlocks (0 in the i8 form, which has none). */
// @ts-ignore: decorator
@inline function biasAt<T>(group: usize, b: i32): v128 {
  if (unsignedForm<T>()) return v128.load(group + <usize>b * GROUP_BLOCK, 16);
  return i32x4.splat(0);
}

// @ts-ignore: decorator
@inline function bias1(wq: usize, c: v128): v128 {
  return i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.load(wq, 16), c, i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.load(wq), c, i32x4.splat(0)));
}

/** Whether T names the u8 form (in the relaxed build). */
// @ts-ignore: decorator
@inline function unsignedForm<T>(): bool {
  return ASC_FEATURE_RELAXED_SIMD && !isSigned<T>();
}

/** Whether T names the widened form: the SIMD128 build, or i16 in the relaxed build. */
// @ts-ignore: decorator
@inline function widenedForm<T>(): bool {
  return !ASC_FEATURE_RELAXED_SIMD || sizeof<T>() == 2;
}

/** Whether T names the sign-transfer form (i8, in the relaxed build); i16 and the SIMD128 build widen. */
// @ts-ignore: decorator
@inline function signTransferForm<T>(): bool {
  return ASC_FEATURE_RELAXED_SIMD && isSigned<T>() && sizeof<T>() == 1;
}

/** Four rows' exact block dots (lane r: row r), the u8 form's bias taken off. */
// @ts-ignore: decorator
@inline function rowDots4<T>(wb: usize, rowBytes: usize, x0: v128, x1: v128, x2: v128, x3: v128, bias: v128): v128 {
  const sums = isum4(blockDot<T>(wb + 2, x0, x1, x2, x3), blockDot<T>(wb + rowBytes + 2, x0, x1, x2, x3),
    blockDot<T>(wb + 2 * rowBytes + 2, x0, x1, x2, x3), blockDot<T>(wb + 3 * rowBytes + 2, x0, x1, x2, x3));
  if (unsignedForm<T>()) return i32x4.sub(sums, bias);
  return sums;
}

/** An activation block's vectors as blockDot<T> takes them: two in the u8 form, the others zeros (not loads: wasm keeps an unused load, as it may trap). */
// @ts-ignore: decorator
@inline function xVec<T>(xb: usize, i: i32): v128 {
  if (unsignedForm<T>() && i >= 2) return i32x4.splat(0);
  if (i == 0) return v128.load(xb);
  if (i == 1) return v128.load(xb, 16);
  if (i == 2) return v128.load(xb, 32);
  return v128.load(xb, 48);
}

/** Lane r = the sum of the four lanes of dr (integers: exact in any order). */
// @ts-ignore: decorator
@inline function isum4(d0: v128, d1: v128, d2: v128, d3: v128): v128 {
  const t01 = i32x4.add(v128.shuffle<i32>(d0, d1, 0, 4, 1, 5), v128.shuffle<i32>(d0, d1, 2, 6, 3, 7));
  const t23 = i32x4.add(v128.shuffle<i32>(d2, d3, 0, 4, 1, 5), v128.shuffle<i32>(d2, d3, 2, 6, 3, 7));
  return i32x4.add(v128.shuffle<i32>(t01, t23, 0, 1, 4, 5), v128.shuffle<i32>(t01, t23, 2, 3, 6, 7));
}

/**
 * The block loops' vector constants in one vector, made from `zero` (0, from
 * an argument's value, which no optimizer folds) before the loop: V8 rebuilds
 * a v128.const at every use inside a loop (three instructions), a lane of
 * this, splat, is one. Lane 3 is 128 in every byte, the u8 form's bias operand.
 */
// @ts-ignore: decorator
@inline function loopConsts(zero: i32): v128 {
  let k = i32x4.splat(0x77800000 | zero); // 2^112: f32's exponent bias less f16's
  k = i32x4.replace_lane(k, 1, 0x0f7fffff | zero); // (h & 0x7fff) << 13 above this: f16 inf or NaN
  k = i32x4.replace_lane(k, 2, 0x7f800000 | zero); // f32's inf exponent
  return i32x4.replace_lane(k, 3, 0x80808080 | zero);
}

// @ts-ignore: decorator
@inline function biasOperand(k: v128): v128 {
  return v128.shuffle<i32>(k, k, 3, 3, 3, 3);
}

/** The f16 scales of four rows' blocks at once, converted exactly (as f16ToF32 does) and times dx. */
// @ts-ignore: decorator
@inline function scales4(wb: usize, rowBytes: usize, dx: f32, k: v128): v128 {
  return f32x4.mul(weightScales4(wb, rowBytes, k), f32x4.splat(dx));
}

/** The four rows' f16 block scales as f32, exactly (k: loopConsts). */
// @ts-ignore: decorator
@inline function weightScales4(wb: usize, rowBytes: usize, k: v128): v128 {
  let h = v128.load16_lane(wb, i32x4.splat(0), 0);
  h = v128.load16_lane(wb + rowBytes, h, 2);
  h = v128.load16_lane(wb + 2 * rowBytes, h, 4);
  h = v128.load16_lane(wb + 3 * rowBytes, h, 6);
  // exponent and mantissa moved to f32's place (the lanes' upper halves are 0, so << 17 drops the sign)
  const em = i32x4.shr_u(i32x4.shl(h, 17), 4);
  const sign = i32x4.shl(i32x4.shr_u(h, 15), 31);
  const mag = f32x4.mul(em, v128.shuffle<i32>(k, k, 0, 0, 0, 0));
  const special = v128.or(em, v128.shuffle<i32>(k, k, 2, 2, 2, 2));
  return v128.or(v128.bitselect(special, mag, i32x4.gt_s(em, v128.shuffle<i32>(k, k, 1, 1, 1, 1))), sign);
}

export function matmulQ8(out: usize, w: usize, qx: usize, qd: usize, batch: i32, inDim: i32, outDim: i32, scratch: usize, oStart: i32, oEnd: i32): void {
  matmul<i8>(out, w, qx, qd, batch, inDim, outDim, scratch, oStart, oEnd);
}

/** matmulQ8 over quantizeRowsQ8W's activations. */
export function matmulQ8W(out: usize, w: usize, qx: usize, qd: usize, batch: i32, inDim: i32, outDim: i32, scratch: usize, oStart: i32, oEnd: i32): void {
  matmul<i16>(out, w, qx, qd, batch, inDim, outDim, scratch, oStart, oEnd);
}

/** matmulQ8 over quantizeRowsQ8U's activations (only where int8DotForm says 2). */
export function matmulQ8U(out: usize, w: usize, qx: usize, qd: usize, batch: i32, inDim: i32, outDim: i32, scratch: usize, oStart: i32, oEnd: i32): void {
  matmul<u8>(out, w, qx, qd, batch, inDim, outDim, scratch, oStart, oEnd);
}

// @ts-ignore: decorator
@inline function matmul<T>(out: usize, w: usize, qx: usize, qd: usize, batch: i32, inDim: i32, outDim: i32, scratch: usize, oStart: i32, oEnd: i32): void {
  const nb = inDim / QK;
  const rowBytes = <usize>nb * BLOCK_BYTES;
  const outRow = <usize>outDim << 2;
  let o = oStart;
  if (batch == 1) {
    if (widenedForm<T>()) {
      // one row at a time would cost the widened dot 1.36x the operations: 1.19x the time with the weights
      // in cache, though 1.5x faster from DRAM (SIMD128 on Node 20; Node 22), a trade left to decide
      for (; o + 8 <= oEnd; o += 8) dot8<T>(out + (<usize>o << 2), w + <usize>o * rowBytes, rowBytes, qx, qd, nb);
    } else {
      // one activation row (decode), int8 dot: every weight row on its own, in memory order, so the matrix
      // is read as one sequential stream; eight rows at once (dot8) read eight streams, which this machine's
      // prefetchers follow badly (weights from DRAM: 2048-wide rows 2.0x, 8192-wide 1.13x faster one at a
      // time; 1.11-1.13x slower with the weights in cache, where dot8 shares its activation loads)
      const k = loopConsts(nb >>> 31);
      for (; o < oEnd; o++) store<f32>(out + (<usize>o << 2), rowDot<T>(w + <usize>o * rowBytes, qx, qd, nb, k));
      return;
    }
  }
  for (; o + 4 <= oEnd; o += 4) {
    const w0 = w + <usize>o * rowBytes;
    rowGroupBlocks<T>(scratch, w0, rowBytes, nb);
    let b = 0;
    // four (or two) activation rows share every weight load and scale conversion
    for (; b + 4 <= batch; b += 4) {
      dot4x4<T>(out + <usize>b * outRow + (<usize>o << 2), outRow, w0, rowBytes, qx + (<usize>(b * nb) << 6), qd + (<usize>(b * nb) << 2), nb, scratch);
    }
    for (; b + 2 <= batch; b += 2) {
      dot4x2<T>(out + <usize>b * outRow + (<usize>o << 2), outRow, w0, rowBytes, qx + (<usize>(b * nb) << 6), qd + (<usize>(b * nb) << 2), nb, scratch);
    }
    for (; b < batch; b++) {
      v128.store(out + <usize>b * outRow + (<usize>o << 2), dot4<T>(w0, rowBytes, qx + (<usize>(b * nb) << 6), qd + (<usize>(b * nb) << 2), nb, scratch));
    }
  }
  for (; o < oEnd; o++) {
    const w0 = w + <usize>o * rowBytes;
    for (let b = 0; b < batch; b++) {
      store<f32>(out + <usize>b * outRow + (<usize>o << 2), dot1<T>(w0, qx + (<usize>(b * nb) << 6), qd + (<usize>(b * nb) << 2), nb));
    }
  }
}

// Every output is acc = sum over blocks, in block order, of f32(block dot) * (dw * dx), in f32.

function dot1<T>(w0: usize, xq: usize, xd: usize, nb: i32): f32 {
  const c = biasOperand(loopConsts(nb >>> 31));
  let acc: f32 = 0;
  for (let b = 0; b < nb; b++) {
    const wb = w0 + <usize>b * BLOCK_BYTES;
    const xb = xq + (<usize>b << 6);
    let d = blockDot<T>(wb + 2, xVec<T>(xb, 0), xVec<T>(xb, 1), xVec<T>(xb, 2), xVec<T>(xb, 3));
    if (unsignedForm<T>()) d = i32x4.sub(d, bias1(wb + 2, c));
    const sumi = (i32x4.extract_lane(d, 0) + i32x4.extract_lane(d, 1)) + (i32x4.extract_lane(d, 2) + i32x4.extract_lane(d, 3));
    acc += <f32>sumi * (f16ToF32(<u32>load<u16>(wb)) * load<f32>(xd + (<usize>b << 2)));
  }
  return acc;
}

function dot4<T>(w0: usize, rowBytes: usize, xq: usize, xd: usize, nb: i32, group: usize): v128 {
  let acc = f32x4.splat(0);
  for (let b = 0; b < nb; b++) {
    const wb = w0 + <usize>b * BLOCK_BYTES;
    acc = f32x4.add(acc, blockRow4<T>(wb, rowBytes, xq + (<usize>b << 6), scalesAt(group, b), biasAt<T>(group, b), xd + (<usize>b << 2)));
  }
  return acc;
}

/**
 * One weight row against one activation row, four blocks a step: the four
 * blocks' exact integer dots (lane j: block b + j, reduced across lanes by
 * isum4), each times its dw * dx as one vector, then added to the row's sum in
 * block order: the same float operations as dot8 and dot1, so the same bits.
 * The u8 form's activations are turned into the i8 form's, as in dot8.
 */
function rowDot<T>(w0: usize, xq: usize, xd: usize, nb: i32, k: v128): f32 {
  let r: f32 = 0;
  let b = 0;
  for (; b + 4 <= nb; b += 4) {
    const wb = w0 + <usize>b * BLOCK_BYTES;
    const xb = xq + (<usize>b << 6);
    const sums = isum4(rowBlockDot<T>(wb, xb), rowBlockDot<T>(wb + BLOCK_BYTES, xb + 64),
      rowBlockDot<T>(wb + 2 * BLOCK_BYTES, xb + 128), rowBlockDot<T>(wb + 3 * BLOCK_BYTES, xb + 192));
    const p = f32x4.mul(f32x4.convert_i32x4_s(sums), f32x4.mul(weightScales4(wb, BLOCK_BYTES, k), v128.load(xd + (<usize>b << 2))));
    r = (((r + f32x4.extract_lane(p, 0)) + f32x4.extract_lane(p, 1)) + f32x4.extract_lane(p, 2)) + f32x4.extract_lane(p, 3);
  }
  for (; b < nb; b++) {
    const wb = w0 + <usize>b * BLOCK_BYTES;
    const d = rowBlockDot<T>(wb, xq + (<usize>b << 6));
    const sumi = (i32x4.extract_lane(d, 0) + i32x4.extract_lane(d, 1)) + (i32x4.extract_lane(d, 2) + i32x4.extract_lane(d, 3));
    r += <f32>sumi * (f16ToF32(<u32>load<u16>(wb)) * load<f32>(xd + (<usize>b << 2)));
  }
  return r;
}

/** One block's four partial dots (batch 1): the i8 form's where the activations are in the u8 form. */
// @ts-ignore: decorator
@inline function rowBlockDot<T>(wb: usize, xb: usize): v128 {
  if (unsignedForm<T>()) {
    // |q| is stored after q + 128, which is below 128 (as i8: 0 and up) where q is negative
    return blockDot<i8>(wb + 2, v128.load(xb, 32), v128.load(xb, 48), i8x16.gt_s(v128.load(xb), i8x16.splat(-1)), i8x16.gt_s(v128.load(xb, 16), i8x16.splat(-1)));
  }
  return blockDot<T>(wb + 2, xVec<T>(xb, 0), xVec<T>(xb, 1), xVec<T>(xb, 2), xVec<T>(xb, 3));
}

/**
 * Eight rows against one activation row (the widened form's batch 1): the
 * activation block is loaded once for all eight.
 */
function dot8<T>(dst: usize, w0: usize, rowBytes: usize, xq: usize, xd: usize, nb: i32): void {
  const k = loopConsts(nb >>> 31);
  const w4 = w0 + 4 * rowBytes;
  let accA = f32x4.splat(0), accB = f32x4.splat(0);
  for (let b = 0; b < nb; b++) {
    const off = <usize>b * BLOCK_BYTES;
    const wa = w0 + off, wb = w4 + off;
    const xb = xq + (<usize>b << 6);
    const dx = load<f32>(xd + (<usize>b << 2));
    const x0 = v128.load(xb), x1 = v128.load(xb, 16), x2 = v128.load(xb, 32), x3 = v128.load(xb, 48);
    const none = i32x4.splat(0);
    const sa = rowDots4<T>(wa, rowBytes, x0, x1, x2, x3, none);
    accA = f32x4.add(accA, f32x4.mul(f32x4.convert_i32x4_s(sa), scales4(wa, rowBytes, dx, k)));
    const sb = rowDots4<T>(wb, rowBytes, x0, x1, x2, x3, none);
    accB = f32x4.add(accB, f32x4.mul(f32x4.convert_i32x4_s(sb), scales4(wb, rowBytes, dx, k)));
  }
  v128.store(dst, accA);
  v128.store(dst, accB, 16);
}

/** Four weight rows against two activation rows (prefill): weights, scales and bias worked out once for both. */
function dot4x2<T>(dst: usize, outRow: usize, w0: usize, rowBytes: usize, xq: usize, xd: usize, nb: i32, group: usize): void {
  const nbBytes = <usize>nb << 6;
  const nbScales = <usize>nb << 2;
  let accA = f32x4.splat(0), accB = f32x4.splat(0);
  for (let b = 0; b < nb; b++) {
    const wb = w0 + <usize>b * BLOCK_BYTES;
    const bias = biasAt<T>(group, b);
    const ws = scalesAt(group, b);
    const xs = xd + (<usize>b << 2);
    const xa = xq + (<usize>b << 6);
    accA = f32x4.add(accA, blockRow4<T>(wb, rowBytes, xa, ws, bias, xs));
    accB = f32x4.add(accB, blockRow4<T>(wb, rowBytes, xa + nbBytes, ws, bias, xs + nbScales));
  }
  v128.store(dst, accA);
  v128.store(dst + outRow, accB);
}

/**
 * dot4x4 in the u8 form, from the row group's pair-packed weights: per block
 * and activation row, eight int8 dots (four per row pair, the activation's
 * eight bytes in both halves) and one shuffle-add leave the four rows' sums
 * in four lanes, where rowDots4 reduces eight vectors (isum4). The same
 * integers, then the same float operations: the same bits.
 */
function dot4x4Packed(dst: usize, outRow: usize, xq: usize, xd: usize, nb: i32, group: usize): void {
  const nbBytes = <usize>nb << 6;
  const nbScales = <usize>nb << 2;
  let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0), acc2 = f32x4.splat(0), acc3 = f32x4.splat(0);
  for (let b = 0; b < nb; b++) {
    const gb = group + <usize>b * GROUP_BLOCK;
    const x0 = xq + (<usize>b << 6), x1 = x0 + nbBytes, x2 = x1 + nbBytes, x3 = x2 + nbBytes;
    // per eight-byte quarter of the block: each pair's packed vector serves the four activation rows,
    // and each activation row's quarter (in both halves) serves both pairs
    let a01 = v128.load(gb, 32), a23 = v128.load(gb, 48);
    let b01 = a01, c01 = a01, d01 = a01, b23 = a23, c23 = a23, d23 = a23;
    for (let q: usize = 0; q < 32; q += 8) {
      const p = v128.load(gb + 64 + (q << 1)), r = v128.load(gb + 128 + (q << 1));
      let x = v128.load64_splat(x0 + q);
      a01 = i32x4.relaxed_dot_i8x16_i7x16_add_s(p, x, a01); a23 = i32x4.relaxed_dot_i8x16_i7x16_add_s(r, x, a23);
      x = v128.load64_splat(x1 + q);
      b01 = i32x4.relaxed_dot_i8x16_i7x16_add_s(p, x, b01); b23 = i32x4.relaxed_dot_i8x16_i7x16_add_s(r, x, b23);
      x = v128.load64_splat(x2 + q);
      c01 = i32x4.relaxed_dot_i8x16_i7x16_add_s(p, x, c01); c23 = i32x4.relaxed_dot_i8x16_i7x16_add_s(r, x, c23);
      x = v128.load64_splat(x3 + q);
      d01 = i32x4.relaxed_dot_i8x16_i7x16_add_s(p, x, d01); d23 = i32x4.relaxed_dot_i8x16_i7x16_add_s(r, x, d23);
    }
    const ws = v128.load(gb);
    const xs = xd + (<usize>b << 2);
    acc0 = f32x4.add(acc0, f32x4.mul(f32x4.convert_i32x4_s(pairSums(a01, a23)), f32x4.mul(ws, v128.load32_splat(xs))));
    acc1 = f32x4.add(acc1, f32x4.mul(f32x4.convert_i32x4_s(pairSums(b01, b23)), f32x4.mul(ws, v128.load32_splat(xs + nbScales))));
    acc2 = f32x4.add(acc2, f32x4.mul(f32x4.convert_i32x4_s(pairSums(c01, c23)), f32x4.mul(ws, v128.load32_splat(xs + 2 * nbScales))));
    acc3 = f32x4.add(acc3, f32x4.mul(f32x4.convert_i32x4_s(pairSums(d01, d23)), f32x4.mul(ws, v128.load32_splat(xs + 3 * nbScales))));
  }
  v128.store(dst, acc0);
  v128.store(dst + outRow, acc1);
  v128.store(dst + 2 * outRow, acc2);
  v128.store(dst + 3 * outRow, acc3);
}

/** Lane r = row r's block sum, from the packed dots of rows 0-1 and of rows 2-3. */
// @ts-ignore: decorator
@inline function pairSums(d01: v128, d23: v128): v128 {
  return i32x4.add(v128.shuffle<i32>(d01, d23, 0, 2, 4, 6), v128.shuffle<i32>(d01, d23, 1, 3, 5, 7));
}

/** Four weight rows against four activation rows (prefill): each weight block is loaded once for all four. */
function dot4x4<T>(dst: usize, outRow: usize, w0: usize, rowBytes: usize, xq: usize, xd: usize, nb: i32, group: usize): void {
  if (unsignedForm<T>()) {
    dot4x4Packed(dst, outRow, xq, xd, nb, group);
    return;
  }
  const nbBytes = <usize>nb << 6;
  const nbScales = <usize>nb << 2;
  let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0), acc2 = f32x4.splat(0), acc3 = f32x4.splat(0);
  for (let b = 0; b < nb; b++) {
    const wb = w0 + <usize>b * BLOCK_BYTES;
    const bias = biasAt<T>(group, b);
    const ws = scalesAt(group, b);
    const xa = xq + (<usize>b << 6), xs = xd + (<usize>b << 2);
    acc0 = f32x4.add(acc0, blockRow4<T>(wb, rowBytes, xa, ws, bias, xs));
    acc1 = f32x4.add(acc1, blockRow4<T>(wb, rowBytes, xa + nbBytes, ws, bias, xs + nbScales));
    acc2 = f32x4.add(acc2, blockRow4<T>(wb, rowBytes, xa + 2 * nbBytes, ws, bias, xs + 2 * nbScales));
    acc3 = f32x4.add(acc3, blockRow4<T>(wb, rowBytes, xa + 3 * nbBytes, ws, bias, xs + 3 * nbScales));
  }
  v128.store(dst, acc0);
  v128.store(dst + outRow, acc1);
  v128.store(dst + 2 * outRow, acc2);
  v128.store(dst + 3 * outRow, acc3);
}

/** One activation row's block against four weight rows' blocks: the four scaled block dots, as dot4 adds them. */
// @ts-ignore: decorator
@inline function blockRow4<T>(wb: usize, rowBytes: usize, xb: usize, ws: v128, bias: v128, dx: usize): v128 {
  const sums = rowDots4<T>(wb, rowBytes, xVec<T>(xb, 0), xVec<T>(xb, 1), xVec<T>(xb, 2), xVec<T>(xb, 3), bias);
  // dx: the activation block's scale, splat straight from memory (one instruction)
  return f32x4.mul(f32x4.convert_i32x4_s(sums), f32x4.mul(ws, v128.load32_splat(dx)));
}
