// A/B of two wasm kernel modules in one process, interleaved, one thread:
// Q8_0 and FP32 matmul at 2048x2048 for batch 1, 8 and 32, median time ratio
// B/A over 25 rounds, and whether the outputs are the same bits. The two
// builds:   node scripts/kernel-ab.mjs dist/wasm/kernels.wasm dist/wasm/kernels-relaxed.wasm
// (Node 22 or later for the relaxed one), or a module built from another commit.
// A file name ending in ":u" takes that module's u8 form of the Q8_0 kernels
// (quantizeRowsQ8U, matmulQ8U: where int8DotForm is 2), ":w" its widened form
// (quantizeRowsQ8W, matmulQ8W); plain, its sign-transfer form (relaxed build).
import { readFileSync } from "node:fs";

const [fa, fb] = process.argv.slice(2, 4);
if (!fa || !fb) {
  console.error("usage: node scripts/kernel-ab.mjs A.wasm B.wasm");
  process.exit(2);
}
const mem = new WebAssembly.Memory({ initial: 4000, maximum: 65536, shared: true });
const load = (spec) => {
  const [f, form] = spec.split(":");
  const e = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(f)), { env: { memory: mem } }).exports;
  if (form === "w") return { ...e, quantizeRowsQ8: e.quantizeRowsQ8W, matmulQ8: e.matmulQ8W };
  if (form !== "u") return e;
  if (e.int8DotForm?.(127, 255) !== 2) throw new Error(`${f}: this runtime's int8 dot does not read unsigned bytes; its u8 form would be wrong`);
  return { ...e, quantizeRowsQ8: e.quantizeRowsQ8U, matmulQ8: e.matmulQ8U };
};
const A = load(fa), B = load(fb);
const IN = 2048, OUT = 2048, NB = IN / 32, BATCHES = [1, 8, 32], MAXB = 32;
let top = 1 << 16;
const alloc = (bytes) => { const at = top; top += (bytes + 63) & ~63; return at; };
const u8 = new Uint8Array(mem.buffer), f32 = new Float32Array(mem.buffer);
let seed = 1;
const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) | 0) >>> 16;
// Q8_0 weights as GGUF lays them out: an f16 scale (1/127 here) and 32 codes within +-127 per block
const wq = alloc(OUT * NB * 34);
for (let b = 0; b < OUT * NB; b++) {
  const p = wq + b * 34;
  u8[p] = 0x08; u8[p + 1] = 0x20;
  for (let j = 2; j < 34; j++) u8[p + j] = ((next() % 255) - 127) & 255;
}
const wf = alloc(OUT * IN * 4);
for (let i = 0; i < OUT * IN; i++) f32[wf / 4 + i] = Math.sin(i * 0.11) * 0.05;
const x = alloc(MAXB * IN * 4);
for (let i = 0; i < MAXB * IN; i++) f32[x / 4 + i] = Math.sin(i * 0.37) * 0.5;
// each module quantizes the activations itself: the two builds lay them out differently; each sizes
// its own row-group scratch (modules before q8RowGroupBytes used 32 bytes a block)
const side = (K) => {
  const s = { qx: alloc(MAXB * NB * 64), qd: alloc(MAXB * NB * 4), out: alloc(MAXB * OUT * 4), scratch: alloc(K.q8RowGroupBytes?.(IN) ?? NB * 32) };
  K.quantizeRowsQ8(s.qx, s.qd, x, IN, 0, MAXB);
  return s;
};
const sa = side(A), sb = side(B);
const median = (v) => [...v].sort((p, q) => p - q)[v.length >> 1];
const time = (f, n) => { const t = performance.now(); for (let i = 0; i < n; i++) f(); return (performance.now() - t) / n; };
console.log(`A ${fa}\nB ${fb}\nNode ${process.version}, one thread, 25 interleaved rounds, medians`);
for (const kind of ["q8_0", "f32"]) {
  for (const b of BATCHES) {
    const run = (K, s) => kind === "q8_0"
      ? K.matmulQ8.length === 9 // modules before the per-thread scratch argument
        ? () => K.matmulQ8(s.out, wq, s.qx, s.qd, b, IN, OUT, 0, OUT)
        : () => K.matmulQ8(s.out, wq, s.qx, s.qd, b, IN, OUT, s.scratch, 0, OUT)
      : () => K.matmulF32(s.out, wf, x, b, IN, OUT, 0, OUT);
    const ra = run(A, sa), rb = run(B, sb);
    for (let i = 0; i < 5; i++) { ra(); rb(); }
    const ta = [], tb = [], ratio = [];
    for (let k = 0; k < 25; k++) { const a = time(ra, 3), c = time(rb, 3); ta.push(a); tb.push(c); ratio.push(c / a); }
    let maxDiff = 0;
    for (let i = 0; i < b * OUT; i++) maxDiff = Math.max(maxDiff, Math.abs(f32[sa.out / 4 + i] - f32[sb.out / 4 + i]));
    const rate = (ms) => `${((2 * b * IN * OUT) / ms / 1e6).toFixed(1)} G/s`;
    console.log(`${kind} ${b}x${IN}x${OUT}: A ${(median(ta) * 1000).toFixed(0)} us (${rate(median(ta))}), B ${(median(tb) * 1000).toFixed(0)} us ` +
      `(${rate(median(tb))}), B/A ${median(ratio).toFixed(3)}, ${maxDiff === 0 ? "same bits" : `max |difference| ${maxDiff.toExponential(1)}`}`);
  }
}
