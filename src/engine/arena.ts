// One shared WebAssembly.Memory owned by TypeScript: every tensor of an engine
// is a typed-array view on it, so the wasm kernels (and later worker threads)
// use them in place. First-fit allocation over an address-sorted free list.

import { fmtBytes } from "../format.js";

const PAGE = 65536;
const ALIGN = 64; // a cache line: 16-byte SIMD alignment, and no two tensors share a line
/** Addresses below this are never handed out, so 0 never names a tensor. */
const BASE = 1024;
/** Grow in steps of at least this much, so a model's many tensors do not grow the memory one by one. */
const GROW_STEP = 16 * 1024 * 1024;
export const MAX_WASM_MEMORY = 65536 * PAGE;

interface Block {
  start: number;
  size: number;
  /** Bytes asked for (size is that rounded up to the alignment). */
  bytes: number;
  /** Which allocation this is: a view made for an earlier one at the same address is stale. */
  serial: number;
}

export interface ArenaOptions {
  /** Largest size the memory may grow to, in bytes. */
  maxBytes: number;
  /** Size reserved at creation, in bytes. */
  initialBytes?: number;
}

/** How many recently checked views owns() remembers (a layer's ops touch a handful of tensors each). */
const VOUCHED = 16;

export class Arena {
  readonly memory: WebAssembly.Memory;
  readonly maxBytes: number;
  private readonly live: Block[] = []; // sorted by start
  private readonly free: Block[] = []; // sorted by start, coalesced
  private top = BASE; // everything from here to the end of memory is free
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  /** The views handed out for each allocation, with the allocation they belong to. */
  private readonly issued = new WeakMap<ArrayBufferView, { start: number; serial: number }>();
  private serials = 0;
  private inUse = 0;
  /**
   * Views that passed owns() since the last release: only a release can make
   * one stop being owned, so the hot path (every op checks its tensors) is a
   * few identity compares instead of a search and a WeakMap lookup.
   */
  private readonly vouched: (ArrayBufferView | undefined)[] = new Array(VOUCHED).fill(undefined);
  private vouchedAt = 0;

  constructor(options: ArenaOptions) {
    const { maxBytes } = options;
    if (!Number.isInteger(maxBytes) || maxBytes < PAGE || maxBytes > MAX_WASM_MEMORY) {
      throw new RangeError(`maxMemory must be a whole number of bytes from ${PAGE} to ${MAX_WASM_MEMORY} (4 GiB, the wasm32 limit), got ${maxBytes}`);
    }
    const maxPages = Math.floor(maxBytes / PAGE);
    const initialPages = Math.min(maxPages, Math.ceil((options.initialBytes ?? GROW_STEP) / PAGE));
    this.maxBytes = maxPages * PAGE;
    this.memory = new WebAssembly.Memory({ initial: initialPages, maximum: maxPages, shared: true });
    this.buffer();
  }

  /** The memory's current buffer (a new object after every grow; old views stay valid). */
  buffer(): SharedArrayBuffer {
    const b = this.memory.buffer as unknown as SharedArrayBuffer;
    this.buffers.add(b);
    return b;
  }

  get capacity(): number {
    return this.memory.buffer.byteLength;
  }

  get bytesInUse(): number {
    return this.inUse;
  }

  /** A zero-filled region of `bytes`, 64-byte aligned, every page written once. */
  alloc(bytes: number): number {
    if (!Number.isInteger(bytes) || bytes < 0) throw new RangeError(`allocation size must be a non-negative integer, got ${bytes}`);
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    let start = this.takeFree(size);
    if (start < 0) start = this.takeTop(size, bytes);
    insertSorted(this.live, { start, size, bytes, serial: ++this.serials });
    this.inUse += size;
    // fill also touches every page: a never-written page is slow on first read
    new Uint8Array(this.buffer(), start, size).fill(0);
    return start;
  }

  /** Records the view handed out for the allocation at `start`, so it is known stale once that allocation is freed. */
  issue<T extends ArrayBufferView>(view: T): T {
    const b = this.live[findIndex(this.live, view.byteOffset)];
    this.issued.set(view, { start: b.start, serial: b.serial });
    return view;
  }

