/**
 * Isolation Forest, as described by Liu, Ting & Zhou, "Isolation Forest"
 * (ICDM 2008):
 *
 * - each of `t` trees is grown on a subsample of ψ points drawn without
 *   replacement (Algorithm 1), with height limit l = ⌈log2 ψ⌉;
 * - an internal node splits on an attribute chosen uniformly among the
 *   attributes that are not constant on the node's points, at a split value
 *   drawn uniformly between that attribute's min and max there
 *   (Algorithm 2); a node with one point, or whose points are identical, or
 *   at the height limit, is external and remembers its size;
 * - the path length of x is the number of edges to its external node plus
 *   c(size) for the unbuilt subtree (Algorithm 3), where
 *   c(n) = 2H(n−1) − 2(n−1)/n is the average unsuccessful-search length of a
 *   binary search tree (H is the harmonic number, computed exactly);
 * - the anomaly score is s(x, ψ) = 2^(−E(h(x)) / c(ψ)), in [0, 1]; close to 1
 *   is anomalous, well below 0.5 is normal.
 *
 * Trees are stored flat, in pre-order, in three typed arrays shared by the
 * whole forest: `feature` (−1 at an external node), `value` (the split value
 * at an internal node; the precomputed depth + c(size) at an external one)
 * and `right` (index of the right child; the left child always follows its
 * parent). Scoring is a tight loop over those arrays with no allocation.
 *
 * For scoring, each tree is also laid out as a perfect binary tree of its
 * depth (internal split arrays in heap order, one leaf array): an external
 * node above the bottom is repeated over every leaf below it, so every walk
 * takes exactly `depth` steps with no end-of-path test, and reaches a leaf
 * holding the same depth + c(size) as the original external node. Sums are
 * taken tree by tree in the same order, so scores are bit-identical.
 * The descent is branch-free (child = 2i + 2 − [x < v]): a data-dependent
 * branch per step would be mispredicted about half the time, and that, not
 * memory, was what bounded exact scoring.
 *
 * @module
 */
import { type Random, seededRandom } from "./rng.ts";

/** Training parameters. */
export interface ForestParams {
  /** Number of trees t. @default 100 */
  trees: number;
  /** Subsample size ψ (capped at the number of training rows). @default 256 */
  subsample: number;
  /** Seed of the random generator. @default 1 */
  seed: number;
}

/** The paper's recommended settings. */
export const DEFAULT_FOREST_PARAMS: Readonly<ForestParams> = Object.freeze({
  trees: 100,
  subsample: 256,
  seed: 1,
});

const EULER_GAMMA = 0.5772156649015329;

/** The n-th harmonic number, exact for the sizes a subsample can have. */
export function harmonic(n: number): number {
  if (n <= 0) return 0;
  if (n > 100_000) return Math.log(n) + EULER_GAMMA + 1 / (2 * n);
  let h = 0;
  // Summed from the small terms up, for accuracy.
  for (let i = Math.floor(n); i >= 1; i--) h += 1 / i;
  return h;
}

/**
 * c(n): the average path length of an unsuccessful search in a binary search
 * tree of n points, used both to normalize scores (c(ψ)) and to account for
 * the unbuilt subtree below an external node of size n.
 */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  return 2 * harmonic(n - 1) - (2 * (n - 1)) / n;
}

/** The flat arrays of a trained forest (what a model file stores). */
export interface ForestArrays {
  /** Number of features each scored vector has. */
  nFeatures: number;
  /** Subsample size ψ actually used (normalizes the score). */
  subsample: number;
  /** Height limit ⌈log2 ψ⌉ used while growing. */
  heightLimit: number;
  /** Index of each tree's root node. */
  roots: Int32Array;
  /** Split feature per node; −1 marks an external node. */
  feature: Int32Array;
  /** Split value (internal) or depth + c(size) (external). */
  value: Float64Array;
  /** Right child index (internal); for external nodes, the node's training size. */
  right: Int32Array;
}

