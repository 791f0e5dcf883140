/**
 * Typed-array views over the whole shared memory, indexed by byte address >> k.
 * A grown memory has a new, longer buffer: views are remade when its length changes.
 */
export class Heap {
  f32!: Float32Array;
  i32!: Int32Array;
  i16!: Int16Array;
  u16!: Uint16Array;
  i8!: Int8Array;
  private length = -1;

  constructor(private readonly memory: WebAssembly.Memory) {
    this.refresh();
  }

  /** Called at the start of every kernel: cheap when the memory has not grown. */
  refresh(): this {
    const buffer = this.memory.buffer;
    if (buffer.byteLength !== this.length) {
      this.length = buffer.byteLength;
      this.f32 = new Float32Array(buffer);
      this.i32 = new Int32Array(buffer);
      this.i16 = new Int16Array(buffer);
      this.u16 = new Uint16Array(buffer);
      this.i8 = new Int8Array(buffer);
    }
    return this;
  }
}
