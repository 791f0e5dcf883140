import { expv, hsum, hsum4, madd } from "./common";
import { TILED_FROM_KV, tiledAttention, tiledScratchBytes } from "./attention-tiled";
import { expRows4, keysSeen, scoreRows4, unitRow } from "./attention-units";

// Multi-head attention with grouped-query K/V, causal (with the KV-cache offset)
// or bidirectional.
//   q, out [seqLen, heads, headDim]; k, v [kvLen, kvHeads, headDim]
// Work unit: one query row of one head, u = head * seqLen + query.
// Query i sits at absolute position kvLen - seqLen + i and, when causal, sees
// keys 0..that position.
//
// Four units that share a KV head are processed together so that each K and V
// row loaded serves four queries; their scores are kept transposed in scratch
// (row j holds the four units' scores for key j) so the softmax runs down the
// columns with whole vectors. A lone unit keeps its scores in a plain row.
// Both paths perform, for every unit, exactly the same float operations in the
// same order (dot products reduced by hsum's order, exp sums split by j mod 4,
// V accumulated in key order), so any split of the unit range gives the same bits.
//
// Prefill over a long cache (kvLen * headDim above TILED_FROM_KV), with
// headDim a multiple of 8, goes to tiledAttention (K/V blocks reused from
// cache, online softmax); the choice depends on the shape only. Below that
// K and V stay in cache anyway, and the tile's set-up and final pass cost
// more than they save (8 queries x 8 keys: 1.25x this kernel).
//
// scratch: attentionScratchBytes(kvLen, headDim), private to the calling thread.

/** Per-thread scratch bytes for either path (the engine's attentionScratchBytes must agree: a test compares). */
export function attentionScratchBytes(kvLen: i32, headDim: i32): i32 {
  return max<i32>(16 * (kvLen + 4), tiledScratchBytes(headDim));
}

export function attention(out: usize, q: usize, k: usize, v: usize, scratch: usize,
    seqLen: i32, kvLen: i32, heads: i32, kvHeads: i32, headDim: i32, causal: i32, scale: f32,
    unitStart: i32, unitEnd: i32): void {
  if (seqLen > 1 && kvLen * headDim > TILED_FROM_KV && (headDim & 7) == 0) {
    tiledAttention(out, q, k, v, scratch, seqLen, kvLen, heads, kvHeads, headDim, causal, scale, unitStart, unitEnd);
    return;
  }
  const group = heads / kvHeads;
  const rowBytes = <usize>headDim << 2;
  const qTok = <usize>heads * rowBytes;
  const kvTok = <usize>kvHeads * rowBytes;
  const offset = kvLen - seqLen;
  let u = unitStart;
  while (u < unitEnd) {
    const h = u / seqLen;
    if (u + 4 <= unitEnd && h / group == ((u + 3) / seqLen) / group) {
      const kb = <usize>(h / group) * rowBytes;
      const q0 = unitRow(q, u, seqLen, qTok, rowBytes), q1 = unitRow(q, u + 1, seqLen, qTok, rowBytes);
      const q2 = unitRow(q, u + 2, seqLen, qTok, rowBytes), q3 = unitRow(q, u + 3, seqLen, qTok, rowBytes);
      const n0 = keysSeen(u, seqLen, kvLen, offset, causal), n1 = keysSeen(u + 1, seqLen, kvLen, offset, causal);
      const n2 = keysSeen(u + 2, seqLen, kvLen, offset, causal), n3 = keysSeen(u + 3, seqLen, kvLen, offset, causal);
      attend4(
        unitRow(out, u, seqLen, qTok, rowBytes), unitRow(out, u + 1, seqLen, qTok, rowBytes),
        unitRow(out, u + 2, seqLen, qTok, rowBytes), unitRow(out, u + 3, seqLen, qTok, rowBytes),
        q0, q1, q2, q3, n0, n1, n2, n3, k + kb, v + kb, kvTok, headDim, scale, scratch);
      u += 4;
    } else {
      const kb = <usize>(h / group) * rowBytes;
      attend1(unitRow(out, u, seqLen, qTok, rowBytes), unitRow(q, u, seqLen, qTok, rowBytes),
        keysSeen(u, seqLen, kvLen, offset, causal), k + kb, v + kb, kvTok, headDim, scale, scratch);
      u++;
    }
  }
}

