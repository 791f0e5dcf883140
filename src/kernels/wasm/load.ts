import { readFileSync } from "node:fs";
import { KERNEL_NAMES, type Kernels } from "../types.js";

/**
 * The two builds of the wasm kernels (scripts/build-wasm.mjs): SIMD128, which
 * every supported Node runs, and relaxed SIMD (f32x4.relaxed_madd, the int8
 * dot), which Node 22 and 24 run and Node 20 refuses without a V8 flag.
 */
export const WASM_BUILDS = ["simd128", "relaxed"] as const;
export type WasmBuild = (typeof WASM_BUILDS)[number];

// The compiled modules sit in dist/wasm; this file lives at the same depth in
// src/ (tests) and dist/ (the package), so one relative path serves both.
const wasmUrl = (build: WasmBuild) => new URL(`../../../dist/wasm/${build === "simd128" ? "kernels" : `kernels-${build}`}.wasm`, import.meta.url);

const compiled = new Map<WasmBuild, WebAssembly.Module>();
const bytes = new Map<WasmBuild, Buffer>();

/** A build's module bytes, read once per thread: what the kernels are (a profile records their hash). */
export function wasmBytes(build: WasmBuild): Buffer {
  let b = bytes.get(build);
  if (b) return b;
  const url = wasmUrl(build);
  try {
    b = readFileSync(url);
  } catch (err) {
    throw new Error(`crossover: the WebAssembly kernels are not built (${url.pathname} is missing). ` +
      `Run "npm run build" in the crossover package. (${(err as Error).message})`);
  }
  bytes.set(build, b);
  return b;
}

const runs = new Map<WasmBuild, boolean>();

/** Whether this runtime runs `build` (Node 20 refuses the relaxed one); validated once per thread. */
export function wasmBuildRuns(build: WasmBuild): boolean {
  let ok = runs.get(build);
  if (ok === undefined) {
    try {
      ok = WebAssembly.validate(wasmBytes(build));
    } catch {
      ok = false;
    }
    runs.set(build, ok);
  }
  return ok;
}

let preferred: WasmBuild | undefined;

/**
 * The build an engine uses unless told otherwise: CROSSOVER_WASM_BUILD when set
 * (a build name; an A/B switch like the engine's `wasmBuild` option), else
 * the relaxed build where the runtime validates it, else SIMD128.
 */
export function defaultWasmBuild(): WasmBuild {
  if (preferred) return preferred;
  const env = process.env.CROSSOVER_WASM_BUILD;
  if (env !== undefined && env !== "") preferred = checkWasmBuild("CROSSOVER_WASM_BUILD", env);
  else preferred = wasmBuildRuns("relaxed") ? "relaxed" : "simd128";
  return preferred;
}

/** `value` as a build this runtime runs, or a clear error. */
export function checkWasmBuild(where: string, value: unknown): WasmBuild {
  if (!(WASM_BUILDS as readonly unknown[]).includes(value)) {
    throw new RangeError(`${where}: the wasm build must be one of ${WASM_BUILDS.join(", ")}, got ${JSON.stringify(value)}`);
  }
  const build = value as WasmBuild;
  if (!wasmBuildRuns(build)) {
    throw new RangeError(`${where}: this runtime (Node ${process.versions.node}) does not run the ${build} wasm build ` +
      `(relaxed SIMD needs Node 22 or later); use "simd128"`);
  }
  return build;
}

/** A build's compiled module, compiled once per thread. */
export function wasmModule(build: WasmBuild): WebAssembly.Module {
  let m = compiled.get(build);
  if (!m) {
    m = new WebAssembly.Module(wasmBytes(build));
    compiled.set(build, m);
  }
  return m;
}

/** Instantiates a build's kernels over a shared memory (synchronously: the module is small). */
export function wasmKernels(memory: WebAssembly.Memory, build: WasmBuild): Kernels {
  const instance = new WebAssembly.Instance(wasmModule(build), { env: { memory } });
  const bound: Record<string, unknown> = { name: "wasm" };
  // the Q8_0 pairs in the form this runtime's int8 dot runs best and exactly (see matmul-q8.ts)
  const forms = Q8_FORMS[int8DotForm(instance)];
  for (const name of KERNEL_NAMES) {
    const f = instance.exports[forms[name] ?? name];
    if (typeof f !== "function") {
      throw new Error(`crossover: the WebAssembly kernels have no "${name}" export: dist/wasm is out of date. Run "npm run build" in the crossover package.`);
    }
    bound[name] = f;
  }
  return bound as unknown as Kernels;
}

/**
 * Which export each Q8_0 kernel name binds to, by int8DotForm: 2 (unsigned,
 * VNNI) the u8 form from 4 rows and sign transfer below; 1 (signed, exact)
 * sign transfer throughout; 0 (saturating, and the SIMD128 build) the widened
 * dot throughout (on Node 22 here sign transfer ran 1.26x slower than it).
 */
const Q8_FORMS: Record<number, Partial<Record<string, string>>> = {
  2: {},
  1: { quantizeRowsQ8U: "quantizeRowsQ8", matmulQ8U: "matmulQ8" },
  0: { quantizeRowsQ8: "quantizeRowsQ8W", matmulQ8: "matmulQ8W", quantizeRowsQ8U: "quantizeRowsQ8W", matmulQ8U: "matmulQ8W" },
};

/** The instance's int8DotForm (0 where it has none). */
function int8DotForm(instance: WebAssembly.Instance): number {
  const probe = instance.exports.int8DotForm;
  const form = typeof probe === "function" ? probe(127, 255) : 0;
  return form === 1 || form === 2 ? form : 0;
}

/** Which form `build`'s Q8_0 kernels take on this runtime (for bench and reports). */
export function wasmInt8DotForm(build: WasmBuild): "unsigned" | "sign transfer" | "widened" {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  const form = int8DotForm(new WebAssembly.Instance(wasmModule(build), { env: { memory } }));
  return form === 2 ? "unsigned" : form === 1 ? "sign transfer" : "widened";
}
