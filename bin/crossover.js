#!/usr/bin/env node
// The crossover command line; the code is in dist/cli.js (built by `npm install`).
import { main } from "../dist/cli.js";

main(process.argv).catch((err) => {
  process.stderr.write(`crossover: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
