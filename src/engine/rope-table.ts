import type { Heap } from "../kernels/js/heap.js";
import type { Arena } from "./arena.js";
import type { Scratch } from "./scratch.js";

/**
 * cos/sin tables per (headDim, base), rows [cos(half) | sin(half)] for
 * positions 0..length-1, filled lazily up to the largest position used.
 * Angles are computed in float64 (p * base^(-2i/headDim)) and rounded once,
 * so each entry is the correctly rounded f32 of the exact value. A position
 * past the table gets its row computed the same way into per-call scratch.
 */
/**
 * Tables kept at once. Models use one or two (head size, base) pairs; per-request
 * bases (dynamic NTK scaling) would otherwise keep a table each forever (4 MiB at
 * headDim 128) until the arena runs out.
 */
export const MAX_TABLES = 8;

export class RopeTables {
  private readonly tables = new Map<string, { addr: number; filled: number; invFreq: Float64Array }>();

  constructor(private readonly arena: Arena, private readonly heap: Heap, private readonly scratch: Scratch, readonly length: number) {}

  /** Builds the per-token row-address table for a call and returns its byte address. */
  rowTable(headDim: number, base: number, positions: ArrayLike<number> | number, seqLen: number): number {
    const t = this.table(headDim, base);
    const rowBytes = headDim * 4;
    const rows = this.scratch.get("rope.rows", seqLen * 4);
    let maxPos = -1, beyond = 0;
    for (let i = 0; i < seqLen; i++) {
      const p = typeof positions === "number" ? positions + i : positions[i];
      if (p < this.length) maxPos = Math.max(maxPos, p);
      else beyond++;
    }
    if (maxPos >= t.filled) this.fill(t, headDim, Math.min(this.length, Math.max(maxPos + 1, t.filled * 2, 256)));
    const overflow = beyond > 0 ? this.scratch.get("rope.overflow", seqLen * rowBytes) : 0;
    const { f32: f, i32 } = this.heap.refresh();
    for (let i = 0; i < seqLen; i++) {
      const p = typeof positions === "number" ? positions + i : positions[i];
      if (p < this.length) {
        i32[(rows >> 2) + i] = t.addr + p * rowBytes;
      } else {
        const addr = overflow + i * rowBytes;
        writeRow(f, addr >> 2, p, t.invFreq);
        i32[(rows >> 2) + i] = addr;
      }
    }
    return rows;
  }

  private table(headDim: number, base: number) {
    const key = `${headDim}/${base}`;
    let t = this.tables.get(key);
    if (t) {
      // most recently used last: Map keeps insertion order
      this.tables.delete(key);
      this.tables.set(key, t);
    } else {
      if (this.tables.size >= MAX_TABLES) this.evictOldest();
      const half = headDim / 2;
      const invFreq = new Float64Array(half);
      for (let i = 0; i < half; i++) invFreq[i] = Math.pow(base, (-2 * i) / headDim);
      t = { addr: this.arena.alloc(this.length * headDim * 4), filled: 0, invFreq };
      this.tables.set(key, t);
    }
    return t;
  }

  /** Frees the least recently used table: a call in flight never holds one (ops are synchronous). */
  private evictOldest(): void {
    const [key, oldest] = this.tables.entries().next().value!;
    this.tables.delete(key);
    this.arena.release(oldest.addr);
  }

  private fill(t: { addr: number; filled: number; invFreq: Float64Array }, headDim: number, upTo: number): void {
    const f = this.heap.refresh().f32;
    for (let p = t.filled; p < upTo; p++) writeRow(f, (t.addr >> 2) + p * headDim, p, t.invFreq);
    t.filled = upTo;
  }
}

function writeRow(f: Float32Array, at: number, p: number, invFreq: Float64Array): void {
  const half = invFreq.length;
  for (let i = 0; i < half; i++) {
    const a = p * invFreq[i];
    f[at + i] = Math.cos(a);
    f[at + half + i] = Math.sin(a);
  }
}