/** A trained Isolation Forest. */
export class IsolationForest {
  readonly nFeatures: number;
  readonly subsample: number;
  readonly heightLimit: number;
  readonly roots: Int32Array;
  readonly feature: Int32Array;
  readonly value: Float64Array;
  readonly right: Int32Array;
  /** Training points that reached each node (derived from the external nodes' sizes). */
  readonly sizes: Int32Array;
  /** c(ψ), the score normalizer. */
  readonly cPsi: number;
  readonly #scale: number;
  /** Depth of the perfect layout (−1: not built, trees too deep). */
  readonly #depth: number;
  readonly #pFeature: Uint8Array | Int32Array;
  readonly #pValue: Float64Array;
  readonly #pLeaf: Float64Array;
  /**
   * Per tree index t, the sum over trees t… of their shortest leaf path
   * length: no walk of those trees can add less, so a partial sum plus
   * this already past the bound decides the score (see #pathSum).
   */
  readonly #minRest: Float64Array;
  /** Scratch copy of the vector being scored (see #pathSum). */
  readonly #x: Float64Array;

  constructor(a: ForestArrays) {
    this.nFeatures = a.nFeatures;
    this.subsample = a.subsample;
    this.heightLimit = a.heightLimit;
    this.roots = a.roots;
    this.feature = a.feature;
    this.value = a.value;
    this.right = a.right;
    this.cPsi = averagePathLength(a.subsample);
    this.#x = new Float64Array(a.nFeatures);
    // Children follow their parent in pre-order, so a reverse sweep sees
    // both children's sizes before the parent's.
    const sizes = new Int32Array(a.feature.length);
    for (let i = sizes.length - 1; i >= 0; i--) {
      sizes[i] = a.feature[i] < 0
        ? a.right[i]
        : sizes[i + 1] + sizes[a.right[i]];
    }
    this.sizes = sizes;
    // s = 2^(−mean/c) = exp(−ln2 · sum / (t·c)): one multiply per score.
    this.#scale = this.cPsi > 0
      ? -Math.LN2 / (this.roots.length * this.cPsi)
      : 0;
    let depth = 0;
    for (let t = 0; t < a.roots.length; t++) {
      depth = Math.max(depth, treeDepth(a.feature, a.right, a.roots[t]));
    }
    // 2^depth leaves per tree: worth it for the paper's ψ = 256 (depth ≤ 8).
    this.#depth = depth <= MAX_PERFECT_DEPTH ? depth : -1;
    const ni = this.#depth < 0 ? 0 : (1 << depth) - 1;
    const nl = this.#depth < 0 ? 0 : 1 << depth;
    const t = a.roots.length;
    // One byte per split feature when it fits: a quarter of the cache lines.
    this.#pFeature = a.nFeatures <= 256
      ? new Uint8Array(t * ni)
      : new Int32Array(t * ni);
    this.#pValue = new Float64Array(t * ni);
    this.#pLeaf = new Float64Array(t * nl);
    this.#minRest = new Float64Array(t + 1);
    if (this.#depth >= 0) {
      for (let k = 0; k < t; k++) {
        this.#fillPerfect(k * ni, k * nl, ni, a.roots[k], 0);
      }
      for (let k = t - 1; k >= 0; k--) {
        let m = Infinity;
        for (let j = 0; j < nl; j++) m = Math.min(m, this.#pLeaf[k * nl + j]);
        // Shaved a little so rounding of the real (differently ordered)
        // sum can never fall below the partial sum plus this.
        this.#minRest[k] = this.#minRest[k + 1] + Math.max(0, m) * (1 - 1e-9);
      }
    }
  }

  /** Copies the subtree at `src` into heap position `pos` of the perfect layout. */
  #fillPerfect(
    base: number,
    leafBase: number,
    ni: number,
    src: number,
    pos: number,
  ): void {
    if (pos >= ni) {
      this.#pLeaf[leafBase + pos - ni] = this.value[src];
      return;
    }
    if (this.feature[src] < 0) {
      // An external node above the bottom: both sides lead to its value.
      this.#fillPerfect(base, leafBase, ni, src, 2 * pos + 1);
      this.#fillPerfect(base, leafBase, ni, src, 2 * pos + 2);
      return;
    }
    this.#pFeature[base + pos] = this.feature[src];
    this.#pValue[base + pos] = this.value[src];
    this.#fillPerfect(base, leafBase, ni, src + 1, 2 * pos + 1);
    this.#fillPerfect(base, leafBase, ni, this.right[src], 2 * pos + 2);
  }

  /** Number of trees. */
  get trees(): number {
    return this.roots.length;
  }

  /** Total node count over all trees. */
  get nodes(): number {
    return this.feature.length;
  }

