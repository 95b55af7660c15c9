/**
 * Training: feature vectors in, a complete {@link AnomalyModel} out (forest,
 * feature statistics, alert threshold). Used by `sentinel-detector train`,
 * by the detector's warm-up, and by its periodic re-fit.
 *
 * @module
 */
import type { EnrichedEvent } from "../../shared/contracts/mod.ts";
import { createHash } from "node:crypto";
import {
  DEFAULT_FEATURE_SPEC,
  FeatureExtractor,
  type FeatureSpec,
} from "./features.ts";
import {
  DEFAULT_FOREST_PARAMS,
  fitIsolationForest,
  type ForestParams,
} from "./iforest.ts";
import type { AnomalyModel, FeatureStats } from "./model.ts";
import { type Random, seededRandom } from "./rng.ts";

/** How the alert threshold is chosen from the training scores. */
export interface ThresholdRule {
  /**
   * Expected share of anomalous training events: the threshold is the
   * (1 − contamination) quantile of the training scores.
   * @default 0.005
   */
  contamination: number;
  /**
   * Lowest threshold ever used: per the paper, scores well below 0.5 are
   * normal, so nothing under this floor alerts.
   * @default 0.55
   */
  floor: number;
}

/** The defaults of {@link ThresholdRule}. */
export const DEFAULT_THRESHOLD_RULE: Readonly<ThresholdRule> = Object.freeze({
  contamination: 0.005,
  floor: 0.55,
});

/** Least training history (event time) from which hour-of-day features are learned: one day. */
export const MIN_HOUR_OF_DAY_SPAN_MS = 86_400_000;

/** Options of {@link trainModel}. */
export interface TrainOptions {
  params?: Partial<ForestParams>;
  threshold?: Partial<ThresholdRule>;
  /** A fixed threshold instead of the rule. */
  fixedThreshold?: number;
  /** Event-time range of the training data, for the record. */
  from?: string;
  to?: string;
  /** Events seen in total (the matrix may be a sample of them). */
  eventsSeen?: number;
  /** Creation time written into the model. @default now */
  createdAt?: Date;
}

/**
 * Trains a model on `n` row-major feature vectors extracted with `spec`.
 */
export function trainModel(
  rows: Float64Array,
  n: number,
  spec: FeatureSpec,
  opts: TrainOptions = {},
): AnomalyModel {
  const dim = spec.features.length;
  const params: ForestParams = { ...DEFAULT_FOREST_PARAMS, ...opts.params };
  const rule: ThresholdRule = { ...DEFAULT_THRESHOLD_RULE, ...opts.threshold };
  // Hour of day can only be learned from a history that covers whole days:
  // from a shorter one every later hour would look novel. Such features are
  // held constant while growing, so no tree ever splits on them.
  const span = opts.from && opts.to
    ? Date.parse(opts.to) - Date.parse(opts.from)
    : NaN;
  const inactive = spec.features
    .map((f, k) => ({ f, k }))
    .filter(({ f }) =>
      f.kind === "hour_of_day" && !(span >= MIN_HOUR_OF_DAY_SPAN_MS)
    );
  let fitRows = rows;
  if (inactive.length) {
    fitRows = rows.slice(0, n * dim);
    for (const { k } of inactive) {
      for (let i = 0; i < n; i++) fitRows[i * dim + k] = 0;
    }
  }
  const forest = fitIsolationForest(fitRows, n, dim, params);
  const scores = forest.scoreBatch(fitRows, n, new Float64Array(n));
  const sorted = scores.slice().sort();
  const q = (p: number) => quantile(sorted, p);
  const threshold = opts.fixedThreshold ??
    Math.min(1, Math.max(rule.floor, q(1 - rule.contamination)));
  const model: Omit<AnomalyModel, "model_version"> = {
    created_at: (opts.createdAt ?? new Date()).toISOString(),
    feature_spec: spec,
    params: {
      ...params,
      subsample: forest.subsample,
      height_limit: forest.heightLimit,
    },
    training: {
      events: opts.eventsSeen ?? n,
      rows: n,
      ...(opts.from ? { from: opts.from } : {}),
      ...(opts.to ? { to: opts.to } : {}),
      features: featureStats(rows, n, spec),
      inactive_features: inactive.map(({ f }) => f.name),
      score_quantiles: {
        p50: q(0.5),
        p90: q(0.9),
        p99: q(0.99),
        p999: q(0.999),
        max: q(1),
      },
    },
    threshold,
    threshold_rule: opts.fixedThreshold === undefined
      ? rule
      : { fixed: opts.fixedThreshold },
    forest,
  };
  return { model_version: modelVersion(model), ...model };
}

