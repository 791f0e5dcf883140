import { describe, expect, it } from "vitest";
import { Arena } from "../src/engine/arena.js";
import { createEngine } from "../src/index.js";

describe("arena", () => {
  it("hands out 16-byte (64-byte) aligned, zero-filled regions and reuses freed ones", () => {
    const a = new Arena({ maxBytes: 8 * 2 ** 20, initialBytes: 2 ** 20 });
    const p = a.alloc(100), q = a.alloc(3);
    expect(p % 16).toBe(0);
    expect(q % 64).toBe(0);
    expect(q).toBeGreaterThanOrEqual(p + 100);
    new Uint8Array(a.buffer(), p, 100).fill(7);
    a.release(p);
    const r = a.alloc(64);
    expect(r).toBe(p); // first fit takes the freed block
    expect(new Uint8Array(a.buffer(), r, 64).every((b) => b === 0)).toBe(true);
  });

  it("grows the memory as tensors are allocated; views made before a grow stay valid", async () => {
    const e = await createEngine({ threads: 1, policy: "serial", maxMemory: 256 * 2 ** 20 });
    const small = e.f32(16);
    small[3] = 42;
    const before = e.memoryUsage().capacity;
    const big = e.f32(40 * 2 ** 20 / 4); // 40 MiB: more than the initial reservation
    expect(e.memoryUsage().capacity).toBeGreaterThan(before);
    expect(big.length).toBe(10 * 2 ** 20);
    expect(big[big.length - 1]).toBe(0);
    expect(small[3]).toBe(42);
    const w = e.f32(16), y = e.f32(16);
    w.fill(1);
    e.rmsNorm(y, small, w, { rows: 1, dim: 16 }); // an old view still works after the grow
    expect(y[3]).toBeCloseTo(4, 5);
    e.close();
  });

  it("running out is a clear RangeError, and the arena keeps working after it", async () => {
    const e = await createEngine({ threads: 1, policy: "serial", maxMemory: 32 * 2 ** 20 });
    const a = e.f32(4 * 2 ** 20); // 16 MiB
    expect(() => e.f32(5 * 2 ** 20)).toThrow(/out of arena memory.*maxMemory is 32.0 MiB.*engine.free\(\)/);
    e.free(a);
    expect(e.f32(5 * 2 ** 20).length).toBe(5 * 2 ** 20); // fits once the first is freed
    e.close();
  });

  it("coalesces neighbours on free so a large block fits where small ones were", () => {
    const a = new Arena({ maxBytes: 2 ** 20 * 4, initialBytes: 2 ** 20 });
    const blocks = Array.from({ length: 8 }, () => a.alloc(4096));
    const guard = a.alloc(64);
    for (const b of blocks) a.release(b);
    expect(a.alloc(8 * 4096)).toBe(blocks[0]);
    expect(a.bytesInUse).toBe(8 * 4096 + 64);
    a.release(guard);
  });
});
