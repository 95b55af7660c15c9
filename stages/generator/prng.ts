/**
 * A small, fast, seeded pseudo-random generator (sfc32 seeded through
 * splitmix32), so that the same `--seed` always yields the same traffic.
 * `Math.random` is never used for anything that reaches the output.
 */

/** Hashes a seed string to 32 bits (FNV-1a), so any text can be a seed. */
export function hashSeed(seed: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    h ^= seed.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A seeded random source with the helpers traffic synthesis needs. */
export class SeededRandom {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** @param seed any text or number; equal seeds give equal sequences. */
  constructor(seed: string | number) {
    let s = typeof seed === "number" ? seed >>> 0 : hashSeed(seed);
    const split = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = split();
    this.#b = split();
    this.#c = split();
    this.#d = split();
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** Next 32-bit unsigned integer. */
  uint32 = (): number => {
    const a = this.#a, b = this.#b, c = this.#c, d = this.#d;
    const t = (((a + b) | 0) + d) | 0;
    this.#d = (d + 1) | 0;
    this.#a = b ^ (b >>> 9);
    this.#b = (c + (c << 3)) | 0;
    const r = (c << 21) | (c >>> 11);
    this.#c = (r + t) | 0;
    return t >>> 0;
  };

  /** Uniform float in [0, 1). */
  float(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  range(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)];
  }

  /** `k` distinct elements of `items` (k ≤ length), in random order. */
  sample<T>(items: readonly T[], k: number): T[] {
    const copy = items.slice();
    const n = Math.min(k, copy.length);
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(this.float() * (copy.length - i));
      const t = copy[i];
      copy[i] = copy[j];
      copy[j] = t;
    }
    return copy.slice(0, n);
  }

  /** Roughly log-normal positive value around `median` (for byte counts). */
  logNormal(median: number, sigma: number): number {
    // Box–Muller on two uniforms.
    const u = 1 - this.float();
    const v = this.float();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return median * Math.exp(sigma * z);
  }

  /** A random string of `len` characters from `alphabet`. */
  token(len: number, alphabet: string): string {
    let s = "";
    for (let i = 0; i < len; i++) {
      s += alphabet[Math.floor(this.float() * alphabet.length)];
    }
    return s;
  }
}

/** A weighted choice compiled once: O(log n) per draw. */
export class WeightedChoice<T> {
  readonly #items: T[];
  readonly #cumulative: number[];
  readonly #total: number;

  constructor(entries: readonly (readonly [T, number])[]) {
    this.#items = entries.map((e) => e[0]);
    let acc = 0;
    this.#cumulative = entries.map((e) => (acc += e[1]));
    this.#total = acc;
  }

  /** Draws one item. */
  draw(rng: SeededRandom): T {
    const x = rng.float() * this.#total;
    const c = this.#cumulative;
    let lo = 0, hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (x < c[mid]) hi = mid;
      else lo = mid + 1;
    }
    return this.#items[lo];
  }
}
