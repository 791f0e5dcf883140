
/**
 * The pool's control block: one small SharedArrayBuffer that the calling
 * thread and the workers share. An op is published by writing its kernel,
 * arguments and each worker's slice, then bumping GEN; a worker acknowledges by
 * decrementing PENDING. Everything is Int32 slots (for Atomics) plus a Float64
 * argument area, so dispatch allocates nothing.
 */
// Global Int32 slots.
export const GEN = 0; // generation: bumped once per published op
export const SLEEPERS = 1; // workers asleep (each on its own W_WAKE)
export const PENDING = 2; // participating workers that have not finished the current op
export const KERNEL = 3; // index into KERNEL_NAMES (kernels/types.ts), or EXIT
export const NARGS = 4;
export const SCRATCH_ARG = 5; // argument that is a per-thread scratch address (-1: none)
export const SCRATCH_STRIDE = 6; // bytes between threads' scratch regions
export const SPIN_MICROS = 7; // the spin window, read by workers each time they go idle
export const ENGINE = 8; // whose memory the op runs on: an attachment id (one pool serves every engine of a thread)
export const EXIT = -1;
export const ATTACH = -2; // KERNEL code: take the memory posted for attachment args[0] and instantiate its kernels
export const DETACH = -3; // KERNEL code: drop attachment args[0]

// Per-worker Int32 slots, worker w (1-based: thread 0 is the caller) at WORKER_BASE + w * WORKER_SLOTS.
export const WORKER_BASE = 16;
export const WORKER_SLOTS = 16; // 64 bytes: one cache line per worker, so one worker's claim does not disturb another's
export const W_START = 0;
export const W_END = 1;
export const W_STATUS = 2; // STATUS_*
export const W_RESULT = 3; // the kernel's return value for this slice
export const W_FAULT = 4; // test hook: FAULT_* to inject on this worker's next slice
export const W_ERROR_LENGTH = 5; // bytes of the error message in the worker's text area
export const W_WAKE = 6; // a sleeping worker waits on this word: the caller bumps it to wake this worker only
export const W_SLEEPING = 7; // 1 while the worker is about to sleep or asleep on W_WAKE
// 1 while the slice published to this worker is unclaimed: the worker, or the caller once its own slice is done
// (a worker the OS has descheduled must not make the caller wait), takes it with a compareExchange to 0
export const W_CLAIM = 8;

export const STATUS_OK = 0;
export const STATUS_ERROR = 1;
export const STATUS_DEAD = 2;

export const FAULT_NONE = 0;
export const FAULT_THROW = 1; // the kernel call throws
export const FAULT_EXIT = 2; // the worker thread exits in the middle of its slice
export const FAULT_HOLD = 3; // the worker stops before claiming its next slice until the hook is cleared (a descheduled worker)

export const MAX_ARGS = 16;
export const MAX_WORKERS = 255;
const ARGS_BYTE = (WORKER_BASE + (MAX_WORKERS + 1) * WORKER_SLOTS) * 4;
const TEXT_BYTE = ARGS_BYTE + MAX_ARGS * 8;
export const TEXT_BYTES = 512;

export interface ControlBlock {
  buffer: SharedArrayBuffer;
  i32: Int32Array;
  args: Float64Array;
  text: Uint8Array;
}

export function controlBlockBytes(workers: number): number {
  return TEXT_BYTE + (workers + 1) * TEXT_BYTES;
}

export function controlBlock(buffer: SharedArrayBuffer): ControlBlock {
  return {
    buffer,
    i32: new Int32Array(buffer, 0, ARGS_BYTE / 4),
    args: new Float64Array(buffer, ARGS_BYTE, MAX_ARGS),
    text: new Uint8Array(buffer, TEXT_BYTE),
  };
}

export function slot(worker: number, field: number): number {
  return WORKER_BASE + worker * WORKER_SLOTS + field;
}

/** Writes a worker's error message into its text area (truncated to fit). */
export function writeError(cb: ControlBlock, worker: number, message: string): void {
  const area = cb.text.subarray(worker * TEXT_BYTES, (worker + 1) * TEXT_BYTES);
  const { written } = new TextEncoder().encodeInto(message, area);
  Atomics.store(cb.i32, slot(worker, W_ERROR_LENGTH), written);
}

export function readError(cb: ControlBlock, worker: number): string {
  const n = Atomics.load(cb.i32, slot(worker, W_ERROR_LENGTH));
  // TextDecoder refuses views of shared memory: copy out first.
  return new TextDecoder().decode(cb.text.slice(worker * TEXT_BYTES, worker * TEXT_BYTES + n));
}
