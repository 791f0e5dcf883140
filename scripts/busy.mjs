// A busy machine: one spinning process per core beside the engine (other jobs
// on a CI runner). Times, interleaved in one process, a gemma-3-270m Q8_0
// decode step at 512 cached and a Q8_0 matmul 1x1024x1024 under: all-serial,
// the profile with the back-off (adapt, the default), and the profile without
// it. Then stops the neighbours and says how soon the back-off returned to the
// profile's threads. Run after `npm run build`: node scripts/busy.mjs
import { spawn } from "node:child_process";
import os from "node:os";
import { createEngine, DecoderLayer } from "../dist/index.js";

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const cpus = os.availableParallelism();
const rounds = Number(process.argv[2] ?? 40);

const adapt = await createEngine({ adapt: true });
const fixed = await createEngine({ adapt: false });
console.log(`busy machine: ${cpus} spinning neighbours; ${os.cpus()[0].model}, Node ${process.version}; profile ${adapt.profile.path ?? adapt.profile.source}`);

function workloads(e) {
  const layer = new DecoderLayer(e, { config: "gemma-3-270m", weights: "q8_0", seed: 1, maxSeqLen: 513, maxBatch: 1 });
  layer.fillCache(512);
  const token = Float32Array.from({ length: layer.config.hidden }, (_, i) => Math.sin(i));
  const w = e.quantizeQ8(Float32Array.from({ length: 1024 * 1024 }, (_, i) => Math.sin(i) * 0.02), 1024, 1024);
  const x = e.f32(1024), out = e.f32(1024);
  for (let i = 0; i < 1024; i++) x[i] = Math.cos(i);
  return { decode: () => { layer.rewind(512); layer.decode(token); }, matmul: () => e.matmul(out, w, x, { batch: 1, inDim: 1024, outDim: 1024 }) };
}
const A = workloads(adapt), F = workloads(fixed);
const time = (f, n) => { const t0 = performance.now(); for (let i = 0; i < n; i++) f(); return ((performance.now() - t0) * 1000) / n; };

let seen = 0;
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const ratio = (xs) => `${median(xs).toFixed(2)}x [${pct(xs, 0.25).toFixed(2)}..${pct(xs, 0.75).toFixed(2)}]`;
/**
 * Rounds of serial, profile + back-off, the profile on another engine and the
 * same engine with the back-off off, back to back
 * (order rotated each round); each round's times become ratios to that
 * round's serial, so a load that comes and goes (this machine's is bimodal,
 * serial itself 60 or 120 us) does not decide the comparison.
 */
function measure(label) {
  const phaseStart = performance.now();
  for (const [name, n] of [["decode", 10], ["matmul", 100]]) {
    const r = { serial: [], adapt: [], fixed: [], off: [] };
    const runs = {
      serial: () => { adapt.setPolicy("serial"); r.serial.push(time(A[name], n)); adapt.setPolicy("profile"); },
      adapt: () => r.adapt.push(time(A[name], n)),
      fixed: () => r.fixed.push(time(F[name], n)),
      // the same engine and tensors with the back-off off for the round: its cost without a second engine's noise
      off: () => { adapt.setAdapt(false); r.off.push(time(A[name], n)); adapt.setAdapt(true); },
    };
    const order = Object.keys(runs);
    for (let k = 0; k < rounds; k++) for (let j = 0; j < order.length; j++) runs[order[(j + k) % order.length]](); // rotated each round
    const vsSerial = (xs) => xs.map((x, k) => x / r.serial[k]);
    const vsBest = r.adapt.map((x, k) => x / Math.min(r.serial[k], r.fixed[k]));
    const vsFixed = r.adapt.map((x, k) => x / r.fixed[k]);
    // the same engine and tensors for both sides: serial, and the profile with the back-off off
    const vsBestSame = r.adapt.map((x, k) => x / Math.min(r.serial[k], r.off[k]));
    console.log(`${label} ${name} (${rounds} rounds, ${(performance.now() - phaseStart).toFixed(0)} ms into the phase): median serial ${median(r.serial).toFixed(1)} us; ` +
      `profile+back-off ${ratio(vsSerial(r.adapt))} serial, ${ratio(vsBest)} the better of serial and the profile; ` +
      `profile without back-off ${ratio(vsSerial(r.fixed))} serial (median per-round ratio [quartiles]); ` +
      `ratio of medians to the better of serial and the profile ${(median(r.adapt) / Math.min(median(r.serial), median(r.fixed))).toFixed(2)}x; ` +
      `back-off / profile alone ${ratio(vsFixed)} per round; back-off on / off, same engine ${ratio(r.adapt.map((x, k) => x / r.off[k]))} per round; ` +
      `the better of serial and off, same engine ${ratio(vsBestSame)} per round`);
  }
  const events = adapt.health().backOff.events;
  const moves = events.length - seen;
  seen = events.length;
  console.log(`${label}: the back-off moved ${moves} time(s)${moves ? `: ${events.slice(-moves).map((e) => `${e.from}->${e.to}`).join(", ")}` : ""}`);
  if (process.env.VERBOSE) for (const e of events.slice(events.length - moves)) console.log(`  ${(e.at - phaseStart).toFixed(0)} ms into the phase, ${e.from}->${e.to}: ${e.reason}`);
}

for (const w of [A, F]) for (let i = 0; i < 300; i++) { w.decode(); w.matmul(); } // warm: JIT tiers and the workers' kernels
measure("idle");
const neighbours = Array.from({ length: cpus }, () => spawn(process.execPath, ["-e", "for(;;){}"], { stdio: "ignore" }));
process.on("exit", () => neighbours.forEach((c) => c.kill()));
await new Promise((r) => setTimeout(r, 300));
measure("busy");
neighbours.forEach((c) => c.kill());
const quiet = performance.now();
while (adapt.health().backOff.allowedThreads < adapt.threads && performance.now() - quiet < 5000) A.decode();
console.log(`neighbours stopped: back to ${adapt.health().backOff.allowedThreads} threads after ${(performance.now() - quiet).toFixed(0)} ms`);
seen = adapt.health().backOff.events.length;
measure("idle again");
adapt.close();
fixed.close();
