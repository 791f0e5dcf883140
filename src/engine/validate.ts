import type { Arena } from "./arena.js";

// Argument checks run before any kernel touches memory. Messages name the
// argument, what was given and what was expected.

/** A positive integer size (a dimension). */
export function dim(op: string, name: string, value: unknown, min = 1): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > 0x7fffffff) {
    throw new RangeError(`${op}: ${name} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

/** A finite number, optionally positive. */
export function finite(op: string, name: string, value: unknown, positive = false): number {
  if (typeof value !== "number" || !Number.isFinite(value) || (positive && !(value > 0))) {
    throw new RangeError(`${op}: ${name} must be a finite${positive ? " positive" : ""} number, got ${String(value)}`);
  }
  return value;
}

/**
 * A Float32Array of this engine's arena with exactly `expected` elements. Returns its byte address.
 * `shape` describes the expected length for the message; it is a function so the hot path builds no string.
 */
export function tensor(arena: Arena, op: string, name: string, value: unknown, expected: number, shape: () => string): number {
  if (!(value instanceof Float32Array)) {
    throw new TypeError(`${op}: ${name} must be a Float32Array allocated with engine.f32(), got ${describe(value)}`);
  }
  if (value.length !== expected) {
    throw new RangeError(`${op}: ${name} has length ${value.length}, expected ${shape()} = ${expected}`);
  }
  return arenaAddress(arena, op, name, value);
}

/** The byte address of a view that must live in this engine's arena. */
export function arenaAddress(arena: Arena, op: string, name: string, value: ArrayBufferView): number {
  if (!arena.owns(value)) {
    throw new RangeError(`${op}: ${name} is not allocated from this engine's arena (or was freed): ` +
      `create it with engine.f32() (or a subarray of one) on the same engine`);
  }
  return value.byteOffset;
}

/**
 * Throws when two arena views overlap in memory, unless they are exactly the same
 * range and that is allowed. (Views of one arena may hold different buffer
 * objects after a grow, so byte ranges are compared, not buffers.)
 */
export function noOverlap(op: string, aName: string, a0: number, aBytes: number, bName: string, b0: number, bBytes: number, sameOk = false): void {
  const a1 = a0 + aBytes, b1 = b0 + bBytes;
  if (a0 >= b1 || b0 >= a1) return;
  if (sameOk && a0 === b0 && a1 === b1) return;
  throw new RangeError(`${op}: ${aName} overlaps ${bName} in memory${sameOk ? " (only exactly the same array is allowed)" : ""}: ` +
    `use separate tensors`);
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as unknown as { length: number }).length})`;
  if (Array.isArray(value)) return `Array(${value.length})`;
  return typeof value;
}

/** A true/false option: anything else ("false", 0, "no") is an error, not a truthy value. */
export function flag(op: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw new TypeError(`${op}: ${name} must be true or false, got ${typeof value === "string" ? JSON.stringify(value) : describe(value)}`);
  return value;
}

/** An options object (or undefined when the op's options are all optional). */
export function options<T extends object>(op: string, value: unknown): T {
  if (value === null || typeof value !== "object") {
    throw new TypeError(`${op}: options must be an object with the shape, got ${describe(value)}`);
  }
  return value as T;
}