  /** Returns a region to the free list. Throws for an address that is not a live allocation. */
  release(start: number): void {
    const i = findIndex(this.live, start);
    if (i < 0 || this.live[i].start !== start) throw new RangeError(`free: no live tensor starts at address ${start} (already freed?)`);
    const [block] = this.live.splice(i, 1);
    this.vouched.fill(undefined);
    this.inUse -= block.size;
    insertSorted(this.free, block);
    this.coalesce();
  }

  /** The live allocation that wholly contains [start, start + bytes), if any. */
  regionOf(start: number, bytes: number): Block | undefined {
    const i = findIndex(this.live, start);
    if (i < 0) return undefined;
    const b = this.live[i];
    return start + bytes <= b.start + b.size ? b : undefined;
  }

  /**
   * True when the view is on this memory and inside a live allocation, and,
   * for a view this arena handed out, that allocation is still the one it was
   * made for (a freed tensor's view stays refused after its memory is reused).
   * A subarray of a freed tensor cannot be told from one of the new tensor.
   */
  owns(view: ArrayBufferView): boolean {
    const v = this.vouched;
    for (let i = 0; i < VOUCHED; i++) if (v[i] === view) return true;
    if (!this.buffers.has(view.buffer)) return false;
    const b = this.regionOf(view.byteOffset, view.byteLength);
    if (b === undefined) return false;
    const made = this.issued.get(view);
    if (made !== undefined && (made.start !== b.start || made.serial !== b.serial)) return false;
    v[this.vouchedAt] = view;
    this.vouchedAt = (this.vouchedAt + 1) % VOUCHED;
    return true;
  }

  /** The live allocation that is exactly this view (not a part of it), if any. */
  wholeAllocation(view: ArrayBufferView): Block | undefined {
    const b = this.owns(view) ? this.regionOf(view.byteOffset, view.byteLength) : undefined;
    return b && b.start === view.byteOffset && b.bytes === view.byteLength ? b : undefined;
  }

  private takeFree(size: number): number {
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i];
      if (b.size < size) continue;
      const start = b.start;
      if (b.size === size) this.free.splice(i, 1);
      else { b.start += size; b.size -= size; }
      return start;
    }
    return -1;
  }

  private takeTop(size: number, asked: number): number {
    const end = this.top + size;
    if (end > this.capacity) {
      if (end > this.maxBytes) {
        throw new RangeError(`crossover: out of arena memory: ${fmtBytes(asked)} more would need ${fmtBytes(end)} ` +
          `but maxMemory is ${fmtBytes(this.maxBytes)} (${fmtBytes(this.inUse)} in use). ` +
          `Free tensors you no longer need with engine.free(), or create the engine with a larger maxMemory (at most 4 GiB).`);
      }
      const want = Math.min(this.maxBytes, Math.max(end, this.capacity + GROW_STEP));
      try {
        this.memory.grow(Math.ceil((want - this.capacity) / PAGE));
      } catch (err) {
        throw new RangeError(`crossover: could not grow the arena to ${fmtBytes(want)}: ${(err as Error).message}. ` +
          `The system may be short of memory; free tensors or use a smaller model.`);
      }
      this.buffer();
    }
    const start = this.top;
    this.top = end;
    return start;
  }

  private coalesce(): void {
    const f = this.free;
    for (let i = 0; i + 1 < f.length; ) {
      if (f[i].start + f[i].size === f[i + 1].start) {
        f[i].size += f[i + 1].size;
        f.splice(i + 1, 1);
      } else i++;
    }
    // a free block that reaches the top gives its space back to the top
    const last = f[f.length - 1];
    if (last && last.start + last.size === this.top) {
      this.top = last.start;
      f.pop();
    }
  }
}

/** Index of the last block whose start is <= addr, or -1. */
function findIndex(blocks: Block[], addr: number): number {
  let lo = 0, hi = blocks.length - 1, ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (blocks[mid].start <= addr) { ans = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return ans;
}

function insertSorted(blocks: Block[], block: Block): void {
  const i = findIndex(blocks, block.start);
  blocks.splice(i + 1, 0, block);
}
