// IEEE half precision <-> single, exact, with f32 rounding where ggml rounds.
// Plain JS, used by the JS backend and the Q8_0 helpers.

const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);

/** f16 bits to the float they encode (exact). */
export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** A float (rounded to f32 first, as C does) to f16 bits, round to nearest even. */
export function f32ToF16(value: number): number {
  f32buf[0] = value;
  const bits = u32buf[0];
  const sign = (bits >>> 16) & 0x8000;
  const a = Math.abs(f32buf[0]);
  if (Number.isNaN(a)) return sign | 0x7e00;
  if (a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | roundHalfEven(a * 2 ** 24);
  const ab = bits & 0x7fffffff;
  let h = (((ab >>> 23) - 112) << 10) | ((ab >>> 13) & 0x3ff);
  const rem = ab & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) !== 0)) h++;
  return sign | h;
}

function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}
