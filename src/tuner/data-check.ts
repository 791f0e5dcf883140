/**
 * What a timed call's data looked like: subnormal floats make some CPUs 10-100x
 * slower per element (wasm cannot flush them to zero), and infinities or NaN
 * mean the data drifted out of anything a model computes. Either way the time
 * measured is not the op's.
 */
export interface DataCensus {
  values: number;
  subnormal: number;
  nonFinite: number;
}

export function censusOf(arrays: readonly Float32Array[]): DataCensus {
  let values = 0, subnormal = 0, nonFinite = 0;
  for (const a of arrays) {
    // the exponent bits say it directly: 0 with a mantissa is subnormal, 255 is Inf or NaN
    const bits = new Uint32Array(a.buffer, a.byteOffset, a.length);
    for (let i = 0; i < bits.length; i++) {
      const b = bits[i];
      const exp = (b >>> 23) & 0xff;
      if (exp === 0) { if ((b & 0x7fffff) !== 0) subnormal++; }
      else if (exp === 0xff) nonFinite++;
    }
    values += a.length;
  }
  return { values, subnormal, nonFinite };
}

/** The census in words when the data was not what a model would see; undefined when it was. */
export function dataIssue(c: DataCensus): string | undefined {
  if (c.subnormal === 0 && c.nonFinite === 0) return undefined;
  const parts: string[] = [];
  if (c.subnormal > 0) parts.push(`${c.subnormal} subnormal`);
  if (c.nonFinite > 0) parts.push(`${c.nonFinite} non-finite`);
  return `${parts.join(" and ")} of ${c.values} output values after timing`;
}
