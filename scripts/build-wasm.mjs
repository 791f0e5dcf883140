// Compiles the AssemblyScript kernels to dist/wasm/kernels.wasm: SIMD128, one
// imported shared memory, no runtime, no data, so every worker thread can
// instantiate the same module over the engine's arena.
import { main } from "assemblyscript/asc";
import { mkdirSync } from "node:fs";

mkdirSync("dist/wasm", { recursive: true });
const args = [
  "src/kernels/wasm/as/index.ts",
  "-O3", "--noAssert", "--runtime", "stub", "--use", "abort=",
  "--importMemory", "--sharedMemory", "--initialMemory", "1", "--maximumMemory", "65536",
  "--enable", "simd", "--enable", "threads",
  "--outFile", "dist/wasm/kernels.wasm", "--textFile", "dist/wasm/kernels.wat",
];
const { error, stderr } = await main(args, {});
if (error) {
  console.error(stderr.toString());
  console.error(`building the wasm kernels failed: ${error.message}`);
  process.exit(1);
}
