// Two engines in one process running parallel ops alternately, against one
// engine alone: with one pool per thread the workers are shared, so the
// alternating per-call time should stay near the lone one. Interleaved rounds,
// medians, ratios. Run after `npm run build`: node scripts/two-engines.mjs
import os from "node:os";
import { createEngine } from "../dist/index.js";

const rounds = Number(process.argv[2] ?? 15);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

function rope(e) {
  const shape = { seqLen: 128, heads: 16, headDim: 64 };
  const x = e.f32(128 * 16 * 64);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i);
  return () => e.rope(x, { ...shape, positions: 0 }); // a rotation: magnitudes stay
}
function matmul(e) {
  const w = e.f32(1024 * 1024), x = e.f32(1024), out = e.f32(1024);
  for (let i = 0; i < w.length; i++) w[i] = Math.sin(i) * 0.01;
  for (let i = 0; i < x.length; i++) x[i] = Math.cos(i);
  return () => e.matmul(out, w, x, { batch: 1, inDim: 1024, outDim: 1024 });
}

/** ns per call of `calls` run in turn, `n` times each. */
function time(calls, n) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) for (const c of calls) c();
  return Number(process.hrtime.bigint() - t0) / (n * calls.length);
}

const threads = Math.min(2, os.availableParallelism());
const a = await createEngine({ threads, policy: "parallel" });
const b = await createEngine({ threads, policy: "parallel" });
console.log(`two engines, ${threads} threads each, shared pool: ${a.workerPool === b.workerPool}; ${os.cpus()[0].model}, Node ${process.version}`);
for (const [name, make, n] of [["rope 128x16x64", rope, 2000], ["matmul f32 1x1024x1024", matmul, 300]]) {
  const ra = make(a), rb = make(b);
  const alone = [], alternating = [];
  for (let r = 0; r < rounds; r++) {
    alone.push(time([ra], n));
    alternating.push(time([ra, rb], n));
  }
  const ratios = alternating.map((t, i) => t / alone[i]);
  console.log(`${name}: alone ${(median(alone) / 1000).toFixed(2)} us, alternating ${(median(alternating) / 1000).toFixed(2)} us per call, ` +
    `ratio median ${median(ratios).toFixed(2)} (range ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}, ${rounds} interleaved rounds)`);
}
a.close();
b.close();
