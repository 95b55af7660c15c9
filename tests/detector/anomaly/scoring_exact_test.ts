/**
 * The fast scorer (perfect-tree layout, branch-free descent, four trees at
 * a time) must give exactly the scores of a plain reading of Liu, Ting &
 * Zhou's Algorithm 3 over the stored trees: same path lengths to the last
 * bit, for many random vectors, several forests, and the awkward inputs
 * (values equal to a split value, NaN, far outside the training range).
 */
import assert from "node:assert/strict";
import {
  fitIsolationForest,
  IsolationForest,
} from "../../../stages/detector/anomaly/iforest.ts";

/**
 * c(n) = 2H(n−1) − 2(n−1)/n. Training sums H from 1 upwards (it builds the
 * table incrementally); the score normalizer c(ψ) sums it from the small
 * terms up. Both orders are reproduced so equality can be exact.
 */
function c(n: number, smallTermsFirst = false): number {
  if (n <= 1) return 0;
  let h = 0;
  if (smallTermsFirst) { for (let k = n - 1; k >= 1; k--) h += 1 / k; }
  else for (let k = 1; k <= n - 1; k++) h += 1 / k;
  return 2 * h - (2 * (n - 1)) / n;
}

/**
 * Algorithm 3, PathLength(x, T, e), on the stored pre-order trees: count
 * the edges down to the external node, then add c(size) of that node.
 * Summed over the trees in order; returns the sum, not the mean.
 */
function referencePathSum(
  f: IsolationForest,
  x: Float64Array,
  off: number,
): number {
  const walk = (node: number, e: number): number => {
    if (f.feature[node] < 0) return e + c(f.right[node]); // right = size here
    const goLeft = x[off + f.feature[node]] < f.value[node];
    return walk(goLeft ? node + 1 : f.right[node], e + 1);
  };
  let sum = 0;
  for (const root of f.roots) sum += walk(root, 0);
  return sum;
}

/** s(x, ψ) = 2^(−E(h)/c(ψ)), written as the scorer evaluates it. */
function referenceScore(f: IsolationForest, sum: number): number {
  return Math.exp((-Math.LN2 / (f.trees * c(f.subsample, true))) * sum);
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Training rows: a few clusters, one constant column, some integer columns. */
function trainingRows(rnd: () => number, n: number, d: number): Float64Array {
  const rows = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const cluster = i % 3;
    for (let j = 0; j < d; j++) {
      rows[i * d + j] = j === 1
        ? 7 // constant: never split on
        : j % 4 === 0
        ? Math.floor(rnd() * 5) // ties and repeated values
        : cluster * 10 + rnd() * (j + 1);
    }
  }
  return rows;
}

/**
 * Vectors to score: fresh random draws, values exactly on split points
 * (x == v must go right), NaN (goes right, like any failed x < v), and
 * far outliers.
 */
function probeRows(
  rnd: () => number,
  f: IsolationForest,
  n: number,
  d: number,
): Float64Array {
  const splits: number[][] = Array.from({ length: d }, () => []);
  for (let i = 0; i < f.nodes; i++) {
    if (f.feature[i] >= 0) splits[f.feature[i]].push(f.value[i]);
  }
  const rows = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const r = rnd();
      const s = splits[j];
      rows[i * d + j] = r < 0.3 && s.length
        ? s[Math.floor(rnd() * s.length)]
        : r < 0.32
        ? NaN
        : r < 0.36
        ? (rnd() - 0.5) * 1e6
        : (i % 3) * 10 + rnd() * (j + 1) * 1.3 - 0.2;
    }
  }
  return rows;
}

function assertExact(f: IsolationForest, rows: Float64Array, n: number) {
  const d = f.nFeatures;
  const batch = f.scoreBatch(rows, n, new Float64Array(n));
  const want = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    want[i] = referenceScore(f, referencePathSum(f, rows, i * d));
  }
  // The early-exit scorer is probed at the median reference score, so
  // about half the vectors stop early and half must come back exact.
  const thr = Float64Array.from(want).sort()[n >> 1];
  let above = 0;
  for (let i = 0; i < n; i++) {
    const sum = referencePathSum(f, rows, i * d);
    assert.equal(f.meanPathLength(rows, i * d), sum / f.trees, `E(h) row ${i}`);
    assert.equal(f.score(rows, i * d), want[i], `score row ${i}`);
    assert.equal(batch[i], want[i], `batch score row ${i}`);
    const at = f.scoreAtLeast(rows, thr, i * d);
    assert.equal(
      at,
      want[i] >= thr ? want[i] : -Infinity,
      `scoreAtLeast row ${i}`,
    );
    if (want[i] >= thr) above++;
  }
  return above;
}

for (const seed of [1, 2, 3, 4, 5]) {
  Deno.test(`exact scores equal Algorithm 3 on the stored trees, bit for bit (forest seed ${seed}, ψ=256, 100 trees)`, () => {
    const rnd = lcg(1000 + seed);
    const d = 9, nTrain = 2000, nProbe = 2500;
    const f = fitIsolationForest(trainingRows(rnd, nTrain, d), nTrain, d, {
      seed,
    });
    const above = assertExact(f, probeRows(rnd, f, nProbe, d), nProbe);
    assert.ok(
      above > 0 && above < nProbe,
      "both sides of the threshold are probed",
    );
  });
}

Deno.test("exact scores also hold for small ψ, a tree count not a multiple of 4, and > 256 features", () => {
  const rnd = lcg(77);
  for (
    const [d, nTrain, params] of [
      [4, 300, { subsample: 20, trees: 7, seed: 9 }],
      [300, 400, { subsample: 64, trees: 10, seed: 3 }],
    ] as const
  ) {
    const f = fitIsolationForest(trainingRows(rnd, nTrain, d), nTrain, d, {
      ...params,
    });
    assertExact(f, probeRows(rnd, f, 400, d), 400);
  }
});

Deno.test("exact scores hold for trees too deep for the perfect layout (ψ = 8192, walked as stored)", () => {
  const rnd = lcg(5);
  const d = 3, n = 8192;
  const f = fitIsolationForest(trainingRows(rnd, n, d), n, d, {
    subsample: n,
    trees: 3,
    seed: 2,
  });
  assert.equal(f.heightLimit, 13);
  assertExact(f, probeRows(rnd, f, 300, d), 300);
});

Deno.test("a forest rebuilt from its stored arrays (as a model file loads) scores identically", () => {
  const rnd = lcg(12);
  const d = 6, n = 1500;
  const f = fitIsolationForest(trainingRows(rnd, n, d), n, d, { seed: 8 });
  const g = new IsolationForest({
    nFeatures: f.nFeatures,
    subsample: f.subsample,
    heightLimit: f.heightLimit,
    roots: Int32Array.from(f.roots),
    feature: Int32Array.from(f.feature),
    value: Float64Array.from(f.value),
    right: Int32Array.from(f.right),
  });
  const rows = probeRows(rnd, f, 1000, d);
  for (let i = 0; i < 1000; i++) {
    assert.equal(g.score(rows, i * d), f.score(rows, i * d));
  }
  assertExact(g, rows, 1000);
});
