// Atomics.pause (Node 24; not in Node 20): a hint to the CPU, and through it to
// the hypervisor, that the thread spins waiting. It saves power and the
// sibling hyperthread's cycles, and lets a hypervisor run a descheduled vCPU
// sooner. Where the runtime lacks it, a no-op.
const native = (Atomics as unknown as { pause?: (iterations?: number) => void }).pause;

/** One spin-wait hint, or nothing where the runtime has none. */
export const spinPause: () => void = typeof native === "function" ? () => native.call(Atomics) : () => {};

/** Whether this runtime has Atomics.pause. */
export const HAS_ATOMICS_PAUSE = typeof native === "function";
