import assert from "node:assert/strict";
import {
  averagePathLength,
  fitIsolationForest,
  IsolationForest,
} from "../../../stages/detector/anomaly/iforest.ts";

/** The outlier benchmark tables and the reference mean ROC AUCs (../shared/README.md). */
const REFERENCE: Record<string, number> = {
  pima: 0.67,
  ionosphere: 0.85,
  arrhythmia: 0.80,
  cardio: 0.92,
  letter: 0.63,
};
const TOLERANCE = 0.03;
const SEEDS = 10;

interface Table {
  rows: Float64Array;
  n: number;
  d: number;
  labels: Uint8Array;
}

async function loadTable(name: string): Promise<Table> {
  const url = new URL(
    `../../../../shared/datasets/anomaly/${name}.csv`,
    import.meta.url,
  );
  const lines = (await Deno.readTextFile(url)).trim().split(/\r?\n/);
  const header = lines[0].split(",");
  assert.equal(
    header[header.length - 1],
    "label",
    `${name}: last column is the label`,
  );
  const d = header.length - 1, n = lines.length - 1;
  const rows = new Float64Array(n * d);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const cells = lines[i + 1].split(",");
    for (let k = 0; k < d; k++) rows[i * d + k] = Number(cells[k]);
    labels[i] = Number(cells[d]);
  }
  return { rows, n, d, labels };
}

/** ROC AUC by the rank-sum (Mann–Whitney) formula, ties averaged. */
function rocAuc(scores: Float64Array, labels: Uint8Array): number {
  const order = Array.from(scores.keys()).sort((a, b) => scores[a] - scores[b]);
  const ranks = new Float64Array(scores.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]] === scores[order[i]]) {
      j++;
    }
    for (let k = i; k <= j; k++) ranks[order[k]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  let pos = 0, rankSum = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === 1) {
      pos++;
      rankSum += ranks[i];
    }
  }
  const neg = labels.length - pos;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

for (const [name, reference] of Object.entries(REFERENCE)) {
  Deno.test(`parity: ${name} mean ROC AUC over ${SEEDS} seeds is within ±${TOLERANCE} of ${reference}`, async () => {
    const t = await loadTable(name);
    let sum = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const forest = fitIsolationForest(t.rows, t.n, t.d, {
        seed,
        trees: 100,
        subsample: 256,
      });
      sum += rocAuc(
        forest.scoreBatch(t.rows, t.n, new Float64Array(t.n)),
        t.labels,
      );
    }
    const mean = sum / SEEDS;
    assert.ok(
      Math.abs(mean - reference) <= TOLERANCE,
      `${name}: mean AUC ${mean.toFixed(3)}, reference ${reference}`,
    );
  });
}

Deno.test("rocAuc helper: a perfect ranking is 1, a reversed one 0", () => {
  const labels = new Uint8Array([0, 0, 1, 1]);
  assert.equal(rocAuc(new Float64Array([0.1, 0.2, 0.8, 0.9]), labels), 1);
  assert.equal(rocAuc(new Float64Array([0.9, 0.8, 0.2, 0.1]), labels), 0);
});

Deno.test("c(n) follows the paper: c(1)=0, c(2)=1, c(256)=2H(255)−2·255/256", () => {
  assert.equal(averagePathLength(1), 0);
  assert.equal(averagePathLength(2), 1);
  let h = 0;
  for (let i = 1; i <= 255; i++) h += 1 / i;
  assert.ok(
    Math.abs(averagePathLength(256) - (2 * h - (2 * 255) / 256)) < 1e-12,
  );
});

/** 500 points in a tight 2-D cluster plus one far away. */
function clusterWithOutlier(): { rows: Float64Array; n: number } {
  const n = 501;
  const rows = new Float64Array(n * 2);
  for (let i = 0; i < 500; i++) {
    rows[i * 2] = Math.sin(i) * 0.5;
    rows[i * 2 + 1] = Math.cos(i * 1.3) * 0.5;
  }
  rows[1000] = 8;
  rows[1001] = -7;
  return { rows, n };
}

Deno.test("an isolated point scores near 1 and the cluster below 0.5", () => {
  const { rows, n } = clusterWithOutlier();
  const f = fitIsolationForest(rows, n, 2, { seed: 3 });
  assert.ok(f.score(rows, 1000) > 0.7, `outlier ${f.score(rows, 1000)}`);
  const scores = f.scoreBatch(rows, n, new Float64Array(n));
  let maxNormal = 0;
  for (let i = 0; i < 500; i++) maxNormal = Math.max(maxNormal, scores[i]);
  assert.ok(maxNormal < scores[500], "the outlier ranks first");
  assert.ok(scores[7] < 0.5, `a cluster point scores ${scores[7]}`);
});

