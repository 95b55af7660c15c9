/**
 * The anomaly {@link Detector}: extracts features from each enriched event,
 * scores them with the Isolation Forest, and raises `kind: "anomaly"` alerts
 * for scores at or above the threshold, at most one per entity per
 * suppression window. Without a model it first trains on a warm-up window
 * of events; optionally it re-fits periodically on a reservoir sample.
 *
 * @module
 */
import type {
  Alert,
  EnrichedEvent,
  Severity,
} from "../../shared/contracts/mod.ts";
import { stableId } from "../../shared/ids.ts";
import type { Logger } from "../../shared/log.ts";
import type { AlertSink, Detector } from "../detector.ts";
import {
  DEFAULT_FEATURE_SPEC,
  FeatureExtractor,
  type FeatureSpec,
} from "./features.ts";
import type { ForestParams } from "./iforest.ts";
import type { AnomalyModel } from "./model.ts";
import { Reservoir, type ThresholdRule, trainModel } from "./train.ts";

/** Rule id of every anomaly alert. */
export const ANOMALY_RULE_ID = "sentinel-anomaly-iforest";

/** Options of {@link AnomalyDetector}. */
export interface AnomalyDetectorOptions {
  /** A trained model; without one the detector trains on the warm-up window. */
  model?: AnomalyModel;
  /** Where the model came from, for `rule.source` (e.g. its path). */
  modelSource?: string;
  /** Events to train on before scoring when there is no model. @default 2000 */
  warmup?: number;
  /** Feature spec for warm-up training. @default DEFAULT_FEATURE_SPEC */
  spec?: FeatureSpec;
  /** Forest parameters for warm-up training and re-fits. */
  params?: Partial<ForestParams>;
  /** Threshold rule for warm-up training and re-fits. */
  thresholdRule?: Partial<ThresholdRule>;
  /** Fixed alert threshold, overriding the model's. */
  threshold?: number;
  /** One alert per entity per this many ms of event time. @default 600000 */
  suppressMs?: number;
  /** Re-fit on the reservoir every N scored events (0: never). @default 0 */
  refitEvery?: number;
  /** Reservoir size for re-fits. @default 4096 */
  reservoirSize?: number;
  /** Features listed in an alert's contributions. @default 3 */
  topFeatures?: number;
  /** Most entities remembered for suppression. @default 50000 */
  suppressEntities?: number;
  /** Wall clock, for `detected_at`. */
  now?: () => Date;
  logger?: Logger;
}

interface Suppression {
  until: number;
  suppressed: number;
}

/** Isolation-Forest anomaly detection over enriched events. */
export class AnomalyDetector implements Detector {
  readonly name = "anomaly";
  #model: AnomalyModel | undefined;
  #fx: FeatureExtractor;
  readonly #vec: Float64Array;
  readonly #warmup: number;
  #warmRows: Float64Array | null;
  #warmN = 0;
  #warmFrom = "";
  readonly #opts: AnomalyDetectorOptions;
  readonly #suppress = new Map<string, Suppression>();
  readonly #reservoir: Reservoir | null;
  #sinceRefit = 0;
  #refits = 0;
  #threshold = 1;
  // Figures for the summary.
  #observed = 0;
  #scored = 0;
  #above = 0;
  #alerts = 0;
  #suppressed = 0;

