/**
 * Lets the event loop run (signal handlers, timers) between stretches of
 * synchronous measuring: a loop that never yields never sees Ctrl-C.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