function attend1(op: usize, qp: usize, n: i32, kb: usize, vb: usize, kvTok: usize, headDim: i32, scale: f32, s: usize): void {
  const vScale = f32x4.splat(scale);
  const d4 = headDim & ~3;
  // scores, four keys at a time
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const k0 = kb + <usize>j * kvTok;
    const k1 = k0 + kvTok, k2 = k1 + kvTok, k3 = k2 + kvTok;
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    for (let d = 0; d < d4; d += 4) {
      const o = <usize>d << 2;
      const qv = v128.load(qp + o);
      a0 = madd(qv, v128.load(k0 + o), a0);
      a1 = madd(qv, v128.load(k1 + o), a1);
      a2 = madd(qv, v128.load(k2 + o), a2);
      a3 = madd(qv, v128.load(k3 + o), a3);
    }
    let sv = hsum4(a0, a1, a2, a3);
    for (let d = d4; d < headDim; d++) {
      const o = <usize>d << 2;
      const qd = load<f32>(qp + o);
      sv = f32x4.add(sv, f32x4(qd * load<f32>(k0 + o), qd * load<f32>(k1 + o), qd * load<f32>(k2 + o), qd * load<f32>(k3 + o)));
    }
    v128.store(s + (<usize>j << 2), f32x4.mul(sv, vScale));
  }
  for (; j < n; j++) {
    const k0 = kb + <usize>j * kvTok;
    let a0 = f32x4.splat(0);
    for (let d = 0; d < d4; d += 4) {
      const o = <usize>d << 2;
      a0 = madd(v128.load(qp + o), v128.load(k0 + o), a0);
    }
    let sc = hsum(a0);
    for (let d = d4; d < headDim; d++) sc += load<f32>(qp + (<usize>d << 2)) * load<f32>(k0 + (<usize>d << 2));
    store<f32>(s + (<usize>j << 2), sc * scale);
  }
  // pad to a multiple of four with -inf: exp gives exact zeros there
  const n4 = (n + 3) & ~3;
  for (let p = n; p < n4; p++) store<f32>(s + (<usize>p << 2), -Infinity);

  let mv = f32x4.splat(-Infinity);
  for (let p = 0; p < n4; p += 4) mv = f32x4.pmax(mv, v128.load(s + (<usize>p << 2)));
  const m = f32x4.splat(max<f32>(max<f32>(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max<f32>(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3))));
  let acc = f32x4.splat(0);
  for (let p = 0; p < n4; p += 4) {
    const e = expv(f32x4.sub(v128.load(s + (<usize>p << 2)), m));
    v128.store(s + (<usize>p << 2), e);
    acc = f32x4.add(acc, e);
  }
  const inv = <f32>1.0 / hsum(acc);
  const vInv = f32x4.splat(inv);

  // out = sum_j e_j v_j / sum, in key order for every element
  let d = 0;
  for (; d + 16 <= headDim; d += 16) {
    const o = <usize>d << 2;
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
    for (let p = 0; p < n; p++) {
      const e = v128.load32_splat(s + (<usize>p << 2));
      const vr = vb + <usize>p * kvTok + o;
      c0 = madd(e, v128.load(vr), c0);
      c1 = madd(e, v128.load(vr, 16), c1);
      c2 = madd(e, v128.load(vr, 32), c2);
      c3 = madd(e, v128.load(vr, 48), c3);
    }
    v128.store(op + o, f32x4.mul(c0, vInv));
    v128.store(op + o, f32x4.mul(c1, vInv), 16);
    v128.store(op + o, f32x4.mul(c2, vInv), 32);
    v128.store(op + o, f32x4.mul(c3, vInv), 48);
  }
  for (; d + 4 <= headDim; d += 4) {
    const o = <usize>d << 2;
    let c0 = f32x4.splat(0);
    for (let p = 0; p < n; p++) {
      c0 = madd(v128.load32_splat(s + (<usize>p << 2)), v128.load(vb + <usize>p * kvTok + o), c0);
    }
    v128.store(op + o, f32x4.mul(c0, vInv));
  }
  for (; d < headDim; d++) {
    const o = <usize>d << 2;
    let c: f32 = 0;
    for (let p = 0; p < n; p++) c += load<f32>(s + (<usize>p << 2)) * load<f32>(vb + <usize>p * kvTok + o);
    store<f32>(op + o, c * inv);
  }
}

