import { expRows4, keysSeen, scoreRows4, unitRow } from "./attention-units";
import { expv, hsum, hsum4, madd } from "./common";

// Prefill attention tiled for cache reuse, with an online softmax (the
// flash-attention scheme): a tile of up to TILE query units that share a KV
// head walks the keys in blocks of KB; each K and V block is loaded into
// cache once and serves every unit of the tile, and no unit keeps more than
// one block of scores. Each unit carries its running max m, its running sum l
// and its unnormalized output acc (in scratch) from block to block:
//   m' = max(m, block max);  a = e^(m - m');  p_j = e^(s_j - m')
//   l = l * a + sum(p_j);    acc = acc * a + sum_j p_j v_j (in key order)
// and ends with out = acc * (1 / l).
//
// Units go four at a time (one K row serves four queries; scores kept
// transposed so the softmax runs down columns) or alone. Both perform, for
// every unit, the same float operations in the same order: a block a unit
// does not see is a no-op (its lane's a is e^0 = 1 exactly and it adds
// zeros), masked keys add exact zeros to the partial sums (split by key mod 4
// from the block start, reduced in hsum's order), and V rows past a unit's
// last key are never read. So any split of the unit range gives the same bits.
//
// Taken for prefill (seqLen > 1) over long caches (TILED_FROM_KV) with
// headDim a multiple of 8; attention.ts keeps its two-pass kernel for decode,
// shorter prefill and other head sizes.

/** Keys per block: a block of K or V rows (16 KB at headDim 64) stays in L1 while the tile uses it. */
const KB: i32 = 64;
/**
 * attention.ts takes this kernel where kvLen * headDim exceeds this: where one
 * KV head's K and V (8 bytes per key and dim) pass 512 KB, half the L2 of the
 * machines measured, and stop staying in cache between query groups. Below
 * it the two-pass kernel ran as fast or faster (raw kernel, 32 heads / 8 KV
 * heads x 64, Zen 5: 512 keys 1.02-1.06x, 1024 0.92-1.02x; 2048 0.85x relaxed).
 */
export const TILED_FROM_KV: i32 = 1 << 16;
/** Query units per tile: each K/V block is read once per this many units. */
const TILE: i32 = 16;

/** Scratch bytes tiledAttention needs for headDim: the block's scores, then each tile unit's acc, m, l, query row and key count. */
export function tiledScratchBytes(headDim: i32): i32 {
  return KB * 16 + TILE * (headDim << 2) + TILE * 16;
}

export function tiledAttention(out: usize, q: usize, k: usize, v: usize, scratch: usize,
    seqLen: i32, kvLen: i32, heads: i32, kvHeads: i32, headDim: i32, causal: i32, scale: f32,
    unitStart: i32, unitEnd: i32): void {
  const group = heads / kvHeads;
  const rowBytes = <usize>headDim << 2;
  const qTok = <usize>heads * rowBytes;
  const kvTok = <usize>kvHeads * rowBytes;
  const offset = kvLen - seqLen;
  const scores = scratch;
  const accs = scratch + <usize>(KB * 16);
  const ms = accs + <usize>TILE * rowBytes;
  const ls = ms + <usize>(TILE << 2);
  // each unit's query row and key count, worked out once per tile: passed in memory, the divisions
  // stay out of the block loops (V8 11 schedules such arithmetic into the loop that uses it)
  const qs = ls + <usize>(TILE << 2);
  const ns = qs + <usize>(TILE << 2);
  let u = unitStart;
  while (u < unitEnd) {
    const kvh = (u / seqLen) / group;
    // the tile: up to TILE units, all of KV head kvh
    const tEnd = min<i32>(min<i32>(u + TILE, unitEnd), (kvh + 1) * group * seqLen);
    const kh = k + <usize>kvh * rowBytes, vh = v + <usize>kvh * rowBytes;
    let nMax = 0;
    for (let s = 0; s < tEnd - u; s++) {
      const n = keysSeen(u + s, seqLen, kvLen, offset, causal);
      nMax = max<i32>(nMax, n);
      store<i32>(ns + (<usize>s << 2), n);
      store<u32>(qs + (<usize>s << 2), <u32>unitRow(q, u + s, seqLen, qTok, rowBytes));
      store<f32>(ms + (<usize>s << 2), -Infinity);
      store<f32>(ls + (<usize>s << 2), 0);
      memory.fill(accs + <usize>s * rowBytes, 0, rowBytes);
    }
    for (let kb = 0; kb < nMax; kb += KB) {
      let t = u;
      while (t < tEnd) {
        const s = <usize>(t - u);
        if (t + 4 <= tEnd) {
          block4(qs + (s << 2), ns + (s << 2), kb, rowBytes, kh, vh, kvTok, scale, scores, accs + s * rowBytes, ms + (s << 2), ls + (s << 2));
          t += 4;
        } else {
          block1(load<u32>(qs + (s << 2)), load<i32>(ns + (s << 2)), kb, kh, vh, kvTok, rowBytes, scale,
            scores, accs + s * rowBytes, ms + (s << 2), ls + (s << 2));
          t++;
        }
      }
    }
    for (let t = u; t < tEnd; t++) {
      const s = <usize>(t - u);
      const inv = f32x4.splat(<f32>1.0 / load<f32>(ls + (s << 2)));
      const acc = accs + s * rowBytes, o = unitRow(out, t, seqLen, qTok, rowBytes);
      for (let d: usize = 0; d < rowBytes; d += 16) v128.store(o + d, f32x4.mul(v128.load(acc + d), inv));
    }
    u = tEnd;
  }
}

