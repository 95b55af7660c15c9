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
  coldWindowFloors,
  DEFAULT_FEATURE_SPEC,
  FeatureExtractor,
  type FeatureSpec,
  raiseColdWindows,
} from "./features.ts";
import {
  DEFAULT_FOREST_PARAMS,
  fitIsolationForest,
  type ForestParams,
  type IsolationForest,
} from "./iforest.ts";
import type { AnomalyModel, FeatureStats } from "./model.ts";
import {
  actorKey,
  actorsOf,
  type AlertPolicy,
  countAlerts,
  DEFAULT_ALERT_POLICY,
} from "./alerting.ts";
import { type Random, seededRandom } from "./rng.ts";

/**
 * How the alert threshold is chosen. The target is a false-alert *rate*:
 * replaying the (attack-free) training history through the detector's
 * entity {@link AlertPolicy} must raise at most `alerts_per_10k` alerts per
 * 10,000 events; the threshold is the lowest training score that meets it.
 */
export interface ThresholdRule {
  /** Most alerts per 10,000 training events on replay. @default 1 */
  alerts_per_10k: number;
  /**
   * Lowest threshold ever used: per the paper, scores well below 0.5 are
   * normal, so nothing under this floor counts as a hit.
   * @default 0.55
   */
  floor: number;
}

/** The defaults of {@link ThresholdRule}. */
export const DEFAULT_THRESHOLD_RULE: Readonly<ThresholdRule> = Object.freeze({
  alerts_per_10k: 1,
  floor: 0.55,
});

/** What calibration found, recorded in the model's `threshold_rule`. */
export interface CalibratedRule extends ThresholdRule {
  /** Share of training scores below the threshold (re-fits reuse it). */
  quantile: number;
  /** Events replayed, and the alerts the policy raised on them at the threshold. */
  calibration_events: number;
  training_alerts: number;
}

/**
 * A training history in stream order, for calibration: row-major vectors,
 * event times (ms) and each event's actor keys ({@link actorKey}).
 */
export interface OrderedHistory {
  rows: Float64Array;
  n: number;
  times: Float64Array;
  actors: string[][];
  /**
   * Event time of the first event of the stream the history comes from
   * (the ring may have dropped it): rows within a window's length of it
   * had that window partial, and are calibrated as the detector scores
   * them (see raiseColdWindows). Unknown: rows are taken as they are.
   */
  startMs?: number;
}

/** Least training history (event time) from which hour-of-day features are learned: one day. */
export const MIN_HOUR_OF_DAY_SPAN_MS = 86_400_000;

/** Options of {@link trainModel}. */
export interface TrainOptions {
  params?: Partial<ForestParams>;
  threshold?: Partial<ThresholdRule>;
  /** A fixed threshold instead of the rule. */
  fixedThreshold?: number;
  /** Entity alert policy the threshold is calibrated for. */
  policy?: Partial<AlertPolicy>;
  /** The ordered history to calibrate on (default: `rows` in order, without actors). */
  calibration?: OrderedHistory;
  /** Use this quantile of the training scores instead of calibrating (re-fits). */
  quantile?: number;
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
  const stats = featureStats(rows, n, spec);
  const scores = forest.scoreBatch(fitRows, n, new Float64Array(n));
  const sorted = scores.slice().sort();
  const q = (p: number) => quantile(sorted, p);
  const policy: AlertPolicy = { ...DEFAULT_ALERT_POLICY, ...opts.policy };
  let threshold: number;
  let thresholdRule: AnomalyModel["threshold_rule"];
  if (opts.fixedThreshold !== undefined) {
    threshold = opts.fixedThreshold;
    thresholdRule = { fixed: threshold };
  } else if (opts.quantile !== undefined) {
    threshold = Math.min(1, Math.max(rule.floor, q(opts.quantile)));
    thresholdRule = { ...rule, quantile: opts.quantile };
  } else if (!opts.calibration) {
    // A bare matrix has no entities to replay: per-event rate instead.
    const p = 1 - rule.alerts_per_10k / 10_000;
    threshold = Math.min(1, Math.max(rule.floor, q(p)));
    thresholdRule = { ...rule, quantile: p };
  } else {
    const c = calibrateThreshold(forest, opts.calibration, inactive, {
      rule,
      policy,
      coldFloors: coldWindowFloors(spec, stats.map((f) => f.p50)),
    });
    threshold = c.threshold;
    thresholdRule = {
      ...rule,
      quantile: round(fractionBelow(sorted, threshold)),
      calibration_events: c.events,
      training_alerts: c.alerts,
    };
  }
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
      features: stats,
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
    threshold_rule: thresholdRule,
    alert_policy: policy,
    forest,
  };
  return { model_version: modelVersion(model), ...model };
}

/**
 * The lowest threshold (≥ the floor) at which replaying the ordered history
 * through the entity alert policy raises at most `alerts_per_10k` alerts per
 * 10,000 events. Alert counts fall as the threshold rises, so this is a
 * binary search over the history's own scores. (Scores of the events the
 * forest was grown on are slightly lower than those of unseen baseline
 * events, so the rate on live baseline can be a little higher; the
 * benchmark reports it.)
 */
