import { calibrateEngine, wantsCalibration } from "./calibrate/calibrated-profile.js";
import { Engine, type EngineOptions } from "./engine/engine.js";

/**
 * Creates an engine: its arena, its kernels, its profile and its share of the
 * worker pool. When no profile matches this machine, it calibrates it (well
 * under a second, once per machine and crossover version: the result is
 * cached) rather than run the built-in defaults, unless `calibrate: false`
 * or CROSSOVER_CALIBRATE=0.
 */
export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  const engine = await new Engine(options).start();
  if (wantsCalibration(engine, options.calibrate)) {
    try {
      await calibrateEngine(engine, engine.warn);
    } catch (err) {
      engine.warn(`crossover: calibration failed (${(err as Error).message}); using the built-in defaults`);
    }
  }
  return engine;
}