  /** Mean path length E(h(x)) of the vector starting at `x[offset]`. */
  meanPathLength(x: ArrayLike<number>, offset = 0): number {
    return this.#pathSum(x, offset, Infinity) / this.roots.length;
  }

  /** Anomaly score s(x, ψ) in [0, 1] of the vector starting at `x[offset]`. */
  score(x: ArrayLike<number>, offset = 0): number {
    return Math.exp(this.#scale * this.#pathSum(x, offset, Infinity));
  }

  /**
   * The score of the vector at `x[offset]` when it is at least `threshold`
   * (identical to {@link score}); otherwise −Infinity, possibly without
   * walking every tree. Path lengths only add up, so once the partial sum
   * is past the sum that `threshold` allows, the vector cannot reach it.
   */
  scoreAtLeast(x: ArrayLike<number>, threshold: number, offset = 0): number {
    const s = this.#scale;
    // score ≥ threshold ⇔ sum ≤ ln(threshold) / scale (scale < 0). The
    // bound is loosened by a hair so rounding can never cut a walk short
    // wrongly; the exact comparison happens on the full sum.
    let bound = s < 0 && threshold > 0 ? Math.log(threshold) / s : Infinity;
    if (bound !== Infinity) bound += 1e-9 * Math.abs(bound) + 1e-9;
    const sum = this.#pathSum(x, offset, bound);
    if (sum > bound) return -Infinity;
    const score = Math.exp(s * sum);
    return score >= threshold ? score : -Infinity;
  }

  /**
   * Scores `n` row-major vectors of `nFeatures` each into `out`. Without the
   * perfect layout it walks tree by tree so one tree's nodes stay in cache
   * across the batch.
   */
  scoreBatch(rows: Float64Array, n: number, out: Float64Array): Float64Array {
    if (this.#depth >= 0) {
      // The perfect layout fits in cache: vector by vector is faster.
      for (let k = 0; k < n; k++) out[k] = this.score(rows, k * this.nFeatures);
      return out;
    }
    const f = this.feature, v = this.value, r = this.right, roots = this.roots;
    const d = this.nFeatures;
    out.fill(0, 0, n);
    for (let t = 0; t < roots.length; t++) {
      const root = roots[t];
      for (let k = 0, off = 0; k < n; k++, off += d) {
        let i = root;
        let fi = f[i];
        while (fi >= 0) {
          i = rows[off + fi] < v[i] ? i + 1 : r[i];
          fi = f[i];
        }
        out[k] += v[i];
      }
    }
    const s = this.#scale;
    for (let k = 0; k < n; k++) out[k] = Math.exp(s * out[k]);
    return out;
  }

  /** Sum of path lengths over the trees; stops early once past `bound`. */
  #pathSum(x: ArrayLike<number>, offset: number, bound: number): number {
    const depth = this.#depth;
    if (depth >= 0) {
      const pf = this.#pFeature, pv = this.#pValue, pl = this.#pLeaf;
      const rest = this.#minRest;
      // The vector is copied once into a private Float64Array: the walk
      // then reads one array type whatever the caller passes (monomorphic)
      // and indexes it by feature alone, with no offset to add per step.
      const v = this.#x;
      for (let j = 0; j < v.length; j++) v[j] = x[offset + j];
      const ni = (1 << depth) - 1, nl = ni + 1, trees = this.roots.length;
      let sum = 0;
      let t = 0, base = 0, leaf = -ni;
      // Four trees per step: their walks are independent, so the CPU
      // overlaps one's loads with the others' compares.
      for (; t + 3 < trees; t += 4) {
        const b1 = base + ni, b2 = b1 + ni, b3 = b2 + ni;
        let i0 = 0, i1 = 0, i2 = 0, i3 = 0;
        for (let d = 0; d < depth; d++) {
          const k0 = base + i0, k1 = b1 + i1, k2 = b2 + i2, k3 = b3 + i3;
          // Branch-free: `+(a < b)` is 1 or 0, so left (2i+1) when
          // x < v, right (2i+2) otherwise, NaN included, exactly as the
          // pre-order walk decides. A data-dependent branch here would be
          // mispredicted about half the time, on every step of every tree.
          i0 = 2 * i0 + 2 - +(v[pf[k0]] < pv[k0]);
          i1 = 2 * i1 + 2 - +(v[pf[k1]] < pv[k1]);
          i2 = 2 * i2 + 2 - +(v[pf[k2]] < pv[k2]);
          i3 = 2 * i3 + 2 - +(v[pf[k3]] < pv[k3]);
        }
        // Added one tree at a time, in tree order: the same sum as walking
        // them one by one. Path lengths are never negative, so testing the bound
        // once per group only walks a few more trees before stopping.
        sum += pl[leaf + i0];
        sum += pl[leaf + nl + i1];
        sum += pl[leaf + 2 * nl + i2];
        sum += pl[leaf + 3 * nl + i3];
        // The trees not walked yet add at least rest[t + 4]: once that is
        // past the bound, the full sum is too (a sum past the bound is all
        // a caller with a finite bound looks at).
        if (sum + rest[t + 4] > bound) return sum + rest[t + 4];
        base += 4 * ni;
        leaf += 4 * nl;
      }
      for (; t < trees; t++) {
        let i = 0;
        for (let d = 0; d < depth; d++) {
          const k = base + i;
          i = 2 * i + 2 - +(v[pf[k]] < pv[k]);
        }
        sum += pl[leaf + i];
        if (sum + rest[t + 1] > bound) return sum + rest[t + 1];
        base += ni;
        leaf += nl;
      }
      return sum;
    }
    return this.#pathSumFlat(x, offset);
  }