Deno.test("same seed, same forest; different seed, different forest", () => {
  const { rows, n } = clusterWithOutlier();
  const a = fitIsolationForest(rows, n, 2, { seed: 9 });
  const b = fitIsolationForest(rows, n, 2, { seed: 9 });
  const c = fitIsolationForest(rows, n, 2, { seed: 10 });
  assert.deepEqual(a.value, b.value);
  assert.deepEqual(a.feature, b.feature);
  assert.notDeepEqual(a.value, c.value);
});

Deno.test("trees respect ψ=256, height limit ⌈log2 ψ⌉ = 8 and t = 100", () => {
  const n = 2000, d = 3;
  const rows = new Float64Array(n * d);
  for (let i = 0; i < rows.length; i++) {
    rows[i] = Math.sin(i * 12.9898) * 43758.5453 % 1;
  }
  const f = fitIsolationForest(rows, n, d, { seed: 1 });
  assert.equal(f.trees, 100);
  assert.equal(f.subsample, 256);
  assert.equal(f.heightLimit, 8);
  // Every external node: depth ≤ 8, sizes of a tree's leaves sum to ψ.
  for (let t = 0; t < f.trees; t++) {
    const end: number = t + 1 < f.trees ? f.roots[t + 1] : f.nodes;
    let size = 0;
    const walk = (i: number, depth: number): number => {
      if (f.feature[i] < 0) {
        assert.ok(depth <= 8);
        size += f.right[i];
        return i + 1;
      }
      const afterLeft = walk(i + 1, depth + 1);
      assert.equal(
        f.right[i],
        afterLeft,
        "pre-order layout: right child follows the left subtree",
      );
      return walk(f.right[i], depth + 1);
    };
    assert.equal(walk(f.roots[t], 0), end);
    assert.equal(size, 256);
  }
});

Deno.test("constant features are never chosen for a split", () => {
  const n = 300;
  const rows = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) {
    rows[i * 3] = 5; // constant
    rows[i * 3 + 1] = i % 17;
    rows[i * 3 + 2] = -1; // constant
  }
  const f = fitIsolationForest(rows, n, 3, { seed: 2 });
  for (let i = 0; i < f.nodes; i++) {
    if (f.feature[i] >= 0) assert.equal(f.feature[i], 1);
  }
});

Deno.test("identical points make an external node whose size feeds c(n)", () => {
  const rows = new Float64Array(20).fill(1); // 10 identical 2-D points
  const f = fitIsolationForest(rows, 10, 2, { trees: 5, seed: 1 });
  // No split is possible: each tree is one external node of size 10.
  assert.equal(f.nodes, 5);
  assert.ok(Math.abs(f.meanPathLength(rows) - averagePathLength(10)) < 1e-12);
  // E(h) = c(ψ) gives exactly s = 0.5.
  assert.ok(Math.abs(f.score(rows) - 0.5) < 1e-12);
});

Deno.test("score and scoreBatch agree", () => {
  const { rows, n } = clusterWithOutlier();
  const f: IsolationForest = fitIsolationForest(rows, n, 2, { seed: 4 });
  const batch = f.scoreBatch(rows, n, new Float64Array(n));
  for (let i = 0; i < n; i += 37) {
    assert.ok(Math.abs(batch[i] - f.score(rows, i * 2)) < 1e-12);
  }
});

/** Mean path length by walking the stored flat trees, as Algorithm 3 reads. */
function referencePathLength(f: IsolationForest, x: Float64Array, off: number) {
  let sum = 0;
  for (const root of f.roots) {
    let i = root;
    while (f.feature[i] >= 0) {
      i = x[off + f.feature[i]] < f.value[i] ? i + 1 : f.right[i];
    }
    sum += f.value[i];
  }
  return sum / f.roots.length;
}

Deno.test("fast scoring layout gives bit-identical path lengths; scoreAtLeast only skips scores below the threshold", () => {
  const rng = seededRandomForTest(11);
  const d = 5, n = 3000;
  const rows = new Float64Array(n * d);
  for (let i = 0; i < rows.length; i++) rows[i] = rng() * (i % d === 0 ? 1 : 9);
  for (let i = 0; i < 40; i++) rows[i * d] = 50 + i; // a few far outliers
  const f = fitIsolationForest(rows, n, d, { seed: 3 });
  let above = 0, below = 0;
  for (let i = 0; i < n; i++) {
    assert.equal(
      f.meanPathLength(rows, i * d),
      referencePathLength(f, rows, i * d),
    );
    const s = f.score(rows, i * d);
    for (const thr of [0.45, 0.55, 0.6, s]) {
      const a = f.scoreAtLeast(rows, thr, i * d);
      if (s >= thr) {
        assert.equal(a, s);
        above++;
      } else {
        assert.equal(a, -Infinity);
        below++;
      }
    }
  }
  assert.ok(above > 0 && below > 0, "both sides of the thresholds are seen");
});

function seededRandomForTest(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
