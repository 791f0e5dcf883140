// Helpers shared by the SIMD kernels. Everything here is inlined; the module
// has no globals, no data segments and no runtime, so many threads can
// instantiate it over one shared memory.

/**
 * a * b + c per lane: fused (one rounding) in the relaxed-SIMD build, where
 * the runtime has an FMA; a multiply then an add in the SIMD128 build. Each
 * build is deterministic on its own (parallel gives serial's bits); the two
 * builds differ in the last bits of f32 dot products.
 */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** Sum of the four lanes in the one fixed order every kernel uses: (l0 + l2) + (l1 + l3). */
// @ts-ignore: decorator
@inline export function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 2)) + (f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 3));
}

/**
 * Reduces four accumulators to one vector of their four sums, lane i = hsum(ai),
 * with exactly the additions hsum does, so a dot product gives the same bits
 * whether it was reduced alone or with three others.
 */
// @ts-ignore: decorator
@inline export function hsum4(a0: v128, a1: v128, a2: v128, a3: v128): v128 {
  // t01 = [a0.0+a0.2, a1.0+a1.2, a0.1+a0.3, a1.1+a1.3]
  const t01 = f32x4.add(v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), v128.shuffle<f32>(a0, a1, 2, 6, 3, 7));
  const t23 = f32x4.add(v128.shuffle<f32>(a2, a3, 0, 4, 1, 5), v128.shuffle<f32>(a2, a3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(t01, t23, 0, 1, 4, 5), v128.shuffle<f32>(t01, t23, 2, 3, 6, 7));
}

/**
 * e^x per lane, relative error about 1 ulp over the whole float range: Cody-Waite
 * reduction x = n ln2 + r, a degree-6 polynomial on |r| <= ln2/2, and 2^n applied
 * as two factors so that results down to the smallest subnormal (x ~ -103.9) are
 * right instead of flushed to zero. NaN stays NaN, -inf gives 0, overflow gives inf.
 */
// @ts-ignore: decorator
@inline export function expv(x: v128): v128 {
  // pmin/pmax are single instructions on x64 (min/max carry NaN and -0 rules that
  // cost several); with x as the first operand a NaN lane stays NaN
  const xc = f32x4.pmax(f32x4.pmin(x, f32x4.splat(88.8)), f32x4.splat(-104.0));
  const nf = f32x4.nearest(f32x4.mul(xc, f32x4.splat(1.44269504089)));
  let r = f32x4.sub(xc, f32x4.mul(nf, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(nf, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), f32x4.splat(1.0));
  // nf is a whole number in [-151, 129]: adding 1.5 * 2^23 puts it in the low
  // mantissa bits, a cheaper float-to-int than trunc_sat's saturating sequence on x64
  const magic = f32x4.splat(12582912.0);
  const n = i32x4.sub(f32x4.add(nf, magic), magic);
  const n1 = i32x4.shr_s(n, 1);
  const n2 = i32x4.sub(n, n1);
  const s1 = i32x4.shl(i32x4.add(n1, i32x4.splat(127)), 23);
  const s2 = i32x4.shl(i32x4.add(n2, i32x4.splat(127)), 23);
  const y = f32x4.mul(f32x4.mul(p, s1), s2);
  // below ln(2^-150) the true result rounds to zero
  return v128.bitselect(f32x4.splat(0), y, f32x4.lt(x, f32x4.splat(-103.98)));
}

/** f16 bits to f32, exact for every value including subnormals, infinities and NaN. */
// @ts-ignore: decorator
@inline export function f16ToF32(h: u32): f32 {
  const em = h & 0x7fff;
  const sign = (h & 0x8000) << 16;
  // shifting the exponent and mantissa into f32 position and scaling by 2^112
  // rebiases the exponent and normalises subnormals in one multiply
  const mag = reinterpret<f32>(em << 13) * reinterpret<f32>(0x77800000);
  const special = reinterpret<f32>(0x7f800000 | (em << 13));
  return reinterpret<f32>(reinterpret<u32>(em >= 0x7c00 ? special : mag) | sign);
}

/** f32 to f16 bits, round to nearest even (what ggml's FP32_TO_FP16 does). */
// @ts-ignore: decorator
@inline export function f32ToF16(f: f32): u32 {
  const bits = reinterpret<u32>(f);
  const sign = (bits >> 16) & 0x8000;
  const a = abs<f32>(f);
  if (a != a) return sign | 0x7e00;
  if (a >= 65520.0) return sign | 0x7c00;
  if (a < 6.103515625e-5) {
    // subnormal f16: a multiple of 2^-24; nearest() rounds ties to even
    return sign | <u32>nearest<f32>(a * 16777216.0);
  }
  const ab = reinterpret<u32>(a);
  let h = ((((ab >> 23) - 112) << 10) | ((ab >> 13) & 0x3ff));
  const rem = ab & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (h & 1) != 0)) h++;
  return sign | h;
}
