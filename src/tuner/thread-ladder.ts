/**
 * The thread counts a tune measures by default: powers of two up to the
 * machine's logical CPUs, the count itself, and the physical core count where
 * the OS tells it (llama.cpp defaults to physical cores: a second hyperthread
 * often adds little to memory-bound work). On 64 CPUs: 1, 2, 4, 8, 16, 32, 64
 * (+ 32 physical), 7 counts instead of 64.
 */
export function threadLadder(logicalCpus: number, physicalCores?: number): number[] {
  const counts = new Set<number>([1]);
  for (let t = 2; t <= logicalCpus; t *= 2) counts.add(t);
  counts.add(Math.max(1, logicalCpus));
  if (physicalCores && physicalCores >= 1 && physicalCores <= logicalCpus) counts.add(physicalCores);
  return [...counts].sort((a, b) => a - b);
}
