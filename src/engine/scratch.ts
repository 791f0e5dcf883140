import type { Arena } from "./arena.js";

/**
 * Named scratch regions in the arena that grow (to the next power of two) and
 * are otherwise reused, so ops allocate nothing per call once warm.
 */
export class Scratch {
  private readonly slots = new Map<string, { addr: number; bytes: number }>();

  constructor(private readonly arena: Arena) {}

  get(slot: string, bytes: number): number {
    const cur = this.slots.get(slot);
    if (cur && cur.bytes >= bytes) return cur.addr;
    if (cur) this.arena.release(cur.addr);
    this.slots.delete(slot);
    const size = 2 ** Math.ceil(Math.log2(Math.max(bytes, 256)));
    const addr = this.arena.alloc(size);
    this.slots.set(slot, { addr, bytes: size });
    return addr;
  }
}
