/**
 * Static, deterministic split of [0, units) into `parts` contiguous slices:
 * where slice p starts (slice p ends where p + 1 starts; slice parts - 1 ends
 * at units). Boundaries fall on multiples of `grain` (e.g. 16 floats, one
 * cache line of output) so threads never write the same line. Slices may be
 * empty when there are fewer grains than parts. No allocation: it runs per op.
 */
export function sliceStart(units: number, parts: number, grain: number, p: number): number {
  if (p >= parts) return units;
  const grains = Math.ceil(units / grain);
  return Math.min(units, Math.floor((grains * p) / parts) * grain);
}