function attend4(o0: usize, o1: usize, o2: usize, o3: usize, q0: usize, q1: usize, q2: usize, q3: usize,
    n0: i32, n1: i32, n2: i32, n3: i32, kb: usize, vb: usize, kvTok: usize, headDim: i32, scale: f32, s: usize): void {
  const vScale = f32x4.splat(scale);
  const ns = i32x4(n0, n1, n2, n3);
  const nMax = max<i32>(max<i32>(n0, n1), max<i32>(n2, n3));
  const nMin = min<i32>(min<i32>(n0, n1), min<i32>(n2, n3));
  const d4 = headDim & ~3;
  const negInf = f32x4.splat(-Infinity);
  // scores, transposed: row j = [s0j, s1j, s2j, s3j]; keys a unit does not see are -inf.
  // (two keys a pass where headDim has no tail; then each key alone, the tail in scalar)
  if (d4 == headDim) scoreRows4(q0, q1, q2, q3, kb, kvTok, <usize>headDim << 2, 0, nMax, ns, vScale, s);
  else for (let j = 0; j < nMax; j++) {
    const kr = kb + <usize>j * kvTok;
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    for (let d = 0; d < d4; d += 4) {
      const o = <usize>d << 2;
      const kv = v128.load(kr + o);
      a0 = madd(v128.load(q0 + o), kv, a0);
      a1 = madd(v128.load(q1 + o), kv, a1);
      a2 = madd(v128.load(q2 + o), kv, a2);
      a3 = madd(v128.load(q3 + o), kv, a3);
    }
    let sv = hsum4(a0, a1, a2, a3);
    for (let d = d4; d < headDim; d++) {
      const o = <usize>d << 2;
      const kd = load<f32>(kr + o);
      sv = f32x4.add(sv, f32x4(load<f32>(q0 + o) * kd, load<f32>(q1 + o) * kd, load<f32>(q2 + o) * kd, load<f32>(q3 + o) * kd));
    }
    sv = f32x4.mul(sv, vScale);
    v128.store(s + (<usize>j << 4), v128.bitselect(sv, negInf, i32x4.lt_s(i32x4.splat(j), ns)));
  }
  const n4 = (nMax + 3) & ~3;
  for (let p = nMax; p < n4; p++) v128.store(s + (<usize>p << 4), negInf);

  let m = negInf;
  for (let p = 0; p < n4; p++) m = f32x4.pmax(m, v128.load(s + (<usize>p << 4)));
  const sums = expRows4(s, n4, m);
  const invs = f32x4.div(f32x4.splat(1.0), sums);
  const i0 = f32x4.splat(f32x4.extract_lane(invs, 0)), i1 = f32x4.splat(f32x4.extract_lane(invs, 1));
  const i2 = f32x4.splat(f32x4.extract_lane(invs, 2)), i3 = f32x4.splat(f32x4.extract_lane(invs, 3));

  let d = 0;
  for (; d + 8 <= headDim; d += 8) {
    const o = <usize>d << 2;
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
    let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
    let p = 0;
    for (; p < nMin; p++) {
      const vr = vb + <usize>p * kvTok + o;
      const va = v128.load(vr), vc = v128.load(vr, 16);
      const r = s + (<usize>p << 4);
      const w0 = v128.load32_splat(r), w1 = v128.load32_splat(r, 4), w2 = v128.load32_splat(r, 8), w3 = v128.load32_splat(r, 12);
      c00 = madd(w0, va, c00); c01 = madd(w0, vc, c01);
      c10 = madd(w1, va, c10); c11 = madd(w1, vc, c11);
      c20 = madd(w2, va, c20); c21 = madd(w2, vc, c21);
      c30 = madd(w3, va, c30); c31 = madd(w3, vc, c31);
    }
    // the units that see more keys go on alone, still in key order
    for (p = nMin; p < n0; p++) { const vr = vb + <usize>p * kvTok + o; const w = v128.load32_splat(s + (<usize>p << 4)); c00 = madd(w, v128.load(vr), c00); c01 = madd(w, v128.load(vr, 16), c01); }
    for (p = nMin; p < n1; p++) { const vr = vb + <usize>p * kvTok + o; const w = v128.load32_splat(s + (<usize>p << 4), 4); c10 = madd(w, v128.load(vr), c10); c11 = madd(w, v128.load(vr, 16), c11); }
    for (p = nMin; p < n2; p++) { const vr = vb + <usize>p * kvTok + o; const w = v128.load32_splat(s + (<usize>p << 4), 8); c20 = madd(w, v128.load(vr), c20); c21 = madd(w, v128.load(vr, 16), c21); }
    for (p = nMin; p < n3; p++) { const vr = vb + <usize>p * kvTok + o; const w = v128.load32_splat(s + (<usize>p << 4), 12); c30 = madd(w, v128.load(vr), c30); c31 = madd(w, v128.load(vr, 16), c31); }
    v128.store(o0 + o, f32x4.mul(c00, i0)); v128.store(o0 + o, f32x4.mul(c01, i0), 16);
    v128.store(o1 + o, f32x4.mul(c10, i1)); v128.store(o1 + o, f32x4.mul(c11, i1), 16);
    v128.store(o2 + o, f32x4.mul(c20, i2)); v128.store(o2 + o, f32x4.mul(c21, i2), 16);
    v128.store(o3 + o, f32x4.mul(c30, i3)); v128.store(o3 + o, f32x4.mul(c31, i3), 16);
  }
  for (; d + 4 <= headDim; d += 4) {
    const o = <usize>d << 2;
    pv1(o0 + o, vb + o, s, 0, n0, kvTok, i0);
    pv1(o1 + o, vb + o, s, 4, n1, kvTok, i1);
    pv1(o2 + o, vb + o, s, 8, n2, kvTok, i2);
    pv1(o3 + o, vb + o, s, 12, n3, kvTok, i3);
  }
  for (; d < headDim; d++) {
    const o = <usize>d << 2;
    pvScalar(o0 + o, vb + o, s, 0, n0, kvTok, f32x4.extract_lane(invs, 0));
    pvScalar(o1 + o, vb + o, s, 4, n1, kvTok, f32x4.extract_lane(invs, 1));
    pvScalar(o2 + o, vb + o, s, 8, n2, kvTok, f32x4.extract_lane(invs, 2));
    pvScalar(o3 + o, vb + o, s, 12, n3, kvTok, f32x4.extract_lane(invs, 3));
  }
}

// @ts-ignore: decorator
@inline function pv1(dst: usize, vcol: usize, s: usize, lane: usize, n: i32, kvTok: usize, inv: v128): void {
  let c = f32x4.splat(0);
  for (let p = 0; p < n; p++) c = madd(v128.load32_splat(s + (<usize>p << 4) + lane), v128.load(vcol + <usize>p * kvTok), c);
  v128.store(dst, f32x4.mul(c, inv));
}

// @ts-ignore: decorator
@inline function pvScalar(dst: usize, vcol: usize, s: usize, lane: usize, n: i32, kvTok: usize, inv: f32): void {
  let c: f32 = 0;
  for (let p = 0; p < n; p++) c += load<f32>(s + (<usize>p << 4) + lane) * load<f32>(vcol + <usize>p * kvTok);
  store<f32>(dst, c * inv);
}