export function calibrateThreshold(
  forest: IsolationForest,
  history: OrderedHistory,
  inactive: { k: number }[],
  opts: {
    rule: ThresholdRule;
    policy: AlertPolicy;
    /** {@link coldWindowFloors} of the model, applied as the detector does. */
    coldFloors?: readonly number[];
  },
): { threshold: number; events: number; alerts: number } {
  const { rule, policy } = opts;
  const dim = forest.nFeatures;
  let rows = history.rows;
  const start = history.startMs;
  const floors = opts.coldFloors ?? [];
  const cold = start !== undefined && floors.length > 0;
  if (inactive.length || cold) {
    rows = rows.slice(0, history.n * dim);
    for (const { k } of inactive) {
      for (let i = 0; i < history.n; i++) rows[i * dim + k] = 0;
    }
    if (cold) {
      for (let i = 0; i < history.n; i++) {
        raiseColdWindows(rows, i * dim, history.times[i] - start, floors);
      }
    }
  }
  const scores = forest.scoreBatch(
    rows,
    history.n,
    new Float64Array(history.n),
  );
  const budget = Math.floor((history.n * rule.alerts_per_10k) / 10_000);
  const count = (t: number) =>
    countAlerts(t, scores, history.times, history.actors, policy);
  // Candidates: the distinct scores at or above the floor, ascending.
  const cand = Array.from(new Set(scores.filter((s) => s >= rule.floor)))
    .sort((a, b) => a - b);
  if (count(rule.floor) <= budget) {
    return {
      threshold: rule.floor,
      events: history.n,
      alerts: count(rule.floor),
    };
  }
  // Above the highest score nothing is a hit.
  let lo = 0, hi = cand.length; // answer in (lo-1, hi]; cand[hi] := above max
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (count(cand[mid]) <= budget) hi = mid;
    else lo = mid + 1;
  }
  const threshold = hi < cand.length
    ? cand[hi]
    : Math.min(1, cand[cand.length - 1] + 1e-9);
  return { threshold, events: history.n, alerts: count(threshold) };
}

function fractionBelow(sorted: Float64Array, t: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return sorted.length ? lo / sorted.length : 1;
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

/**
 * The most recent `capacity` events in stream order (vectors, times, actor
 * keys), for threshold calibration.
 */
export class OrderedRing {
  readonly rows: Float64Array;
  readonly times: Float64Array;
  readonly actors: string[][];
  #next = 0;
  size = 0;

  constructor(readonly capacity: number, readonly dim: number) {
    this.rows = new Float64Array(capacity * dim);
    this.times = new Float64Array(capacity);
    this.actors = new Array(capacity);
  }

  /** Appends event `e`'s vector `v` at time `t` (ms). */
  push(v: Float64Array, t: number, e: EnrichedEvent): void {
    const i = this.#next;
    this.rows.set(v.subarray(0, this.dim), i * this.dim);
    this.times[i] = t;
    this.actors[i] = actorsOf(e).map((a) => actorKey(e.tenant, a));
    this.#next = (i + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  /** The kept events, oldest first. */
  history(): OrderedHistory {
    const n = this.size, d = this.dim;
    if (n < this.capacity || this.#next === 0) {
      return {
        rows: this.rows.subarray(0, n * d),
        n,
        times: this.times.subarray(0, n),
        actors: this.actors.slice(0, n),
      };
    }
    const k = this.#next;
    const rows = new Float64Array(n * d);
    rows.set(this.rows.subarray(k * d), 0);
    rows.set(this.rows.subarray(0, k * d), (n - k) * d);
    const times = new Float64Array(n);
    times.set(this.times.subarray(k), 0);
    times.set(this.times.subarray(0, k), n - k);
    return {
      rows,
      n,
      times,
      actors: [...this.actors.slice(k), ...this.actors.slice(0, k)],
    };
  }
}

/** Options of {@link trainFromEvents}. */
export interface TrainFromEventsOptions extends TrainOptions {
  spec?: FeatureSpec;
  /** Most vectors kept for training (uniform reservoir sample). @default 200000 */
  maxRows?: number;
  /** Most recent events replayed to calibrate the threshold. @default 100000 */
  calibrationRows?: number;
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
  const ring = new OrderedRing(opts.calibrationRows ?? 100_000, fx.dim);
  const v = new Float64Array(fx.dim);
  let from: string | undefined, to: string | undefined;
  let lastT = 0;
  for await (const e of events) {
    fx.extract(e, v);
    res.offer(v);
    const t = Date.parse(e.ts);
    if (!Number.isNaN(t)) lastT = t;
    ring.push(v, lastT, e);
    if (from === undefined || e.ts < from) from = e.ts;
    if (to === undefined || e.ts > to) to = e.ts;
  }
  if (res.size === 0) throw new RangeError("no enriched events to train on");
  const model = trainModel(res.rows, res.size, spec, {
    ...opts,
    from: opts.from ?? from,
    to: opts.to ?? to,
    eventsSeen: res.seen,
    calibration: opts.calibration ?? { ...ring.history(), startMs: fx.startMs },
  });
  model.state = fx.exportState();
  return model;
}
