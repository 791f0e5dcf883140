// How good is calibration? Run on a machine no profile names (preload
// test/fixtures/other-cpu.mjs, from an empty folder, a fresh cache):
//   node --import ./test/fixtures/other-cpu.mjs scripts/calibrated-layer.mjs
// Creates an engine (it calibrates: the time is printed), then times the
// llama-3.2-1b Q8_0 layer, prefill 128 and decode at 512 cached, under the
// calibrated profile, all-serial, all-parallel and the built-in defaults,
// interleaved, medians.
import os from "node:os";
import { createEngine } from "../dist/index.js";
import { defaultProfile } from "../dist/engine/profile/defaults.js";
import { benchLayer } from "../dist/tuner/layer-bench.js";

const threads = os.availableParallelism();
const t0 = performance.now();
const warnings = [];
const engine = await createEngine({ threads, onWarning: (m) => warnings.push(m) });
const startMs = performance.now() - t0;
console.log(`${os.cpus()[0].model}, ${threads} threads, Node ${process.version}: createEngine took ${startMs.toFixed(0)} ms; profile ${engine.profile.source} ${engine.profile.path ?? ""}`);
for (const w of warnings) console.log(`  ${w}`);
const calibrated = engine.profile.data;
const defaults = defaultProfile(threads, calibrated.machine);
const as = (policy, profile) => () => { engine.useProfile(profile); engine.setPolicy(policy); };
const variants = [
  { name: "calibrated", threads, configure: as("profile", calibrated) },
  { name: "serial", threads: 1, configure: as("serial", calibrated) },
  { name: "parallel", threads, configure: as("parallel", calibrated) },
  { name: "built-in defaults", threads, configure: as("profile", defaults) },
];
const rows = await benchLayer(engine, "llama-3.2-1b", "q8_0", variants, 12_000, [{ step: "prefill", tokens: 128 }, { step: "decode", tokens: 512 }], 5, () => false);
for (const step of ["prefill", "decode"]) {
  const r = Object.fromEntries(rows.filter((x) => x.step === step).map((x) => [x.variant, x.medianMs]));
  const best = Math.min(r.serial, r.parallel);
  console.log(`${step}: calibrated ${r.calibrated.toFixed(2)} ms, serial ${r.serial.toFixed(2)}, parallel ${r.parallel.toFixed(2)}, defaults ${r["built-in defaults"].toFixed(2)}; ` +
    `calibrated / better of serial and parallel = ${(r.calibrated / best).toFixed(3)}`);
}
// what the engine decided, so a bad figure can be traced: the calibrated rules, and any back-off under load
for (const [op, rule] of Object.entries(calibrated.ops)) console.log(`  ${op}: ${rule.ranges.map((r) => `${r.threads} thread(s) from ${r.fromWork}`).join(", ")}`);
for (const e of engine.health().backOff?.events ?? []) console.log(`  back-off ${e.from}->${e.to}: ${e.reason}`);
engine.close();
