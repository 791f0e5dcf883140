// How the CLI and the report print numbers: one place per unit, so a time,
// a size or a work count reads the same everywhere.

/** A time in nanoseconds: "850 ns", "1.25 µs", "3.402 ms". */
export function fmtNs(ns: number): string {
  if (ns < 1e3) return `${ns.toFixed(0)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${(ns / 1e6).toFixed(3)} ms`;
}

/** A wall-clock duration in milliseconds: "250ms", "42s", "4m04s". */
export function fmtDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}

/** A size in bytes: "512 bytes", "32.0 KiB", "16.0 MiB", "1.50 GiB". */
export function fmtBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KiB`;
  return `${n} bytes`;
}

/** A work count (elements, multiply-adds): exact below 10k, then three digits: "1536", "59.4k", "2.10M". */
export function fmtWork(w: number): string {
  if (w >= 1e9) return `${(w / 1e9).toPrecision(3)}G`;
  if (w >= 1e6) return `${(w / 1e6).toPrecision(3)}M`;
  if (w >= 1e4) return `${(w / 1e3).toPrecision(3)}k`;
  return String(Math.round(w));
}

/** A fraction as a whole percentage: 0.03 -> "3%". */
export function fmtPercent(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}

/** A p-value: "p < 0.0001" or "p = 0.0123". */
export function fmtP(p: number): string {
  return p < 1e-4 ? "p < 0.0001" : `p = ${p.toFixed(4)}`;
}

/** A shape as its fields, e.g. "heads=8 headDim=64 seqLen=16". */
export function shapeText(p: { shape: Readonly<Record<string, number>> }): string {
  return Object.entries(p.shape).map(([k, v]) => `${k}=${v}`).join(" ");
}

/** A machine's cache sizes, e.g. "L1D 32 KiB, L2 1 MiB" (empty when none were readable). */
export function cachesText(caches: Readonly<Record<string, number | undefined>> | undefined): string {
  return Object.entries(caches ?? {}).map(([k, v]) => `${k.toUpperCase()} ${v! >= 2 ** 20 ? `${v! / 2 ** 20} MiB` : `${v! / 1024} KiB`}`).join(", ");
}