  #pathSumFlat(x: ArrayLike<number>, offset: number): number {
    const f = this.feature, v = this.value, r = this.right, roots = this.roots;
    let sum = 0;
    for (let t = 0; t < roots.length; t++) {
      let i = roots[t];
      let fi = f[i];
      while (fi >= 0) {
        i = x[offset + fi] < v[i] ? i + 1 : r[i];
        fi = f[i];
      }
      sum += v[i];
    }
    return sum;
  }

  /**
   * How much each feature helped isolate `x`, in bits: each split on x's
   * path that takes x from a node holding n training points to a child
   * holding m credits its feature with log2(n / m). A split that leaves x
   * among the many credits almost nothing; one that cuts x off from the
   * crowd credits a lot. Summed over trees and normalized to sum 1.
   */
  featureAttribution(x: ArrayLike<number>, offset = 0): Float64Array {
    const f = this.feature, v = this.value, r = this.right, roots = this.roots;
    const sizes = this.sizes;
    const w = new Float64Array(this.nFeatures);
    for (let t = 0; t < roots.length; t++) {
      let i = roots[t];
      while (f[i] >= 0) {
        const next = x[offset + f[i]] < v[i] ? i + 1 : r[i];
        w[f[i]] += Math.log2(sizes[i] / Math.max(1, sizes[next]));
        i = next;
      }
    }
    let total = 0;
    for (let k = 0; k < w.length; k++) total += w[k];
    if (total > 0) { for (let k = 0; k < w.length; k++) w[k] /= total; }
    return w;
  }
}

/** Deepest tree laid out as a perfect tree for scoring (2^12 leaves). */
const MAX_PERFECT_DEPTH = 12;

/** Edges from `root` to its deepest external node (stops past the limit). */
function treeDepth(
  feature: Int32Array,
  right: Int32Array,
  root: number,
): number {
  let best = 0;
  const stack = [root, 0];
  while (stack.length) {
    const d = stack.pop()!;
    const i = stack.pop()!;
    if (feature[i] < 0) {
      if (d > best) best = d;
      continue;
    }
    if (d >= MAX_PERFECT_DEPTH) return d + 1;
    stack.push(i + 1, d + 1, right[i], d + 1);
  }
  return best;
}

/**
 * Grows an Isolation Forest on `nRows` row-major vectors of `nFeatures`
 * each. Deterministic for a given `params.seed`.
 */
