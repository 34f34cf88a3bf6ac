/**
 * A small seeded PRNG (mulberry32): floats in [0, 1), the same sequence for the same seed on
 * every machine, so a failing test, fuzz run or benchmark signal is replayed by its seed.
 * For tests and benchmarks only; nothing shipped depends on it.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
