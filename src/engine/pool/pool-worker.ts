// A pool worker: instantiates the kernels over each attached engine's shared
// memory, then loops forever: spin on GEN for the spin window, sleep in
// Atomics.wait, claim its slice of each published op (unless the caller, done
// with its own, took it first), run it on the memory of the engine that
// published it, acknowledge by decrementing PENDING.
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from "node:worker_threads";
import { jsKernels } from "../../kernels/js/index.js";
import { KERNEL_NAMES, type Kernels } from "../../kernels/types.js";
import { wasmKernels, type WasmBuild } from "../../kernels/wasm/load.js";
import { spinPause } from "./spin-pause.js";
import {
  ATTACH, controlBlock, DETACH, ENGINE, EXIT, FAULT_EXIT, FAULT_HOLD, FAULT_NONE, FAULT_THROW, GEN, KERNEL, NARGS, PENDING, SCRATCH_ARG,
  SCRATCH_STRIDE, SLEEPERS, slot, SPIN_MICROS, STATUS_DEAD, STATUS_ERROR, STATUS_OK, W_CLAIM, W_END, W_FAULT, W_RESULT, W_SLEEPING, W_START, W_WAKE,
  W_STATUS, writeError,
} from "./control-block.js";

/** The kernels an engine runs: a wasm build, or the js backend. */
export type AttachedKernels = WasmBuild | "js";

/** One engine's memory and kernels, under the id the control block's ENGINE slot names. */
export interface Attachment {
  id: number;
  memory: WebAssembly.Memory;
  kernels: AttachedKernels;
}

export interface WorkerInit {
  control: SharedArrayBuffer;
  index: number;
  /** The engines attached when this worker started; later ones arrive on `port`. */
  attachments: Attachment[];
  port: MessagePort;
}

const init = workerData as WorkerInit;
const cb = controlBlock(init.control);
const ctl = cb.i32;
const me = init.index;
type Fns = ((...a: number[]) => number | void)[];
const engines = new Map<number, Fns>();

function attach(a: Attachment): void {
  const kernels: Kernels = a.kernels === "js" ? jsKernels(a.memory) : wasmKernels(a.memory, a.kernels);
  engines.set(a.id, KERNEL_NAMES.map((name) => kernels[name] as (...x: number[]) => number | void));
}
for (const a of init.attachments) attach(a);

/** The attachment the caller posted before publishing ATTACH: posted first, so it is there (or arrives in moments). */
function receiveAttachment(id: number): void {
  for (let tries = 0; ; tries++) {
    const m = receiveMessageOnPort(init.port)?.message as Attachment | undefined;
    if (m?.id === id) return attach(m);
    if (m === undefined && tries > 10_000) throw new Error(`attachment ${id} never arrived`);
    if (m === undefined) Atomics.wait(ctl, SLEEPERS, -1, 0.1); // a 100 us nap (SLEEPERS is never -1)
  }
}
const args: number[] = [];

// If this thread ends abnormally, say so in the control block so the caller
// stops waiting at once instead of at its deadline.
process.on("exit", () => {
  Atomics.store(ctl, slot(me, W_STATUS), STATUS_DEAD);
  Atomics.sub(ctl, PENDING, 0); // a store barrier; the caller polls PENDING and the status
});

/** When this worker last had work: it spins for the spin window after that, then sleeps. */
let workedAt = performance.now();

/**
 * Waits until GEN moves past `seen`. Spins while the spin window since this
 * worker's last slice lasts (ops it sits out do not extend it: a worker of a
 * thread count not in use must not spin against the ones in use), then sleeps
 * on its own wake word, which the caller bumps only when it gives this worker
 * a slice.
 */
function waitForWork(seen: number): number {
  for (;;) {
    const windowMs = Atomics.load(ctl, SPIN_MICROS) / 1000;
    let polls = 0;
    for (;;) {
      const g = Atomics.load(ctl, GEN);
      if (g !== seen) return g;
      spinPause();
      // Checking the clock costs ~40 ns: do it every 256 polls (a few us).
      if ((++polls & 255) === 0 && performance.now() - workedAt >= windowMs) break;
    }
    // Announce the sleep, then look at GEN once more: the caller bumps GEN before it reads W_SLEEPING
    // (both sequentially consistent), so either it sees us asleep and wakes us, or we see its op here.
    const wake = Atomics.load(ctl, slot(me, W_WAKE));
    Atomics.store(ctl, slot(me, W_SLEEPING), 1);
    Atomics.add(ctl, SLEEPERS, 1);
    if (Atomics.load(ctl, GEN) === seen) Atomics.wait(ctl, slot(me, W_WAKE), wake);
    Atomics.sub(ctl, SLEEPERS, 1);
    Atomics.store(ctl, slot(me, W_SLEEPING), 0);
    // woken for a slice: spin a window from now even if the caller ran that slice itself before this
    // thread got a CPU (else it slept again at once, lost every race, and never took a slice while ops flowed)
    workedAt = performance.now();
    const g = Atomics.load(ctl, GEN);
    if (g !== seen) return g;
  }
}

function runSlice(start: number, end: number): void {
  const kernel = Atomics.load(ctl, KERNEL);
  if (kernel === ATTACH) return receiveAttachment(cb.args[0]);
  if (kernel === DETACH) {
    engines.delete(cb.args[0]);
    return;
  }
  const fns = engines.get(Atomics.load(ctl, ENGINE));
  if (!fns) throw new Error(`no kernels for engine ${Atomics.load(ctl, ENGINE)} on this worker`);
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
  // test hook: stop here, as a worker the OS has descheduled would, until the test clears it
  if (Atomics.load(ctl, slot(me, W_FAULT)) === FAULT_HOLD) Atomics.wait(ctl, slot(me, W_FAULT), FAULT_HOLD);
  // not a participant, or the caller already ran this slice itself; the slice is read after the claim, which
  // the caller stores after everything else of its op (a late worker may claim the next op before GEN moves: that is fine)
  if (Atomics.compareExchange(ctl, slot(me, W_CLAIM), 1, 0) !== 1) continue;
  const start = Atomics.load(ctl, slot(me, W_START));
  const end = Atomics.load(ctl, slot(me, W_END));
  workedAt = performance.now();
  try {
    runSlice(start, end);
    Atomics.store(ctl, slot(me, W_STATUS), STATUS_OK);
  } catch (err) {
    writeError(cb, me, err instanceof Error ? `${err.name}: ${err.message}` : String(err));
    Atomics.store(ctl, slot(me, W_STATUS), STATUS_ERROR);
  }
  workedAt = performance.now();
  Atomics.sub(ctl, PENDING, 1);
}