export function fitIsolationForest(
  rows: Float64Array,
  nRows: number,
  nFeatures: number,
  params: Partial<ForestParams> = {},
): IsolationForest {
  const p = { ...DEFAULT_FOREST_PARAMS, ...params };
  if (!Number.isInteger(p.trees) || p.trees < 1) {
    throw new RangeError(`trees must be a positive integer, got ${p.trees}`);
  }
  if (!Number.isInteger(p.subsample) || p.subsample < 2) {
    throw new RangeError(
      `subsample must be an integer ≥ 2, got ${p.subsample}`,
    );
  }
  if (nRows < 1) throw new RangeError("cannot train on zero rows");
  if (rows.length < nRows * nFeatures) {
    throw new RangeError(
      `expected ${nRows}×${nFeatures} values, got ${rows.length}`,
    );
  }
  const psi = Math.max(1, Math.min(p.subsample, nRows));
  const heightLimit = Math.ceil(Math.log2(Math.max(2, psi)));
  const rng = seededRandom(p.seed);
  const maxNodes = p.trees * (2 * psi - 1);
  const b: Builder = {
    rows,
    d: nFeatures,
    rng,
    heightLimit,
    feature: new Int32Array(maxNodes),
    value: new Float64Array(maxNodes),
    right: new Int32Array(maxNodes),
    n: 0,
    cTable: cTable(psi),
    candidates: new Int32Array(nFeatures),
  };
  const roots = new Int32Array(p.trees);
  const all = new Int32Array(nRows);
  for (let i = 0; i < nRows; i++) all[i] = i;
  const sample = new Int32Array(psi);
  for (let t = 0; t < p.trees; t++) {
    // Partial Fisher–Yates: the first ψ entries become a uniform sample
    // without replacement. `all` stays a permutation, so this stays valid.
    for (let i = 0; i < psi; i++) {
      const j = i + rng.int(nRows - i);
      const tmp = all[i];
      all[i] = all[j];
      all[j] = tmp;
      sample[i] = all[i];
    }
    roots[t] = b.n;
    grow(b, sample, 0, psi, 0);
  }
  return new IsolationForest({
    nFeatures,
    subsample: psi,
    heightLimit,
    roots,
    feature: b.feature.slice(0, b.n),
    value: b.value.slice(0, b.n),
    right: b.right.slice(0, b.n),
  });
}

interface Builder {
  rows: Float64Array;
  d: number;
  rng: Random;
  heightLimit: number;
  feature: Int32Array;
  value: Float64Array;
  right: Int32Array;
  n: number;
  cTable: Float64Array;
  candidates: Int32Array;
}

function cTable(psi: number): Float64Array {
  const c = new Float64Array(psi + 1);
  let h = 0; // H(n−1), built incrementally
  for (let n = 2; n <= psi; n++) {
    h += 1 / (n - 1);
    c[n] = 2 * h - (2 * (n - 1)) / n;
  }
  return c;
}

/** Builds the subtree over idx[lo, hi) in pre-order; returns its root index. */
function grow(
  b: Builder,
  idx: Int32Array,
  lo: number,
  hi: number,
  depth: number,
): number {
  const node = b.n++;
  const size = hi - lo;
  if (depth >= b.heightLimit || size <= 1) {
    return external(b, node, depth, size);
  }
  // Pick uniformly among non-constant attributes: draw without replacement
  // from the candidates, discarding constant ones, until one splits.
  const { rows, d, candidates: cand } = b;
  for (let k = 0; k < d; k++) cand[k] = k;
  let left = d;
  let q = -1, min = 0, max = 0;
  while (left > 0) {
    const j = b.rng.int(left);
    const a = cand[j];
    min = Infinity;
    max = -Infinity;
    for (let k = lo; k < hi; k++) {
      const x = rows[idx[k] * d + a];
      if (x < min) min = x;
      if (x > max) max = x;
    }
    if (max > min) {
      q = a;
      break;
    }
    cand[j] = cand[--left];
  }
  if (q < 0) return external(b, node, depth, size); // all points identical
  let p = min + b.rng.next() * (max - min);
  if (p <= min) p = min + (max - min) / 2; // keep both sides non-empty
  // Partition idx[lo, hi) into x < p, then x ≥ p.
  let i = lo, j = hi - 1;
  while (i <= j) {
    if (rows[idx[i] * d + q] < p) i++;
    else {
      const tmp = idx[i];
      idx[i] = idx[j];
      idx[j] = tmp;
      j--;
    }
  }
  b.feature[node] = q;
  b.value[node] = p;
  grow(b, idx, lo, i, depth + 1);
  b.right[node] = b.n;
  grow(b, idx, i, hi, depth + 1);
  return node;
}

function external(
  b: Builder,
  node: number,
  depth: number,
  size: number,
): number {
  b.feature[node] = -1;
  b.value[node] = depth + b.cTable[size];
  b.right[node] = size;
  return node;
}
