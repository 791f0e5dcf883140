import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // engines in tests do not calibrate unless a test asks (calibrate: true): one machine's cache must not steer another test
    env: { CROSSOVER_CALIBRATE: "0" },
  },
});
