// Compiles the AssemblyScript kernels to dist/wasm/kernels.wasm: SIMD128, one
// imported shared memory, no runtime, no data, so every worker thread can
// instantiate the same module over the engine's arena.
import { main } from "assemblyscript/asc";
import { mkdirSync } from "node:fs";

mkdirSync("dist/wasm", { recursive: true });
// Two builds of one source (kernels/wasm/load.ts picks at start): SIMD128, which
// every supported Node runs, and relaxed SIMD (FMA, the int8 dot), which Node 22
// and 24 run; ASC_FEATURE_RELAXED_SIMD selects the code paths. File names:
// kernels.wasm and kernels-<build>.wasm, as load.ts expects.
for (const [build, features] of [["simd128", []], ["relaxed", ["--enable", "relaxed-simd"]]]) {
  const name = build === "simd128" ? "kernels" : `kernels-${build}`;
  const args = [
    "src/kernels/wasm/as/index.ts",
    "-O3", "--noAssert", "--runtime", "stub", "--use", "abort=",
    "--importMemory", "--sharedMemory", "--initialMemory", "1", "--maximumMemory", "65536",
    "--enable", "simd", "--enable", "threads", ...features,
    "--outFile", `dist/wasm/${name}.wasm`, "--textFile", `dist/wasm/${name}.wat`,
  ];
  const { error, stderr } = await main(args, {});
  if (error) {
    console.error(stderr.toString());
    console.error(`building the ${build} wasm kernels failed: ${error.message}`);
    process.exit(1);
  }
}