  constructor(opts: AnomalyDetectorOptions = {}) {
    this.#opts = opts;
    const spec = opts.model?.feature_spec ?? opts.spec ?? DEFAULT_FEATURE_SPEC;
    this.#fx = new FeatureExtractor(spec);
    if (opts.model?.state) this.#fx.importState(opts.model.state);
    this.#vec = new Float64Array(this.#fx.dim);
    this.#warmup = Math.max(2, opts.warmup ?? 2000);
    this.#warmRows = opts.model
      ? null
      : new Float64Array(this.#warmup * this.#fx.dim);
    if (opts.model) this.#use(opts.model);
    const every = opts.refitEvery ?? 0;
    this.#reservoir = every > 0
      ? new Reservoir(
        opts.reservoirSize ?? 4096,
        this.#fx.dim,
        opts.params?.seed ?? 1,
      )
      : null;
  }

  /** The model in use (undefined while warming up). */
  get model(): AnomalyModel | undefined {
    return this.#model;
  }

  /** The alert threshold in use. */
  get threshold(): number {
    return this.#threshold;
  }

  observe(event: EnrichedEvent, raise: AlertSink): void {
    this.#observed++;
    const v = this.#vec;
    this.#fx.extract(event, v);
    const model = this.#model;
    if (!model) {
      this.#warmRows!.set(v, this.#warmN * v.length);
      if (this.#warmN++ === 0) this.#warmFrom = event.ts;
      if (this.#warmN === this.#warmup) this.#trainWarmup(event.ts);
      return;
    }
    this.#scored++;
    const score = model.forest.score(v);
    if (this.#reservoir) {
      this.#reservoir.offer(v);
      if (++this.#sinceRefit >= this.#opts.refitEvery!) this.#refit(event.ts);
    }
    if (score < this.#threshold) return;
    this.#above++;
    this.#alert(event, score, model, raise);
  }

  end(_raise: AlertSink): void {
    if (!this.#model && this.#warmN > 0) {
      this.#opts.logger?.warn(
        "anomaly model still warming up at end of input; nothing scored",
        {
          warmup_events: this.#warmN,
          warmup_needed: this.#warmup,
        },
      );
    }
  }

  stats(): Record<string, unknown> {
    return {
      model_version: this.#model?.model_version ?? null,
      threshold: this.#model ? this.#threshold : null,
      observed: this.#observed,
      warmup_events: this.#warmN,
      scored: this.#scored,
      above_threshold: this.#above,
      alerts: this.#alerts,
      suppressed: this.#suppressed,
      refits: this.#refits,
      ...this.#fx.stats(),
    };
  }

  #use(m: AnomalyModel): void {
    this.#model = m;
    this.#threshold = this.#opts.threshold ?? m.threshold;
  }

  #trainWarmup(lastTs: string): void {
    const t0 = performance.now();
    const m = trainModel(this.#warmRows!, this.#warmN, this.#fx.spec, {
      params: this.#opts.params,
      threshold: this.#opts.thresholdRule,
      from: this.#warmFrom,
      to: lastTs,
    });
    this.#warmRows = null;
    this.#use(m);
    this.#opts.logger?.info("anomaly model trained on warm-up window", {
      events: this.#warmN,
      model_version: m.model_version,
      threshold: this.#threshold,
      ms: Math.round(performance.now() - t0),
    });
  }

  #refit(lastTs: string): void {
    this.#sinceRefit = 0;
    const r = this.#reservoir!;
    const prev = this.#model!;
    const m = trainModel(r.rows, r.size, this.#fx.spec, {
      params: {
        ...this.#opts.params,
        seed: (prev.params.seed + this.#refits + 1) >>> 0,
      },
      threshold: this.#opts.thresholdRule,
      eventsSeen: r.seen,
      to: lastTs,
    });
    this.#refits++;
    this.#use(m);
    this.#opts.logger?.info("anomaly model re-fitted on reservoir sample", {
      rows: r.size,
      model_version: m.model_version,
      threshold: this.#threshold,
    });
  }

  #alert(
    event: EnrichedEvent,
    score: number,
    model: AnomalyModel,
    raise: AlertSink,
  ): void {
    const weights = model.forest.featureAttribution(this.#vec);
    const order = Array.from(weights.keys()).sort((a, b) =>
      weights[b] - weights[a]
    );
    // The alert is about the entity the strongest entity feature follows;
    // event-level features point at the event's main actor.
    let entity = undefined as { type: string; value: string } | undefined;
    for (const i of order.slice(0, 3)) {
      entity = this.#fx.entityFor(i, event);
      if (entity) break;
    }
    entity ??= primaryEntity(event);
    const key = `${event.tenant}\u0000${entity.type}\u0000${entity.value}`;
    const t = Date.parse(event.ts);
    const s = this.#suppress.get(key);
    if (s && t < s.until) {
      s.suppressed++;
      this.#suppressed++;
      return;
    }
    this.#suppress.delete(key);
    this.#suppress.set(key, {
      until: t + (this.#opts.suppressMs ?? 600_000),
      suppressed: 0,
    });
    if (this.#suppress.size > (this.#opts.suppressEntities ?? 50_000)) {
      this.#suppress.delete(this.#suppress.keys().next().value!);
    }
    const top = order.slice(0, this.#opts.topFeatures ?? 3).filter((i) =>
      weights[i] > 0
    );
    const spec = model.feature_spec.features;
    const contributions = top.map((i) => {
      const st = model.training.features[i];
      const value = round(this.#vec[i]);
      return {
        feature: spec[i].name,
        value,
        weight: round(weights[i]),
        explanation: `${spec[i].description}: ${fmt(value)} (training median ${
          fmt(st.p50)
        }, p99 ${fmt(st.p99)}, max ${fmt(st.max)})`,
      };
    });
    const threshold = this.#threshold;
    const severity: Severity = score >= threshold + (1 - threshold) / 2
      ? "high"
      : "medium";
    const c0 = contributions[0];
    const alert: Alert = {
      record: "alert",
      alert_id: stableId(
        "anomaly",
        model.model_version,
        event.tenant,
        entity.type,
        entity.value,
        event.event_id,
      ),
      kind: "anomaly",
      tenant: event.tenant,
      rule: {
        id: ANOMALY_RULE_ID,
        title: "Anomalous activity (Isolation Forest)",
        level: severity,
        tags: [],
        description:
          "Event and entity behaviour unlike the model's training baseline.",
        source: this.#opts.modelSource ?? "warm-up",
      },
      severity,
      mitre: { tactics: [], techniques: [] },
      ts: event.ts,
      detected_at: (this.#opts.now?.() ?? new Date()).toISOString(),
      entity,
      group: { [entity.type]: entity.value },
      evidence: { event_ids: [event.event_id], count: 1 },
      window: { start: event.ts, end: event.ts },
      message: `${entity.type} ${entity.value}: anomaly score ${
        score.toFixed(3)
      } ≥ ${threshold.toFixed(3)} on ${event.category}/${event.action}${
        c0 ? `; mostly ${c0.explanation}` : ""
      }`,
      score: round(score),
      threshold: round(threshold),
      model_version: model.model_version,
      contributions,
    };
    this.#alerts++;
    raise(alert);
  }
}

/** The actor of an event: source IP, else user, else host, else log source. */
export function primaryEntity(
  e: EnrichedEvent,
): { type: string; value: string } {
  if (e.source?.ip) return { type: "source.ip", value: e.source.ip };
  if (e.user?.name) return { type: "user.name", value: e.user.name };
  if (e.host?.name) return { type: "host.name", value: e.host.name };
  return { type: "source_name", value: e.source_name };
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}