/**
 * The version names the content (spec, parameters, threshold, trees): the
 * same data, seed and spec always give the same version.
 */
export function modelVersion(m: Omit<AnomalyModel, "model_version">): string {
  const h = createHash("sha256");
  h.update(
    JSON.stringify([
      m.feature_spec.id,
      m.feature_spec.version,
      m.params,
      m.threshold,
    ]),
  );
  for (
    const a of [
      m.forest.roots,
      m.forest.feature,
      m.forest.value,
      m.forest.right,
    ]
  ) {
    h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  return "iforest-" + h.digest("hex").slice(0, 12);
}

/** Quantile of sorted values (linear interpolation). */
export function quantile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const pos = Math.min(1, Math.max(0, p)) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Per-feature statistics of a training matrix (for explanations). */
export function featureStats(
  rows: Float64Array,
  n: number,
  spec: FeatureSpec,
): FeatureStats[] {
  const dim = spec.features.length;
  const col = new Float64Array(n);
  return spec.features.map((f, k) => {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      col[i] = rows[i * dim + k];
      sum += col[i];
    }
    const mean = n ? sum / n : 0;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (col[i] - mean) ** 2;
    const s = col.subarray(0, n).slice().sort();
    return {
      name: f.name,
      mean: round(mean),
      std: round(n ? Math.sqrt(ss / n) : 0),
      min: round(s[0] ?? 0),
      p50: round(quantile(s, 0.5)),
      p99: round(quantile(s, 0.99)),
      max: round(s[n - 1] ?? 0),
    };
  });
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/**
 * A uniform sample of at most `capacity` feature vectors from a stream
 * (Vitter's Algorithm R), for training on long histories and re-fitting.
 */
export class Reservoir {
  readonly rows: Float64Array;
  size = 0;
  seen = 0;
  readonly #rng: Random;

  constructor(readonly capacity: number, readonly dim: number, seed = 1) {
    this.rows = new Float64Array(capacity * dim);
    this.#rng = seededRandom(seed ^ 0x5eed);
  }

  /** Offers the vector at `src[off .. off + dim)`. */
  offer(src: Float64Array, off = 0): void {
    this.seen++;
    let slot: number;
    if (this.size < this.capacity) slot = this.size++;
    else {
      slot = Math.floor(this.#rng.next() * this.seen);
      if (slot >= this.capacity) return;
    }
    this.rows.set(src.subarray(off, off + this.dim), slot * this.dim);
  }
}

/** Options of {@link trainFromEvents}. */
export interface TrainFromEventsOptions extends TrainOptions {
  spec?: FeatureSpec;
  /** Most vectors kept for training (uniform reservoir sample). @default 200000 */
  maxRows?: number;
}

/**
 * Extracts features from `events` in order (so the rolling windows see the
 * history as the detector would) and trains on a sample of the vectors.
 */
export async function trainFromEvents(
  events: AsyncIterable<EnrichedEvent> | Iterable<EnrichedEvent>,
  opts: TrainFromEventsOptions = {},
): Promise<AnomalyModel> {
  const spec = opts.spec ?? DEFAULT_FEATURE_SPEC;
  const fx = new FeatureExtractor(spec);
  const seed = opts.params?.seed ?? DEFAULT_FOREST_PARAMS.seed;
  const res = new Reservoir(opts.maxRows ?? 200_000, fx.dim, seed);
  const v = new Float64Array(fx.dim);
  let from: string | undefined, to: string | undefined;
  for await (const e of events) {
    fx.extract(e, v);
    res.offer(v);
    if (from === undefined || e.ts < from) from = e.ts;
    if (to === undefined || e.ts > to) to = e.ts;
  }
  if (res.size === 0) throw new RangeError("no enriched events to train on");
  const model = trainModel(res.rows, res.size, spec, {
    ...opts,
    from: opts.from ?? from,
    to: opts.to ?? to,
    eventsSeen: res.seen,
  });
  model.state = fx.exportState();
  return model;
}
