/**
 * A small seedable pseudo-random generator (mulberry32), so that training
 * the same data with the same seed builds the same forest, bit for bit.
 */

import { mulberry32 } from "../../shared/random.ts";

/** A seeded source of uniform numbers. */
export interface Random {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Uniform unsigned 32-bit integer. */
  uint32(): number;
}

/**
 * mulberry32: 32-bit state, full period 2^32, good enough statistical
 * quality for sampling and split points, and trivially reproducible.
 */
export function seededRandom(seed: number): Random {
  const uint32 = mulberry32((seed >>> 0) ^ 0x9e3779b9);
  return {
    uint32,
    next: () => uint32() / 4294967296,
    int: (n: number) => Math.floor((uint32() / 4294967296) * n),
  };
}