/**
 * One block of keys [kb, kb + KB) for four units (lanes 0-3): their query rows
 * at qAt, key counts at nAt, acc rows consecutive at acc, m and l at mAt, lAt.
 */
function block4(qAt: usize, nAt: usize, kb: i32, rowBytes: usize, kh: usize, vh: usize, kvTok: usize, scale: f32,
    sc: usize, acc: usize, mAt: usize, lAt: usize): void {
  const n0 = load<i32>(nAt), n1 = load<i32>(nAt, 4), n2 = load<i32>(nAt, 8), n3 = load<i32>(nAt, 12);
  const blockEnd = kb + KB;
  // each unit's last key in this block (kb where it sees none)
  const e0 = clampEnd(n0, kb, blockEnd), e1 = clampEnd(n1, kb, blockEnd), e2 = clampEnd(n2, kb, blockEnd), e3 = clampEnd(n3, kb, blockEnd);
  const jEnd = max<i32>(max<i32>(e0, e1), max<i32>(e2, e3));
  if (jEnd <= kb) return; // no unit sees this block: for each, a no-op
  const q0 = <usize>load<u32>(qAt), q1 = <usize>load<u32>(qAt, 4), q2 = <usize>load<u32>(qAt, 8), q3 = <usize>load<u32>(qAt, 12);
  const vScale = f32x4.splat(scale);
  const ends = i32x4(e0, e1, e2, e3);
  const negInf = f32x4.splat(-Infinity);
  // scores, transposed: row j - kb = the four units' scores for key j; keys a unit does not see are -inf
  scoreRows4(q0, q1, q2, q3, kh, kvTok, rowBytes, kb, jEnd, ends, vScale, sc);
  const rows = (jEnd - kb + 3) & ~3;
  for (let p = jEnd - kb; p < rows; p++) v128.store(sc + (<usize>p << 4), negInf);

  let bm = negInf;
  for (let p = 0; p < rows; p++) bm = f32x4.pmax(bm, v128.load(sc + (<usize>p << 4)));
  const m = v128.load(mAt);
  const mNew = f32x4.pmax(m, bm);
  const alpha = expv(f32x4.sub(m, mNew));
  const sums = expRows4(sc, rows, mNew);
  v128.store(mAt, mNew);
  v128.store(lAt, f32x4.add(f32x4.mul(v128.load(lAt), alpha), sums));

  // acc = acc * a + p_j v_j over the keys in order: together up to the first unit's end, then each alone
  const a0 = f32x4.splat(f32x4.extract_lane(alpha, 0)), a1 = f32x4.splat(f32x4.extract_lane(alpha, 1));
  const a2 = f32x4.splat(f32x4.extract_lane(alpha, 2)), a3 = f32x4.splat(f32x4.extract_lane(alpha, 3));
  const eMin = min<i32>(min<i32>(e0, e1), min<i32>(e2, e3));
  const o0 = acc, o1 = acc + rowBytes, o2 = acc + 2 * rowBytes, o3 = acc + 3 * rowBytes;
  for (let d: usize = 0; d < rowBytes; d += 32) {
    let c00 = f32x4.mul(v128.load(o0 + d), a0), c01 = f32x4.mul(v128.load(o0 + d, 16), a0);
    let c10 = f32x4.mul(v128.load(o1 + d), a1), c11 = f32x4.mul(v128.load(o1 + d, 16), a1);
    let c20 = f32x4.mul(v128.load(o2 + d), a2), c21 = f32x4.mul(v128.load(o2 + d, 16), a2);
    let c30 = f32x4.mul(v128.load(o3 + d), a3), c31 = f32x4.mul(v128.load(o3 + d, 16), a3);
    let j = kb;
    for (; j < eMin; j++) {
      const vr = vh + <usize>j * kvTok + d;
      const va = v128.load(vr), vc = v128.load(vr, 16);
      const r = sc + (<usize>(j - kb) << 4);
      const w0 = v128.load32_splat(r), w1 = v128.load32_splat(r, 4), w2 = v128.load32_splat(r, 8), w3 = v128.load32_splat(r, 12);
      c00 = madd(w0, va, c00); c01 = madd(w0, vc, c01);
      c10 = madd(w1, va, c10); c11 = madd(w1, vc, c11);
      c20 = madd(w2, va, c20); c21 = madd(w2, vc, c21);
      c30 = madd(w3, va, c30); c31 = madd(w3, vc, c31);
    }
    for (j = eMin; j < e0; j++) { const vr = vh + <usize>j * kvTok + d; const w = v128.load32_splat(sc + (<usize>(j - kb) << 4)); c00 = madd(w, v128.load(vr), c00); c01 = madd(w, v128.load(vr, 16), c01); }
    for (j = eMin; j < e1; j++) { const vr = vh + <usize>j * kvTok + d; const w = v128.load32_splat(sc + (<usize>(j - kb) << 4), 4); c10 = madd(w, v128.load(vr), c10); c11 = madd(w, v128.load(vr, 16), c11); }
    for (j = eMin; j < e2; j++) { const vr = vh + <usize>j * kvTok + d; const w = v128.load32_splat(sc + (<usize>(j - kb) << 4), 8); c20 = madd(w, v128.load(vr), c20); c21 = madd(w, v128.load(vr, 16), c21); }
    for (j = eMin; j < e3; j++) { const vr = vh + <usize>j * kvTok + d; const w = v128.load32_splat(sc + (<usize>(j - kb) << 4), 12); c30 = madd(w, v128.load(vr), c30); c31 = madd(w, v128.load(vr, 16), c31); }
    v128.store(o0 + d, c00); v128.store(o0 + d, c01, 16);
    v128.store(o1 + d, c10); v128.store(o1 + d, c11, 16);
    v128.store(o2 + d, c20); v128.store(o2 + d, c21, 16);
    v128.store(o3 + d, c30); v128.store(o3 + d, c31, 16);
  }
}

