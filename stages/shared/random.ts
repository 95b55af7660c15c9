/**
 * The one seeded pseudo-random generator of the project (mulberry32): 32-bit
 * state, full period 2^32, fast, and the same sequence on every platform, so
 * seeded runs (generated corpora, demo data, forests) are reproducible.
 */

/** Returns a generator of uniform unsigned 32-bit integers for `seed`. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}
