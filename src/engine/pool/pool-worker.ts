// A pool worker: instantiates the kernels over the engine's shared memory, then
// loops forever: spin on GEN for the spin window, sleep in Atomics.wait, run its
// slice of each published op, acknowledge by decrementing PENDING.
import { parentPort, workerData } from "node:worker_threads";
import { jsKernels } from "../../kernels/js/index.js";
import { KERNEL_NAMES, type BackendName, type Kernels } from "../../kernels/types.js";
import { wasmKernels } from "../../kernels/wasm/load.js";
import {
  controlBlock, EXIT, FAULT_EXIT, FAULT_NONE, FAULT_THROW, GEN, KERNEL, NARGS, PENDING, SCRATCH_ARG,
  SCRATCH_STRIDE, SLEEPERS, slot, SPIN_MICROS, STATUS_DEAD, STATUS_ERROR, STATUS_OK, W_END, W_FAULT, W_RESULT, W_START,
  W_STATUS, writeError,
} from "./control-block.js";

export interface WorkerInit {
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  index: number;
  backend: BackendName;
}

const init = workerData as WorkerInit;
const cb = controlBlock(init.control);
const ctl = cb.i32;
const me = init.index;
const kernels: Kernels = init.backend === "wasm" ? wasmKernels(init.memory) : jsKernels(init.memory);
const fns = KERNEL_NAMES.map((name) => kernels[name] as (...a: number[]) => number | void);
const args: number[] = [];

// If this thread ends abnormally, say so in the control block so the caller
// stops waiting at once instead of at its deadline.
process.on("exit", () => {
  Atomics.store(ctl, slot(me, W_STATUS), STATUS_DEAD);
  Atomics.sub(ctl, PENDING, 0); // a store barrier; the caller polls PENDING and the status
});

/** Spins for the spin window, then sleeps until GEN moves past `seen`. */
function waitForWork(seen: number): number {
  for (;;) {
    const windowMs = Atomics.load(ctl, SPIN_MICROS) / 1000;
    const t0 = performance.now();
    let polls = 0;
    for (;;) {
      const g = Atomics.load(ctl, GEN);
      if (g !== seen) return g;
      // Checking the clock costs ~40 ns: do it every 256 polls (a few us).
      if ((++polls & 255) === 0 && performance.now() - t0 >= windowMs) break;
    }
    Atomics.add(ctl, SLEEPERS, 1);
    Atomics.wait(ctl, GEN, seen); // returns at once if GEN already moved
    Atomics.sub(ctl, SLEEPERS, 1);
  }
}

function runSlice(start: number, end: number): void {
  const kernel = Atomics.load(ctl, KERNEL);
  const n = Atomics.load(ctl, NARGS);
  args.length = n + 2;
  for (let i = 0; i < n; i++) args[i] = cb.args[i];
  const scratchArg = Atomics.load(ctl, SCRATCH_ARG);
  if (scratchArg >= 0) args[scratchArg] += me * Atomics.load(ctl, SCRATCH_STRIDE);
  args[n] = start;
  args[n + 1] = end;
  const fault = Atomics.exchange(ctl, slot(me, W_FAULT), FAULT_NONE);
  if (fault === FAULT_THROW) throw new Error("injected fault (test hook)");
  if (fault === FAULT_EXIT) process.exit(70);
  const result = fns[kernel](...args);
  Atomics.store(ctl, slot(me, W_RESULT), typeof result === "number" ? result : 0);
}

let seen = Atomics.load(ctl, GEN);
parentPort!.postMessage("ready");
for (;;) {
  seen = waitForWork(seen);
  if (Atomics.load(ctl, KERNEL) === EXIT) break;
  const start = Atomics.load(ctl, slot(me, W_START));
  const end = Atomics.load(ctl, slot(me, W_END));
  if (end <= start) continue; // not a participant in this op
  try {
    runSlice(start, end);
    Atomics.store(ctl, slot(me, W_STATUS), STATUS_OK);
  } catch (err) {
    writeError(cb, me, err instanceof Error ? `${err.name}: ${err.message}` : String(err));
    Atomics.store(ctl, slot(me, W_STATUS), STATUS_ERROR);
  }
  Atomics.sub(ctl, PENDING, 1);
}