// @ts-ignore: decorator
@inline function clampEnd(n: i32, kb: i32, blockEnd: i32): i32 {
  return max<i32>(kb, min<i32>(n, blockEnd));
}

/** One block of keys for a lone unit (query row qp, n keys seen): what block4 does for one of its lanes. */
function block1(qp: usize, n: i32, kb: i32, kh: usize, vh: usize, kvTok: usize, rowBytes: usize, scale: f32,
    sc: usize, acc: usize, mAt: usize, lAt: usize): void {
  const end = clampEnd(n, kb, kb + KB);
  if (end <= kb) return;
  const vScale = f32x4.splat(scale);
  // scores in a plain row, four keys at a time (hsum4 adds as hsum does)
  let j = kb;
  for (; j + 4 <= end; j += 4) {
    const k0 = kh + <usize>j * kvTok;
    const k1 = k0 + kvTok, k2 = k1 + kvTok, k3 = k2 + kvTok;
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    for (let d: usize = 0; d < rowBytes; d += 16) {
      const qv = v128.load(qp + d);
      a0 = madd(qv, v128.load(k0 + d), a0);
      a1 = madd(qv, v128.load(k1 + d), a1);
      a2 = madd(qv, v128.load(k2 + d), a2);
      a3 = madd(qv, v128.load(k3 + d), a3);
    }
    v128.store(sc + (<usize>(j - kb) << 2), f32x4.mul(hsum4(a0, a1, a2, a3), vScale));
  }
  for (; j < end; j++) {
    const k0 = kh + <usize>j * kvTok;
    let a0 = f32x4.splat(0);
    for (let d: usize = 0; d < rowBytes; d += 16) a0 = madd(v128.load(qp + d), v128.load(k0 + d), a0);
    store<f32>(sc + (<usize>(j - kb) << 2), hsum(a0) * scale);
  }
  const len = (end - kb + 3) & ~3;
  for (let p = end - kb; p < len; p++) store<f32>(sc + (<usize>p << 2), -Infinity);

  let bv = f32x4.splat(-Infinity);
  for (let p = 0; p < len; p += 4) bv = f32x4.pmax(bv, v128.load(sc + (<usize>p << 2)));
  const bm = max<f32>(max<f32>(f32x4.extract_lane(bv, 0), f32x4.extract_lane(bv, 1)), max<f32>(f32x4.extract_lane(bv, 2), f32x4.extract_lane(bv, 3)));
  const m = load<f32>(mAt);
  const mNew = f32x4.splat(max<f32>(m, bm));
  const alpha = expv(f32x4.sub(f32x4.splat(m), mNew));
  let sum = f32x4.splat(0);
  for (let p = 0; p < len; p += 4) {
    const e = expv(f32x4.sub(v128.load(sc + (<usize>p << 2)), mNew));
    v128.store(sc + (<usize>p << 2), e);
    sum = f32x4.add(sum, e);
  }
  store<f32>(mAt, f32x4.extract_lane(mNew, 0));
  store<f32>(lAt, load<f32>(lAt) * f32x4.extract_lane(alpha, 0) + hsum(sum));

  for (let d: usize = 0; d < rowBytes; d += 32) {
    let c0 = f32x4.mul(v128.load(acc + d), alpha), c1 = f32x4.mul(v128.load(acc + d, 16), alpha);
    for (let i = kb; i < end; i++) {
      const vr = vh + <usize>i * kvTok + d;
      const w = v128.load32_splat(sc + (<usize>(i - kb) << 2));
      c0 = madd(w, v128.load(vr), c0);
      c1 = madd(w, v128.load(vr, 16), c1);
    }
    v128.store(acc + d, c0);
    v128.store(acc + d, c1, 16);
  }
}
